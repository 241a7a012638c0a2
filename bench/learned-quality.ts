/**
 * Baseline vs learned on the shared sample databases (PostgreSQL → PostgreSQL), per quality property:
 *   npx tsx bench/learned-quality.ts                 chinook, northwind, world
 *   SYNTH_DATASETS=chinook SYNTH_MODELS=learned npx tsx bench/learned-quality.ts
 *   SYNTH_SEEDS=42,1,2,3 …                            mean ± sd per property over seeds (SYNTH_SEED: one seed)
 *   SYNTH_BENCH_DETAIL=1 …                            per-relationship Intertable and per-table Pair Trends
 * Not a test: it needs ../shared.
 */
import { parseConfig } from '../src/config/load-config.js';
import { hydrate } from '../src/pipeline/index.js';
import { datasetsMissing, freshDatabase, loadDataset, PG_SERVER } from './sample-datasets.js';


export async function benchLearnedQuality(): Promise<Record<string, number | string>> {
  const missing = datasetsMissing();
  if (missing) return { skipped: missing };
  const datasets = process.env.SYNTH_DATASETS?.split(',') ?? ['chinook', 'northwind', 'world'];
  const models = (process.env.SYNTH_MODELS?.split(',') ?? ['baseline', 'learned']) as Array<'baseline' | 'learned'>;
  const out: Record<string, number | string> = {};
  const sums = new Map<string, number[]>();
  for (const dataset of datasets) {
    const srcName = `synth_lq_${dataset}_src`;
    if (process.env.SYNTH_NO_RELOAD !== '1') {
      loadDataset(dataset, 'pg', srcName);
    }
    // Tiny tables (northwind's 9 employees) make one seed's score noise (±0.05 overall): SYNTH_SEEDS averages.
    const seeds = (process.env.SYNTH_SEEDS ?? process.env.SYNTH_SEED ?? '42').split(',').map(Number);
    for (const model of models) for (const seed of seeds) {
      const label = seeds.length > 1 ? `${dataset} ${model} s${seed}` : `${dataset} ${model}`;
      const dst = await freshDatabase('pg', `synth_lq_${dataset}_${model}`);
      const config = parseConfig({ source: { url: `${PG_SERVER}/${srcName}` }, targets: { t: { url: dst } }, outDir: '.synth/learned-quality', model, seed });
      const started = Date.now();
      let trainMs = 0;
      let trainStart = 0;
      const r = await hydrate({
        config,
        target: 't',
        emit: (e) => {
          if (e.type === 'stage' && e.stage === 'train') {
            if (e.status === 'start') trainStart = Date.now();
            else trainMs = Date.now() - trainStart;
          }
        },
      });
      const props = (r.quality?.properties ?? []).map((p) => `${p.name} ${p.score === null ? 'n/a' : p.score.toFixed(3)}`).join(', ');
      const newRows = r.quality?.diagnostics.newRowSynthesis;
      out[label] =
        `overall ${r.quality?.overall?.toFixed(3) ?? 'n/a'} | ${props} | new rows ${newRows?.toFixed(3) ?? 'n/a'} | violations ${r.integrity.totalViolations} | train ${(trainMs / 1000).toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s`;
      process.stderr.write(`${label}: ${out[label]}\n`);
      const scores = [['Overall', r.quality?.overall ?? null] as const, ...(r.quality?.properties ?? []).map((p) => [p.name, p.score] as const), ['New rows', newRows ?? null] as const];
      for (const [name, score] of scores) {
        const k = `${dataset} ${model}\u0000${name}`;
        if (score !== null) sums.set(k, [...(sums.get(k) ?? []), score]);
      }
      if (process.env.SYNTH_BENCH_DETAIL === '1' && r.quality) {
        // Mean Intertable score per relationship and the NewRowSynthesis share: where the points are lost.
        const byRel = new Map<string, number[]>();
        for (const d of r.quality.intertableTrends) {
          if (d.score === null || d.meetsThreshold === false) continue;
          const k = `${d.childTable}.${d.foreignKey}→${d.parentTable}`;
          byRel.set(k, [...(byRel.get(k) ?? []), d.score]);
        }
        for (const [k, v] of byRel) process.stderr.write(`  intertable ${k}: ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)} (${v.length} pairs)\n`);
        const byTable = new Map<string, number[]>();
        for (const d of r.quality.columnPairTrends) {
          if (d.score === null || d.meetsThreshold === false) continue;
          byTable.set(d.table, [...(byTable.get(d.table) ?? []), d.score]);
        }
        for (const [k, v] of byTable) process.stderr.write(`  pairs ${k}: ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)} (${v.length} pairs)\n`);
      }
    }
  }
  const means = new Map<string, string[]>();
  for (const [k, v] of sums) {
    const [run, name] = k.split('\u0000') as [string, string];
    if (v.length < 2) continue;
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
    means.set(run, [...(means.get(run) ?? []), `${name} ${mean.toFixed(3)}±${sd.toFixed(3)}`]);
  }
  for (const [run, parts] of means) out[`${run} mean`] = parts.join(', ');
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchLearnedQuality();
  for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(22)} ${v}\n`);
}

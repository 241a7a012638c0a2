/**
 * Where DP loses quality: one hydrate of the shop fixture (bench/dp-entity.ts) and the quality report's per-column
 * and per-pair scores, worst first.
 *   SYNTH_DP_BIG=10000 SYNTH_DP_EPS=3 SYNTH_DP_MST=auto SYNTH_DP_MODEL=learned tsx bench/dp-diag.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { parseConfig } from '../src/config/load-config.js';
import { hydrate } from '../src/pipeline/index.js';
import { fixture } from './dp-entity.js';
import { freshDatabase } from './sample-datasets.js';

export async function benchDpDiag(): Promise<Record<string, string>> {
  const customers = Number(process.env.SYNTH_DP_BIG ?? 10_000);
  const eps = process.env.SYNTH_DP_EPS ?? '3';
  const src = await freshDatabase('pg', 'synth_dpdiag_src');
  const c = new pg.Client({ connectionString: src });
  await c.connect();
  await c.query(fixture(customers));
  await c.end();
  process.env.SYNTH_PII_KEY ??= 'bench-pii-key';
  const dst = await freshDatabase('pg', 'synth_dpdiag_dst');
  const mst = process.env.SYNTH_DP_MST;
  const config = parseConfig({
    source: { url: src },
    targets: { dev: { url: dst } },
    model: process.env.SYNTH_DP_MODEL === 'baseline' ? 'baseline' : 'learned',
    outDir: mkdtempSync(join(tmpdir(), 'synth-dp-diag-')),
    ...(process.env.SYNTH_DP_FILTERS === 'off' ? { filters: { enabled: false } } : {}),
    ...(eps === 'off' ? {} : { privacy: { epsilon: Number(eps), delta: 1e-6, ...(mst ? { mst: mst === 'false' ? false : ('auto' as const) } : {}) } }),
  });
  const cpu = process.cpuUsage();
  const r = await hydrate({ config, target: 'dev' });
  const used = process.cpuUsage(cpu);
  const q = r.quality!;
  const out: Record<string, string> = {};
  out.overall = `${q.overall?.toFixed(3)} ${q.properties.map((p) => `${p.name} ${p.score?.toFixed(3)}`).join(', ')} | cpu ${((used.user + used.system) / 1e6).toFixed(0)} s | violations ${r.integrity.totalViolations}`;
  out.rows = JSON.stringify({ real: q.info.rowsReal, synthetic: q.info.rowsSynthetic });
  for (const t of r.privacy?.tables ?? []) out[`model ${t.table}`] = `${t.model} ε ${t.epsilon.toFixed(3)} ${t.mst ? t.mst.reason : ''} ${t.dpSgd ? `sgd σ ${t.dpSgd.noiseMultiplier.toFixed(2)} steps ${t.dpSgd.steps}` : ''}`;
  for (const s of q.columnShapes) out[`shape ${s.table}.${s.column}`] = `${s.score?.toFixed(3)}`;
  for (const p of q.columnPairTrends.filter((x) => x.meetsThreshold)) out[`pair ${p.table} ${p.column1}×${p.column2}`] = `${p.score?.toFixed(3)} real ${p.realCorrelation?.toFixed(2) ?? p.realAssociation?.toFixed(2)} syn ${p.syntheticCorrelation?.toFixed(2)}`;
  for (const p of q.intertableTrends.filter((x) => x.meetsThreshold)) out[`inter ${p.parentTable}>${p.childTable} ${p.column1}×${p.column2}`] = `${p.score?.toFixed(3)} real ${p.realCorrelation?.toFixed(2) ?? p.realAssociation?.toFixed(2)} syn ${p.syntheticCorrelation?.toFixed(2)}`;
  for (const d of q.cardinality) out[`card ${d.parentTable}>${d.childTable}`] = `${d.score?.toFixed(3)}`;
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchDpDiag();
  for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(48)} ${v}\n`);
}

/**
 * Quality, privacy spend, NewRowSynthesis and integrity of DP hydrates of the shared sample databases at
 * ε = 1, 3, 10 (δ = 1e-6) next to the non-DP run (PostgreSQL → PostgreSQL). Not a test: it needs ../shared.
 *   SYNTH_DP_DATASETS=chinook,world SYNTH_DP_MODEL=learned tsx bench/dp-datasets.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConfig } from '../src/config/load-config.js';
import { hydrate } from '../src/pipeline/index.js';
import { datasetsMissing, freshDatabase, loadDataset } from './sample-datasets.js';


export async function benchDpDatasets(): Promise<Record<string, number | string>> {
  const missing = datasetsMissing();
  if (missing) return { skipped: missing };
  const datasets = process.env.SYNTH_DP_DATASETS?.split(',') ?? ['chinook', 'northwind', 'world'];
  const model = process.env.SYNTH_DP_MODEL === 'learned' ? 'learned' : 'baseline';
  const epsilons = (process.env.SYNTH_DP_EPSILONS ?? 'off,1,3,10').split(',');
  // DP noise moves the scores between runs: SYNTH_DP_REPEATS=3 runs each setting three times.
  const repeats = Math.max(1, Number(process.env.SYNTH_DP_REPEATS ?? '1'));
  const out: Record<string, number | string> = { model };
  process.env.SYNTH_PII_KEY ??= 'bench-pii-key';
  for (const dataset of datasets) {
    const src = `synth_dp_${dataset}_src`;
    const srcUrl = loadDataset(dataset, 'pg', src);
    for (const e of epsilons) {
      for (let rep = 0; rep < repeats; rep++) {
      const dst = await freshDatabase('pg', `synth_dp_${dataset}_dst`);
      const config = parseConfig({
        source: { url: srcUrl },
        targets: { dev: { url: dst } },
        model,
        outDir: mkdtempSync(join(tmpdir(), 'synth-dp-bench-')),
        training: { epochs: model === 'learned' ? 10 : undefined, hidden: 128 },
        ...(e === 'off' ? {} : { privacy: { epsilon: Number(e), delta: 1e-6 } }),
      });
      const started = Date.now();
      const label = `${dataset} ε=${e}${repeats > 1 ? ` #${rep + 1}` : ''}`;
      let r: Awaited<ReturnType<typeof hydrate>>;
      try {
        r = await hydrate({ config, target: 'dev' });
      } catch (err) {
        out[`${label} error`] = err instanceof Error ? err.message.slice(0, 200) : String(err);
        console.log(label, out[`${label} error`]);
        continue;
      }
      out[`${label} overall`] = r.quality?.overall === null || r.quality === null ? 'n/a' : Number(r.quality.overall.toFixed(3));
      out[`${label} NewRowSynthesis`] = r.quality?.diagnostics.newRowSynthesis == null ? 'n/a' : Number(r.quality.diagnostics.newRowSynthesis.toFixed(3));
      out[`${label} violations`] = r.integrity.totalViolations;
      out[`${label} ε spent`] = r.privacy?.dp ? Number(r.privacy.epsilon.toFixed(3)) : 'n/a';
      const f = Object.values(r.privacy?.filters ?? {}).reduce((s, x) => s + x.regenerated, 0);
      out[`${label} filtered rows`] = f;
      out[`${label} seconds`] = Math.round((Date.now() - started) / 1000);
      console.log(label, JSON.stringify(Object.fromEntries(Object.entries(out).filter(([k]) => k.startsWith(label)))));
      }
    }
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchDpDatasets()));
}

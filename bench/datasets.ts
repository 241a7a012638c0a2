/**
 * Hydrates the shared sample databases (../shared/datasets: chinook, northwind, world) across dialect pairs and
 * checks what the issues promise: zero violations, row counts within 1 % of scale × source, the source unchanged
 * (per-table checksums before and after), and the quality score. Not a test: it needs ../shared.
 *   npm run bench -- datasets                      all pairs
 *   SYNTH_DATASETS=chinook:pg:pg npm run bench -- datasets
 */
import { parseConfig } from '../src/config/load-config.js';
import { openSource } from '../src/connectors/index.js';
import { hydrate } from '../src/pipeline/index.js';
import { datasetsMissing, type Engine, freshDatabase, loadDataset } from './sample-datasets.js';

const DEFAULT_RUNS = ['chinook:pg:pg', 'northwind:pg:pg', 'world:pg:pg', 'chinook:mysql:mysql', 'world:mysql:mysql', 'chinook:pg:mysql', 'world:pg:mysql', 'chinook:mysql:pg', 'world:mysql:pg'];

async function checksums(url: string): Promise<Record<string, string>> {
  const source = await openSource(url);
  try {
    const schema = await source.introspect();
    const out: Record<string, string> = {};
    for (const t of schema.tables) out[`${t.schema}.${t.name}`] = await source.checksum(t);
    return out;
  } finally {
    await source.close();
  }
}

export async function benchDatasets(): Promise<Record<string, number | string>> {
  const missing = datasetsMissing();
  if (missing) return { skipped: missing };
  const runs = (process.env.SYNTH_DATASETS?.split(',') ?? DEFAULT_RUNS).map((r) => r.split(':') as [string, Engine, Engine]);
  const out: Record<string, number | string> = {};
  for (const [dataset, from, to] of runs) {
    const label = `${dataset} ${from}→${to}`;
    const srcName = `synth_ds_${dataset}_src`;
    const srcUrl = loadDataset(dataset, from, srcName);
    const dstUrl = await freshDatabase(to, `synth_ds_${dataset}_${from}_${to}`);
    const before = await checksums(srcUrl);
    const config = parseConfig({ source: { url: srcUrl }, targets: { t: { url: dstUrl } }, outDir: '.synth/datasets' });
    const started = Date.now();
    try {
      const r = await hydrate({ config, target: 't' });
      const after = await checksums(srcUrl);
      const unchanged = JSON.stringify(before) === JSON.stringify(after);
      let worst = 0;
      const target = await openSource(dstUrl);
      const source = await openSource(srcUrl);
      try {
        const schema = await source.introspect();
        for (const t of schema.tables) {
          const n = await source.countRows(t);
          const m = r.rowCounts.get(`${t.schema}.${t.name}`) ?? 0;
          if (n > 0) worst = Math.max(worst, Math.abs(m - n) / n);
        }
      } finally {
        await source.close();
        await target.close();
      }
      out[label] =
        `${r.status}, violations ${r.integrity.totalViolations}, worst row-count error ${(worst * 100).toFixed(2)} %, ` +
        `source ${unchanged ? 'unchanged' : 'CHANGED'}, quality ${r.quality?.overall?.toFixed(3) ?? 'n/a'}, ${((Date.now() - started) / 1000).toFixed(1)} s`;
    } catch (e) {
      out[label] = `FAILED: ${e instanceof Error ? e.message.split('\n').slice(0, 3).join(' | ') : String(e)}`;
    }
  }
  return out;
}

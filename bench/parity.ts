/**
 * Schema parity of the shared sample databases (../shared/datasets: chinook, northwind, world) after a hydrate, per
 * engine pair: synth's own check (validation/schema-parity.ts) as matched/total, or the refusal with its first
 * difference. Same-dialect pairs compare everything; cross-dialect pairs what the plan says carries over.
 * Next to it, the application-style INSERT check (insert-check.ts): inserted/total tables that took a new row without
 * its key; the tables that refused one are listed after the figures.
 * Not a test: it needs ../shared.
 *   npm run bench -- parity
 *   SYNTH_PARITY=chinook:mysql:mysql npm run bench -- parity
 */
import { parseConfig } from '../src/config/load-config.js';
import { isSynthError } from '../src/errors.js';
import { hydrate } from '../src/pipeline/index.js';
import { insertIntoEveryTable } from './insert-check.js';
import { datasetsMissing, type Engine, freshDatabase, loadDataset } from './sample-datasets.js';

// northwind has no MySQL variant in ../shared/datasets (load.sh), so it is only ever a PostgreSQL source.
const DATASETS = ['chinook', 'northwind', 'world'];
const PAIRS: Array<[Engine, Engine]> = [['pg', 'pg'], ['mysql', 'mysql'], ['pg', 'mysql'], ['mysql', 'pg']];

export async function benchParity(): Promise<Record<string, number | string>> {
  const missing = datasetsMissing();
  if (missing) return { skipped: missing };
  const runs = process.env.SYNTH_PARITY?.split(',').map((r) => r.split(':') as [string, Engine, Engine]) ??
    DATASETS.flatMap((d) => PAIRS.filter(([from]) => !(d === 'northwind' && from === 'mysql')).map(([from, to]) => [d, from, to] as [string, Engine, Engine]));
  const out: Record<string, number | string> = {};
  const loaded = new Map<string, string>();
  for (const [dataset, from, to] of runs) {
    const label = `${dataset} ${from}→${to}`;
    const key = `${dataset}:${from}`;
    let srcUrl = loaded.get(key);
    try {
      if (srcUrl === undefined) {
        srcUrl = loadDataset(dataset, from, `synth_par_${dataset}_src`);
        loaded.set(key, srcUrl);
      }
    } catch (e) {
      out[label] = `source not loaded: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
      continue;
    }
    const dstUrl = await freshDatabase(to, `synth_par_${dataset}_${from}_${to}`);
    const config = parseConfig({ source: { url: srcUrl }, targets: { t: { url: dstUrl } }, quality: { enabled: false }, training: { sampleRows: 5000 }, outDir: '.synth/parity' });
    const started = Date.now();
    try {
      const r = await hydrate({ config, target: 't' });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (!r.parity) {
        out[label] = `${r.status} (${r.refusal ?? 'no parity'})`;
        continue;
      }
      const inserts = await insertIntoEveryTable(dstUrl);
      out[label] = `parity ${r.parity.matched}/${r.parity.total}, inserts ${inserts.inserted}/${inserts.total} (${seconds} s)`;
      inserts.failures.forEach((f, i) => (out[`${label} insert failure ${i + 1}`] = f));
    } catch (e) {
      const first = e instanceof Error ? (e.message.split('\n')[1] ?? e.message).trim() : String(e);
      out[label] = isSynthError(e) ? `${e.code}: ${first}` : `failed: ${first}`;
    }
  }
  return out;
}

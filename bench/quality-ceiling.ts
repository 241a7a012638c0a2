/**
 * How much of a dataset's Overall quality score hangs on one tiny table: scores the learned model's output as
 * generated, with that table copied verbatim from the source, and with every *other* table copied verbatim (the
 * best any generator could do while it still synthesizes the tiny table). PostgreSQL → PostgreSQL.
 *   npx tsx bench/quality-ceiling.ts                       chinook:employee, northwind:employees
 *   SYNTH_CEILING=northwind:employees SYNTH_SEED=1 …
 * Not a test: it needs ../shared.
 */
import { pathToFileURL } from 'node:url';
import { parseConfig } from '../src/config/load-config.js';
import { openSource } from '../src/connectors/index.js';
import { hydrate, readSample } from '../src/pipeline/index.js';
import { describeColumns } from '../src/generation/metadata.js';
import type { ColumnMeta } from '../src/generation/model.js';
import { writableColumns } from '../src/schema/model.js';
import { metadataFromSchema, qualityReport, qualityTableName, tableDataFromBatches, type QualityData } from '../src/validation/quality/index.js';
import { datasetsMissing, freshDatabase, loadDataset } from './sample-datasets.js';

async function readAll(url: string): Promise<{ data: QualityData; meta: ColumnMeta[]; close: () => Promise<void>; schema: Awaited<ReturnType<Awaited<ReturnType<typeof openSource>>['introspect']>> }> {
  const source = await openSource(url);
  const schema = await source.introspect();
  const data: QualityData = {};
  const meta: ColumnMeta[] = [];
  for (const t of schema.tables) {
    const columns = writableColumns(t).map((c) => c.name);
    data[qualityTableName(schema, t)] = await tableDataFromBatches(columns, source.readRows(t, { columns }));
    meta.push(...describeColumns(t, await readSample(source, t, 20_000, 42)));
  }
  return { data, meta, schema, close: () => source.close() };
}

export async function benchQualityCeiling(): Promise<Record<string, string>> {
  const missing = datasetsMissing();
  if (missing) return { skipped: missing };
  const pairs = (process.env.SYNTH_CEILING ?? 'chinook:employee,northwind:employees').split(',').map((p) => p.split(':') as [string, string]);
  const seed = Number(process.env.SYNTH_SEED ?? 42);
  const out: Record<string, string> = {};
  for (const [dataset, tiny] of pairs) {
    const src = loadDataset(dataset, 'pg', `synth_ceiling_${dataset}_src`);
    const dst = await freshDatabase('pg', `synth_ceiling_${dataset}_dst`);
    await hydrate({ config: parseConfig({ source: { url: src }, targets: { t: { url: dst } }, model: 'learned', seed, outDir: '.synth/ceiling', quality: { enabled: false } }), target: 't' });
    const real = await readAll(src);
    const syn = await readAll(dst);
    const metadata = metadataFromSchema(real.schema, real.meta);
    const score = (label: string, s: QualityData) => {
      const q = qualityReport(real.data, s, metadata);
      out[`${dataset} ${label}`] = `overall ${q.overall?.toFixed(3)} | ${q.properties.map((p) => `${p.name} ${p.score === null ? 'n/a' : p.score.toFixed(3)}`).join(', ')}`;
    };
    score('as generated', syn.data);
    score(`${tiny} copied`, { ...syn.data, [tiny]: real.data[tiny]! });
    score(`all but ${tiny} copied`, { ...real.data, [tiny]: syn.data[tiny]! });
    await real.close();
    await syn.close();
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchQualityCeiling();
  for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(36)} ${v}\n`);
}

/**
 * CPU of the baseline's generation path without a database write: every table of a source generated, conformed
 * (data rules) and encoded as COPY text, and as COPY BINARY where the table's column types allow (the source's
 * types: a PostgreSQL source), as the PostgreSQL load does, copy filters off; per pass the CPU-seconds of rows
 * (model + keys), rules, COPY text and COPY BINARY (each with its sha256), µs per row (text), and a sha256 of all the
 * COPY text and of all the binary, which a change that must not alter any row keeps. The first pass pays the JIT's
 * warm-up: compare later ones.
 * Usage: tsx bench/generation-cpu.ts [SOURCE_URL (default the SF0.1 scale fixture)] [PASSES (default 2)]
 */
import { createHash } from 'node:crypto';
import { parseConfig } from '../src/config/load-config.js';
import { copyRowEncoder } from '../src/connectors/postgres/postgres-values.js';
import { binaryBatchEncoder, type BinaryBatchEncoder } from '../src/connectors/postgres/postgres-copy-binary.js';
import { openPgSession } from '../src/connectors/postgres/postgres-session.js';
import { qn } from '../src/connectors/postgres/postgres-quote.js';
import { createGeneration } from '../src/generation/index.js';
import { trainedSource, processCpu as cpu } from './trained-source.js';
import { tableKey } from '../src/schema/model.js';
import type { GeneratedBatch } from '../src/generation/generate.js';

const url = process.argv[2] ?? 'postgresql://postgres@127.0.0.1:5432/synth_bench_scale_866003';
const passes = Number(process.argv[3] ?? 2);
const config = parseConfig({ source: { url }, targets: { dev: { url } }, model: 'baseline', seed: 42, quality: { enabled: false }, outDir: '.synth/bench-generation-cpu' });
const { schema, plan, models, reference } = await trainedSource(config);
// Column type OIDs by table key, read off the source (a shadow has its types); none for a MySQL source.
const oids = new Map<string, Map<string, number>>();
if (url.startsWith('postgres')) {
  const pg = await openPgSession(url, { readOnly: true, max: 1 });
  for (const t of schema.tables) {
    const res = await pg.query<{ name: string; oid: number }>('SELECT attname AS name, atttypid::int AS oid FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0', [qn(t.schema, t.name)]);
    oids.set(tableKey(t), new Map(res.rows.map((r) => [r.name, Number(r.oid)])));
  }
  await pg.close();
}
for (let pass = 0; pass < passes; pass++) {
  const generation = createGeneration(schema, plan, models, { reference, conformAfter: true, scale: 1, seed: config.seed });
  const hash = createHash('sha256');
  const binHash = createHash('sha256');
  let binaryCpu = 0;
  let rowsCpu = 0;
  let allCpu = 0;
  let encodeCpu = 0;
  let rows = 0;
  for (const step of plan.steps) {
    const table = schema.tables.find((t) => tableKey(t) === tableKey(step.table))!;
    const drawn = (async function* (): AsyncIterable<GeneratedBatch> {
      const it = generation.rows(table)[Symbol.asyncIterator]();
      for (;;) {
        const c0 = cpu();
        const n = await it.next();
        rowsCpu += cpu() - c0;
        if (n.done) return;
        yield n.value;
      }
    })();
    let encode: ((row: GeneratedBatch['rows'][number]) => string) | null = null;
    let binary: BinaryBatchEncoder | null | undefined;
    const c0 = cpu();
    for await (const b of generation.conform(table, drawn)) {
      const e0 = cpu();
      encode ??= copyRowEncoder(b.columns.map((c) => table.columns.find((col) => col.name === c)!.type));
      let text = '';
      for (const row of b.rows) text += encode(row);
      hash.update(text);
      encodeCpu += cpu() - e0;
      const b0 = cpu();
      const types = oids.get(tableKey(table));
      if (binary === undefined) binary = types ? binaryBatchEncoder(b.columns.map((c) => table.columns.find((col) => col.name === c)!.type), b.columns.map((c) => types.get(c) ?? 0)) : null;
      const buf = binary?.encode(b.rows);
      if (buf) binHash.update(buf);
      binaryCpu += cpu() - b0;
      rows += b.rows.length;
    }
    allCpu += cpu() - c0;
  }
  const rules = allCpu - encodeCpu - binaryCpu - rowsCpu;
  process.stdout.write(
    `pass ${pass}: ${rows} rows, CPU-s rows ${rowsCpu.toFixed(2)} rules ${rules.toFixed(2)} COPY text ${encodeCpu.toFixed(2)} ` +
      `binary ${binaryCpu.toFixed(2)} (each incl. sha256), ${(((allCpu - binaryCpu) / rows) * 1e6).toFixed(2)} µs/row (text), ` +
      `sha256 text ${hash.digest('hex').slice(0, 16)} binary ${binHash.digest('hex').slice(0, 16)}\n`,
  );
}

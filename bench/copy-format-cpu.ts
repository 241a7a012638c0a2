/**
 * CPU of the PostgreSQL load by COPY format: every table of a source generated (baseline, copy filters off, data
 * rules applied), COPYed into tables of a scratch database (created LIKE the source's, no keys, as a shadow is) on
 * one connection, once as text and once as binary (postgres-copy-binary.ts), alternated. Per run: this process's
 * CPU-seconds (generation + encoding + sending) and the server backend's (read from /proc: the server must run on
 * this machine), and a sum of every table's md5 of its rows, which both formats must give alike.
 * Usage: tsx bench/copy-format-cpu.ts SCRATCH_URL [SOURCE_URL (default the SF0.1 scale fixture)] [ROUNDS (default 2)]
 * SCRATCH_URL names an empty database this bench may fill; it drops its tables when done.
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../src/config/load-config.js';
import { openPgSession, type PgSession } from '../src/connectors/postgres/postgres-session.js';
import { loadTable } from '../src/connectors/postgres/postgres-write.js';
import { qi, qn } from '../src/connectors/postgres/postgres-quote.js';
import { createGeneration } from '../src/generation/index.js';
import { trainedSource, processCpu as cpu } from './trained-source.js';
import { tableKey, writableColumns } from '../src/schema/model.js';

const scratchUrl = process.argv[2];
if (!scratchUrl) throw new Error('usage: tsx bench/copy-format-cpu.ts SCRATCH_URL [SOURCE_URL] [ROUNDS]');
const url = process.argv[3] ?? 'postgresql://postgres@127.0.0.1:5432/synth_bench_scale_866003';
const rounds = Number(process.argv[4] ?? 2);
/** utime + stime of a process, in seconds (clock ticks of 1/100 s). */
const procCpu = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

const config = parseConfig({ source: { url }, targets: { dev: { url } }, model: 'baseline', seed: 42, quality: { enabled: false }, outDir: '.synth/bench-copy-format-cpu' });
const { schema, plan, models, reference } = await trainedSource(config);

const pool = await openPgSession(scratchUrl, { readOnly: false, max: 1 });
const session = await pool.pin();
const pid = Number((await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
const tables = plan.steps.map((s) => schema.tables.find((t) => tableKey(t) === tableKey(s.table))!);
// The scratch tables: the source's column types (a shadow's), in a schema of their own.
const srcSession = await openPgSession(url, { readOnly: true, max: 1 });
await session.query('DROP SCHEMA IF EXISTS copy_bench CASCADE; CREATE SCHEMA copy_bench');
for (const t of tables) {
  const cols = await srcSession.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [qn(t.schema, t.name)],
  );
  await session.query(`CREATE TABLE ${qn('copy_bench', t.name)} (${cols.rows.map((c) => `${qi(c.name)} ${c.type}`).join(', ')})`);
}
await srcSession.close();

for (let round = 0; round < rounds; round++) {
  for (const format of ['text', 'binary'] as const) {
    // Without copyFromBinary, loadTable writes text.
    const s: PgSession = format === 'binary' ? session : { ...session, copyFromBinary: undefined };
    for (const t of tables) await session.query(`TRUNCATE ${qn('copy_bench', t.name)}`);
    await session.query('CHECKPOINT');
    const generation = createGeneration(schema, plan, models, { reference, conformAfter: true, scale: 1, seed: config.seed });
    const [c0, s0] = [cpu(), procCpu(pid)];
    let rows = 0;
    for (const t of tables) {
      const names = writableColumns(t).map((c) => c.name);
      rows += await loadTable(s, 'copy_bench', { ...t, columns: t.columns.filter((c) => names.includes(c.name)) }, generation.conform(t, generation.rows(t)));
    }
    const [node, server] = [cpu() - c0, procCpu(pid) - s0];
    let sum = 0n;
    for (const t of tables) {
      const h = await session.query<{ h: string }>(`SELECT coalesce(sum(('x' || left(md5(x::text), 15))::bit(60)::bigint), 0)::text AS h FROM ${qn('copy_bench', t.name)} x`);
      sum += BigInt(h.rows[0]!.h);
    }
    process.stdout.write(
      `round ${round} ${format.padEnd(6)}: ${rows} rows, CPU-s this process ${node.toFixed(2)}, server backend ${server.toFixed(2)}, ` +
        `both ${(node + server).toFixed(2)}, rows md5 sum ${sum.toString(16)}\n`,
    );
  }
}
await session.query('DROP SCHEMA copy_bench CASCADE');
await session.close();
await pool.close();

/**
 * Hydrate throughput on the 1M-row fixture, next to a raw COPY of the same number of rows on the same machine.
 * Prints rows/s for generation+load, the raw COPY rows/s, and peak RSS.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { parseConfig } from '../src/config/load-config.js';
import type { RunEvent } from '../src/events.js';
import { hydrate } from '../src/pipeline/index.js';
import { FIXTURE_SQL, exec, recreateDatabase } from './pg-fixture.js';

const RAW_TABLES_SQL = `
CREATE TABLE customer (customer_id integer NOT NULL, name varchar(60) NOT NULL, tier text NOT NULL, created_at timestamptz NOT NULL, balance numeric(10,2) NOT NULL);
CREATE TABLE orders (order_id bigint NOT NULL, customer_id integer NOT NULL, amount numeric(8,2) NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL, note text);`;

const SERVER = process.env.SYNTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';

export async function benchHydratePg(): Promise<Record<string, number | string>> {
  const src = await recreateDatabase(SERVER, 'synth_bench_source');
  const dst = await recreateDatabase(SERVER, 'synth_bench_target');
  const raw = await recreateDatabase(SERVER, 'synth_bench_raw');
  await exec(src, FIXTURE_SQL);

  const config = parseConfig({ source: { url: src }, targets: { bench: { url: dst } }, quality: { enabled: false } });
  const loadMs: number[] = [];
  let trainMs = 0;
  const stageMs: Record<string, number> = {};
  const emit = (e: RunEvent) => {
    if (e.type === 'stage' && e.status === 'done' && e.ms) stageMs[e.stage] = e.ms;
    if (e.type === 'stage' && e.status === 'done' && (e.stage === 'load' || e.stage === 'update') && e.ms) loadMs.push(e.ms);
    if (e.type === 'stage' && e.status === 'done' && (e.stage === 'sample' || e.stage === 'train') && e.ms) trainMs += e.ms;
  };
  const started = Date.now();
  const result = await hydrate({ config, target: 'bench', emit });
  const totalMs = Date.now() - started;
  const rows = [...result.rowCounts.values()].reduce((a, b) => a + b, 0);
  const genLoadMs = loadMs.reduce((a, b) => a + b, 0);

  // Raw COPY of the same tables into unconstrained tables, as synth loads its shadow: source COPY TO → target
  // COPY FROM, no generation. Constraints are added afterwards in both cases (synth's is the finalize stage).
  await exec(raw, RAW_TABLES_SQL);
  const a = new pg.Client({ connectionString: src });
  const b = new pg.Client({ connectionString: raw });
  await a.connect();
  await b.connect();
  const rawStart = Date.now();
  let rawRows = 0;
  for (const t of ['customer', 'orders']) {
    const out = a.query(copyStreams.to(`COPY ${t} TO STDOUT`));
    const inn = b.query(copyStreams.from(`COPY ${t} FROM STDIN`));
    await pipeline(out as Readable, inn as Writable);
    rawRows += inn.rowCount;
  }
  const rawMs = Date.now() - rawStart;
  await a.end();
  await b.end();

  return {
    status: result.status,
    rows,
    'hydrate total s': +(totalMs / 1000).toFixed(1),
    'sample+train s': +(trainMs / 1000).toFixed(1),
    'generate+load s': +(genLoadMs / 1000).toFixed(1),
    'generate+load rows/s': Math.round(rows / (genLoadMs / 1000)),
    'raw COPY rows/s': Math.round(rawRows / (rawMs / 1000)),
    'repair+validate s': +(((stageMs.repair ?? 0) + (stageMs.validate ?? 0)) / 1000).toFixed(1),
    'finalize (constraints) s': +((stageMs.finalize ?? 0) / 1000).toFixed(1),
    'peak RSS MiB': Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/**
 * Generation + load in worker processes (pipeline/load-parallel.ts): a table split between the main process and a
 * worker holds the same rows as a load in one process with the same seed, copy filters and credential columns on,
 * and the worker's window of a child anchored on its parent's date (an order invariant) still keeps the invariant.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { RunEvent } from '../../src/events.js';
import { hydrate } from '../../src/pipeline/index.js';
import { TableWindows, windowRows } from '../../src/pipeline/load-windows.js';
import { openSource } from '../../src/connectors/index.js';
import { makeRunBundle } from '../../src/distributed/run-bundle.js';
import { anchorFeeds, shardRows, shippedFilters, WindowSource } from '../../src/distributed/shard-rows.js';
import { createGeneration } from '../../src/generation/generate.js';
import { CredentialScrubber } from '../../src/generation/privacy/credential-fakes.js';
import { RetainedColumns } from '../../src/generation/retained-columns.js';
import { introspectAndPlan, readReferenceRows, trainModels } from '../../src/pipeline/index.js';
import type { Row } from '../../src/schema/values.js';
import { pgHydrationFixture } from '../support/databases.js';
import { loadWorkers, waitForWorker } from '../support/load-workers.js';

const FIXTURE = `
  CREATE TABLE orders (id serial PRIMARY KEY, placed date NOT NULL, status text NOT NULL);
  INSERT INTO orders (placed, status)
    SELECT date '2020-01-01' + (g * 37) % 900, (ARRAY['open','paid','sent'])[1 + g % 3] FROM generate_series(1, 2000) g;
  CREATE TABLE line (
    id serial PRIMARY KEY,
    order_id int NOT NULL REFERENCES orders(id),
    shipped date NOT NULL,
    qty int NOT NULL,
    price numeric(10,2) NOT NULL,
    note text,
    api_token text NOT NULL
  );
  INSERT INTO line (order_id, shipped, qty, price, note, api_token)
    SELECT o.id, o.placed + (g % 20), 1 + g % 50, round((g % 997) * 1.37, 2), CASE WHEN g % 4 = 0 THEN NULL ELSE 'note ' || (g % 113) END, md5(g::text)
    FROM generate_series(1, 30000) g JOIN orders o ON o.id = 1 + (g * 7) % 2000;`;

const env = pgHydrationFixture('synth_parload', FIXTURE);

async function checksums(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of ['orders', 'line']) {
    const [r] = await env.target.query<{ n: string; sum: string }>(`SELECT count(*) AS n, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS sum FROM ${t} t`);
    out[t] = `${r!.n}:${r!.sum}`;
  }
  return out;
}

describe('parallel load', () => {
  it('cuts a split table into windows of whole batches, ~16 per process, at most 10 batches each', () => {
    // SF1's lineitem (6M rows) over 2 processes: 100k-row windows; SF0.1's (600k): 20k; a small table: one batch.
    expect(windowRows(6_000_000, 2)).toBe(100_000);
    expect(windowRows(600_000, 2)).toBe(20_000);
    expect(windowRows(30_000, 2)).toBe(10_000);
  });

  it('hands each window to exactly one of the processes that take them, in ascending order for each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-windows-'));
    try {
      const split = { table: 't', rows: 45_000, size: 10_000, anchors: [], parents: [] };
      // Two processes' views of the same table (the same directory), and another table's beside them.
      const main = new TableWindows(split, dir, 0);
      const worker = new TableWindows(split, dir, 0);
      const other = new TableWindows(split, dir, 1);
      expect(worker.take()).toEqual({ start: 0, end: 10_000 });
      expect(main.take()).toEqual({ start: 10_000, end: 20_000 });
      expect(worker.take()).toEqual({ start: 20_000, end: 30_000 });
      expect(worker.take()).toEqual({ start: 30_000, end: 40_000 });
      expect(main.take()).toEqual({ start: 40_000, end: 45_000 });
      expect([main.take(), worker.take()]).toEqual([null, null]);
      expect(main.exhausted && worker.exhausted).toBe(true);
      expect(main.count).toBe(5);
      expect(other.take()).toEqual({ start: 0, end: 10_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a window given orders' anchor values equals the window that replays orders (baseline)", async () => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, model: 'baseline', seed: 11, quality: { enabled: false }, outDir: env.outDir });
    const source = await openSource(env.source.url);
    const credentials = new CredentialScrubber(config.seed);
    const trained = await (async () => {
      try {
        const { schema, plan } = await introspectAndPlan(source, config);
        const models = await trainModels(source, schema, plan, config, undefined, null, credentials);
        return { schema, plan, models, reference: await readReferenceRows(source, schema, models.rules) };
      } finally {
        await source.close();
      }
    })();
    const { schema, plan, models, reference } = trained;
    const shadow = { runId: 'r1', namespaces: [{ live: 'public', shadow: 'synth_shadow_r1' }] };
    const bundle = makeRunBundle({ runId: 'r1', target: 'dev', shadow, seed: config.seed, scale: config.scale, tableScale: () => 1, schema, plan, models, reference, credentials });
    expect(anchorFeeds(bundle, models, 'public.line')).toEqual(new Map([['public.orders', ['placed']]]));
    expect(anchorFeeds(bundle, models, 'public.orders')).toEqual(new Map());
    // orders' final dates, kept as the main process keeps them while it loads orders, through a structured clone.
    const generation = createGeneration(schema, plan, models, { reference, conformAfter: true, scale: config.scale, seed: config.seed });
    const orders = schema.tables.find((t) => t.name === 'orders')!;
    const kept = new RetainedColumns(['placed']);
    for await (const b of generation.conform(orders, credentials.replaceIn(orders, generation.rows(orders)))) for (const r of b.rows) kept.push(r, [b.columns.indexOf('placed')]);
    const anchors = new Map([['public.orders', RetainedColumns.fromWire(structuredClone(kept.seal().toWire()))]]);
    const window = { table: 'public.line', start: 15_000, end: 30_000 };
    const replayed: Row[] = [];
    for await (const b of shardRows(bundle, models, window)) replayed.push(...b.rows);
    const fed: Row[] = [];
    for await (const b of shardRows(bundle, models, window, undefined, { config, anchors })) fed.push(...b.rows);
    expect(fed.length).toBe(15_000);
    expect(fed).toEqual(replayed);
    // A worker's windows 0–10000 and 20000–30000 through one stream (the window moved past the batch between them)
    // are those two windows drawn on their own.
    const windowSource = new WindowSource(bundle, models, config, anchors, shippedFilters(bundle, config));
    const windows = [{ start: 0, end: 10_000 }, { start: 20_000, end: 30_000 }];
    const streamed: Row[] = [];
    for await (const b of windowSource.rows('public.line', () => windows.shift() ?? null)) streamed.push(...b.rows);
    const apart: Row[] = [];
    for (const w of [{ start: 0, end: 10_000 }, { start: 20_000, end: 30_000 }]) for await (const b of shardRows(bundle, models, { table: 'public.line', ...w })) apart.push(...b.rows);
    expect(streamed.length).toBe(20_000);
    expect(streamed).toEqual(apart);
    // The FK parents of line drawn once by the main process (keyState), through a structured clone as the worker reads
    // them, and adopted by a worker's source: the same rows as a source that draws them itself.
    const keys = structuredClone(generation.keyState(schema.tables.find((t) => t.name === 'line')!));
    expect(keys.table).toBe('public.line');
    expect(keys.parents.some(([table, , rows]) => table === 'public.line' && (rows.kind === 'groups' ? rows.starts : rows.idx).length > 0)).toBe(true);
    const adopting = new WindowSource(bundle, models, config, anchors, shippedFilters(bundle, config));
    adopting.adoptKeys(keys);
    const given: Row[] = [];
    const again = [{ start: 0, end: 10_000 }, { start: 20_000, end: 30_000 }];
    for await (const b of adopting.rows('public.line', () => again.shift() ?? null)) given.push(...b.rows);
    expect(given).toEqual(apart);
    // And they are what its rows read: every line given the first order's rows instead reads other values.
    const first = keys.parents.findIndex(([table]) => table === 'public.line');
    const [, fk, rows] = keys.parents[first]!;
    const n = rows.kind === 'rows' ? rows.idx.length : rows.starts[rows.starts.length - 1]!;
    const moved = new WindowSource(bundle, models, config, anchors, shippedFilters(bundle, config));
    moved.adoptKeys({ table: keys.table, parents: keys.parents.map((p, i) => (i === first ? ['public.line', fk, { kind: 'rows', idx: new Int32Array(n) }] : p)) });
    const other: Row[] = [];
    for await (const b of moved.rows('public.line', () => (other.length === 0 ? { start: 0, end: 10_000 } : null))) other.push(...b.rows);
    expect(other).not.toEqual(apart.slice(0, 10_000));
  }, 120_000);

  // The learned model conditions line on its order and predicts each order's lines: the worker replays orders for both.
  it.each(['baseline', 'learned'] as const)('a table split over a worker process equals the load in one process (%s; filters and credentials on)', async (model) => {
    const run = async (workers: number) => {
      const events: RunEvent[] = [];
      const config = parseConfig({
        source: { url: env.source.url },
        targets: { dev: { url: env.target.url } },
        model,
        ...(model === 'learned' ? { training: { epochs: 2 } } : {}),
        seed: 11,
        quality: { enabled: false },
        generation: { workers, minRows: 5000 },
        outDir: env.outDir,
      });
      // The main process loads orders only once the worker asked for its first window, so the worker takes windows
      // of line whatever the machine's load (they go out when orders' dates do).
      // And the main process, once it holds its first window of line, waits for the worker to take one: on an idle
      // machine it could otherwise draw all three before the worker has read orders' dates.
      const result = await hydrate({ config, target: 'dev', emit: (e) => events.push(e), hooks: workers === 0 ? {} : { fault: waitForWorker(events, 'public.line', 'public.orders') } });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      return { sums: await checksums(), events };
    };
    const single = await run(0);
    const parallel = await run(1);
    // The worker did load part of `line` (orders is read by line's invariant, so it stays whole in the main process).
    const info = parallel.events.filter((e) => e.type === 'info').map((e) => (e as { message: string }).message);
    const split = info.map((m) => /public\.line: 3 window\(s\) of 10000 rows, (\d) drawn here, (\d) on 1 worker process\(es\) \((\d+\.\d) s of theirs\); waited (\d+\.\d) s for them/.exec(m)).find((m) => m !== null);
    expect(split).toBeDefined();
    // The worker's windows took time of their own; the main process's wait for them is less than the whole run.
    expect(Number(split![3])).toBeGreaterThan(0);
    expect(Number(split![4])).toBeLessThan(60);
    // Its start-up and first window as the worker timed them, not as the busy main process read the messages.
    expect(info.some((m) => /^Load: worker process 1 up after \d+\.\d s$/.test(m))).toBe(true);
    expect(info.some((m) => /^Load: 1 worker process\(es\) used \d+\.\d CPU-s, this process \d+\.\d CPU-s, in \d+\.\d s$/.test(m))).toBe(true);
    expect(info.some((m) => /^public\.line: worker process 1 took rows \d+–\d+, its first window of the table, \d+\.\d s into the load$/.test(m))).toBe(true);
    expect(Number(split![1]) + Number(split![2])).toBe(3);
    expect(Number(split![2])).toBeGreaterThan(0);
    expect(info.some((m) => /public\.orders: .* worker process/.test(m))).toBe(false);
    expect(parallel.sums).toEqual(single.sums);
    // The invariant held in the worker's window too.
    const [bad] = await env.target.query<{ n: string }>('SELECT count(*) AS n FROM line l JOIN orders o ON o.id = l.order_id WHERE l.shipped < o.placed');
    expect(Number(bad!.n)).toBe(0);
    // Fresh credentials, not the source's.
    const [copied] = await env.source.query<{ n: string }>(`SELECT count(*) AS n FROM line WHERE api_token IN (${Array.from({ length: 5 }, (_, i) => `md5('${i + 1}')`).join(', ')})`);
    expect(Number(copied!.n)).toBe(5);
    const [leaked] = await env.target.query<{ n: string }>(`SELECT count(*) AS n FROM line WHERE api_token IN (${Array.from({ length: 5 }, (_, i) => `md5('${i + 1}')`).join(', ')})`);
    expect(Number(leaked!.n)).toBe(0);
  }, 300_000);
});

describe('parallel load, a worker process that dies', () => {
  // A split table with no parent: the worker takes its windows as soon as it is up.
  const crash = pgHydrationFixture(
    'synth_parload_crash',
    `CREATE TABLE site (id serial PRIMARY KEY, name text NOT NULL);
     INSERT INTO site (name) SELECT 'site ' || g FROM generate_series(1, 50) g;
     CREATE TABLE reading (id serial PRIMARY KEY, at timestamptz NOT NULL, value double precision NOT NULL);
     INSERT INTO reading (at, value) SELECT timestamptz '2024-01-01' + g * interval '1 minute', g % 97 FROM generate_series(1, 30000) g;`,
  );

  it.runIf(existsSync(`/proc/${process.pid}/task`))('fails the run with LOAD_FAILED and leaves the target as it was', async () => {
    const events: RunEvent[] = [];
    const config = parseConfig({ source: { url: crash.source.url }, targets: { dev: { url: crash.target.url } }, model: 'baseline', seed: 11, quality: { enabled: false }, generation: { workers: 1, minRows: 5000 }, outDir: crash.outDir });
    let killed = 0;
    // The main process loads site first (reading, split, goes last) and waits there until the worker took a window
    // of reading; the worker reports only when its run of windows is loaded: killed then, it holds windows never
    // loaded.
    const fault = async (point: string, ctx: { table?: string }) => {
      if (point !== 'mid-load' || ctx.table !== 'public.site') return;
      for (let i = 0; i < 6000 && !events.some((e) => e.type === 'info' && /public\.reading: worker process 1 took rows 0–10000/.test(e.message)); i++) await new Promise((r) => setTimeout(r, 10));
      for (const { pid } of loadWorkers()) {
        process.kill(pid, 'SIGKILL');
        killed++;
      }
    };
    const error = await hydrate({ config, target: 'dev', emit: (e) => events.push(e), hooks: { fault } }).then(() => null, (e: unknown) => e);
    expect(killed).toBe(1);
    expect(error).toMatchObject({ code: 'LOAD_FAILED' });
    expect(String((error as Error).message)).toMatch(/A load worker process exited \(SIGKILL\)/);
    const [tables] = await crash.target.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE tablename IN ('site', 'reading')`);
    expect(Number(tables!.n)).toBe(0);
  }, 300_000);
});

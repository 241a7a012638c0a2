/**
 * Generation + load in worker processes (pipeline/load-parallel.ts): a table split between the main process and a
 * worker holds the same rows as a load in one process with the same seed, copy filters and credential columns on,
 * and the worker's window of a child anchored on its parent's date (an order invariant) still keeps the invariant.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { RunEvent } from '../../src/events.js';
import { hydrate } from '../../src/pipeline/index.js';
import { mainShare, splitShares } from '../../src/pipeline/load-parallel.js';
import { openSource } from '../../src/connectors/index.js';
import { makeRunBundle } from '../../src/distributed/run-bundle.js';
import { anchorFeeds, shardRows } from '../../src/distributed/shard-rows.js';
import { createGeneration } from '../../src/generation/generate.js';
import { CredentialScrubber } from '../../src/generation/privacy/credential-fakes.js';
import { RetainedColumns } from '../../src/generation/retained-columns.js';
import { introspectAndPlan, readReferenceRows, trainModels } from '../../src/pipeline/index.js';
import type { Row } from '../../src/schema/values.js';
import { pgHydrationFixture } from '../support/databases.js';

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
  it("balances the main process's share against the workers' replays", () => {
    // SF0.1: 266k rows drawn whole here, lineitem (600k) split, each worker replays orders (150k) first.
    const share = mainShare(266_000, 600_000, 150_000, 1);
    expect(266_000 + share * 600_000).toBeCloseTo(150_000 + (1 - share) * 600_000, -3);
    expect(mainShare(0, 1000, 0, 3)).toBeCloseTo(0.25);
    // More than its share drawn whole already: the workers take all of the split tables.
    expect(mainShare(5_000_000, 1000, 0, 1)).toBe(0);
    expect(mainShare(0, 0, 0, 1)).toBe(1);
  });

  it('gives the workers what they can draw while the main process loads the parent their windows wait for', () => {
    // SF1-like: the worker draws partsupp while the main process loads orders, then both share lineitem, whose windows
    // wait for orders' dates.
    const shares = splitShares([
      { key: 'supplier', rows: 10_000 },
      { key: 'orders', rows: 1_500_000 },
      { key: 'partsupp', rows: 800_000, split: { after: [], replayRows: 0 } },
      { key: 'lineitem', rows: 6_000_000, split: { after: ['orders'], replayRows: 0 } },
    ], 1);
    expect(shares.get('partsupp')).toBe(0);
    // A worker's row counts 1.5 of the main process's (WORKER_ROW_COST), so the main process keeps more than half.
    expect(shares.get('lineitem')).toBe(0.6);
    // Windows that replay their parent instead: the balance of rows (mainShare) would leave the main process waiting
    // for the slower worker, so it keeps more.
    const replay = splitShares([{ key: 'orders', rows: 150_000 }, { key: 'lineitem', rows: 600_000, split: { after: [], replayRows: 150_000 } }], 1);
    expect(replay.get('lineitem')).toBe(0.66);
    expect(replay.get('lineitem')!).toBeGreaterThan(mainShare(150_000, 600_000, 150_000, 1));
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
      const result = await hydrate({ config, target: 'dev', emit: (e) => events.push(e) });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      return { sums: await checksums(), events };
    };
    const single = await run(0);
    const parallel = await run(1);
    // The worker did load part of `line` (orders is read by line's invariant, so it stays whole in the main process).
    const info = parallel.events.filter((e) => e.type === 'info').map((e) => (e as { message: string }).message);
    expect(info.some((m) => /public\.line: rows 20000–30000 on 1 worker process/.test(m))).toBe(true);
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

/**
 * A parent column that fixes its children's count (orders.item_count = its order_items) on a parent of more than one
 * generation batch (12 000 orders, batches of 10 000): the column equals the real children of every order, with a
 * load worker drawing part of the children too, and under the learned model the orders past the first batch keep
 * the source's spread of counts (its count heads had predicted only the first batch when the counts were dealt, so
 * every later order got the fewest children: 1.000 on average against 3.64 in the source).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { RunEvent } from '../../src/events.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';
import { waitForWorker } from '../support/load-workers.js';

// The channel fixes a range of item counts (web 1–2, store 3–4, phone 5–7); every order has item_count items.
const FIXTURE = `
  SELECT setseed(0.1);
  CREATE TABLE orders (id serial PRIMARY KEY, channel text NOT NULL, total numeric(10,2) NOT NULL, item_count int NOT NULL);
  INSERT INTO orders (channel, total, item_count)
    SELECT c, 0, CASE c WHEN 'web' THEN 1 + floor(random() * 2)::int WHEN 'store' THEN 3 + floor(random() * 2)::int ELSE 5 + floor(random() * 3)::int END
    FROM (SELECT (ARRAY['web','store','phone'])[1 + floor(random() * 3)::int] c FROM generate_series(1, 6000)) s;
  UPDATE orders SET total = item_count * 10 + round((random() * 5)::numeric, 2);
  CREATE TABLE order_items (id serial PRIMARY KEY, order_id int NOT NULL REFERENCES orders, qty int NOT NULL, price numeric(8,2) NOT NULL);
  INSERT INTO order_items (order_id, qty, price)
    SELECT o.id, 1 + floor(random() * 4)::int, round((random() * 50)::numeric, 2) FROM orders o CROSS JOIN LATERAL generate_series(1, o.item_count) g;`;

const env = pgHydrationFixture('synth_fanbatch', FIXTURE);

interface Counts {
  parents: number;
  wrong: number;
  firstBatch: number;
  later: number;
  sum: string;
}

async function counts(): Promise<Counts> {
  const [r] = await env.target.query<{ parents: string; wrong: string; first: string; later: string; sum: string }>(`
    SELECT count(*) AS parents, sum((o.item_count <> coalesce(c.n, 0))::int) AS wrong,
      avg(o.item_count) FILTER (WHERE o.id <= 10000) AS first, avg(o.item_count) FILTER (WHERE o.id > 10000) AS later,
      (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM order_items t) || md5(string_agg(o::text, ',' ORDER BY o.id)) AS sum
    FROM orders o LEFT JOIN (SELECT order_id, count(*) AS n FROM order_items GROUP BY order_id) c ON c.order_id = o.id`);
  return { parents: Number(r!.parents), wrong: Number(r!.wrong), firstBatch: Number(r!.first), later: Number(r!.later), sum: r!.sum };
}

async function run(model: 'baseline' | 'learned', workers: number): Promise<{ counts: Counts; info: string[] }> {
  const events: RunEvent[] = [];
  const config = parseConfig({
    source: { url: env.source.url },
    targets: { dev: { url: env.target.url } },
    model,
    ...(model === 'learned' ? { training: { epochs: 2 } } : {}),
    scale: 2,
    seed: 7,
    quality: { enabled: false },
    reference: { maxRows: 0 },
    generation: { workers, minRows: 5000 },
    outDir: env.outDir,
  });
  // As in parallel-load.test.ts: the main process waits for the worker to be up (orders) and to take a window of
  // order_items, so the worker draws part of the children whatever the machine's load.
  const result = await hydrate({ config, target: 'dev', emit: (e) => events.push(e), hooks: workers === 0 ? {} : { fault: waitForWorker(events, 'public.order_items', 'public.orders') } });
  expect(result.status).toBe('ok');
  expect(result.integrity.totalViolations).toBe(0);
  return { counts: await counts(), info: events.filter((e) => e.type === 'info').map((e) => (e as { message: string }).message) };
}

describe('a count fixed by a parent column, on a parent of several batches', () => {
  it.each(['baseline', 'learned'] as const)('every order has item_count items, the worker and one process agree, later batches keep the spread (%s)', async (model) => {
    const parallel = await run(model, 1);
    expect(parallel.counts.parents).toBe(12_000);
    expect(parallel.counts.wrong).toBe(0);
    // The worker drew windows of order_items.
    const split = parallel.info.map((m) => /public\.order_items: \d+ window\(s\) of \d+ rows, \d+ drawn here, (\d+) on 1 worker/.exec(m)).find((m) => m !== null);
    expect(Number(split?.[1])).toBeGreaterThan(0);
    // Source: 3.64 items an order on average; the second batch's orders as many as the first's.
    expect(parallel.counts.later).toBeGreaterThan(3);
    expect(Math.abs(parallel.counts.later - parallel.counts.firstBatch)).toBeLessThan(0.3);
    const single = await run(model, 0);
    expect(single.counts).toEqual(parallel.counts);
  }, 300_000);
});

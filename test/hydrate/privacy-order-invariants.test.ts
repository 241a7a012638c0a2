import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';

// 2500 orders, 3 lines each: every line ships on or after its order was placed and is delivered after it shipped.
const FIXTURE = `
CREATE TABLE orders (
  id serial PRIMARY KEY,
  placed_at timestamp NOT NULL,
  amount numeric(10,2) NOT NULL
);
CREATE TABLE lines (
  id serial PRIMARY KEY,
  order_id int NOT NULL REFERENCES orders(id),
  qty int NOT NULL,
  shipped_at timestamp NOT NULL,
  delivered_at timestamp NOT NULL
);
INSERT INTO orders (placed_at, amount)
SELECT TIMESTAMP '2022-01-01' + (g * 7919 % 730) * INTERVAL '1 day' + (g % 86400) * INTERVAL '1 second',
       round(((g % 97) * 3.5)::numeric, 2)
FROM generate_series(1, 2500) g;
INSERT INTO lines (order_id, qty, shipped_at, delivered_at)
SELECT o.id, 1 + (o.id + k) % 5,
       o.placed_at + ((o.id * 31 + k * 7) % 240) * INTERVAL '1 hour',
       o.placed_at + ((o.id * 31 + k * 7) % 240) * INTERVAL '1 hour' + (24 + (o.id * 17 + k) % 144) * INTERVAL '1 hour'
FROM orders o CROSS JOIN generate_series(1, 3) k;
`;

const env = pgHydrationFixture('synth_dpinv', FIXTURE);

/** 10th, 50th and 90th percentile of the shipping gap (hours) of a database. */
async function shipGaps(db: typeof env.source): Promise<number[]> {
  const [r] = await db.query<{ q: number[] }>(`
    SELECT percentile_cont(array[0.1, 0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM l.shipped_at - o.placed_at) / 3600) AS q
    FROM lines l JOIN orders o ON o.id = l.order_id`);
  return r!.q.map(Number);
}

async function broken(): Promise<{ beforeOrder: number; beforeShip: number; lines: number }> {
  const [r] = await env.target.query<{ before_order: string; before_ship: string; lines: string }>(`
    SELECT count(*) FILTER (WHERE l.shipped_at < o.placed_at) AS before_order,
           count(*) FILTER (WHERE l.delivered_at < l.shipped_at) AS before_ship,
           count(*) AS lines
    FROM lines l JOIN orders o ON o.id = l.order_id`);
  return { beforeOrder: Number(r!.before_order), beforeShip: Number(r!.before_ship), lines: Number(r!.lines) };
}

describe('order invariants under privacy', () => {
  // sampled: 800 of the 2 500 orders are sampled, so the lines' parents are mostly outside the orders' own sample
  // (they are read by key for the lines, as for MST's parent context).
  const cases: Array<{ epsilon: number; entity?: boolean; sampled?: boolean }> = [{ epsilon: 3 }, { epsilon: 1 }, { epsilon: 3, entity: true }, { epsilon: 3, sampled: true }];
  for (const { epsilon, entity, sampled } of cases) {
    it(`keeps placed ≤ shipped ≤ delivered at ε = ${epsilon}${entity ? ' (entity unit: an order and its lines)' : ''}${sampled ? ' (orders larger than the sample)' : ''}, charging the invariants to the one ledger`, async () => {
      const config = parseConfig({
        source: { url: env.source.url },
        targets: { dev: { url: env.target.url } },
        privacy: entity ? { epsilon, unit: 'entity', entity: 'orders', maxRowsPerEntity: 4 } : { epsilon },
        outDir: env.outDir,
        quality: { sampleRows: 2000 },
        ...(sampled ? { training: { sampleRows: 800 } } : {}),
      });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      const b = await broken();
      expect(b.lines).toBeGreaterThan(1000);
      expect(b).toEqual({ beforeOrder: 0, beforeShip: 0, lines: b.lines });
      // The gaps come from the DP histogram: the shipping delay keeps its scale (source: 24 h, 119 h, 216 h).
      const [src, dst] = [await shipGaps(env.source), await shipGaps(env.target)];
      expect(dst[1]!).toBeGreaterThan(src[1]! / 2);
      expect(dst[1]!).toBeLessThan(src[1]! * 2);
      expect(dst[2]!).toBeLessThan(src[2]! * 3);
      const p = result.privacy!;
      const lines = p.tables.find((t) => t.table === 'public.lines')!;
      // The decisions and gap histograms are releases of their own, on the same ledger as the rest: an own pair's
      // two violation counts, its gap histogram, and a parent pair's histogram whose first bin is its violations.
      const releases = lines.mechanisms.filter((m) => m.label.includes(' invariant '));
      expect(releases.some((m) => m.label.endsWith('shipped_at vs delivered_at violations histogram'))).toBe(true);
      expect(releases.some((m) => m.label.endsWith('shipped_at ≤ delivered_at gaps histogram'))).toBe(true);
      expect(releases.some((m) => m.label.endsWith('placed_at ≤ shipped_at violations and gaps histogram'))).toBe(true);
      for (const m of releases) expect(m.epsilon).toBeGreaterThan(0);
      // RDP composition is sub-additive: the run's total is at most the sum of its labels and within the budget.
      const sum = p.tables.flatMap((t) => t.mechanisms).reduce((s, m) => s + m.epsilon, 0);
      expect(p.epsilon).toBeLessThanOrEqual(sum + 1e-9);
      expect(p.epsilon).toBeLessThanOrEqual(epsilon);
      for (const t of p.tables) expect(t.epsilon).toBeLessThanOrEqual(t.budget.epsilon + 1e-9);
    }, 180_000);
  }
});

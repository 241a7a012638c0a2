import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/connectors/index.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import { fitDpOrderInvariants, FK_CHILD_CAP, plannedInvariantReleases } from '../../../src/generation/privacy/dp-order-invariants.js';
import { PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';
import type { TableSample } from '../../../src/generation/model.js';
import type { Table } from '../../../src/schema/model.js';
import { readSample } from '../../../src/pipeline/sample.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let source: SourceConnector;
let orders: Table;
let lines: Table;

// 1500 orders with 2 lines each: shipped ≥ placed, delivered ≥ shipped; `audited` is unrelated to either.
const FIXTURE = `
CREATE TABLE orders (id serial PRIMARY KEY, placed_at timestamp NOT NULL);
CREATE TABLE lines (
  id serial PRIMARY KEY,
  order_id int NOT NULL REFERENCES orders(id),
  shipped_at timestamp NOT NULL,
  delivered_at timestamp NOT NULL,
  audited date NOT NULL
);
INSERT INTO orders (placed_at) SELECT TIMESTAMP '2023-01-01' + (g * 7919 % 365) * INTERVAL '1 day' FROM generate_series(1, 1500) g;
INSERT INTO lines (order_id, shipped_at, delivered_at, audited)
SELECT o.id, o.placed_at + ((o.id + k) % 72) * INTERVAL '1 hour', o.placed_at + (96 + (o.id * 7 + k) % 72) * INTERVAL '1 hour',
       DATE '2023-01-01' + (o.id * 31 + k) % 365
FROM orders o CROSS JOIN generate_series(1, 2) k;
`;

/** Every row of `t`, as the sample stage reads a table smaller than its limit. */
const sampleOf = (t: Table): Promise<TableSample> => readSample(source, t, Infinity, 0);

beforeAll(async () => {
  db = await createPgDatabase('synth_dpinv_unit');
  await db.exec(FIXTURE);
  source = await openSource(db.url);
  const schema = await source.introspect({});
  orders = schema.tables.find((t) => t.name === 'orders')!;
  lines = schema.tables.find((t) => t.name === 'lines')!;
});
afterAll(async () => {
  await source?.close();
  await db?.drop();
});

describe('fitDpOrderInvariants', () => {
  it('keeps the orderings that hold, drops the one that does not, and charges exactly the Laplace releases it made', async () => {
    const fk = lines.foreignKeys[0]!;
    const parent = { fk, table: orders, sample: await sampleOf(orders) };
    const sample = await sampleOf(lines);
    // Own pairs among 3 columns: 3 × 2 releases at most (both violation counts, one gap histogram); parent pairs:
    // 1 × 3, one histogram each (its first bin the violations).
    expect(plannedInvariantReleases(lines, { fk, table: orders })).toBe(9);
    const ledger = new PrivacyLedger();
    const epsilon = 0.3;
    const found = fitDpOrderInvariants({
      table: lines,
      sample,
      parent,
      epsilon,
      sampleSize: sample.rows.length,
      ctx: { ledger, rng: SecureRandom.seededForTests('dp-order-invariants') },
      parentSensitivity: FK_CHILD_CAP,
      capChildren: true,
    });
    const pairs = found.map((i) => `${i.anchor.foreignKey ? 'orders.' : ''}${i.anchor.column} ≤ ${i.column}`).sort();
    expect(pairs).toEqual(['orders.placed_at ≤ delivered_at', 'orders.placed_at ≤ shipped_at', 'shipped_at ≤ delivered_at']);
    for (const inv of found) {
      expect(inv.gaps.length).toBe(256);
      expect(inv.gaps.every((g, i) => g >= 0 && (i === 0 || g >= inv.gaps[i - 1]!))).toBe(true);
    }
    // Delivery follows shipping by 24–96 h in the source: the DP median lands in that range.
    const delivered = found.find((i) => i.column === 'delivered_at' && !i.anchor.foreignKey)!;
    const median = delivered.gaps[128]! / 3_600_000;
    expect(median).toBeGreaterThan(16);
    expect(median).toBeLessThan(128);
    // Every release is one Laplace charge at ε; their composition is what a ledger of that many charges gives.
    expect(ledger.entries.length).toBeLessThanOrEqual(9);
    expect(ledger.entries.every((e) => e.charge.mechanism === 'laplace' && e.charge.epsilon === epsilon)).toBe(true);
    const reference = new PrivacyLedger();
    reference.charge('reference', { mechanism: 'laplace', epsilon, count: ledger.entries.length });
    expect(ledger.spent(1e-6).epsilon).toBeCloseTo(reference.spent(1e-6).epsilon, 12);
    expect(ledger.spent(1e-6).epsilon).toBeLessThanOrEqual(epsilon * ledger.entries.length + 1e-12);
  }, 60_000);

  it('at the ε per release of an ε = 1 run, keeps the true orderings on (nearly) every draw', async () => {
    const fk = lines.foreignKeys[0]!;
    const parent = { fk, table: orders, sample: await sampleOf(orders) };
    const sample = await sampleOf(lines);
    let kept = 0;
    let wrong = 0;
    const draws = 200;
    for (let d = 0; d < draws; d++) {
      const found = fitDpOrderInvariants({
        table: lines,
        sample,
        parent,
        epsilon: 0.008,
        sampleSize: sample.rows.length,
        ctx: { ledger: new PrivacyLedger(), rng: SecureRandom.seededForTests(`draw-${d}`) },
        parentSensitivity: FK_CHILD_CAP,
        capChildren: true,
      });
      const has = (column: string, anchor: string, viaFk: boolean) => found.some((i) => i.column === column && i.anchor.column === anchor && (i.anchor.foreignKey !== undefined) === viaFk);
      if (has('shipped_at', 'placed_at', true) && has('delivered_at', 'shipped_at', false)) kept++;
      if (has('shipped_at', 'delivered_at', false)) wrong++;
    }
    expect(kept / draws).toBeGreaterThanOrEqual(0.97);
    expect(wrong).toBe(0);
  }, 60_000);
});

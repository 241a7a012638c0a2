import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { dpColumnSpec } from '../../../src/generation/privacy/dp-columns.js';
import { dpChildCountHistogram } from '../../../src/generation/privacy/dp-keys.js';
import { dpHistogramQuantiles } from '../../../src/generation/privacy/mechanisms.js';
import { DEFAULT_RDP_ORDERS, PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';
import { hydrate } from '../../../src/pipeline/index.js';
import { pgHydrationFixture } from '../../support/databases.js';

// 3000 customers; business ones (30 %) order 5–14 times over b2b at 200–600, retail ones 1–3 times over web or
// store at 10–60: a bimodal amount, a channel that follows the customer, and families that follow it too.
const SHOP = `
SELECT setseed(0.17);
CREATE TABLE customer (id serial PRIMARY KEY, segment text NOT NULL, country text NOT NULL);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customer(id), channel text NOT NULL,
  amount numeric(10,2) NOT NULL CHECK (amount >= 0));
INSERT INTO customer (segment, country)
SELECT CASE WHEN random() < 0.3 THEN 'business' ELSE 'retail' END, (ARRAY['DE','FR','US','GB'])[1 + floor(random() * 4)::int]
FROM generate_series(1, 3000);
INSERT INTO orders (customer_id, channel, amount)
SELECT c.id, CASE WHEN c.segment = 'business' THEN 'b2b' WHEN random() < 0.6 THEN 'web' ELSE 'store' END,
       round((CASE WHEN c.segment = 'business' THEN 200 + random() * 400 ELSE 10 + random() * 50 END)::numeric, 2)
FROM customer c, LATERAL generate_series(1, CASE WHEN c.segment = 'business' THEN 5 + floor(random() * 10)::int ELSE 1 + floor(random() * 3)::int END) k;
`;
const shop = pgHydrationFixture('synth_dp_rowctx', SHOP);

/** Laplace RDP (Mironov 2017, Prop. 6), written out independently of the accountant. */
function laplaceRdp(eps: number, a: number): number {
  return Math.log((a / (2 * a - 1)) * Math.exp((a - 1) * eps) + ((a - 1) / (2 * a - 1)) * Math.exp(-a * eps)) / (a - 1);
}

describe('DP histogram quantiles', () => {
  it('locate both modes of a bimodal PostgreSQL column, leave the gap empty and charge one Laplace release', async () => {
    const amounts = (await shop.source.query<{ amount: string }>('SELECT amount FROM orders')).map((r) => Number(r.amount));
    const ledger = new PrivacyLedger();
    const ctx = { ledger, rng: SecureRandom.seededForTests('hq'), label: 'orders.amount' };
    const qs = Array.from({ length: 33 }, (_, i) => i / 32);
    const q = dpHistogramQuantiles(amounts, qs, { lower: 8, upper: 1024 }, 0.2, ctx, { bins: 256 })!;
    expect(q).toHaveLength(33);
    // Few points in the empty 60–200 gap (at most the one bridging the modes), none outside what the data covers.
    expect(q.filter((x) => x > 62 && x < 198).length).toBeLessThanOrEqual(1);
    expect(Math.min(...q)).toBeGreaterThanOrEqual(8);
    expect(Math.max(...q)).toBeLessThan(640);
    const realLow = amounts.filter((x) => x < 100).length / amounts.length;
    const dpLow = q.filter((x) => x < 100).length / q.length;
    expect(Math.abs(realLow - dpLow)).toBeLessThan(0.08);
    expect(ledger.entries.map((e) => e.charge)).toEqual([{ mechanism: 'laplace', epsilon: 0.2, count: 1 }]);
  });

  it("a numeric column's releases compose in the ledger to an independently computed RDP reference", async () => {
    const amounts = (await shop.source.query<{ amount: string }>('SELECT amount FROM orders')).map((r) => r.amount);
    const ledger = new PrivacyLedger();
    const table = { schema: 'public', name: 'orders', columns: [], checks: [], foreignKeys: [], uniques: [], primaryKey: null, indexes: [] } as never;
    const column = { name: 'amount', nullable: false, type: { kind: 'decimal', precision: 10, scale: 2 }, nativeType: 'numeric' } as never;
    const spec = dpColumnSpec({ table, column, values: amounts, epsilon: 0.5, delta: 1e-8, sampleSize: amounts.length, ctx: { ledger, rng: SecureRandom.seededForTests('ref') } });
    expect(spec.spec.type).toBe('numeric');
    // Bounds at 30 % and the histogram at 70 % of the column's ε, both Laplace.
    expect(ledger.entries.map((e) => e.charge)).toEqual([
      { mechanism: 'laplace', epsilon: 0.15, count: 1 },
      { mechanism: 'laplace', epsilon: 0.35, count: 1 },
    ]);
    const delta = 1e-6;
    let reference = Infinity;
    for (const a of DEFAULT_RDP_ORDERS) {
      const rdp = laplaceRdp(0.15, a) + laplaceRdp(0.35, a);
      // Canonne, Kamath, Steinke 2020 (Prop. 12) conversion.
      if (a > 1.01) reference = Math.min(reference, rdp + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1));
    }
    reference = Math.min(reference, 0.5);
    expect(ledger.spent(delta).epsilon).toBeCloseTo(reference, 9);
  });
});

describe('DP child-count histogram of large families', () => {
  it('keeps families of ~540 children near their size, spread over several values', () => {
    const h = { child: { schema: 'public', name: 'order_line' }, foreignKey: 'fk', counts: [{ children: 520, parents: 60 }, { children: 545, parents: 80 }, { children: 570, parents: 60 }] };
    const released = dpChildCountHistogram(h, 1, { ledger: new PrivacyLedger(), rng: SecureRandom.seededForTests('big'), label: 'h' });
    const parents = released.counts.reduce((n, e) => n + e.parents, 0);
    expect(Math.abs(parents - 200)).toBeLessThan(40);
    // Nearly every released parent sits near the real sizes (a small-family bin may pass its threshold by noise).
    const near = released.counts.filter((e) => e.children > 470 && e.children < 620);
    expect(near.reduce((n, e) => n + e.parents, 0)).toBeGreaterThan(0.9 * parents);
    expect(new Set(near.map((e) => e.children)).size).toBeGreaterThanOrEqual(4);
  });
});

describe('row-level MST with the parent as context and family sizes', () => {
  it('privacy: { epsilon: 3 } alone: orders follow their customer, business customers keep their larger families', async () => {
    process.env.SYNTH_PII_KEY = 'test-key-0123456789';
    const config = parseConfig({
      source: { url: shop.source.url },
      targets: { dev: { url: shop.target.url } },
      model: 'baseline',
      privacy: { epsilon: 3 },
      outDir: shop.outDir,
      quality: { sampleRows: 2000 },
    });
    const r = await hydrate({ config, target: 'dev' });
    expect(r.status).toBe('ok');
    expect(r.integrity.totalViolations).toBe(0);
    expect(r.privacy!.epsilon).toBeLessThanOrEqual(3);
    const customer = r.privacy!.tables.find((t) => t.table === 'public.customer')!;
    const orders = r.privacy!.tables.find((t) => t.table === 'public.orders')!;
    // customer: segment, country and the family size of its orders; orders: channel, amount and the customer's two.
    expect(customer.mst?.reason).toMatch(/^MST: 3 columns/);
    expect(orders.model).toBe('mst');
    expect(orders.mst?.reason).toMatch(/^MST: 4 columns/);
    const stats = `SELECT avg(CASE WHEN (c.segment = 'business') = (o.channel = 'b2b') THEN 1 ELSE 0 END)::float AS agree,
        (SELECT avg(n) FROM (SELECT count(o2.id) n FROM customer c2 JOIN orders o2 ON o2.customer_id = c2.id WHERE c2.segment = 'business' GROUP BY c2.id) b)::float
        / (SELECT avg(n) FROM (SELECT count(o2.id) n FROM customer c2 JOIN orders o2 ON o2.customer_id = c2.id WHERE c2.segment = 'retail' GROUP BY c2.id) r)::float AS ratio,
        avg(CASE WHEN c.segment = 'business' AND o.amount >= 150 THEN 1 WHEN c.segment = 'retail' AND o.amount < 150 THEN 1 ELSE 0 END)::float AS amount
      FROM orders o JOIN customer c ON c.id = o.customer_id`;
    const [real] = await shop.source.query<{ agree: number; ratio: number; amount: number }>(stats);
    const [out] = await shop.target.query<{ agree: number; ratio: number; amount: number }>(stats);
    expect(Number(real!.agree)).toBe(1);
    // Independent draws agree about half the time and give every customer the same expected family.
    expect(Number(out!.agree)).toBeGreaterThan(0.8);
    expect(Number(out!.amount)).toBeGreaterThan(0.8);
    expect(Number(real!.ratio)).toBeGreaterThan(3);
    expect(Number(out!.ratio)).toBeGreaterThan(2);
  }, 240_000);
});

describe('copy filters under DP', () => {
  it('run under privacy only with privacy.copyFilters; without privacy by default', async () => {
    const { PrivacyRun } = await import('../../../src/generation/privacy/privacy-run.js');
    const base = { source: { url: shop.source.url }, targets: { dev: { url: shop.target.url } } };
    expect(PrivacyRun.forConfig(parseConfig({ ...base, privacy: { epsilon: 3 } }), { SYNTH_PII_KEY: 'k' })!.filtering).toBe(false);
    expect(PrivacyRun.forConfig(parseConfig({ ...base, privacy: { epsilon: 3, copyFilters: true } }), { SYNTH_PII_KEY: 'k' })!.filtering).toBe(true);
    expect(PrivacyRun.forConfig(parseConfig({ ...base, privacy: { epsilon: 3, copyFilters: true }, filters: { enabled: false } }), { SYNTH_PII_KEY: 'k' })!.filtering).toBe(false);
    expect(PrivacyRun.forConfig(parseConfig(base), {})!.filtering).toBe(true);
    expect(parseConfig({ ...base, privacy: { epsilon: 3 } }).privacy).toMatchObject({ mst: 'auto', copyFilters: false });
  });
});

import { describe, expect, it } from 'vitest';
import {
  dpBinEdges,
  dpBounds,
  dpCategoryVocabulary,
  dpCount,
  dpHistogram,
  dpNumericEdges,
  dpQuantiles,
  gaussianNoise,
  SecureRandom,
} from '../../../src/generation/privacy/mechanisms.js';
import { PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import { createPgDatabase } from '../../support/databases.js';

function ctx(seed: string, label = 'public.t.c') {
  return { ledger: new PrivacyLedger(), rng: SecureRandom.seededForTests(seed), label };
}

describe('SecureRandom and gaussianNoise', () => {
  it('draws N(0, sigma^2) with the right moments, fast', () => {
    const rng = SecureRandom.seededForTests('moments');
    const t0 = performance.now();
    const x = gaussianNoise(2_000_000, 3, rng);
    const ms = performance.now() - t0;
    let s = 0;
    let s2 = 0;
    let s4 = 0;
    for (const v of x) {
      s += v;
      s2 += v * v;
      s4 += v ** 4;
    }
    const n = x.length;
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(s2 / n).toBeGreaterThan(8.95);
    expect(s2 / n).toBeLessThan(9.05);
    // Kurtosis of a normal is 3.
    expect(s4 / n / (s2 / n) ** 2).toBeGreaterThan(2.97);
    expect(s4 / n / (s2 / n) ** 2).toBeLessThan(3.03);
    // Millions of draws per step must be cheap (2 M draws well under a second even on a shared core).
    expect(ms).toBeLessThan(4000);
  });

  it('is reproducible only in the deterministic test mode', () => {
    const a = SecureRandom.seededForTests('x').gaussian(8, 1);
    const b = SecureRandom.seededForTests('x').gaussian(8, 1);
    expect(Array.from(a)).toEqual(Array.from(b));
    const c = SecureRandom.secure().gaussian(8, 1);
    const d = SecureRandom.secure().gaussian(8, 1);
    expect(Array.from(c)).not.toEqual(Array.from(d));
    expect(SecureRandom.secure().deterministic).toBe(false);
  });

  it('refuses seeded noise outside a test run', () => {
    const saved = { VITEST: process.env.VITEST, NODE_ENV: process.env.NODE_ENV };
    delete process.env.VITEST;
    process.env.NODE_ENV = 'production';
    try {
      expect(() => SecureRandom.seededForTests('x')).toThrow(/outside a test run/);
    } finally {
      if (saved.VITEST !== undefined) process.env.VITEST = saved.VITEST;
      if (saved.NODE_ENV !== undefined) process.env.NODE_ENV = saved.NODE_ENV;
      else delete process.env.NODE_ENV;
    }
    expect(() => SecureRandom.seededForTests('x')).not.toThrow();
  });

  it('forks independent labelled streams and draws unbiased integers', () => {
    const r = SecureRandom.seededForTests('fork');
    expect(r.fork('a').next()).toBe(SecureRandom.seededForTests('fork').fork('a').next());
    expect(r.fork('a').next()).not.toBe(r.fork('b').next());
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[r.int(3)]!++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
  });

  it('Laplace draws have variance 2b^2', () => {
    const r = SecureRandom.seededForTests('lap');
    let s2 = 0;
    const n = 200000;
    for (let i = 0; i < n; i++) s2 += r.laplace(2) ** 2;
    expect(s2 / n).toBeGreaterThan(7.8);
    expect(s2 / n).toBeLessThan(8.2);
  });
});

describe('DP statistics on a real table', () => {
  it('bounds, quantiles, histogram and vocabulary of a PostgreSQL column, each charged to the ledger', async () => {
    const db = await createPgDatabase('priv_mech');
    try {
      await db.exec(`
        CREATE TABLE orders (id serial PRIMARY KEY, amount numeric(10,2) NOT NULL, country text NOT NULL);
        INSERT INTO orders (amount, country)
          SELECT round((50 + 30 * sin(g) + (g % 97))::numeric, 2),
                 CASE WHEN g % 10 < 6 THEN 'DE' WHEN g % 10 < 9 THEN 'FR' ELSE 'IT' END
          FROM generate_series(1, 5000) g;
        INSERT INTO orders (amount, country) VALUES (123.45, 'Liechtenstein-secret-42');`);
      const rows = await db.query<{ amount: string; country: string }>('SELECT amount, country FROM orders');
      const amounts = rows.map((r) => r.amount);
      const c = ctx('stats', 'public.orders.amount');

      const bounds = dpBounds(amounts, { epsilon: 1 }, c);
      expect(bounds).not.toBeNull();
      expect(bounds!.lower).toBeLessThanOrEqual(20);
      expect(bounds!.upper).toBeGreaterThanOrEqual(128);
      expect(bounds!.upper).toBeLessThanOrEqual(256);

      const [median] = dpQuantiles(amounts, [0.5], bounds!, 1, c);
      const sorted = amounts.map(Number).sort((a, b) => a - b);
      const trueMedian = sorted[Math.floor(sorted.length / 2)]!;
      expect(Math.abs(median! - trueMedian)).toBeLessThan(5);

      const edges = dpBinEdges(amounts, 10, bounds!, 1, c);
      expect(edges[0]).toBe(bounds!.lower);
      expect(edges.at(-1)).toBe(bounds!.upper);
      for (let i = 1; i < edges.length; i++) expect(edges[i]!).toBeGreaterThan(edges[i - 1]!);
      const hist = dpHistogram(amounts, edges, { rho: 0.5 }, c);
      const total = hist.counts.reduce((a, b) => a + b, 0);
      expect(Math.abs(total - rows.length)).toBeLessThan(50);
      // Equal-mass edges: every bin holds roughly a tenth.
      for (const count of hist.counts) expect(count).toBeGreaterThan(rows.length / 10 / 3);

      const vc = ctx('vocab', 'public.orders.country');
      const vocab = dpCategoryVocabulary(rows.map((r) => r.country), { epsilon: 1 }, vc, { delta: 1e-6 });
      expect(vocab.map((v) => v.value)).toEqual(['DE', 'FR', 'IT']);
      expect(vocab.some((v) => v.value.includes('secret'))).toBe(false);
      const withPublic = dpCategoryVocabulary(rows.map((r) => r.country), { epsilon: 1 }, vc, {
        delta: 1e-6,
        publicValues: ['Liechtenstein-secret-42', 'ES'],
      });
      expect(withPublic.map((v) => v.value).sort()).toEqual(['DE', 'ES', 'FR', 'IT', 'Liechtenstein-secret-42']);

      expect(c.ledger.entries.map((e) => e.label)).toEqual([
        'public.orders.amount bounds',
        'public.orders.amount quantiles',
        'public.orders.amount quantiles',
        'public.orders.amount histogram',
      ]);
      const spent = c.ledger.spent(1e-6);
      expect(spent.epsilon).toBeGreaterThan(1);
      expect(Number.isFinite(spent.epsilon)).toBe(true);
      expect(vc.ledger.spent(1e-5).epsilon).toBeCloseTo(2, 6);
    } finally {
      await db.drop();
    }
  });

  it('dpNumericEdges: DP bounds then equal-mass edges, or edges inside a declared public range', () => {
    const rng = SecureRandom.seededForTests('edges-data');
    const values = Array.from({ length: 5000 }, () => 1000 + 200 * rng.normal());
    const c = ctx('edges', 'public.t.salary');
    const edges = dpNumericEdges(values, 8, 2, c)!;
    expect(edges.length).toBeGreaterThanOrEqual(8);
    const sorted = [...values].sort((a, b) => a - b);
    // The median edge sits near the true median (1000).
    expect(Math.abs(edges[Math.floor(edges.length / 2)]! - sorted[2500]!)).toBeLessThan(60);
    expect(c.ledger.entries.map((e) => e.label)).toEqual(['public.t.salary bounds', 'public.t.salary quantiles']);
    expect(c.ledger.spent(1e-6).epsilon).toBeLessThanOrEqual(2 + 1e-9);
    const c2 = ctx('edges2', 'public.t.salary');
    const inPublic = dpNumericEdges(values, 4, 1, c2, { publicRange: { lower: 0, upper: 2000 } })!;
    expect(inPublic[0]).toBe(0);
    expect(inPublic.at(-1)).toBe(2000);
    expect(c2.ledger.entries).toHaveLength(1);
    expect(dpNumericEdges([1, 2, 3], 4, 0.01, ctx('tiny'))).toBeNull();
  });

  it('noise shrinks with budget: dpCount error tracks 1/epsilon', () => {
    const c = ctx('count');
    let errLo = 0;
    let errHi = 0;
    for (let i = 0; i < 2000; i++) {
      errLo += Math.abs(dpCount(100, { epsilon: 0.1 }, c) - 100);
      errHi += Math.abs(dpCount(100, { epsilon: 10 }, c) - 100);
    }
    // E|Lap(b)| = b: 10 vs 0.1.
    expect(errLo / 2000).toBeGreaterThan(9);
    expect(errLo / 2000).toBeLessThan(11);
    expect(errHi / 2000).toBeLessThan(0.11);
    expect(c.ledger.entries).toHaveLength(4000);
  });

  it('refuses a non-positive budget with PRIVACY_BUDGET naming the column', () => {
    expect(() => dpCount(1, { epsilon: 0 }, ctx('z', 'public.users.age'))).toThrow(/public\.users\.age/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitMst, mstCharges, mstScales, sampleMst, type MstColumn } from '../../../src/generation/privacy/dp-mst.js';
import { PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

// Shop-like customers whose columns depend on each other: tier on region, active and age band on tier, channel on
// region, status on active.
const SHOP = `
SELECT setseed(0.17);
CREATE TABLE customer AS
WITH base AS (SELECT g, floor(power(random(), 2) * 5)::int AS region, random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5 FROM generate_series(1, 4000) g),
t AS (SELECT *, CASE WHEN u1 < 0.15 + 0.15 * region THEN 0 WHEN u1 < 0.5 + 0.1 * region THEN 1 ELSE 2 END AS tier FROM base)
SELECT g AS id, region, tier,
  CASE WHEN u2 < 0.9 - 0.35 * tier THEN 1 ELSE 0 END AS active,
  least(5, floor(u3 * 3)::int + 2 * tier)::int AS age_band,
  CASE WHEN region < 2 THEN (CASE WHEN u4 < 0.8 THEN 0 ELSE 1 END) ELSE (CASE WHEN u4 < 0.7 THEN 2 ELSE floor(u4 * 3)::int END) END AS channel
FROM t;
ALTER TABLE customer ADD COLUMN status int;
UPDATE customer SET status = CASE WHEN active = 1 THEN (id % 3) ELSE 3 END;
`;
const COLUMNS: MstColumn[] = [
  { name: 'region', size: 5 },
  { name: 'tier', size: 3 },
  { name: 'active', size: 2 },
  { name: 'age_band', size: 6 },
  { name: 'channel', size: 3 },
  { name: 'status', size: 4 },
];

let db: TestDatabase;
let rows: number[][];

beforeAll(async () => {
  db = await createPgDatabase('synth_dpmst');
  await db.exec(SHOP);
  const read = await db.query<Record<string, number>>(`SELECT ${COLUMNS.map((c) => c.name).join(', ')} FROM customer ORDER BY id`);
  rows = read.map((r) => COLUMNS.map((c) => Number(r[c.name])));
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

function spent(charges: Parameters<PrivacyLedger['charge']>[1][], delta = 1e-6): number {
  const l = new PrivacyLedger();
  for (const c of charges) l.charge('x', c);
  return l.spent(delta).epsilon;
}

/** (ε, δ) of ρ-zCDP by the conversion the accountant uses (Canonne, Kamath, Steinke 2020), over a fine grid of orders. */
function zcdpEpsilon(rho: number, delta: number): number {
  let best = Infinity;
  for (let a = 1.01; a < 2000; a *= 1.001) best = Math.min(best, rho * a + (Math.log(1 / delta) + (a - 1) * Math.log(1 - 1 / a) - Math.log(a)) / (a - 1));
  return best;
}

/** Mean total-variation distance between the 2-way distributions of `a` and `b` over every column pair. */
function twoWayTvd(a: number[][], b: number[][]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < COLUMNS.length; i++) {
    for (let j = i + 1; j < COLUMNS.length; j++) {
      const ca = new Map<string, number>();
      const cb = new Map<string, number>();
      for (const r of a) ca.set(`${r[i]},${r[j]}`, (ca.get(`${r[i]},${r[j]}`) ?? 0) + 1 / a.length);
      for (const r of b) cb.set(`${r[i]},${r[j]}`, (cb.get(`${r[i]},${r[j]}`) ?? 0) + 1 / b.length);
      let d = 0;
      for (const k of new Set([...ca.keys(), ...cb.keys()])) d += Math.abs((ca.get(k) ?? 0) - (cb.get(k) ?? 0));
      sum += d / 2;
      pairs++;
    }
  }
  return sum / pairs;
}

/** The largest parameter in (0, hi] whose charges spend at most ε (bisection on a monotone spend). */
function calibrate(epsilon: number, charges: (x: number) => Parameters<PrivacyLedger['charge']>[1][], hi: number): number {
  let lo = 0;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (spent(charges(mid)) <= epsilon) lo = mid;
    else hi = mid;
  }
  return lo;
}

describe('MST over a table’s categorical columns', () => {
  it('charges the accountant exactly its plan, and its ε matches the zCDP reference', () => {
    const ledger = new PrivacyLedger();
    fitMst(rows, COLUMNS, 0.5, { ledger, rng: SecureRandom.seededForTests('mst-spend'), label: 'public.customer' });
    expect(ledger.entries.map((e) => e.charge)).toEqual(mstCharges(6, 0.5));
    const eps = ledger.spent(1e-6).epsilon;
    // The Gaussian thirds are exactly (2/3)ρ-zCDP; the selection adds at most ρ/3 (bounded range is below ε²/8).
    expect(eps).toBeGreaterThan(zcdpEpsilon((2 / 3) * 0.5, 1e-6) - 1e-3);
    expect(eps).toBeLessThanOrEqual(zcdpEpsilon(0.5, 1e-6) + 1e-3);
    // Reference value of this accountant for 6 columns at ρ = 0.5, δ = 1e-6.
    expect(eps).toBeCloseTo(REFERENCE_EPSILON, 4);
    const s = mstScales(6, 0.5);
    expect(1 / (2 * s.sigma1 ** 2) * 6 + 1 / (2 * s.sigma2 ** 2) * 5 + (s.selectEpsilon ** 2 / 8) * 5).toBeCloseTo(0.5, 12);
  });

  it('a unit of m rows scales the noise, not the charge', () => {
    const ledger = new PrivacyLedger();
    fitMst(rows, COLUMNS, 0.5, { ledger, rng: SecureRandom.seededForTests('mst-m'), label: 't', contribution: 4 });
    expect(ledger.entries.map((e) => e.charge)).toEqual(mstCharges(6, 0.5));
  });

  it('beats independent DP marginals on every 2-way marginal at ε = 1, 3, 10 (same accountant, same ε)', () => {
    const figures: string[] = [];
    for (const epsilon of [1, 3, 10]) {
      const rho = calibrate(epsilon, (r) => mstCharges(COLUMNS.length, r), 50);
      const mstErr: number[] = [];
      const indErr: number[] = [];
      for (let rep = 0; rep < 3; rep++) {
        const rng = SecureRandom.seededForTests(`mst-${epsilon}-${rep}`);
        const model = fitMst(rows, COLUMNS, rho, { ledger: new PrivacyLedger(), rng, label: 't' });
        mstErr.push(twoWayTvd(rows, sampleMst(model, rows.length, rng)));
        // The current path: each column's histogram alone (Laplace), sampled independently.
        const each = calibrate(epsilon, (e) => [{ mechanism: 'laplace', epsilon: e, count: COLUMNS.length }], 50);
        const marg = COLUMNS.map((c, i) => {
          const h = new Array<number>(c.size).fill(0);
          for (const r of rows) h[r[i]!]!++;
          const noisy = h.map((x) => Math.max(0, x + rng.laplace(1 / each)));
          const t = noisy.reduce((a, b) => a + b, 0) || 1;
          return noisy.map((x) => x / t);
        });
        const ind = Array.from({ length: rows.length }, () =>
          marg.map((p) => {
            let u = rng.next();
            for (let k = 0; k < p.length; k++) if ((u -= p[k]!) < 0) return k;
            return p.length - 1;
          }),
        );
        indErr.push(twoWayTvd(rows, ind));
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      figures.push(`ε=${epsilon}: 2-way TVD MST ${mean(mstErr).toFixed(3)} vs independent ${mean(indErr).toFixed(3)} (ρ ${rho.toFixed(3)})`);
      expect(mean(mstErr), `ε=${epsilon}`).toBeLessThan(mean(indErr));
    }
    console.log(figures.join('\n'));
  });
});

const REFERENCE_EPSILON = 5.220926;

/**
 * CopyIndex answers exactly what a brute-force scan of every training row answers (SDMetrics' NewRowSynthesis match
 * with tolerance, datetimes within a fixed band), on rows from a real table with NULLs, zeros, negatives and
 * repeated categories; and a nudge's accepted bands hold exactly the values that keep a row a copy, read whole or
 * from a value outwards (CopyIndex.accepted).
 */
import { describe, expect, it } from 'vitest';
import { categoryKey, CopyIndex, sortIndexes, type EncodedRow } from '../../../src/validation/privacy/copy-index.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';
import { createPgDatabase } from '../../support/databases.js';

const TOL = 0.01;

function bruteMatch(s: EncodedRow, r: EncodedRow, bands: Float64Array, skip: number): boolean {
  if (categoryKey(s.cat) !== categoryKey(r.cat)) return false;
  for (let k = 0; k < s.num.length; k++) {
    if (k === skip) continue;
    const v = s.num[k]!;
    const rv = r.num[k]!;
    if (Number.isNaN(v) || Number.isNaN(rv)) {
      if (Number.isNaN(v) !== Number.isNaN(rv)) return false;
      continue;
    }
    const band = Number.isNaN(bands[k]!) ? Math.abs(TOL * v) : bands[k]!;
    if (!(Math.abs(rv - v) <= band)) return false;
  }
  return true;
}

describe('sortIndexes', () => {
  it('orders row indexes as a comparator sort by value then index does, with ties, -0, 0 and +Infinity', () => {
    const rng = SecureRandom.seededForTests('sort-indexes');
    for (let t = 0; t < 300; t++) {
      const n = rng.int(t < 150 ? 60 : 3000);
      const keys = Float64Array.from({ length: n }, () => {
        const r = rng.next();
        return r < 0.05 ? Infinity : r < 0.1 ? -0 : r < 0.15 ? 0 : t % 2 ? rng.int(40) : rng.next() * 100 - 50;
      });
      const expected = Int32Array.from(keys.keys()).sort((a, b) => keys[a]! - keys[b]! || a - b);
      const o = Int32Array.from(keys.keys());
      sortIndexes(o, keys, 0, n);
      expect(o).toEqual(expected);
    }
  });
});

describe('CopyIndex', () => {
  it('agrees with a brute-force scan, and its accepted bands are exactly the values that stay copies', async () => {
    const db = await createPgDatabase('copy_index');
    try {
      await db.exec(`
        CREATE TABLE t (id serial PRIMARY KEY, kind text, qty int, amount numeric(10,2), at timestamptz);
        INSERT INTO t (kind, qty, amount, at)
          SELECT CASE WHEN g % 17 = 0 THEN NULL ELSE (ARRAY['a','b','c'])[1 + g % 3] END,
                 CASE WHEN g % 23 = 0 THEN NULL ELSE (g * 7919) % 200 - 50 END,
                 round((((g * 104729) % 100000) - 20000) / 100.0, 2),
                 timestamptz '2020-01-01' + ((g * 31) % 1000) * interval '1 hour'
          FROM generate_series(1, 4000) g;`);
      const rows = await db.query<{ kind: string | null; qty: number | null; amount: string; at: Date }>('SELECT kind, qty, amount, at FROM t ORDER BY id');
      const encode = (r: (typeof rows)[number]): EncodedRow => ({
        num: Float64Array.from([r.qty ?? NaN, Number(r.amount), r.at.getTime()]),
        cat: [r.kind ?? '\u0000null'],
      });
      const training = rows.map(encode);
      const times = training.map((e) => e.num[2]!);
      // Datetimes: a fixed band of tol × the training range; the others |tol × value|.
      const bands = Float64Array.from([NaN, NaN, TOL * (Math.max(...times) - Math.min(...times))]);
      const index = new CopyIndex(training, TOL, bands);
      const rng = SecureRandom.seededForTests('copy-index');
      // Queries: training rows moved a little (most still copies), some far (new), some with a NULL swapped in.
      const queries: EncodedRow[] = Array.from({ length: 3000 }, (_, i) => {
        const t = training[rng.int(training.length)]!;
        const num = Float64Array.from(t.num, (v, k) => (Number.isNaN(v) ? v : v + (rng.next() - 0.5) * (k === 2 ? 8e7 : Math.abs(v) * 0.04 + (i % 5 === 0 ? 50 : 0))));
        if (i % 97 === 0) num[0] = NaN;
        return { num, cat: i % 31 === 0 ? ['d'] : t.cat };
      });
      let copies = 0;
      for (const q of queries) {
        const brute = training.some((r) => bruteMatch(q, r, bands, -1));
        expect(index.isCopy(q)).toBe(brute);
        if (brute) copies++;
      }
      expect(copies).toBeGreaterThan(300);
      expect(copies).toBeLessThan(2700);
      // Exactness as the filters' exact keys judged it (-0 = 0, NULL = NULL): training rows as they are, with a zero
      // turned -0, and moved by one ulp-scale step (no longer exact, still copies).
      const exactKey = (e: EncodedRow) => `${[...e.num].join(',')}|${categoryKey(e.cat)}`;
      const keys = new Set(training.map(exactKey));
      const exactQueries = [
        ...queries,
        ...training.slice(0, 500),
        ...training.slice(500, 800).map((t) => ({ num: Float64Array.from(t.num, (v) => (v === 0 ? -0 : v)), cat: t.cat })),
        ...training.slice(800, 1000).map((t) => ({ num: Float64Array.from(t.num, (v, k) => (k === 1 ? v + 0.001 : v)), cat: t.cat })),
        { num: Float64Array.from([Infinity, 1, times[0]!]), cat: training[0]!.cat },
      ];
      let exact = 0;
      for (const q of exactQueries) {
        expect(index.hasExact(q)).toBe(keys.has(exactKey(q)));
        if (keys.has(exactKey(q))) exact++;
      }
      expect(exact).toBeGreaterThanOrEqual(800);
      const ranges = [0, 1, 2].map((k) => {
        const xs = training.map((e) => e.num[k]!).filter((x) => !Number.isNaN(x));
        return Math.max(...xs) - Math.min(...xs);
      });
      const bounded = { kept: 0, skipped: 0 };
      const walked = { marked: 0, sorted: 0 };
      // For column k: a value x lies in an accepted band iff some training row matching on the other columns accepts x.
      for (const q of queries.slice(0, 150)) {
        for (let k = 0; k < 3; k++) {
          const merged = index.acceptedBands(q, k);
          for (let j = 1; j < merged.length; j++) expect(merged[j]![0]).toBeGreaterThan(merged[j - 1]![1]);
          const v = q.num[k]!;
          if (Number.isNaN(v)) continue;
          // What a nudge's walk reads (accepted: marks read from x outwards on a dense window): the same merged band
          // at v, at every band end, and just past them.
          const acc = index.accepted(q, k, ranges[k]!, Infinity)!;
          if ('bits' in acc) walked.marked++;
          else walked.sorted++;
          expect(acc.count === 0).toBe(merged.length === 0);
          for (const x of [v, ...merged.flatMap(([a, b]) => [a, b, a - 1e-9 * Math.abs(a) - 1e-300, b + 1e-9 * Math.abs(b) + 1e-300])]) {
            const holding = merged.find(([a, b]) => a <= x && x <= b);
            expect(acc.holding(x), `k=${k} x=${x}`).toBe(holding !== undefined);
            if (holding) expect([acc.low, acc.high]).toEqual(holding);
          }
          // Bounded (a nudge's later columns): the same bands, or null only when the band holding v leaves no value
          // nearer to v than cost × range (so the nudge would not choose this column).
          for (const cost of [1e-5, 1e-3, 1e-2]) {
            const within = index.acceptedBandsWithin(q, k, ranges[k]!, cost);
            if (within !== null) {
              expect(within).toEqual(merged);
              bounded.kept++;
              continue;
            }
            bounded.skipped++;
            const holding = merged.find(([a, b]) => a <= v && v <= b);
            expect(holding, `k=${k} v=${v}`).toBeDefined();
            expect(Math.min(v - holding![0], holding![1] - v) / ranges[k]!).toBeGreaterThanOrEqual(cost);
          }
          for (const x of [v, v * 0.995, v * 1.015, v + 1, v - 3e6]) {
            const moved = { num: Float64Array.from(q.num, (y, c) => (c === k ? x : y)), cat: q.cat };
            const inBand = merged.some(([a, b]) => x >= a && x <= b);
            const brute = training.some((r) => bruteMatch(moved, r, bands, -1));
            // Band ends are computed by division: allow disagreement only within float rounding of an end.
            const nearEnd = merged.some(([a, b]) => Math.abs(x - a) <= 1e-9 * Math.abs(a) || Math.abs(x - b) <= 1e-9 * Math.abs(b));
            if (!nearEnd) expect(inBand, `k=${k} x=${x}`).toBe(brute);
          }
        }
      }
      expect(walked.marked).toBeGreaterThan(0);
      expect(walked.sorted).toBeGreaterThan(0);
      expect(bounded.kept).toBeGreaterThan(0);
      expect(bounded.skipped).toBeGreaterThan(0);
    } finally {
      await db.drop();
    }
  }, 120_000);
});

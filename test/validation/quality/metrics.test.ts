/** The single metrics on hand-checkable data, including SDMetrics' null and edge-case rules. */
import { describe, expect, it } from 'vitest';
import { datetimeToNs, discreteKey } from '../../../src/validation/quality/cells.js';
import {
  boundaryAdherence,
  categoryAdherence,
  contingencySimilarity,
  cramersV,
  keyUniqueness,
  ksComplement,
  newRowSynthesis,
  pearson,
  referentialIntegrity,
  spearman,
  tvComplement,
} from '../../../src/validation/quality/index.js';
import { digitize, histogramBinEdges, ksStatistic, rint, roundDecimals } from '../../../src/validation/quality/stats.js';

const keys = (xs: Array<string | number | boolean | null>): Array<string | null> => xs.map(discreteKey);

describe('KSComplement', () => {
  it('is 1 − the largest ECDF gap', () => {
    expect(ksComplement([1, 2, 3, 4], [1, 2, 3, 3.5], true)).toBe(0.75);
    expect(ksComplement([1, 2, 3], [1, 2, 3], false)).toBe(1);
    expect(ksComplement([1, 2], [10, 20], false)).toBe(0);
    expect(ksStatistic([0, 0, 1], [0, 1, 1])).toBeCloseTo(1 / 3, 15);
  });
  it('drops nulls and is NaN when a side is empty', () => {
    expect(ksComplement([1, NaN, 2], [1, 2, NaN, NaN], true)).toBe(1);
    expect(ksComplement([NaN], [1], true)).toBeNaN();
  });
  it('rounds to 14 decimals so float noise does not count as a difference', () => {
    expect(ksComplement([0.1 + 0.2], [0.3], true)).toBe(1);
    expect(ksComplement([0.1 + 0.2], [0.3], false)).toBe(0);
    expect(roundDecimals(2.5, 0)).toBe(2);
    expect(rint(3.5)).toBe(4);
    expect(rint(-2.5)).toBe(-2);
  });
});

describe('TVComplement', () => {
  it('compares category frequencies', () => {
    expect(tvComplement(keys(['a', 'a', 'b']), keys(['a', 'b', 'b']))).toBeCloseTo(2 / 3, 15);
    expect(tvComplement(keys([true, false, false, true]), keys([false, false, false, true]))).toBe(0.75);
  });
  it('ignores nulls and regularises synthetic-only categories like get_frequencies', () => {
    expect(tvComplement(keys(['a', null]), keys(['a', null, null]))).toBe(1);
    // 'z' only in synthetic gets a 1e-6 pseudo-count on the real side.
    const v = tvComplement(keys(['a']), keys(['z']));
    expect(v).toBeCloseTo(1 - 1 / (1 + 1e-6), 15);
    expect(tvComplement(keys([null]), keys(['a']))).toBeNaN();
  });
  it('keeps numbers and numeric strings apart', () => {
    expect(tvComplement(keys([1, 1]), keys(['1', '1']))).toBeLessThan(0.01);
  });
});

describe('CorrelationSimilarity building blocks', () => {
  it('Pearson and Spearman', () => {
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBe(1);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])).toBe(-1);
    expect(pearson([1, 2, 3, 4], [1, 2, 3, 3.5])).toBeCloseTo(0.9897782665572893, 14);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 100])).toBe(1);
  });
});

describe('ContingencySimilarity', () => {
  it('is 1 − TV distance of the joint frequencies, nulls as their own group', () => {
    const real: [Array<string | null>, Array<string | null>] = [keys(['a', 'b', 'c', 'd']), keys([true, false, false, true])];
    const syn: [Array<string | null>, Array<string | null>] = [keys(['a', 'c', 'c', 'b']), keys([false, false, false, true])];
    expect(contingencySimilarity(real, syn).score).toBe(0.25);
    const withNull = contingencySimilarity([keys(['a', null]), keys(['x', 'y'])], [keys(['a', null]), keys(['x', 'y'])]);
    expect(withNull.score).toBe(1);
  });
  it("scores only pairs whose real Cramér's V exceeds the threshold", () => {
    const dependent: [Array<string | null>, Array<string | null>] = [keys(['a', 'a', 'b', 'b']), keys(['x', 'x', 'y', 'y'])];
    const independent: [Array<string | null>, Array<string | null>] = [keys(['a', 'a', 'b', 'b']), keys(['x', 'y', 'x', 'y'])];
    expect(cramersV(dependent[0], dependent[1])).toBeCloseTo(1, 15);
    expect(cramersV(independent[0], independent[1])).toBe(0);
    expect(contingencySimilarity(dependent, dependent, 0.3)).toEqual({ score: 1, realAssociation: 1 });
    const skipped = contingencySimilarity(independent, dependent, 0.3);
    expect(skipped.score).toBeNaN();
    expect(skipped.realAssociation).toBe(0);
  });
  it('bins continuous columns like numpy (10 equal-width bins over the own range, max in bin 11)', () => {
    const edges = histogramBinEdges([0, 10, NaN]);
    expect(edges).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([0, 0.5, 1, 9.99, 10, NaN].map((v) => digitize(v, edges))).toEqual([1, 1, 2, 10, 11, 11]);
    expect(histogramBinEdges([5, 5])[0]).toBe(4.5);
    expect(histogramBinEdges([5, 5])[10]).toBe(5.5);
  });
});

describe('datetimes', () => {
  it('parse to epoch nanoseconds like pandas', () => {
    expect(datetimeToNs('1970-01-02')).toBe(86_400e9);
    expect(datetimeToNs('2020-10-01 00:00:00')).toBe(Date.UTC(2020, 9, 1) * 1e6);
    expect(datetimeToNs('2020-10-01T01:00:00+01:00')).toBe(Date.UTC(2020, 9, 1) * 1e6);
    expect(datetimeToNs('2020-10-01 00:00:00.000001+00')).toBe(Date.UTC(2020, 9, 1) * 1e6 + 1000);
    expect(datetimeToNs(1000)).toBe(1e9);
    expect(datetimeToNs(null)).toBeNaN();
    expect(datetimeToNs('not a date')).toBeUndefined();
  });
  it('round the exact nanosecond integer once, as int64 → float64 does', () => {
    let seed = 5;
    for (let i = 0; i < 2000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const ms = Math.floor(-2.2e12 + (seed / 2 ** 32) * 6.3e12); // 1900–2100
      const iso = new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
      expect(datetimeToNs(iso)).toBe(Number(BigInt(ms) * 1_000_000n));
      expect(datetimeToNs(ms)).toBe(Number(BigInt(ms) * 1_000_000n));
    }
  });
});

describe('diagnostic metrics', () => {
  it('BoundaryAdherence counts synthetic nulls as out of bounds unless the real data has nulls', () => {
    expect(boundaryAdherence([1, 5], [0, 1, 3, 5, 6])).toBe(0.6);
    expect(boundaryAdherence([1, 5], [3, NaN])).toBe(0.5);
    expect(boundaryAdherence([1, 5, NaN], [3, NaN])).toBe(1);
  });
  it('CategoryAdherence, KeyUniqueness, ReferentialIntegrity', () => {
    expect(categoryAdherence(keys(['a', 'b', null]), keys(['a', 'c', null, 'b']))).toBe(0.75);
    expect(keyUniqueness(keys([1, 2, 2, null]))).toBe(0.5);
    expect(referentialIntegrity(keys([1, 2, 3]), keys([1, 1, 4, null]))).toBeCloseTo(2 / 3, 15);
  });
  it('NewRowSynthesis uses the 1% relative numerical tolerance and exact categorical matches', () => {
    const real = { columns: ['x', 'c'], rows: [[100, 'a'], [200, 'b'], [null, 'c']] };
    const synthetic = {
      columns: ['x', 'c'],
      rows: [
        [100.5, 'a'], // within 1% of 100.5 → copy
        [102, 'a'], // 2 away, tolerance 1.02 → new
        [200, 'a'], // category differs → new
        [null, 'c'], // null matches null → copy
      ],
    };
    const r = newRowSynthesis(real, synthetic, 't', { x: 'numerical', c: 'categorical' });
    expect(r).toEqual({ score: 0.5, newRows: 2, checkedRows: 4 });
  });
});

describe('NewRowSynthesis on datetimes', () => {
  it('compares a datetime within 1 % of its real range (not of its epoch value); numbers keep |1 % × value|', () => {
    // A year of dates: 1 % of the range is 3.65 days; 1 % of an epoch time in 2024 would be about 197 days.
    const real = {
      columns: ['d', 'x'],
      rows: [['2024-01-01', 100], ['2024-07-01', 200], ['2024-12-31', 300], [null, 400]] as Array<Array<string | number | null>>,
    };
    const synthetic = {
      columns: ['d', 'x'],
      rows: [
        ['2024-07-04', 200], // 3 days from a real date: copy
        ['2024-07-11', 200], // 10 days away: new (a copy by SDMetrics' × value rule)
        ['2024-12-29T12:00:00Z', 301], // 1.5 days and 0.33 % away: copy
        ['2024-01-02', 110], // 1 day away but 110 vs 100 is outside 1 % of 110: new
        [null, 403], // null matches null, 403 within 1 % of 403 of 400: copy
      ] as Array<Array<string | number | null>>,
    };
    const r = newRowSynthesis(real, synthetic, 't', { d: 'datetime', x: 'numerical' });
    expect(r).toEqual({ score: 0.4, newRows: 2, checkedRows: 5, datetimeTolerance: 0.01 });
    // Without the datetime column nothing is said about datetimes.
    expect(newRowSynthesis(real, synthetic, 't', { x: 'numerical' })).not.toHaveProperty('datetimeTolerance');
  });
});

describe('NewRowSynthesis search', () => {
  it('agrees with a brute-force scan on data full of near-copies and nulls', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const row = (): Array<number | string | null> => [
      rnd() < 0.1 ? null : Math.round(rnd() * 50) * (rnd() < 0.5 ? 1 : 1.006),
      rnd() < 0.1 ? null : Math.round(rnd() * 5),
      ['a', 'b', null][Math.floor(rnd() * 3)]!,
    ];
    const real = { columns: ['x', 'y', 'c'], rows: Array.from({ length: 400 }, row) };
    const synthetic = { columns: ['x', 'y', 'c'], rows: Array.from({ length: 400 }, row) };
    const columns = { x: 'numerical', y: 'numerical', c: 'categorical' } as const;
    const fast = newRowSynthesis(real, synthetic, 't', columns);
    let fresh = 0;
    for (const s of synthetic.rows) {
      const copy = real.rows.some((r) =>
        [0, 1].every((f) => {
          const v = s[f] as number | null;
          const rv = r[f] as number | null;
          return v === null ? rv === null : rv !== null && Math.abs(rv - v) <= Math.abs(0.01 * v);
        }) && r[2] === s[2],
      );
      if (!copy) fresh++;
    }
    expect(fast.newRows).toBe(fresh);
    expect(fresh).toBeGreaterThan(0);
    expect(fresh).toBeLessThan(400);
  });
});

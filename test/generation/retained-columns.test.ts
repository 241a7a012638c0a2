import { describe, expect, it } from 'vitest';
import { RetainedColumns } from '../../src/generation/retained-columns.js';

describe('RetainedColumns', () => {
  it('keeps the picked columns of every row, NULL for a missing column, and one copy of each repeated string', () => {
    const kept = new RetainedColumns(['day', 'amount', 'gone']);
    const rows = [
      ['2024-01-0' + '1', 10, 'x'],
      ['2024-01-0' + '1', 12.5, 'y'],
      [null, 7n, 'z'],
    ];
    for (const r of rows) kept.push(r, [0, 1, -1]);
    kept.seal();
    expect(kept.rows).toBe(3);
    expect(kept.row(0)).toEqual(['2024-01-01', 10, null]);
    expect(kept.row(2)).toEqual([null, 7n, null]);
    expect(kept.row(3)).toBeUndefined();
    expect(kept.get(1, 1)).toBe(12.5);
    expect(kept.get(9, 0)).toBeNull();
    // Both rows' dates are now the same string object (what the memory saving rests on); equal either way.
    expect(kept.get(0, 0)).toBe(kept.get(1, 0));
  });

  it('stops interning a column of unique texts and still keeps every value', () => {
    const kept = new RetainedColumns(['t']);
    const n = (1 << 16) + 10;
    for (let i = 0; i < n; i++) kept.push([`v${i}`], [0]);
    expect(kept.rows).toBe(n);
    expect(kept.get(n - 1, 0)).toBe(`v${n - 1}`);
    expect(kept.get(123, 0)).toBe('v123');
  });

  it('keeps numbers exactly in a typed column, NULLs included, and moves a column to a plain one when a value does not fit', () => {
    const kept = new RetainedColumns(['n', 'mixed', 'late']);
    const nums = [0, -0, 1.1, 2 ** 53, -1e308, Number.NaN, null, 42];
    const n = 3000; // past the first typed array's 1024 rows: it grows
    for (let i = 0; i < n; i++) {
      const v = nums[i % nums.length]!;
      // 'mixed' starts as numbers, gets a string at row 2000 and a bigint at 2500; 'late' is NULL until row 1500.
      const mixed = i === 2000 ? 'x' : i === 2500 ? 5n : v;
      kept.push([v, mixed, i < 1500 ? null : `d${i % 3}`], [0, 1, 2]);
    }
    kept.seal();
    for (let i = 0; i < n; i++) {
      const v = nums[i % nums.length]!;
      expect(Object.is(kept.get(i, 0), v)).toBe(true);
      expect(Object.is(kept.get(i, 1), i === 2000 ? 'x' : i === 2500 ? 5n : v)).toBe(true);
      expect(kept.get(i, 2)).toBe(i < 1500 ? null : `d${i % 3}`);
    }
    // The typed columns take ~9 bytes a row, the strings 4 (the plain 'mixed' column 8).
    expect(kept.bytes()).toBeLessThan(n * (9 + 8 + 4) + 200);
  });

  it('an all-NULL column and a column of other values (bytes, JSON) keep what they got', () => {
    const kept = new RetainedColumns(['none', 'bytes', 'json']);
    const b = new Uint8Array([1, 2]);
    kept.push([null, b, { a: 1 }], [0, 1, 2]);
    kept.push([null, null, [1, 'two']], [0, 1, 2]);
    expect(kept.row(0)).toEqual([null, b, { a: 1 }]);
    expect(kept.row(1)).toEqual([null, null, [1, 'two']]);
    expect(kept.get(0, 1)).toBe(b);
  });

  it('keeps decimal strings of one scale as doubles and gives back the same spelling; other spellings stay strings', () => {
    const kept = new RetainedColumns(['price', 'code', 'mixedScale']);
    const n = 2000;
    const price = (i: number) => (i % 7 === 0 ? null : ((i * 7919) % 1_000_000_00 / 100 - 5000).toFixed(2));
    for (let i = 0; i < n; i++) {
      // 'code' looks decimal until a leading zero; 'mixedScale' changes scale at row 1500.
      kept.push([price(i), i === 1200 ? '007' : String(i % 40), i < 1500 ? `${i}.5` : `${i}.25`], [0, 1, 2]);
    }
    kept.seal();
    for (let i = 0; i < n; i++) {
      expect(kept.get(i, 0)).toBe(price(i));
      expect(kept.get(i, 1)).toBe(i === 1200 ? '007' : String(i % 40));
      expect(kept.get(i, 2)).toBe(i < 1500 ? `${i}.5` : `${i}.25`);
    }
    // Edge spellings that a double cannot spell back stay exactly as they came.
    const edge = new RetainedColumns(['d']);
    const spellings = ['1.10', '-0.00', '12345678901234567.00', '0.30', '99999999999999.99', '-3.25'];
    for (const v of spellings) edge.push([v], [0]);
    expect(spellings.map((_, i) => edge.get(i, 0))).toEqual(spellings);
  });

  it('starts narrow (32-bit integers, scaled decimals, a byte per code) and widens without changing a value', () => {
    const kept = new RetainedColumns(['int', 'price', 'day', 'wide']);
    const n = 70_000;
    // 'int' gets a fraction at row 5000; 'price' (scale 2) passes 2^31 hundredths at row 6000; 'day' has 300
    // spellings (past a byte's 255); 'wide' a new spelling every row (past 65 535: then a plain array).
    const int = (i: number) => (i % 11 === 0 ? null : i === 5000 ? 0.5 : i * 3 - 1000);
    const price = (i: number) => (i % 13 === 0 ? null : i === 6000 ? '21474836.48' : ((i * 7919) % 100_000 / 100 - 300).toFixed(2));
    const day = (i: number) => (i % 17 === 0 ? null : `2024-${i % 300}`);
    for (let i = 0; i < n; i++) kept.push([int(i), price(i), day(i), `w${i}`], [0, 1, 2, 3]);
    kept.seal();
    const copy = RetainedColumns.fromWire(structuredClone(kept.toWire()));
    const wrong: unknown[] = [];
    for (let i = 0; i < n; i++) {
      for (const k of [kept, copy]) {
        const want = [int(i), price(i), day(i), `w${i}`];
        if (want.some((v, c) => k.get(i, c) !== v)) wrong.push([i, k.row(i), want]);
      }
    }
    expect(wrong).toEqual([]);
    // Before any widening: 4 bytes a row for the numbers, 1 for up to 255 spellings, nothing for NULLs yet.
    const narrow = new RetainedColumns(['int', 'price', 'status']);
    for (let i = 0; i < 10_000; i++) narrow.push([i, `${i}.25`, ['F', 'O', 'P'][i % 3]!], [0, 1, 2]);
    narrow.seal();
    expect(narrow.bytes()).toBeLessThanOrEqual(10_000 * (4 + 4 + 1) + 3 * 20);
    expect(narrow.get(9_999, 1)).toBe('9999.25');
  });
});

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
});

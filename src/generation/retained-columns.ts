/**
 * A few columns of every generated row of a parent table, kept while its children are generated (the order date a
 * line's ship date follows, a learned child's parent context). A row array per parent row costs ~60 bytes plus a
 * fresh string per value, which at a million parents is the biggest thing a run holds: here each column is one
 * array, and a string column keeps each distinct spelling once (dates, categories: few distinct values).
 */
import type { Value } from '../schema/values.js';

/** Distinct strings a column keeps one copy of; past this it stores what it gets (a column of unique texts). */
const MAX_INTERNED = 1 << 16;

export class RetainedColumns {
  private readonly values: Value[][];
  private readonly interned: Array<Map<string, string> | null>;
  private count = 0;

  constructor(readonly columns: readonly string[]) {
    this.values = columns.map(() => []);
    this.interned = columns.map(() => new Map());
  }

  get rows(): number {
    return this.count;
  }

  /** Appends `row[at[c]]` for each column c (-1 or a missing value: NULL). */
  push(row: readonly Value[], at: readonly number[]): void {
    for (let c = 0; c < this.values.length; c++) {
      const j = at[c]!;
      let v = j >= 0 ? (row[j] ?? null) : null;
      const seen = this.interned[c];
      if (typeof v === 'string' && seen) {
        const same = seen.get(v);
        if (same !== undefined) v = same;
        else if (seen.size < MAX_INTERNED) seen.set(v, v);
        else this.interned[c] = null;
      }
      this.values[c]!.push(v);
    }
    this.count++;
  }

  /** The value of `column` (an index into `columns`) at row `row`; NULL outside. */
  get(row: number, column: number): Value {
    return this.values[column]?.[row] ?? null;
  }

  /** The row's retained values, in `columns` order (undefined outside the rows kept). */
  row(row: number): Value[] | undefined {
    if (row < 0 || row >= this.count) return undefined;
    return this.values.map((col) => col[row] ?? null);
  }

  /** No more rows come: the interning maps are dropped, the values stay. */
  seal(): this {
    this.interned.fill(null);
    return this;
  }
}

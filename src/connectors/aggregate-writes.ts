/**
 * What the derive step (pipeline/derive-aggregates.ts) asks a target to write in its shadow once every row is
 * loaded: a parent column set to the sum of its children, and the children of a parent scaled down to a bound.
 * Neutral descriptions; each dialect folder writes them in its own SQL.
 */
import type { Column, ForeignKey, Table } from '../schema/model.js';
import type { Shadow } from './connector.js';

/** `parent.column = Σ child.terms[0] (× child.terms[1])` per parent through `foreignKey`. */
export interface ParentSumWrite {
  parent: Table;
  column: Column;
  child: Table;
  foreignKey: ForeignKey;
  terms: string[];
  /** Parents without children: set to 0, to NULL, or left as generated. */
  empty: 'zero' | 'null' | 'keep';
  /**
   * Sums are rounded to this many decimals: a decimal or integer column's scale, else the grid of the source's values
   * (a float); null: written as summed.
   */
  decimals: number | null;
}

/** Rows of `child` whose parent's Σ `column` is over `bound` become `value × bound / Σ`, rounded down to `decimals`. */
export interface ChildShareWrite {
  child: Table;
  foreignKey: ForeignKey;
  column: string;
  bound: number;
  decimals: number;
}

export interface AggregateWriter {
  /** Smallest and largest per-parent sum in the shadow (null when no parent has children), to check they fit the column. */
  sumRange(shadow: Shadow, write: ParentSumWrite): Promise<{ min: number; max: number } | null>;
  /** Writes the sums (and the childless parents' value); returns parent rows written. */
  writeSums(shadow: Shadow, write: ParentSumWrite): Promise<number>;
  /** Scales down the children of every parent over the bound; returns child rows written. */
  boundShares(shadow: Shadow, write: ChildShareWrite): Promise<number>;
  /**
   * Gives back the space the writes left in `table` (PostgreSQL: the old version of every rewritten row), before the
   * keys are built on it. Absent where an update rewrites a row in place.
   */
  compact?(shadow: Shadow, table: Table): Promise<void>;
}

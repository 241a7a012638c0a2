/** The generation-wide key context: options shared by every table, and a cache of each table's key assigner. */
import type { DatabaseSchema } from '../../schema/model.js';
import { findTable, tableKey } from '../../schema/model.js';
import type { Row } from '../../schema/values.js';
import type { HydrationPlan } from '../../graph/plan.js';
import type { ChildCountHistogram } from '../model.js';
import type { FanOutRule } from '../fan-out.js';
import type { TableKeyStats } from './key-stats.js';
import { TableKeys } from './table-keys.js';

export interface KeyContextOptions {
  schema: DatabaseSchema;
  plan: HydrationPlan;
  rowCounts: Map<string, number>;
  keyStats: Map<string, TableKeyStats>;
  histograms: Map<string, ChildCountHistogram[]>;
  /** Per table key, per FK name: share of source rows whose FK is NULL. */
  fkNullRates: Map<string, Record<string, number>>;
  seed: number;
  /**
   * Children per parent row predicted from the parent's generated attributes (learned count heads), by child
   * table key and FK name; replaces the histogram draw for grouped, shuffled and link-first FKs when present.
   */
  childCountWeights?: (childKey: string, foreignKey: string) => ArrayLike<number> | undefined;
  /** Exact fan-outs by `fanOutKey(child, fk)`: their counts stay within the source's counts (80 stays 80). */
  fanOuts?: Map<string, FanOutRule>;
  /**
   * Real children per row of a copied parent (aligned with its copied rows), by child table key and FK name: such a
   * parent deals its children as in the source, scaled to the child's row count.
   */
  copiedParentCounts?: (childKey: string, foreignKey: string) => ArrayLike<number> | undefined;
  /** Tables copied verbatim (reference data) by table key: every key column takes the real row's value. */
  fixedRows?: Map<string, { columns: string[]; rows: Row[] }>;
}

/** Lazily builds and caches each table's key assigner; a child asks its parent for key values by index. */
export class KeyContext {
  private readonly cache = new Map<string, TableKeys>();
  constructor(readonly options: KeyContextOptions) {}

  table(ref: { schema: string; name: string }): TableKeys {
    const key = tableKey(ref);
    let k = this.cache.get(key);
    if (!k) {
      const table = findTable(this.options.schema, ref);
      if (!table) throw new Error(`internal: unknown table ${key}`);
      k = new TableKeys(this, table);
      this.cache.set(key, k);
    }
    return k;
  }

  /**
   * Throws now what generating `tables` would throw later (key spaces too small, too few distinct parent pairs,
   * NOT NULL FKs to empty parents), so an impossible scale is refused before a shadow exists.
   */
  assertFeasible(tables: Array<{ schema: string; name: string }>): void {
    for (const ref of tables) {
      const cached = this.cache.has(tableKey(ref));
      this.table(ref).assertFeasible();
      if (!cached) this.release(ref);
    }
  }

  /** Frees the parent-index arrays of a table once its rows are out; they are rebuilt on demand. */
  release(ref: { schema: string; name: string }): void {
    this.cache.delete(tableKey(ref));
  }

  rows(ref: { schema: string; name: string }): number {
    return this.options.rowCounts.get(tableKey(ref)) ?? 0;
  }
}

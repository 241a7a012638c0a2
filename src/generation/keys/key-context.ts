/** The generation-wide key context: options shared by every table, and a cache of each table's key assigner. */
import type { DatabaseSchema } from '../../schema/model.js';
import { findTable, tableKey } from '../../schema/model.js';
import type { Row } from '../../schema/values.js';
import type { HydrationPlan } from '../../graph/plan.js';
import type { ChildCountHistogram } from '../model.js';
import type { FanOutRule } from '../fan-out.js';
import type { TableKeyStats } from './key-stats.js';
import { TableKeys, type ParentRows } from './table-keys.js';

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
  /** Parent rows a learned model predicts child counts for at a time (the generation's batch size); default 10 000. */
  predictionBatch?: number;
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

/**
 * What drawing a table's rows reads of its FKs' parents, drawn once and handed to another process that draws rows
 * of the same table (a load worker): `[table key, FK name, parents]` of every FK `TableKeys.drawnParents` names.
 * Typed arrays only, so it travels as it is (v8 serialize).
 */
export interface KeyState {
  /** The table whose rows read them. */
  table: string;
  parents: Array<[string, string, ParentRows]>;
}

/** Lazily builds and caches each table's key assigner; a child asks its parent for key values by index. */
export class KeyContext {
  private readonly cache = new Map<string, TableKeys>();
  /** Parents drawn once for a table's rows (`keyState`, `adopt`), by that table's key, then by `table.fk`. */
  private readonly adopted = new Map<string, Map<string, ParentRows>>();
  constructor(readonly options: KeyContextOptions) {}

  /**
   * The parents drawing `ref`'s rows reads, drawn now, for another process to `adopt`. This context keeps them
   * too, until `ref` is released: a parent released before (partsupp, drawn before lineitem) is not drawn again.
   */
  keyState(ref: { schema: string; name: string }): KeyState {
    const state: KeyState = { table: tableKey(ref), parents: this.table(ref).drawnParents() };
    this.adopt(state);
    return state;
  }

  /** Takes the parents another process drew for `state.table` instead of drawing them (the same, from the same seed). */
  adopt(state: KeyState): void {
    this.adopted.set(state.table, new Map(state.parents.map(([table, fk, rows]) => [`${table}.${fk}`, rows] as const)));
  }

  /** An FK's parents as adopted, if they were. */
  given(table: string, fk: string): ParentRows | undefined {
    for (const m of this.adopted.values()) {
      const rows = m.get(`${table}.${fk}`);
      if (rows) return rows;
    }
    return undefined;
  }

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

  /** Frees the parent-index arrays of a table once its rows are out (and those adopted for it); they are rebuilt on demand. */
  release(ref: { schema: string; name: string }): void {
    this.cache.delete(tableKey(ref));
    this.adopted.delete(tableKey(ref));
  }

  rows(ref: { schema: string; name: string }): number {
    return this.options.rowCounts.get(tableKey(ref)) ?? 0;
  }
}

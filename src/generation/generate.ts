/**
 * Generation: streams each table's rows batch by batch. Keys come from the key assigner (index-based, so
 * nothing generated is kept across tables), attributes from the table's model.
 */
import type { UpdateBatch } from '../connectors/connector.js';
import type { DatabaseSchema, ForeignKey, Table, TableRef } from '../schema/model.js';
import { findTable, tableKey, writableColumns } from '../schema/model.js';
import type { Row, RowBatch, Value } from '../schema/values.js';
import type { HydrationPlan } from '../graph/plan.js';
import { conformValue } from './conform.js';
import type { ModelSet } from './fit.js';
import { KeyContext, type KeyState, type TableKeyStats } from './keys/index.js';
import type { AttributeModel, ChildCountHistogram, Rng } from './model.js';
import { partitionFit } from './partition-fit.js';
import { createRng } from './rng.js';
import { seedScope } from './seed-scope.js';
import { fanOutMap } from './data-rules.js';
import { constantFanOut, fanOutKey } from './fan-out.js';
import { RuleApplier, type RowLocalRules, type TableRuleApplier } from './apply-rules.js';
import { RetainedColumns } from './retained-columns.js';
import { roleForeignKeys } from './parent-roles.js';
import { referenceKey } from './reference-tables.js';

export interface GenerationOptions {
  /** Rows per table = round(scale × source rows × tableScale(table)). */
  scale: number;
  seed: number;
  batchSize?: number;
  tableScale?: (t: TableRef) => number;
  /** Reference tables copied verbatim, by table key: all their rows, read from the source (whatever the scale). */
  reference?: Map<string, { columns: string[]; rows: Row[] }>;
  /**
   * The caller passes every table's final rows through `conform` (after the copy filters): the data rules are
   * applied there instead of in `rows`, so nothing after them can break an invariant again.
   */
  conformAfter?: boolean;
  /**
   * Parents' final values their children's order invariants anchor on, by table key, given instead of generated
   * here: a parallel load's worker gets them from the main process (pipeline/load-parallel.ts) and draws no parent.
   */
  anchors?: ReadonlyMap<string, RetainedColumns>;
  /**
   * Tables generated elsewhere, by table key: what their generation leaves for later tables (`Generation.state`),
   * given instead of generating them again. A parallel load's worker gets it from the main process.
   */
  given?: ReadonlyMap<string, GenerationState>;
}

/**
 * What generating a table leaves for later tables: its rows' values that conditioned children read as context, and
 * the children per row its learned count heads predicted, by `child table key.FK name`.
 */
export interface GenerationState {
  retained?: RetainedColumns;
  counts: Array<[string, Uint32Array]>;
}

/**
 * A batch of generated rows; for a conditioned model also the context each row was drawn with (its parents'
 * attributes, null for a row without parents), so a later stage can draw a row's attributes again alike.
 */
export interface GeneratedBatch extends RowBatch {
  context?: Array<Row | null>;
  /** With a window: the batch's first row index and batch number in the table (conform applies the rules there). */
  start?: number;
  batch?: number;
  /**
   * With `conformAfter`: the table's row-local data rules (apply-rules.ts `rowLocal`), built on first call, so the copy
   * filters judge a row as the rules will leave it (a region the location fakes draw can recreate a real row).
   */
  rowLocal?: () => RowLocalRules | null;
}

/** Rows [start, end) of a table: a shard of a distributed run (src/distributed/shard-rows.ts). */
export interface RowWindow {
  start: number;
  end: number;
}

export interface Generation {
  /** Planned rows per table key. */
  rowCounts: Map<string, number>;
  /**
   * Call in plan order; columns = writable columns (generated columns are left to the database). With `window`,
   * only the batches overlapping it are drawn (each batch is seeded by its number alone); the table's retained rows
   * and predicted child counts are then incomplete, so no child of it may be generated after.
   */
  rows(table: TableRef, window?: RowWindow): AsyncIterable<GeneratedBatch>;
  /** What generating `key` (whole, drawn already) left for later tables; a window leaves it incomplete. */
  state(key: string): GenerationState;
  /**
   * The FK parents drawing `table`'s rows reads, drawn now (call once the tables its keys read are drawn), kept for
   * its rows here and handed to another process (`adoptKeys`) that draws rows of it too.
   */
  keyState(table: TableRef): KeyState;
  /** Parents another process drew for a table's rows (`keyState`), used instead of drawing them again. */
  adoptKeys(state: KeyState): void;
  /** Fills FKs loaded as NULL (cycle edges); call after every table is loaded. */
  deferredUpdates(table: TableRef): AsyncIterable<UpdateBatch>;
  /** With `conformAfter`: applies the data rules to a table's final rows (same rows, same order); else a pass-through. */
  conform<B extends RowBatch>(table: TableRef, batches: AsyncIterable<B>): AsyncIterable<B>;
}

export const DEFAULT_BATCH_SIZE = 10_000;

function requireTable(schema: DatabaseSchema, ref: TableRef): Table {
  const t = findTable(schema, ref);
  if (!t) throw new Error(`internal: ${tableKey(ref)} is not in the schema`);
  return t;
}

export function plannedRowCounts(plan: HydrationPlan, models: ModelSet, options: GenerationOptions): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of plan.steps) {
    const key = tableKey(s.table);
    const source = models.tables.get(key)?.sourceRows ?? 0;
    const factor = options.scale * (options.tableScale?.(s.table) ?? 1);
    // A non-empty source table keeps at least one row: small lookup tables would otherwise vanish at low
    // scales and leave every NOT NULL child without a parent.
    const n = Math.max(0, Math.round(source * factor));
    counts.set(key, source > 0 && factor > 0 ? Math.max(1, n) : n);
  }
  return counts;
}

/**
 * Where each context column comes from: `fk::column` of a non-primary FK names that parent's column; anything else
 * is a column of the primary parent. null: no such parent (the column is then NULL).
 */
function contextSources(table: Table, primaryParent: string | null, contextColumns: string[]): Array<{ fk: ForeignKey; column: string } | null> {
  const primary = table.foreignKeys.find((f) => f.name === primaryParent);
  return contextColumns.map((c) => {
    const sep = c.indexOf('::');
    const other = sep >= 0 ? table.foreignKeys.find((f) => f.name === c.slice(0, sep) && f.name !== primaryParent) : undefined;
    if (other) return { fk: other, column: c.slice(sep + 2) };
    return primary ? { fk: primary, column: c } : null;
  });
}

/** A model that predicts children per row (the learned model's count heads), by `child table key.FK name`: whole counts ≥ 0. */
interface CountHeadModel extends AttributeModel {
  readonly childCountForeignKeys: string[];
  predictChildCounts(rows: Row[], foreignKey: string, rng: Rng, context: Row[] | null): number[];
}

function hasCountHeads(m: AttributeModel): m is CountHeadModel {
  const c = m as Partial<CountHeadModel>;
  return Array.isArray(c.childCountForeignKeys) && typeof c.predictChildCounts === 'function';
}

/**
 * Row counts the data rules fix: a copied table has its source rows; a child whose every parent has exactly k
 * children (through its primary FK, else its first such FK) gets k × the parent's rows, so the fan-out can be exact,
 * unless the config scales child and parent differently (then the child's own scale wins; a copied parent keeps its
 * rows at any scale, so only a run at scale 1 ties the child to it).
 */
export function alignRowCounts(
  schema: DatabaseSchema,
  plan: HydrationPlan,
  models: ModelSet,
  counts: Map<string, number>,
  reference?: Map<string, { rows: Row[] }>,
  scale: { global: number; table?: (t: TableRef) => number } = { global: 1 },
): void {
  const tableScale = (t: TableRef): number => (reference?.has(tableKey(t)) ? 1 / scale.global : (scale.table?.(t) ?? 1));
  for (const [key, ref] of reference ?? []) counts.set(key, ref.rows.length);
  const rules = fanOutMap(models.rules);
  for (const step of plan.steps) {
    const key = tableKey(step.table);
    const table = findTable(schema, step.table);
    if (!table || reference?.has(key) || (counts.get(key) ?? 0) === 0) continue;
    const fks = table.foreignKeys.filter((f) => rules.get(fanOutKey(table, f.name))?.kind === 'constant' && tableKey(f.references) !== key);
    const fk = fks.find((f) => f.name === step.primaryParent) ?? fks[0];
    if (!fk || (models.tables.get(key)?.fkNullRates[fk.name] ?? 0) > 0) continue;
    if (tableScale(table) !== tableScale(fk.references)) continue;
    const k = constantFanOut(models.tables.get(key)?.histograms.find((h) => h.foreignKey === fk.name));
    const parents = counts.get(tableKey(fk.references)) ?? 0;
    if (k !== null && parents > 0) counts.set(key, k * parents);
  }
}

/** The real children of each copied parent row, in the order the rows are copied, by `child table key.FK name`. */
function alignCopiedCounts(schema: DatabaseSchema, models: ModelSet, reference?: Map<string, { columns: string[]; rows: Row[] }>): Map<string, Uint32Array> {
  const out = new Map<string, Uint32Array>();
  for (const entry of models.rules?.copiedCounts ?? []) {
    const fk = findTable(schema, entry.child)?.foreignKeys.find((f) => f.name === entry.foreignKey);
    const parent = fk ? reference?.get(tableKey(fk.references)) : undefined;
    if (!fk || !parent) continue;
    const idx = fk.references.columns.map((c) => parent.columns.indexOf(c));
    if (idx.some((i) => i < 0)) continue;
    out.set(`${tableKey(entry.child)}.${entry.foreignKey}`, Uint32Array.from(parent.rows, (r) => entry.byKey[referenceKey(idx.map((i) => r[i] as Value)) ?? ''] ?? 0));
  }
  return out;
}

export function createGeneration(schema: DatabaseSchema, plan: HydrationPlan, models: ModelSet, options: GenerationOptions): Generation {
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const rowCounts = plannedRowCounts(plan, models, options);
  alignRowCounts(schema, plan, models, rowCounts, options.reference, { global: options.scale, ...(options.tableScale ? { table: options.tableScale } : {}) });
  const fanOuts = fanOutMap(models.rules);
  const copiedCounts = alignCopiedCounts(schema, models, options.reference);
  const keyStats = new Map<string, TableKeyStats>();
  const histograms = new Map<string, ChildCountHistogram[]>();
  const fkNullRates = new Map<string, Record<string, number>>();
  for (const [k, m] of models.tables) {
    keyStats.set(k, m.keyStats);
    histograms.set(k, m.histograms);
    fkNullRates.set(k, m.fkNullRates);
  }
  // Children per generated parent row, predicted by the parent's learned count heads while the parent streams out:
  // whole counts (a head draws a count), so 4 bytes a parent row hold them exactly.
  const predictedCounts = new Map<string, Uint32Array>();
  const roleFks = roleForeignKeys(models.rules?.parentRoles);
  const keys = new KeyContext({
    schema,
    plan,
    rowCounts,
    keyStats,
    histograms,
    fkNullRates,
    seed: options.seed,
    // A parent role (parent-roles.ts) marks the parents with children before the parent is drawn, so its FK's
    // children are placed without the parent's predicted counts, which exist only once the parent is.
    childCountWeights: (childKey, fk) => (roleFks.has(`${childKey}.${fk}`) ? undefined : predictedCounts.get(`${childKey}.${fk}`)),
    fanOuts,
    predictionBatch: batchSize,
    ...(options.reference ? { fixedRows: options.reference } : {}),
    copiedParentCounts: (childKey, fk) => copiedCounts.get(`${childKey}.${fk}`),
  });
  // Refuse an impossible scale here, before the caller creates a shadow and loads the first table.
  keys.assertFeasible(plan.steps.map((s) => s.table));

  // Parents whose generated rows a conditioned (learned) child needs as context: kept only for those.
  const retainFor = new Map<string, string[]>();
  for (const s of plan.steps) {
    const m = models.tables.get(tableKey(s.table))?.model;
    if (!m || m.contextColumns.length === 0) continue;
    for (const src of contextSources(requireTable(schema, s.table), s.primaryParent, m.contextColumns)) {
      if (!src) continue;
      const parent = tableKey(src.fk.references);
      retainFor.set(parent, [...new Set([...(retainFor.get(parent) ?? []), src.column])]);
    }
  }
  const applier = new RuleApplier(schema, keys, models.rules, rowCounts, options.seed, options.anchors);
  const rulesFor = (table: Table, names: string[]): TableRuleApplier =>
    applier.forTable(table, names, models.tables.get(tableKey(table))?.model.kind === 'learned');
  const retained = new Map<string, RetainedColumns>();
  // The count heads each drawn table filled (`state`).
  const headsOf = new Map<string, string[]>();
  for (const [key, g] of options.given ?? []) {
    if (g.retained) retained.set(key, g.retained);
    for (const [h, counts] of g.counts) predictedCounts.set(h, counts);
    headsOf.set(key, g.counts.map(([h]) => h));
  }
  // `child.fk` of every FK with a parent in the schema: the names a parent's count heads are trained under.
  // Each maps to the label its draws are seeded under (seed-scope.ts: the same whatever the source database is called).
  const countedChildren = new Map<string, string>(schema.tables.flatMap((t) => t.foreignKeys.map((f) => [`${tableKey(t)}.${f.name}`, `${seedScope(schema, t)}.${f.name}`])));

  async function* rows(ref: TableRef, window?: RowWindow): AsyncIterable<GeneratedBatch> {
    const table = requireTable(schema, ref);
    const key = tableKey(table);
    const n = rowCounts.get(key) ?? 0;
    const tm = models.tables.get(key);
    const tk = keys.table(table);
    const columns = writableColumns(table);
    const names = columns.map((c) => c.name);
    const nullFirst = new Set(tk.nullFirstForeignKeys().flatMap((fk) => fk.columns));
    const model = tm?.model ?? null;
    const attrIndex = new Map((model?.columns ?? []).map((c, i) => [c, i] as const));
    type Source = { kind: 'key'; read: (i: number) => Value } | { kind: 'null' } | { kind: 'attr'; index: number } | { kind: 'missing' };
    const sources: Source[] = columns.map((c) => {
      if (nullFirst.has(c.name)) return { kind: 'null' };
      if (tk.isKeyColumn(c.name)) return { kind: 'key', read: tk.valueReader(c.name) };
      const i = attrIndex.get(c.name);
      return i === undefined ? { kind: 'missing' } : { kind: 'attr', index: i };
    });

    const partition = partitionFit(table, columns);
    const keep = retainFor.get(key);
    const keepIdx = keep?.map((c) => names.indexOf(c)) ?? [];
    const kept = keep ? new RetainedColumns(keep) : null;

    const rules = options.conformAfter ? null : rulesFor(table, names);
    let local: RowLocalRules | null | undefined;
    const rowLocal = options.conformAfter ? { rowLocal: () => (local === undefined ? (local = rulesFor(table, names).rowLocal) : local) } : {};
    const copied = options.reference?.get(key);
    if (copied) {
      // Reference data: the source's rows as they are (FK columns loaded NULL-first still wait for their UPDATE).
      const from = names.map((c) => (nullFirst.has(c) ? -1 : copied.columns.indexOf(c)));
      for (let start = 0, b = 0; start < copied.rows.length; start += batchSize, b++) {
        const out = copied.rows.slice(start, start + batchSize).map((src) => from.map((j) => (j >= 0 ? ((src[j] ?? null) as Value) : null)));
        if (kept) for (const row of out) kept.push(row, keepIdx);
        rules?.apply(out, start, b);
        yield { columns: names, rows: out };
      }
      if (kept) retained.set(key, kept.seal());
      rules?.done();
      keys.release(table);
      return;
    }

    // Context for a conditioned model: per context column, the retained row of the parent its FK gave this row
    // (the primary parent's columns, then other parents' `fk::column`).
    const step = plan.steps.find((s) => tableKey(s.table) === key);
    type Ctx = { parentOf: (i: number) => number; parent: RetainedColumns; col: number } | null;
    let context: Ctx[] | null = null;
    if (model && model.contextColumns.length > 0) {
      const idxCache = new Map<string, (i: number) => number>();
      context = contextSources(table, step?.primaryParent ?? null, model.contextColumns).map((src) => {
        const parent = src ? retained.get(tableKey(src.fk.references)) : undefined;
        if (!src || !parent) return null;
        let parentOf = idxCache.get(src.fk.name);
        if (!parentOf) idxCache.set(src.fk.name, (parentOf = tk.parentReader(src.fk.name)));
        return { parentOf, parent, col: parent.columns.indexOf(src.column) };
      });
      if (context.every((c) => c === null)) context = null;
    }

    const heads = model && hasCountHeads(model) ? model.childCountForeignKeys.filter((h) => countedChildren.has(h)) : [];
    for (const h of heads) predictedCounts.set(h, new Uint32Array(n));
    headsOf.set(key, heads);

    for (let start = 0, b = 0; start < n; start += batchSize, b++) {
      const count = Math.min(batchSize, n - start);
      if (window && (start + count <= window.start || start >= window.end)) continue;
      let ctxRows: Row[] | null = null;
      if (context) {
        ctxRows = new Array(count);
        for (let r = 0; r < count; r++) {
          let any = false;
          const row = context.map((c) => {
            const p = c ? c.parentOf(start + r) : -1;
            if (!c || p < 0 || p >= c.parent.rows) return null;
            any = true;
            return c.col >= 0 ? c.parent.get(p, c.col) : null;
          });
          ctxRows[r] = any ? row : (null as unknown as Row);
        }
      }
      const attrs = model ? model.sample(count, ctxRows, createRng(options.seed, `attr:${seedScope(schema, table)}:${b}`)) : [];
      if (heads.length > 0 && model && hasCountHeads(model)) {
        for (const h of heads) {
          const predicted = model.predictChildCounts(attrs, h, createRng(options.seed, `count:${countedChildren.get(h)!}:${b}`), ctxRows);
          predictedCounts.get(h)!.set(predicted, start);
        }
      }
      const out: Row[] = new Array(count);
      for (let r = 0; r < count; r++) {
        const i = start + r;
        const row: Row = new Array(columns.length);
        for (let c = 0; c < columns.length; c++) {
          const src = sources[c]!;
          if (src.kind === 'key') row[c] = src.read(i);
          else if (src.kind === 'null') row[c] = null;
          else if (src.kind === 'attr') row[c] = (attrs[r]?.[src.index] ?? null) as Value;
          else row[c] = conformValue(null, columns[c]!);
        }
        out[r] = row;
      }
      rules?.apply(out, start, b);
      for (const row of out) {
        if (partition) row[partition.column] = partition.fit(row[partition.column] as Value);
        if (kept) kept.push(row, keepIdx);
      }
      const at = window ? { start, batch: b } : {};
      yield ctxRows ? { columns: names, rows: out, context: ctxRows, ...at, ...rowLocal } : { columns: names, rows: out, ...at, ...rowLocal };
    }
    if (kept) retained.set(key, kept.seal());
    rules?.done();
    keys.release(table);
  }

  async function* conformRows<B extends RowBatch>(ref: TableRef, batches: AsyncIterable<B>): AsyncIterable<B> {
    const table = requireTable(schema, ref);
    let rules: TableRuleApplier | null = null;
    let start = 0;
    let b = 0;
    for await (const batch of batches) {
      rules ??= rulesFor(table, batch.columns);
      // A windowed batch says where it sits; others follow each other from row 0.
      const at = batch as Partial<Pick<GeneratedBatch, 'start' | 'batch'>>;
      if (at.start !== undefined && at.batch !== undefined) [start, b] = [at.start, at.batch];
      rules.apply(batch.rows, start, b++);
      start += batch.rows.length;
      yield batch;
    }
    rules?.done();
    keys.release(table);
  }

  function conform<B extends RowBatch>(ref: TableRef, batches: AsyncIterable<B>): AsyncIterable<B> {
    return options.conformAfter ? conformRows(ref, batches) : batches;
  }

  async function* deferredUpdates(ref: TableRef): AsyncIterable<UpdateBatch> {
    const table = requireTable(schema, ref);
    const tk = keys.table(table);
    const identity = tk.rowIdentity();
    const fks = tk.nullFirstForeignKeys();
    if (!identity || fks.length === 0) return;
    const n = rowCounts.get(tableKey(table)) ?? 0;
    for (const fk of fks) {
      let batch: Row[] = [];
      for (let i = 0; i < n; i++) {
        // The values, not the drawn parent index: a copied (reference) table writes its real FK values, whichever
        // rows the generated NULL share would have picked.
        const values = fk.columns.map((c) => tk.valueAt(c, i));
        if (values.every((v) => v === null)) continue;
        batch.push([...identity.map((c) => tk.valueAt(c, i)), ...values]);
        if (batch.length >= batchSize) {
          yield { keyColumns: identity, setColumns: fk.columns, rows: batch };
          batch = [];
        }
      }
      if (batch.length) yield { keyColumns: identity, setColumns: fk.columns, rows: batch };
    }
    keys.release(table);
  }

  function state(key: string): GenerationState {
    const kept = retained.get(key);
    return { ...(kept ? { retained: kept } : {}), counts: (headsOf.get(key) ?? []).map((h) => [h, predictedCounts.get(h)!] as [string, Uint32Array]) };
  }

  return { rowCounts, rows, state, keyState: (t) => keys.keyState(t), adoptKeys: (k) => keys.adopt(k), deferredUpdates, conform };
}

/**
 * What a learned model needs from the source beyond its own random sample: the actual primary parent of every
 * sampled row (a parent's own random sample holds few of them, so most child rows would train without context)
 * and, for every FK that references a learned table, how many children each of its sampled rows has (the
 * training target of the parent's count heads). Both are read by key, bounded by the sample sizes.
 */
import type { SourceConnector } from '../connectors/connector.js';
import type { HydrationPlan } from '../graph/plan.js';
import type { SampleChildCounts } from '../generation/fit.js';
import type { ColumnMeta, TableSample } from '../generation/model.js';
import { attributeColumns, describeColumns } from '../generation/metadata.js';
import { otherParentColumn, type AlignedContext } from '../generation/fit.js';
import { findTable, tableKey, writableColumns, type DatabaseSchema, type Table, type TableRef } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';
import { keysOf } from './sample-keys.js';

export interface LearnedContext {
  parentRows: Map<string, TableSample>;
  childCounts: Map<string, SampleChildCounts[]>;
  /** Child table key → attributes of the rows its other FKs reference, aligned with its sample rows. */
  otherParents: Map<string, AlignedContext>;
}

/** Most columns of one other parent that become context (the lowest-cardinality ones). */
const OTHER_PARENT_COLUMNS = 3;
const CONTEXT_ROLES = new Set(['numerical', 'categorical', 'datetime', 'boolean']);

/** Count heads are keyed by child table and FK name: FK names repeat across tables. */
export function childCountKey(child: TableRef, foreignKey: string): string {
  return `${tableKey(child)}.${foreignKey}`;
}

export async function readLearnedContext(
  source: SourceConnector,
  schema: DatabaseSchema,
  plan: HydrationPlan,
  samples: Map<string, TableSample>,
  isLearned: (t: TableRef) => boolean,
  transform: (table: Table, sample: TableSample) => Promise<TableSample> = async (_t, s) => s,
): Promise<LearnedContext> {
  const out: LearnedContext = { parentRows: new Map(), childCounts: new Map(), otherParents: new Map() };
  for (const step of plan.steps) {
    const table = findTable(schema, step.table);
    const sample = samples.get(tableKey(step.table));
    if (!table || !sample || !isLearned(table) || sample.rows.length === 0) continue;

    const fk = table.foreignKeys.find((f) => f.name === step.primaryParent);
    const parent = fk ? findTable(schema, fk.references) : undefined;
    const childKeys = fk ? keysOf(sample, fk.columns) : null;
    if (fk && parent && childKeys && source.readRowsByKeys && tableKey(parent) !== tableKey(table)) {
      const parentSample = samples.get(tableKey(parent));
      const columns = writableColumns(parent).map((c) => c.name);
      const rows: Row[] = [];
      for await (const batch of source.readRowsByKeys(parent, columns, fk.references.columns, distinct(childKeys))) rows.push(...batch.rows);
      const raw: TableSample = { table: { schema: parent.schema, name: parent.name }, totalRows: parentSample?.totalRows ?? rows.length, columns, rows };
      out.parentRows.set(tableKey(table), await transform(parent, raw));
    }

    if (source.readRowsByKeys) {
      const other = await readOtherParents(source, schema, table, step, sample, samples, transform);
      if (other.columns.length > 0) out.otherParents.set(tableKey(table), other);
    }

    if (!source.countChildrenByKeys) continue;
    const heads: SampleChildCounts[] = [];
    for (const child of schema.tables) {
      for (const f of child.foreignKeys) {
        if (tableKey(f.references) !== tableKey(table) || tableKey(child) === tableKey(table)) continue;
        const keys = keysOf(sample, f.references.columns);
        if (!keys) continue;
        const counts = await source.countChildrenByKeys(child, f, keys);
        heads.push({ foreignKey: childCountKey(child, f.name), childTable: { schema: child.schema, name: child.name }, counts });
      }
    }
    if (heads.length > 0) out.childCounts.set(tableKey(table), heads);
  }
  return out;
}

/** The keys without duplicates, and without those holding a NULL (which match nothing). */
export function distinct(keys: Row[]): Row[] {
  const seen = new Set<string>();
  const out: Row[] = [];
  for (const k of keys) {
    if (k.some((v) => v === null)) continue;
    const t = k.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v))).join('\u0000');
    if (seen.has(t)) continue;
    seen.add(t);
    out.push(k);
  }
  return out;
}

function norm(values: Row): string {
  return values.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v))).join('\u0000');
}

/**
 * The rows the table's other FKs (neither the primary parent nor self-references) point at, as context columns
 * `fk::column` aligned with the sample: the child's attributes then learn how they go with those parents (an
 * invoice line's price with its track's price), and generation conditions on the parent each row was given.
 */
async function readOtherParents(
  source: SourceConnector,
  schema: DatabaseSchema,
  table: Table,
  step: HydrationPlan['steps'][number],
  sample: TableSample,
  samples: Map<string, TableSample>,
  transform: (table: Table, sample: TableSample) => Promise<TableSample>,
): Promise<AlignedContext> {
  const columns: string[] = [];
  const meta: ColumnMeta[] = [];
  const parts: Array<{ rows: Array<Row | null>; width: number }> = [];
  for (const fk of table.foreignKeys) {
    const parent = findTable(schema, fk.references);
    // Deferred (cycle) edges are filled after their parents may be generated: no parent row to condition on then.
    if (fk.name === step.primaryParent || !parent || tableKey(parent) === tableKey(table) || step.deferred.some((d) => d.foreignKey === fk.name)) continue;
    const childKeys = keysOf(sample, fk.columns);
    if (!childKeys) continue;
    const read = [...fk.references.columns, ...attributeColumns(parent).map((c) => c.name).filter((c) => !fk.references.columns.includes(c))];
    const rows: Row[] = [];
    for await (const batch of source.readRowsByKeys!(parent, read, fk.references.columns, distinct(childKeys))) rows.push(...batch.rows);
    const parentSample = await transform(parent, { table: { schema: parent.schema, name: parent.name }, totalRows: rows.length, columns: read, rows });
    const parentMeta = describeColumns(parent, parentSample);
    // The parent generates its personal columns as fresh fakes, never a value the child's model was conditioned on.
    const personal = parentSample.piiKinds ?? samples.get(tableKey(parent))?.piiKinds ?? {};
    // A column the child also has (an order line's unit_price and its product's) first: the child's value follows
    // it. Then low-cardinality attributes: they carry the trends the report measures without bloating the model.
    const candidates = read
      .slice(fk.references.columns.length)
      .filter((c) => personal[c] === undefined && CONTEXT_ROLES.has(parentMeta.find((m) => m.column === c)?.role ?? ''))
      .map((c) => ({ c, shared: sample.columns.includes(c) ? 0 : 1, distinct: new Set(parentSample.rows.map((r) => String(r[read.indexOf(c)]))).size }))
      .sort((a, b) => a.shared - b.shared || a.distinct - b.distinct)
      .slice(0, OTHER_PARENT_COLUMNS)
      .map((x) => x.c);
    if (candidates.length === 0) continue;
    const k = fk.references.columns.length;
    const byKey = new Map(parentSample.rows.map((r) => [norm(r.slice(0, k)), r]));
    const idx = candidates.map((c) => read.indexOf(c));
    parts.push({
      width: idx.length,
      rows: childKeys.map((key) => {
        const p = key.some((v) => v === null) ? undefined : byKey.get(norm(key));
        return p ? idx.map((i) => (p[i] ?? null) as Value) : null;
      }),
    });
    for (const c of candidates) {
      columns.push(otherParentColumn(fk.name, c));
      const m = parentMeta.find((x) => x.column === c)!;
      meta.push({ ...m, table: { schema: table.schema, name: table.name }, column: otherParentColumn(fk.name, c) });
    }
  }
  // One row per sample row: each FK's part, NULLs where that parent is missing (NULL FK).
  const rows: Array<Row | null> = sample.rows.map((_, r) => {
    const row: Row = [];
    for (const p of parts) row.push(...(p.rows[r] ?? new Array<Value>(p.width).fill(null)));
    return row;
  });
  return { columns, rows, meta };
}

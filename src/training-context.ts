/**
 * What a learned model needs from the source beyond its own random sample: the actual primary parent of every
 * sampled row (a parent's own random sample holds few of them, so most child rows would train without context)
 * and, for every FK that references a learned table, how many children each of its sampled rows has (the
 * training target of the parent's count heads). Both are read by key, bounded by the sample sizes.
 */
import type { SourceConnector } from './connectors/connector.js';
import type { HydrationPlan } from './graph/plan.js';
import type { SampleChildCounts } from './generation/fit.js';
import type { TableSample } from './generation/model.js';
import { findTable, tableKey, writableColumns, type DatabaseSchema, type Table, type TableRef } from './schema/model.js';
import type { Row, Value } from './schema/values.js';

export interface LearnedContext {
  parentRows: Map<string, TableSample>;
  childCounts: Map<string, SampleChildCounts[]>;
}

/** Count heads are keyed by child table and FK name: FK names repeat across tables. */
export function childCountKey(child: TableRef, foreignKey: string): string {
  return `${tableKey(child)}.${foreignKey}`;
}

function keysOf(sample: TableSample, columns: string[]): Row[] | null {
  const idx = columns.map((c) => sample.columns.indexOf(c));
  if (idx.some((i) => i < 0)) return null;
  return sample.rows.map((r) => idx.map((i) => (r[i] ?? null) as Value));
}

export async function readLearnedContext(
  source: SourceConnector,
  schema: DatabaseSchema,
  plan: HydrationPlan,
  samples: Map<string, TableSample>,
  isLearned: (t: TableRef) => boolean,
  transform: (table: Table, sample: TableSample) => Promise<TableSample> = async (_t, s) => s,
): Promise<LearnedContext> {
  const out: LearnedContext = { parentRows: new Map(), childCounts: new Map() };
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

function distinct(keys: Row[]): Row[] {
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

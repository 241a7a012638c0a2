/**
 * Learns the parent aggregate rules (generation/parent-aggregates.ts): for every FK where the samples leave a rule
 * possible (aggregatesPossible: the totals match, or a bound is within reach), the children of (up to MAX_PARENTS
 * of) the sampled parent rows are read by key and the sums compared. Other FKs cost no query.
 */
import type { SourceConnector } from '../connectors/connector.js';
import type { FanOutRule } from '../generation/fan-out.js';
import { keyColumnNames } from '../generation/metadata.js';
import type { ChildCountHistogram, TableSample } from '../generation/model.js';
import type { OrderInvariant } from '../generation/order-invariants.js';
import type { ParentCopyRule } from '../generation/parent-copies.js';
import { aggregatesPossible, detectParentAggregates, type AggregateRule } from '../generation/parent-aggregates.js';
import { findTable, tableKey, type DatabaseSchema, type Table } from '../schema/model.js';
import type { Row } from '../schema/values.js';
import { histogramOf, keysOf } from './sample-keys.js';

/** Sampled parents whose children are read: enough support for a rule that must hold on every one, ... */
const MAX_PARENTS = 2000;
/** ... and about this many children at most (a supplier with 600 lines each reads fewer suppliers). */
const MAX_CHILDREN = 20_000;

function numericColumns(table: Table): string[] {
  const keys = keyColumnNames(table);
  return table.columns
    .filter((c) => (c.type.kind === 'integer' || c.type.kind === 'decimal' || c.type.kind === 'float') && !keys.has(c.name) && c.generated === null)
    .map((c) => c.name);
}

/** The rules learned before these, whose columns a derived value would break. */
export interface OtherRules {
  fanOuts: FanOutRule[];
  invariants: OrderInvariant[];
  /** A child column that repeats its parent's: neither side may be rewritten after the load. */
  parentCopies?: ParentCopyRule[];
}

/** Columns another rule writes or anchors on, which a derived value would break: `schema.table.column`. */
function ruledColumns(schema: DatabaseSchema, { fanOuts, invariants, parentCopies = [] }: OtherRules): Set<string> {
  const out = new Set<string>();
  for (const r of parentCopies) {
    out.add(`${tableKey(r.table)}.${r.column}`);
    const fk = findTable(schema, r.table)?.foreignKeys.find((f) => f.name === r.foreignKey);
    if (fk) out.add(`${tableKey(fk.references)}.${r.parentColumn}`);
  }
  for (const r of fanOuts) {
    if (r.kind !== 'column') continue;
    const fk = findTable(schema, r.child)?.foreignKeys.find((f) => f.name === r.foreignKey);
    if (fk) out.add(`${tableKey(fk.references)}.${r.column}`);
  }
  for (const inv of invariants) {
    out.add(`${tableKey(inv.table)}.${inv.column}`);
    const fk = inv.anchor.foreignKey === undefined ? undefined : findTable(schema, inv.table)?.foreignKeys.find((f) => f.name === inv.anchor.foreignKey);
    out.add(`${fk ? tableKey(fk.references) : tableKey(inv.table)}.${inv.anchor.column}`);
  }
  return out;
}

export async function learnAggregates(
  source: SourceConnector,
  schema: DatabaseSchema,
  samples: Map<string, TableSample>,
  histograms: ChildCountHistogram[],
  skip: (t: Table) => boolean,
  others: OtherRules,
  minSupport: number,
): Promise<AggregateRule[]> {
  const out: AggregateRule[] = [];
  if (!source.readRowsByKeys) return out;
  const ruled = ruledColumns(schema, others);
  for (const child of schema.tables) {
    if (skip(child)) continue;
    const childNumbers = numericColumns(child);
    if (childNumbers.length === 0) continue;
    const fixedChildren = new Set(childNumbers.filter((c) => ruled.has(`${tableKey(child)}.${c}`)));
    for (const fk of child.foreignKeys) {
      const parent = findTable(schema, fk.references);
      const parentSample = parent ? samples.get(tableKey(parent)) : undefined;
      if (!parent || !parentSample || tableKey(parent) === tableKey(child)) continue;
      const childSample = samples.get(tableKey(child));
      const parentKeys = keysOf(parentSample, fk.references.columns);
      if (!childSample || !parentKeys) continue;
      // A copied parent keeps the source's values (its generated children share it): only its children's shares apply.
      const excluded = new Set(parent.columns.map((c) => c.name).filter((c) => skip(parent) || ruled.has(`${tableKey(parent)}.${c}`)));
      const histogram = histogramOf(histograms, child, fk.name);
      const withChildren = histogram ? histogram.counts.reduce((n, e) => n + (e.children > 0 ? e.parents : 0), 0) : parentSample.totalRows;
      if (!aggregatesPossible(parent, parentSample, child, childSample, withChildren, excluded)) continue;
      const perParent = childSample.totalRows / Math.max(1, parentSample.totalRows);
      const read = Math.min(MAX_PARENTS, Math.floor(MAX_CHILDREN / Math.max(1, perParent)));
      const rows = parentSample.rows.slice(0, read);
      if (rows.length < minSupport) continue;
      const keys = parentKeys.slice(0, read);
      const columns = [...new Set([...fk.columns, ...childNumbers])];
      const children: Row[] = [];
      for await (const batch of source.readRowsByKeys(child, columns, fk.columns, keys)) children.push(...batch.rows);
      out.push(...detectParentAggregates(parent, { columns: parentSample.columns, rows }, child, fk, { columns, rows: children }, { minSupport, excluded, fixedChildren }));
    }
  }
  // One rule per parent column (the first FK that explains it) and per child column (a share bounded through one FK).
  const seen = new Set<string>();
  return out.filter((r) => {
    const k = r.kind === 'sum' ? `sum:${tableKey(r.parent)}.${r.column}` : `share:${tableKey(r.child)}.${r.column}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Learns the copied-from-parent columns (generation/parent-copies.ts, on every row or on most: parent-copies-mostly.ts)
 * and the parent roles (generation/parent-roles.ts)
 * from the training samples: the copies from each child sample row's actual parent row, the roles from the children
 * of each sampled parent row, both read by key and bounded by the sample sizes (as learn-rules.ts reads them for the
 * order invariants and the fan-outs). Never under privacy: learn-rules.ts calls it only without.
 */
import type { SourceConnector } from '../connectors/connector.js';
import type { ChildCountHistogram, TableSample } from '../generation/model.js';
import type { AlignedParent } from '../generation/order-invariants.js';
import { detectParentCopies, type ParentCopyRule } from '../generation/parent-copies.js';
import { DEFAULT_MOSTLY_MIN_SHARE, withMostlyCopies } from '../generation/parent-copies-mostly.js';
import { consistentRoles, detectParentRoles, mayHoldRole, type ParentRoleRule } from '../generation/parent-roles.js';
import { findTable, tableKey, type DatabaseSchema, type Table } from '../schema/model.js';
import { histogramOf, keysOf } from './sample-keys.js';

/** The parent row of every row of `sample` through `fkName` (learn-rules.ts `alignedParent`). */
export type AlignParent = (child: Table, sample: TableSample, fkName: string, parent: Table, parentSample: TableSample | undefined) => Promise<AlignedParent | null>;

/** Child sample rows whose parents are read first (`learnParentCopies`). */
const PROBE_ROWS = 200;

export async function learnParentCopies(schema: DatabaseSchema, samples: Map<string, TableSample>, skip: (t: Table) => boolean, align: AlignParent, minSupport?: number): Promise<ParentCopyRule[]> {
  const out: ParentCopyRule[] = [];
  for (const table of schema.tables) {
    const sample = samples.get(tableKey(table));
    if (!sample || sample.rows.length === 0 || skip(table)) continue;
    const parents: AlignedParent[] = [];
    const parentTables = new Map<string, Table>();
    for (const fk of table.foreignKeys) {
      const parent = findTable(schema, fk.references);
      // A skipped parent has no rows to copy from; a self FK's parent is a row of the same batch, drawn alongside.
      if (!parent || tableKey(parent) === tableKey(table) || samples.get(tableKey(parent))?.totalRows === 0) continue;
      // A probe of the first rows' parents first: most FKs have no column equal on even those, and need no full read.
      const probe = sample.rows.length > PROBE_ROWS ? { ...sample, rows: sample.rows.slice(0, PROBE_ROWS) } : sample;
      const first = await align(table, probe, fk.name, parent, samples.get(tableKey(parent)));
      if (!first || !mayCopy(table, probe, first, parent)) continue;
      const aligned = probe === sample ? first : await align(table, sample, fk.name, parent, samples.get(tableKey(parent)));
      if (!aligned) continue;
      parents.push(aligned);
      parentTables.set(fk.name, parent);
    }
    const options = minSupport === undefined ? {} : { minSupport };
    out.push(...withMostlyCopies(table, sample, parents, parentTables, detectParentCopies(table, sample, parents, parentTables, options), options));
  }
  return out;
}

/** Whether a probe's rows show a column equal to the parent's on every row, or on most (a little under the share). */
function mayCopy(table: Table, probe: TableSample, aligned: AlignedParent, parent: Table): boolean {
  const parents = new Map([[aligned.foreignKey, parent]]);
  const loose = { minSupport: 1, maxChance: 1 };
  if (detectParentCopies(table, probe, [aligned], parents, loose).length > 0) return true;
  return withMostlyCopies(table, probe, [aligned], parents, [], { ...loose, minShare: DEFAULT_MOSTLY_MIN_SHARE - 0.1 }).length > 0;
}

/** Role rules of every FK whose parent is synthesized, from its sampled rows and their children counted by key. */
export async function learnParentRoles(source: SourceConnector, schema: DatabaseSchema, samples: Map<string, TableSample>, histograms: ChildCountHistogram[], skip: (t: Table) => boolean): Promise<ParentRoleRule[]> {
  const out: ParentRoleRule[] = [];
  if (!source.countChildrenByKeys) return out;
  for (const child of schema.tables) {
    if (skip(child)) continue;
    for (const fk of child.foreignKeys) {
      const parent = findTable(schema, fk.references);
      const sample = parent ? samples.get(tableKey(parent)) : undefined;
      // A copied parent keeps its real rows (and deals its children as in the source): nothing to enforce.
      if (!parent || !sample || sample.rows.length === 0 || tableKey(parent) === tableKey(child) || skip(parent)) continue;
      const keys = keysOf(sample, fk.references.columns);
      if (!keys) continue;
      // Every parent referenced (the histogram has no childless parents): no row without the role, nothing to count.
      const histogram = histogramOf(histograms, child, fk.name);
      const parents = histogram?.counts.reduce((n, e) => n + e.parents, 0) ?? 0;
      const childless = histogram?.counts.filter((e) => e.children === 0).reduce((n, e) => n + e.parents, 0) ?? 0;
      if (histogram && childless === 0) continue;
      const personal = new Set(Object.keys(sample.piiKinds ?? {}));
      // No column with a value common enough for a role: the count by key (a scan where the FK has no index) is saved.
      if (histogram && parents > 0 && !mayHoldRole(parent, sample, 1 - childless / parents, personal)) continue;
      // The same keys the fan-out rules count (learn-rules.ts): the run's cache answers the second time.
      const counts = await source.countChildrenByKeys(child, fk, keys);
      out.push(...detectParentRoles(parent, sample, counts, { schema: child.schema, name: child.name }, fk.name, personal));
    }
  }
  return consistentRoles(out);
}

/**
 * Learns the conditional NULLs (generation/conditional-nulls.ts) of every synthesized table from its training sample.
 * Columns another rule writes are left out (a column copied from the parent, a parent role, a count column, a faked
 * location and the address columns it reads, a personal column the PII plan fakes): redrawing a status those decide, or reading a NULL they rewrite,
 * would undo one rule with the other. Data-dependent: the caller learns none under privacy.
 */
import type { DataRules } from '../generation/data-rules.js';
import { detectConditionalNulls, type ConditionalNullRule } from '../generation/conditional-nulls.js';
import type { TableSample } from '../generation/model.js';
import { locationGroups } from '../generation/privacy/location-fakes.js';
import { findTable, tableKey, type DatabaseSchema, type Table } from '../schema/model.js';

export function learnConditionalNulls(schema: DatabaseSchema, samples: Map<string, TableSample>, skip: (t: Table) => boolean, rules: Omit<DataRules, 'reference' | 'invariants'>): ConditionalNullRule[] {
  const written = new Map<string, Set<string>>();
  const add = (key: string, column: string) => written.set(key, (written.get(key) ?? new Set()).add(column));
  for (const c of rules.parentCopies ?? []) add(tableKey(c.table), c.column);
  for (const r of rules.parentRoles ?? []) add(tableKey(r.table), r.column);
  for (const l of rules.locationFakes ?? []) {
    for (const c of Object.keys(l.fakes)) add(tableKey(l.table), c);
    // The whole address a location group keeps together, the columns it only reads included (a kept postal code names
    // the row's state, the country picks the locale): a NULL filled from another row of the batch after it ran would
    // put a Brazilian postal code under a US state.
    const table = findTable(schema, l.table);
    if (!table) continue;
    const names = table.columns.map((c) => c.name);
    for (const g of locationGroups(table, names, l)) {
      for (const at of [g.country, g.stateAt, g.postalAt, ...g.targets.map((t) => t.col)]) if (at !== undefined) add(tableKey(l.table), names[at]!);
    }
  }
  for (const f of rules.fanOuts) {
    if (f.kind !== 'column') continue;
    const fk = findTable(schema, f.child)?.foreignKeys.find((k) => k.name === f.foreignKey);
    if (fk) add(tableKey(fk.references), f.column);
  }
  return schema.tables.flatMap((t) => {
    const sample = samples.get(tableKey(t));
    if (!sample || skip(t)) return [];
    const exclude = new Set([...(written.get(tableKey(t)) ?? []), ...Object.keys(sample.piiKinds ?? {})]);
    return detectConditionalNulls(t, sample, exclude);
  });
}

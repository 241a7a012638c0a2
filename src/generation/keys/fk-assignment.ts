/** How each FK of a table is assigned (grouped, shuffled, one-to-one, link pair, self): decided once, from schema and plan. */
import type { DatabaseSchema, ForeignKey, Table } from '../../schema/model.js';
import { findColumn, findTable, tableKey } from '../../schema/model.js';
import type { HydrationPlan } from '../../graph/plan.js';

/** How a table's FKs are assigned, derived once from the schema and the plan. */
export interface FkAssignment {
  fk: ForeignKey;
  parent: Table;
  mode: 'grouped' | 'shuffled' | 'one-to-one' | 'link-first' | 'link-second' | 'self';
  /** For link-second: the FK whose groups it must stay distinct within. */
  partner?: string;
  nullable: boolean;
  deferred: 'null-then-update' | 'constraint-after-load' | null;
}

export function planAssignments(table: Table, schema: DatabaseSchema, plan: HydrationPlan): FkAssignment[] {
  const key = tableKey(table);
  const step = plan.steps.find((s) => tableKey(s.table) === key);
  const uniqueSets = [
    ...(table.primaryKey ? [table.primaryKey.columns] : []),
    ...table.uniques.map((u) => u.columns),
  ];
  const fks = table.foreignKeys.filter((fk) => findTable(schema, fk.references));
  const out: FkAssignment[] = [];
  // A unique set made only of FK columns: one FK → one-to-one; several → a link table of distinct pairs.
  const linkSet = uniqueSets.find((set) => {
    const covering = fks.filter((fk) => fk.columns.every((c) => set.includes(c)));
    return covering.length >= 2 && set.every((c) => covering.some((fk) => fk.columns.includes(c)));
  });
  const linkFks = linkSet ? fks.filter((fk) => fk.columns.every((c) => linkSet.includes(c))) : [];
  if (linkFks.length >= 2) {
    const primary = linkFks.find((f) => f.name === step?.primaryParent) ?? linkFks[0]!;
    const second = linkFks.find((f) => f !== primary && tableKey(f.references) !== key) ?? linkFks.find((f) => f !== primary)!;
    linkFks.splice(0, linkFks.length, primary, second);
  }
  const haveGrouped = { done: false };
  for (const fk of fks) {
    const parent = findTable(schema, fk.references)!;
    const d = step?.deferred.find((x) => x.foreignKey === fk.name);
    const nullable = fk.columns.every((c) => findColumn(table, c)?.nullable ?? false);
    let mode: FkAssignment['mode'];
    let partner: string | undefined;
    if (tableKey(parent) === key) mode = 'self';
    else if (linkFks[0] === fk) mode = 'link-first';
    else if (linkFks[1] === fk) {
      mode = 'link-second';
      partner = linkFks[0]!.name;
    } else if (uniqueSets.some((set) => set.length === fk.columns.length && set.every((c) => fk.columns.includes(c)))) mode = 'one-to-one';
    else if (!d && !haveGrouped.done && (step?.primaryParent === fk.name || step?.primaryParent == null)) {
      mode = 'grouped';
      haveGrouped.done = true;
    } else mode = 'shuffled';
    out.push({ fk, parent, mode, partner, nullable, deferred: d?.strategy ?? null });
  }
  return out;
}

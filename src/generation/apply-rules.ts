/**
 * Applies the data rules to a table's finished rows, batch by batch, in row order: a parent column that fixes
 * its children's count takes the value matching the children the keys gave the row, a parent role goes to the rows
 * the keys gave a child (parent-roles.ts), a column copied from the parent takes the parent row's final value
 * (parent-copies.ts), and every order invariant is rebuilt as anchor + gap. Runs on the rows as they are loaded
 * (after the copy filters, which may nudge a value), and keeps the values children anchor on or copy (the order date
 * a line's ship date follows, a customer's address its invoices bill) once they are final.
 */
import type { DatabaseSchema, Table } from '../schema/model.js';
import { findColumn, findTable, tableKey } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';
import { conformValue } from './conform.js';
import { fanOutMap, type DataRules } from './data-rules.js';
import { createConditionalNullEnforcer } from './conditional-nulls.js';
import { countColumnValues } from './fan-out.js';
import type { KeyContext } from './keys/index.js';
import { createEnforcer, type InvariantEnforcer } from './order-invariants.js';
import { createCopyEnforcer, type ParentCopyRule } from './parent-copies.js';
import { mostlyCopyDraw } from './parent-copies-mostly.js';
import { createRoleEnforcer } from './parent-roles.js';
import { createLocationEnforcer, locationGroups } from './privacy/location-fakes.js';
import { createRng } from './rng.js';
import { seedScope } from './seed-scope.js';
import { RetainedColumns } from './retained-columns.js';

export interface TableRuleApplier {
  /** Rows `start …` of the table (batch number `batch`), changed in place. */
  apply(rows: Row[], start: number, batch: number): void;
  /** The table is out: its anchor values become available to its children. */
  done(): void;
  /**
   * The rules apply() runs that depend only on a row, its index and its parents' final values (count columns, parent
   * roles, copies from the parent, location fakes, mostly-copies, conditional NULLs), in apply()'s order: what apply() will make of the
   * columns they write, so the copy filters can judge the row the target gets. Null when the table has none. Changes
   * rows in place and keeps nothing (apply() still runs on the rows as they go out).
   */
  readonly rowLocal: RowLocalRules | null;
}

export interface RowLocalRules {
  /** Columns they write. */
  writes: ReadonlySet<string>;
  /** Columns of the row they read (a location fake's country). */
  reads: ReadonlySet<string>;
  /** Rows `start …` of the table, changed in place (the same batches apply() gets: a count column draws per batch). */
  apply(rows: Row[], start: number): void;
}

export class RuleApplier {
  private readonly anchorColumns = new Map<string, string[]>();
  private readonly anchors: Map<string, RetainedColumns>;
  private readonly fanOuts;

  /** `anchors`: parents' anchor values given rather than generated here (a parallel load's worker gets them so). */
  constructor(
    private readonly schema: DatabaseSchema,
    private readonly keys: KeyContext,
    private readonly rules: DataRules | undefined,
    private readonly rowCounts: Map<string, number>,
    private readonly seed: number,
    anchors?: ReadonlyMap<string, RetainedColumns>,
  ) {
    this.anchors = new Map(anchors);
    this.fanOuts = fanOutMap(rules);
    for (const inv of rules?.invariants ?? []) {
      const fk = inv.anchor.foreignKey === undefined ? undefined : findTable(schema, inv.table)?.foreignKeys.find((f) => f.name === inv.anchor.foreignKey);
      if (!fk) continue;
      const parent = tableKey(fk.references);
      this.anchorColumns.set(parent, [...new Set([...(this.anchorColumns.get(parent) ?? []), inv.anchor.column])]);
    }
    // A copied column reads its parent's final value, kept like an anchor (only the columns some copy reads).
    for (const copy of rules?.parentCopies ?? []) {
      const fk = findTable(schema, copy.table)?.foreignKeys.find((f) => f.name === copy.foreignKey);
      if (!fk) continue;
      const parent = tableKey(fk.references);
      this.anchorColumns.set(parent, [...new Set([...(this.anchorColumns.get(parent) ?? []), copy.parentColumn])]);
    }
  }

  /** `rankMatched`: the table's model learned something about the gaps (the learned model). */
  forTable(table: Table, names: string[], rankMatched: boolean): TableRuleApplier {
    const key = tableKey(table);
    const n = this.rowCounts.get(key) ?? 0;
    const copies = (this.rules?.parentCopies ?? []).filter((c) => tableKey(c.table) === key);
    // A copied column is its parent's value: an invariant that would rebuild it as anchor + gap gives way (one on it
    // as an anchor still runs, after the copy).
    const invariants = (this.rules?.invariants ?? []).filter((i) => tableKey(i.table) === key && !copies.some((c) => c.column === i.column));
    let enforcer: InvariantEnforcer | null | undefined;
    const enforcerFor = (): InvariantEnforcer | null =>
      (enforcer ??= createEnforcer(table, names, invariants, (inv) => {
        const fk = table.foreignKeys.find((f) => f.name === inv.anchor.foreignKey);
        const parent = fk ? this.anchors.get(tableKey(fk.references)) : undefined;
        const col = parent ? parent.columns.indexOf(inv.anchor.column) : -1;
        if (!fk || !parent || col < 0) return null;
        const parentOf = this.keys.table(table).parentReader(fk.name);
        return (i) => {
          const p = parentOf(i);
          return p >= 0 ? parent.get(p, col) : null;
        };
      }, rankMatched));
    const countColumns = [...this.fanOuts.values()].flatMap((rule) => {
      if (rule.kind !== 'column') return [];
      const child = findTable(this.schema, rule.child);
      const fk = child?.foreignKeys.find((f) => f.name === rule.foreignKey);
      const col = names.indexOf(rule.column);
      const column = findColumn(table, rule.column);
      if (!child || !fk || !column || tableKey(fk.references) !== key || col < 0 || tableKey(child) === key) return [];
      const label = `fan-out:${seedScope(this.schema, table)}:${rule.column}`;
      return [{ col, column, values: countColumnValues(rule, this.keys.table(child), fk.name, n, (suffix) => createRng(this.seed, label + suffix)) }];
    });
    const roles = createRoleEnforcer(table, names, n, (this.rules?.parentRoles ?? []).filter((r) => tableKey(r.table) === key), (rule) => {
      const child = findTable(this.schema, rule.child);
      if (!child || tableKey(child) === key || !child.foreignKeys.some((f) => f.name === rule.foreignKey)) return null;
      const childKeys = this.keys.table(child);
      return { rows: childKeys.rows, parentOf: childKeys.parentReader(rule.foreignKey) };
    });
    const copySource = (rule: ParentCopyRule) => {
      const fk = table.foreignKeys.find((f) => f.name === rule.foreignKey);
      const parent = fk ? this.anchors.get(tableKey(fk.references)) : undefined;
      return fk && parent ? { parentOf: this.keys.table(table).parentReader(fk.name), parent } : null;
    };
    const exactCopies = copies.filter((c) => !c.mostly);
    const copyEnforcer = createCopyEnforcer(table, names, exactCopies, copySource);
    // A mostly-copied column runs after the location fakes: its rows that copy take the parent's final (faked) address
    // whole, the others keep the one faked from their own country.
    const mostlyEnforcer = createCopyEnforcer(table, names, copies.filter((c) => c.mostly), copySource, mostlyCopyDraw(this.seed, seedScope(this.schema, table)));
    // A row's faked city/state/postal code follow its final country (a copied column keeps its parent's instead;
    // reference data keeps the source's rows; a column the PII plan does not fake keeps the model's value).
    const locationRule = (this.rules?.locationFakes ?? []).find((r) => tableKey(r.table) === key);
    const exactlyCopied = new Set(exactCopies.map((c) => c.column));
    const locations = !locationRule || this.keys.options.fixedRows?.has(key) ? null : createLocationEnforcer(table, names, this.seed, seedScope(this.schema, table), locationRule, exactlyCopied);
    // A status decides its columns' NULLs after the copies (which never write either) and before the order
    // invariants, which rebuild a time it filled from its anchor.
    const conditionalRules = (this.rules?.conditionalNulls ?? []).filter((r) => tableKey(r.table) === key);
    const conditional = createConditionalNullEnforcer(names, conditionalRules);
    const keep = this.anchorColumns.get(key);
    const keepIdx = keep?.map((c) => names.indexOf(c)) ?? [];
    const kept = keep ? new RetainedColumns(keep) : null;
    const moved = locations ? locationGroups(table, names, locationRule!, exactlyCopied) : [];
    const writes = new Set([
      ...countColumns.map((cc) => names[cc.col]!),
      ...(roles ? (this.rules?.parentRoles ?? []).filter((r) => tableKey(r.table) === key).map((r) => r.column) : []),
      ...(copyEnforcer ? exactCopies.map((c) => c.column) : []),
      ...moved.flatMap((g) => g.targets.map((t) => names[t.col]!)),
      ...(mostlyEnforcer ? copies.filter((c) => c.mostly).map((c) => c.column) : []),
      ...(conditional ? conditionalRules.map((r) => r.column) : []),
    ].filter((c) => names.includes(c)));
    const rowLocal: RowLocalRules | null = writes.size === 0 ? null : {
      writes,
      reads: new Set([...moved.map((g) => names[g.country]!), ...(conditional ? [conditionalRules[0]!.category] : [])]),
      apply: (rows, start) => {
        for (const cc of countColumns) {
          const values = cc.values(start, rows.length);
          rows.forEach((row, r) => (row[cc.col] = conformValue(values[r] ?? null, cc.column)));
        }
        roles?.(rows, start);
        copyEnforcer?.(rows, start);
        locations?.(rows, start);
        mostlyEnforcer?.(rows, start);
        conditional?.(rows, createRng(this.seed, `conditional-nulls:${seedScope(this.schema, table)}:${start}`));
      },
    };
    return {
      rowLocal,
      apply: (rows, start, batch) => {
        rowLocal?.apply(rows, start);
        if (invariants.length > 0) enforcerFor()?.apply(rows, start, createRng(this.seed, `invariants:${seedScope(this.schema, table)}:${batch}`));
        if (kept) for (const row of rows) kept.push(row, keepIdx);
      },
      done: () => {
        if (kept) this.anchors.set(key, kept.seal());
      },
    };
  }
}

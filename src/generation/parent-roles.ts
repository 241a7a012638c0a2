/**
 * Parent roles: a parent column that takes one value on every parent row some child references through a FK, while
 * the unreferenced rows do not all have it (every employee a customer's `support_rep_id` points at is a 'Sales Support
 * Agent'). An application that lists an agent's customers, or a rep's title on an invoice, relies on it; a model that
 * draws the title independently of who gets customers breaks it. The child → parent assignment is index-based and
 * known before the parent is generated, so the generated parents that get a child take the value (apply-rules.ts).
 */
import type { Column, Table, TableRef } from '../schema/model.js';
import { findColumn, tableKey } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';
import { conformValue } from './conform.js';
import { keyColumnNames } from './metadata.js';

export interface ParentRoleRule {
  /** The parent table and its column. */
  table: TableRef;
  column: string;
  /** The value every referenced parent has, as the source spells it. */
  value: string | number | boolean;
  /** The child table and its FK that reference the parent. */
  child: TableRef;
  foreignKey: string;
  /** Sampled parent rows with a child, and without one. */
  referenced: number;
  unreferenced: number;
  /** Unreferenced sampled rows that have the value all the same. */
  unreferencedWithValue: number;
  /** Chance that `referenced` rows drawn at random from the sample all have the value (hypergeometric). */
  chance: number;
}

export interface ParentRoleOptions {
  /** Fewest referenced parents: with one or two, every column of theirs has "one value". */
  minReferenced?: number;
  /** Largest chance that the referenced rows share the value by coincidence. */
  maxChance?: number;
}

export const DEFAULT_ROLE_MIN_REFERENCED = 3;
/**
 * 5 %: chinook's 3 support reps among 8 employees share their title with a chance of 1/56 (1.8 %). A looser test than
 * the copies' (parent-copies.ts), since a rule found by chance costs little: the value is one every referenced source
 * parent has, so the generated parents with children agree on it as the source's do, and no other row changes.
 */
export const DEFAULT_ROLE_MAX_CHANCE = 0.05;

/** Kinds a role is spelled in (a title, a status, a flag, a level); dates, floats and free-form values are no role. */
function roleKind(c: Column): boolean {
  const k = c.type.kind;
  return k === 'text' || k === 'enum' || k === 'boolean' || k === 'integer' || k === 'decimal' || k === 'money';
}

function plain(v: Value | undefined): string | number | boolean | null {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  return null;
}

/** C(m, k) / C(n, k): the chance that k of n rows, drawn without replacement, all fall among the m that have the value. */
function hypergeometricAll(m: number, n: number, k: number): number {
  let log = 0;
  for (let i = 0; i < k; i++) {
    if (m - i <= 0) return 0;
    log += Math.log((m - i) / (n - i));
  }
  return Math.exp(log);
}

/**
 * The role rules of one FK from the parent's sample and the children of each sampled parent row (`counts`, aligned
 * with the sample rows, counted in the source). Skipped: key and generated columns, personal columns (`personal`: the
 * sample's PII kinds, whose generators draw fakes that a real value must not replace), kinds other than `roleKind`.
 */
export function detectParentRoles(
  parent: Table,
  sample: { columns: string[]; rows: Row[] },
  counts: readonly number[],
  child: TableRef,
  foreignKey: string,
  personal: ReadonlySet<string> = new Set(),
  options: ParentRoleOptions = {},
): ParentRoleRule[] {
  const minReferenced = options.minReferenced ?? DEFAULT_ROLE_MIN_REFERENCED;
  const maxChance = options.maxChance ?? DEFAULT_ROLE_MAX_CHANCE;
  if (counts.length !== sample.rows.length) return [];
  const referenced = counts.filter((c) => c > 0).length;
  const n = counts.length;
  if (referenced < minReferenced || referenced >= n) return [];
  const candidates = new Set(roleColumns(parent, sample.columns, personal));
  const out: ParentRoleRule[] = [];
  sample.columns.forEach((name, idx) => {
    if (!candidates.has(name)) return;
    const column = findColumn(parent, name)!;
    let value: string | number | boolean | null = null;
    for (let r = 0; r < n; r++) {
      if (counts[r]! <= 0) continue;
      const v = plain(sample.rows[r]![idx]);
      if (v === null || (value !== null && v !== value)) return;
      value = v;
    }
    if (value === null) return;
    let withValue = 0;
    for (let r = 0; r < n; r++) if (plain(sample.rows[r]![idx]) === value) withValue++;
    const unreferencedWithValue = withValue - referenced;
    if (unreferencedWithValue >= n - referenced) return;
    const chance = hypergeometricAll(withValue, n, referenced);
    if (chance > maxChance) return;
    out.push({ table: { schema: parent.schema, name: parent.name }, column: name, value, child, foreignKey, referenced, unreferenced: n - referenced, unreferencedWithValue, chance });
  });
  return out;
}

/** The columns of `columns` a role may be in: not a key, generated or personal, and of a `roleKind`. */
function roleColumns(parent: Table, columns: readonly string[], personal: ReadonlySet<string>): string[] {
  const keys = keyColumnNames(parent);
  return columns.filter((name) => {
    const column = findColumn(parent, name);
    return column !== undefined && column.generated === null && !keys.has(name) && !personal.has(name) && roleKind(column);
  });
}

/**
 * Whether some column of the parent's sample could hold a role of a FK whose children reference `referencedShare`
 * of the parents (from its child-count histogram), before their children are counted by key: the role's value must
 * be on every referenced row, so on about that share of the sample's rows. Half of it is asked, for the sampling
 * noise; a column of spread values (quantities, prices, comments) never comes close, and its count is saved.
 */
export function mayHoldRole(parent: Table, sample: { columns: string[]; rows: Row[] }, referencedShare: number, personal: ReadonlySet<string> = new Set()): boolean {
  const need = 0.5 * referencedShare * sample.rows.length;
  return roleColumns(parent, sample.columns, personal).some((name) => {
    const idx = sample.columns.indexOf(name);
    const counts = new Map<string | number | boolean, number>();
    for (const row of sample.rows) {
      const v = plain(row[idx]);
      if (v === null) continue;
      const c = (counts.get(v) ?? 0) + 1;
      if (c >= need) return true;
      counts.set(v, c);
    }
    return false;
  });
}

/**
 * The rules generation keeps: one value per parent column (a column that two FKs give different values keeps the
 * first FK's, since a parent referenced through both could not take both).
 */
export function consistentRoles(rules: readonly ParentRoleRule[]): ParentRoleRule[] {
  const seen = new Map<string, ParentRoleRule['value']>();
  return rules.filter((r) => {
    const key = `${tableKey(r.table)}\u0000${r.column}`;
    const before = seen.get(key);
    if (before !== undefined) return before === r.value;
    seen.set(key, r.value);
    return true;
  });
}

/** `child table key.FK name` of every FK a role rule reads the children of (generate.ts places them without predictions). */
export function roleForeignKeys(rules: readonly ParentRoleRule[] | undefined): Set<string> {
  return new Set((rules ?? []).map((r) => `${tableKey(r.child)}.${r.foreignKey}`));
}

/** One line for `synth plan`. */
export function describeParentRole(rule: ParentRoleRule): string {
  const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 ? 3 : 1)} %`;
  return (
    `${tableKey(rule.table)}.${rule.column} = ${JSON.stringify(rule.value)} on every row ${tableKey(rule.child)} references through ${rule.foreignKey} ` +
    `(${rule.referenced} of ${rule.referenced + rule.unreferenced} sampled rows; ${rule.unreferencedWithValue} of the other ${rule.unreferenced} have it; chance ${pct(rule.chance)})`
  );
}

/** Which parent row each row of a child table references through a FK (-1: none), and how many rows the child has. */
export interface RoleChildren {
  rows: number;
  parentOf: (childRow: number) => number;
}

/**
 * Sets each role column of a batch to the role's value on the parent rows that get a child through the rule's FK
 * (rows `start …` of the table, in place); the others keep what was drawn. A bit per parent row and rule, built
 * once from the children's assignment. null: no rule applies to the table's columns.
 */
export function createRoleEnforcer(
  table: Table,
  names: readonly string[],
  rows: number,
  rules: readonly ParentRoleRule[],
  childrenOf: (rule: ParentRoleRule) => RoleChildren | null,
): ((batch: Row[], start: number) => void) | null {
  const steps = rules.flatMap((rule) => {
    const target = names.indexOf(rule.column);
    const column = findColumn(table, rule.column);
    const children = target >= 0 && column ? childrenOf(rule) : null;
    if (!children || !column) return [];
    const has = new Uint8Array(rows);
    for (let i = 0; i < children.rows; i++) {
      const p = children.parentOf(i);
      if (p >= 0 && p < rows) has[p] = 1;
    }
    return [{ target, has, value: conformValue(rule.value, column) }];
  });
  if (steps.length === 0) return null;
  return (batch, start) => {
    for (const s of steps) for (let r = 0; r < batch.length; r++) if (s.has[start + r]) batch[r]![s.target] = s.value;
  };
}

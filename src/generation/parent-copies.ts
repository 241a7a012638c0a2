/**
 * Copied-from-parent columns: a child column that repeats a column of its parent row through a FK on every sampled
 * row (an invoice's billing address is its customer's address, a line's unit price its track's price). A model draws
 * the two independently, so the copy is lost; here the child's column is rebuilt as the parent's *generated* value
 * (apply-rules.ts), which keeps the copy whatever either model drew, and never brings a source value along.
 */
import type { Column, Table, TableRef } from '../schema/model.js';
import { findColumn, tableKey } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';
import { conformValue, parseEpoch, toNumber } from './conform.js';
import { keyColumnNames } from './metadata.js';
import type { AlignedParent } from './order-invariants.js';
import type { RetainedColumns } from './retained-columns.js';

export interface ParentCopyRule {
  /** The child table. */
  table: TableRef;
  /** The child column that repeats the parent's. */
  column: string;
  foreignKey: string;
  parentColumn: string;
  /** Sample rows with both sides non-NULL (all of them equal); for a mostly-copied column, the rows with a parent. */
  support: number;
  /** Distinct parent rows among them. */
  parents: number;
  /**
   * The child is NULL exactly where the parent is, on every sample row with a parent: a NULL is copied too (a
   * customer without a state bills without one). Otherwise the child's own NULLs and the rows under a NULL parent
   * value stay as drawn.
   */
  nulls: boolean;
  /**
   * Set for a column equal to its parent's on most sample rows but not all (parent-copies-mostly.ts): a generated row
   * copies with a probability, one draw per row for the columns that deviate together. Absent: every row copies.
   */
  mostly?: MostlyCopy;
}

/** How often a "mostly copied" column repeats its parent, and the columns whose rows copy together. */
export interface MostlyCopy {
  /** Share of the sample rows with a parent on which every column of `group` equals the parent's (NULL = NULL). */
  share: number;
  /** This column's own share (`share` counts a row only where the whole group equals the parent's). */
  own: number;
  /** The share two independent draws would give the group (the product of its columns' chance agreements). */
  chance: number;
  /** Probability that a generated row copies: (share − chance) / (1 − chance), as the other rows agree by chance. */
  rate: number;
  /** The child columns that deviate on the same rows, in table order; the first names the group (and its draw). */
  group: string[];
}

export interface ParentCopyOptions {
  /** Fewest sample rows with both sides non-NULL. */
  minSupport?: number;
  /**
   * Largest chance that two independent columns with these values agree on every distinct parent seen (their
   * agreement per parent, to the power of the parents): below it, the equality is no coincidence.
   */
  maxChance?: number;
}

/** Fewest rows, as for the order invariants (order-invariants.ts DEFAULT_MIN_SUPPORT). */
export const DEFAULT_COPY_MIN_SUPPORT = 20;
/**
 * One in a million: two booleans split evenly agree by chance on 20 parents about this often, so a yes/no column is
 * a copy only when it agrees on 20 or more distinct parents; a column of 24 countries needs ~5.
 */
export const DEFAULT_COPY_MAX_CHANCE = 1e-6;

export type Family = 'number' | 'time' | 'text' | 'boolean' | 'uuid' | 'enum';

export function familyOf(c: Column): Family | null {
  switch (c.type.kind) {
    case 'integer':
    case 'decimal':
    case 'float':
    case 'money':
      return 'number';
    case 'date':
    case 'timestamp':
      return 'time';
    case 'text':
      return 'text';
    case 'boolean':
      return 'boolean';
    case 'uuid':
      return 'uuid';
    case 'enum':
      return 'enum';
    default:
      return null;
  }
}

/**
 * Whether every value the parent's column may generate fits the child's column unchanged, so the copy survives the
 * child's conform: a longer text, a finer decimal or a fraction into an integer would be cut, and no longer equal.
 */
export function copyCompatible(child: Column, parent: Column): boolean {
  const [c, p] = [child.type, parent.type];
  switch (c.kind) {
    case 'integer':
      return p.kind === 'integer';
    case 'decimal':
      return p.kind === 'integer' || (p.kind === 'decimal' && (c.scale === null || (p.scale !== null && p.scale <= c.scale)));
    case 'float':
      return p.kind === 'integer' || p.kind === 'decimal' || p.kind === 'float';
    case 'money':
      return p.kind === 'money' || p.kind === 'integer' || (p.kind === 'decimal' && p.scale !== null && p.scale <= 2);
    case 'date':
      return p.kind === 'date';
    case 'timestamp':
      return p.kind === 'timestamp' || p.kind === 'date';
    case 'text': {
      if (p.kind !== 'text' && p.kind !== 'enum' && p.kind !== 'uuid') return false;
      if (c.maxLength === null) return true;
      if (p.kind === 'uuid') return c.maxLength >= 36;
      if (p.kind === 'enum') return p.values.every((v) => v.length <= c.maxLength!);
      return p.maxLength !== null && p.maxLength <= c.maxLength;
    }
    case 'boolean':
    case 'uuid':
      return p.kind === c.kind;
    case 'enum':
      return p.kind === 'enum' && p.values.every((v) => c.values.includes(v));
    default:
      return false;
  }
}

/** A value as the equality test compares it: numbers by value ('0.99' = 0.99), times by instant, char(n) unpadded. */
export function canonical(v: Value | undefined, family: Family, column: Column): string | null {
  if (v === null || v === undefined) return null;
  if (family === 'number') {
    const n = toNumber(v);
    return n === null ? null : `n${n}`;
  }
  if (family === 'time') {
    const t = parseEpoch(v);
    return t === null ? null : `t${t}`;
  }
  const s = typeof v === 'string' ? v : String(v);
  return column.type.kind === 'text' && column.type.fixedLength ? s.trimEnd() : s;
}

interface Side {
  column: Column;
  values: Array<string | null>;
}

/** Share of pairs two independent draws from the two columns' values would have equal (Σ p_child(v) · p_parent(v)). */
export function chanceAgreement(pairs: Array<[string, string]>): number {
  const child = new Map<string, number>();
  const parent = new Map<string, number>();
  for (const [c, p] of pairs) {
    child.set(c, (child.get(c) ?? 0) + 1);
    parent.set(p, (parent.get(p) ?? 0) + 1);
  }
  let sum = 0;
  for (const [v, n] of child) sum += n * (parent.get(v) ?? 0);
  return sum / (pairs.length * pairs.length);
}

/**
 * The copy rules of one child table from its sample and, per FK, its sample rows' actual parent rows. A pair is a
 * copy when the two sides are equal on every row where both are set, on at least `minSupport` rows, and independent
 * columns with these values would agree on all the distinct parents seen with a chance below `maxChance` (two
 * constant columns, or two flags on a handful of parents, are equal without one copying the other). No exception is
 * tolerated: a sample is the source's rows themselves, and one customer who moved after an invoice means the app does
 * not rely on the copy. Key columns of the child are never rebuilt (a FK column already equals its parent's key). One
 * rule per child column: a parent column of the same name first, then the FKs in their order.
 */
export function detectParentCopies(
  table: Table,
  sample: { columns: string[]; rows: Row[] },
  parents: AlignedParent[],
  parentTables: Map<string, Table>,
  options: ParentCopyOptions = {},
): ParentCopyRule[] {
  const minSupport = options.minSupport ?? DEFAULT_COPY_MIN_SUPPORT;
  const maxChance = options.maxChance ?? DEFAULT_COPY_MAX_CHANCE;
  const keys = keyColumnNames(table);
  const found = new Map<string, { rule: ParentCopyRule; sameName: boolean }>();
  for (const aligned of parents) {
    const fk = table.foreignKeys.find((f) => f.name === aligned.foreignKey);
    const parent = parentTables.get(aligned.foreignKey);
    if (!fk || !parent || tableKey(parent) === tableKey(table) || aligned.rows.length !== sample.rows.length) continue;
    const parentKey = aligned.rows.map((r) => (r ? fk.references.columns.map((c) => String(r[aligned.columns.indexOf(c)])).join('\u0000') : null));
    const theirs: Side[] = [];
    aligned.columns.forEach((name, idx) => {
      const column = findColumn(parent, name);
      const family = column ? familyOf(column) : null;
      if (!column || !family || column.generated !== null || fk.references.columns.includes(name)) return;
      theirs.push({ column, values: aligned.rows.map((r) => (r ? canonical(r[idx], family, column) : null)) });
    });
    sample.columns.forEach((name, idx) => {
      const column = findColumn(table, name);
      const family = column ? familyOf(column) : null;
      if (!column || !family || keys.has(name) || column.generated !== null) return;
      const mine = sample.rows.map((r) => canonical(r[idx], family, column));
      for (const other of theirs) {
        // Text, enum and uuid values all compare as their strings; numbers and times by value.
        if (!copyCompatible(column, other.column)) continue;
        const rule = copyOf(mine, other.values, aligned.rows, parentKey, minSupport, maxChance);
        if (!rule) continue;
        const sameName = other.column.name === name;
        const before = found.get(name);
        if (before && (before.sameName || !sameName)) continue;
        found.set(name, { rule: { table: { schema: table.schema, name: table.name }, column: name, foreignKey: fk.name, parentColumn: other.column.name, ...rule }, sameName });
      }
    });
  }
  return [...found.values()].map((f) => f.rule);
}

function copyOf(
  mine: Array<string | null>,
  theirs: Array<string | null>,
  rows: ReadonlyArray<Row | null>,
  parentKey: Array<string | null>,
  minSupport: number,
  maxChance: number,
): Pick<ParentCopyRule, 'support' | 'parents' | 'nulls'> | null {
  const pairs: Array<[string, string]> = [];
  const distinct = new Set<string>();
  // NULLs are copied when the two are NULL together at least once and never one without the other.
  let bothNull = 0;
  let oneNull = 0;
  for (let i = 0; i < mine.length; i++) {
    if (!rows[i]) continue;
    const [a, b] = [mine[i], theirs[i]];
    if (a === null && b === null) bothNull++;
    else if (a === null || b === null) oneNull++;
    if (a === null || b === null || a === undefined || b === undefined) continue;
    if (a !== b) return null;
    pairs.push([a, b]);
    distinct.add(parentKey[i]!);
  }
  if (pairs.length < minSupport) return null;
  const chance = chanceAgreement(pairs);
  // Constant columns agree by chance alone (log 1 = 0): no rule unless `maxChance` is 1, as a probe asks.
  if (distinct.size * Math.log(chance) > Math.log(maxChance)) return null;
  return { support: pairs.length, parents: distinct.size, nulls: bothNull > 0 && oneNull === 0 };
}

/** The parent columns a child's copies read, by parent table key (what the loads keep of each parent's rows). */
export function copiedParentColumns(rules: readonly ParentCopyRule[], childKey: string, foreignKeyParent: (fk: string) => string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rules) {
    if (tableKey(r.table) !== childKey) continue;
    const parent = foreignKeyParent(r.foreignKey);
    if (parent === undefined) continue;
    out.set(parent, [...new Set([...(out.get(parent) ?? []), r.parentColumn])]);
  }
  return out;
}

/** One line for `synth plan`. */
export function describeParentCopy(rule: ParentCopyRule, parentName: string): string {
  const nulls = rule.nulls ? ', NULL with it' : '';
  return `${tableKey(rule.table)}.${rule.column} = ${parentName}.${rule.parentColumn} through ${rule.foreignKey} (${rule.support} rows, ${rule.parents} parents${nulls})`;
}

/** Where a copy reads its parent's generated value: the child row's parent index, and the parent's kept columns. */
export interface CopySource {
  parentOf: (rowIndex: number) => number;
  parent: RetainedColumns;
}

/**
 * Rewrites each copied column of a batch as its parent row's generated value, conformed to the child's column (rows
 * `start …` of the table, in place). A row without a parent (a NULL FK) keeps what was drawn, and so does a NULL
 * parent value unless the rule copies NULLs and the column takes one. `copies`: which rows a rule copies (a "mostly
 * copied" rule's draw, parent-copies-mostly.ts); without it, or where it gives null, every row. null: no rule of the
 * table has its parent.
 */
export function createCopyEnforcer(
  table: Table,
  names: readonly string[],
  rules: readonly ParentCopyRule[],
  sourceOf: (rule: ParentCopyRule) => CopySource | null,
  copies?: (rule: ParentCopyRule) => ((rowIndex: number) => boolean) | null,
): ((rows: Row[], start: number) => void) | null {
  const steps = rules.flatMap((rule) => {
    const target = names.indexOf(rule.column);
    const column = findColumn(table, rule.column);
    const source = target >= 0 && column ? sourceOf(rule) : null;
    const col = source ? source.parent.columns.indexOf(rule.parentColumn) : -1;
    if (!source || !column || col < 0) return [];
    return [{ target, column, col, nulls: rule.nulls && column.nullable, copied: copies?.(rule) ?? null, ...source }];
  });
  if (steps.length === 0) return null;
  return (rows, start) => {
    for (const s of steps) {
      for (let r = 0; r < rows.length; r++) {
        const p = s.parentOf(start + r);
        if (p < 0 || (s.copied && !s.copied(start + r))) continue;
        const v = s.parent.get(p, s.col);
        if (v !== null) rows[r]![s.target] = conformValue(v, s.column);
        else if (s.nulls) rows[r]![s.target] = null;
      }
    }
  };
}

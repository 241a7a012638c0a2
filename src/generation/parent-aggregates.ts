/**
 * Parent aggregates: a parent column the application keeps equal to the sum of its children (an invoice's total =
 * Σ unit price × quantity of its lines), and a child column whose values of one parent share a fixed whole (a
 * country's language percentages add up to at most 100). Parents are generated before their children, so neither
 * can be drawn right; both are learned here from sampled parents and their children, and written in the shadow once
 * every row is loaded (pipeline/derive-aggregates.ts).
 */
import type { Column, ForeignKey, Table, TableRef } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';
import { keyColumnNames } from './metadata.js';

/** `parent.column = Σ child.terms[0] (× child.terms[1])` over the children through `foreignKey`. */
export interface ParentSumRule {
  kind: 'sum';
  parent: TableRef;
  column: string;
  child: TableRef;
  foreignKey: string;
  /** One child column, or two multiplied. */
  terms: string[];
  /** What a parent without children holds in the source: 0, NULL, or anything (left as generated). */
  empty: 'zero' | 'null' | 'keep';
  /** Sampled parents with children it held on (all of them). */
  support: number;
}

/** `Σ child.column ≤ bound` over the children of each parent, every value in [0, bound]. */
export interface ChildShareRule {
  kind: 'share';
  child: TableRef;
  foreignKey: string;
  column: string;
  bound: number;
  /** Decimals a scaled value is rounded down to: the column's scale, or for floats the most the sample shows. */
  decimals: number;
  support: number;
}

export type AggregateRule = ParentSumRule | ChildShareRule;

export interface AggregateOptions {
  /** Fewest sampled parents with children. */
  minSupport?: number;
}

const DEFAULT_MIN_SUPPORT = 20;
/** Child columns considered as terms (pairs grow with the square). */
const MAX_TERMS = 12;
/** Parents whose children sum over a share's bound may be this rare in the source (data-entry slips; one always), ... */
const SHARE_OVER_RATE = 0.01;
/** ... and only this far over it. */
const SHARE_OVER_SLACK = 0.02;
/** A share's bound is tight when this many of the parents with several children come within 1 % of it. */
const SHARE_TIGHT_RATE = 0.1;

function numericKind(column: Column): boolean {
  const k = column.type.kind;
  return k === 'integer' || k === 'decimal' || k === 'float';
}

function num(v: Value | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function keyOf(values: Value[]): string | null {
  return values.some((v) => v === null || v === undefined) ? null : JSON.stringify(values.map((v) => (typeof v === 'bigint' ? v.toString() : v)));
}

/** How far a stored value may be from the exact sum and still equal it in the column's type. */
function tolerance(column: Column, sum: number): number {
  const t = column.type;
  if (t.kind === 'integer') return 0.5;
  if (t.kind === 'decimal' && t.scale !== null) return 0.5 * 10 ** -t.scale + 1e-9 * Math.abs(sum);
  return 1e-6 * Math.max(1, Math.abs(sum));
}

/** Decimals of a number as written (`95.6` → 1), capped at 6. */
function decimalsOf(v: number): number {
  const s = String(v);
  if (s.includes('e')) return 6;
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : Math.min(6, s.length - dot - 1);
}

interface Grouped {
  /** Children's rows of each sampled parent (by the parent's position in the sample); absent: none. */
  byParent: Map<number, Row[]>;
  withChildren: number;
  withSeveral: number;
}

function groupChildren(parentSample: { columns: string[]; rows: Row[] }, fk: ForeignKey, children: { columns: string[]; rows: Row[] }): Grouped | null {
  const pIdx = fk.references.columns.map((c) => parentSample.columns.indexOf(c));
  const cIdx = fk.columns.map((c) => children.columns.indexOf(c));
  if (pIdx.some((i) => i < 0) || cIdx.some((i) => i < 0)) return null;
  const rowsByKey = new Map<string, Row[]>();
  for (const r of children.rows) {
    const k = keyOf(cIdx.map((i) => r[i] as Value));
    if (k === null) continue;
    const list = rowsByKey.get(k);
    if (list) list.push(r);
    else rowsByKey.set(k, [r]);
  }
  const byParent = new Map<number, Row[]>();
  let withSeveral = 0;
  parentSample.rows.forEach((r, n) => {
    const k = keyOf(pIdx.map((i) => r[i] as Value));
    const list = k === null ? undefined : rowsByKey.get(k);
    if (!list) return;
    byParent.set(n, list);
    if (list.length >= 2) withSeveral++;
  });
  return { byParent, withChildren: byParent.size, withSeveral };
}

/** Children's value of a term expression: Σ over the non-NULL products, NULL when there is none (as SQL's SUM). */
function termSum(rows: Row[], idx: number[]): number | null {
  let sum = 0;
  let any = false;
  for (const r of rows) {
    let p = 1;
    let ok = true;
    for (const i of idx) {
      const v = num(r[i] as Value);
      if (v === null) ok = false;
      else p *= v;
    }
    if (ok) {
      sum += p;
      any = true;
    }
  }
  return any ? sum : null;
}

/** Candidate child terms: single numeric non-key columns first, then their pairwise products. */
function termCandidates(child: Table, children: { columns: string[]; rows: Row[] }): string[][] {
  const keys = keyColumnNames(child);
  const cols = child.columns
    .filter((c) => numericKind(c) && !keys.has(c.name) && c.generated === null && children.columns.includes(c.name))
    .filter((c) => {
      // A constant column is a count in disguise (the fan-out rules' business), not a sum.
      const i = children.columns.indexOf(c.name);
      return new Set(children.rows.map((r) => num(r[i] as Value))).size >= 2;
    })
    .slice(0, MAX_TERMS)
    .map((c) => c.name);
  const out: string[][] = cols.map((c) => [c]);
  for (let a = 0; a < cols.length; a++) for (let b = a + 1; b < cols.length; b++) out.push([cols[a]!, cols[b]!]);
  return out;
}

/**
 * Parent columns equal to Σ of a child term on every sampled parent with children (at least `minSupport` of them,
 * some with several children, and more than one total), and child columns whose per-parent sums stay within a
 * tight power-of-ten bound. `excluded`: parent columns another rule already sets (a fan-out's count column, an
 * order invariant's side), which a sum would overwrite; `fixedChildren`: child columns such a rule sets, which a
 * share would rescale (they still count as sum terms: a sum reads them, it does not change them).
 */
export function detectParentAggregates(
  parent: Table,
  parentSample: { columns: string[]; rows: Row[] },
  child: Table,
  fk: ForeignKey,
  children: { columns: string[]; rows: Row[] },
  options: AggregateOptions & { excluded?: Set<string>; fixedChildren?: Set<string> } = {},
): AggregateRule[] {
  const minSupport = options.minSupport ?? DEFAULT_MIN_SUPPORT;
  if (tableKey(parent) === tableKey(child)) return [];
  const grouped = groupChildren(parentSample, fk, children);
  if (!grouped || grouped.withChildren < minSupport || grouped.withSeveral < Math.max(3, 0.05 * grouped.withChildren)) return [];
  const childRef = { schema: child.schema, name: child.name };
  return [...detectSums(parent, parentSample, child, childRef, fk, children, grouped, options.excluded ?? new Set()), ...detectShares(child, childRef, fk, children, grouped, options.fixedChildren ?? new Set())];
}

function detectSums(parent: Table, parentSample: { columns: string[]; rows: Row[] }, child: Table, childRef: TableRef, fk: ForeignKey, children: { columns: string[]; rows: Row[] }, g: Grouped, excluded: Set<string>): ParentSumRule[] {
  const keys = keyColumnNames(parent);
  const targets = parent.columns.filter((c) => numericKind(c) && !keys.has(c.name) && c.generated === null && !excluded.has(c.name) && parentSample.columns.includes(c.name));
  if (targets.length === 0) return [];
  const terms = termCandidates(child, children);
  const sums = terms.map((t) => {
    const idx = t.map((c) => children.columns.indexOf(c));
    return new Map([...g.byParent].map(([n, rows]) => [n, termSum(rows, idx)]));
  });
  const out: ParentSumRule[] = [];
  for (const column of targets) {
    const pi = parentSample.columns.indexOf(column.name);
    const found = terms.findIndex((_, t) => {
      const values = new Set<number>();
      for (const [n, s] of sums[t]!) {
        const v = num(parentSample.rows[n]![pi] as Value);
        if (v === null || s === null || Math.abs(v - s) > tolerance(column, s)) return false;
        values.add(v);
      }
      return values.size >= 2;
    });
    if (found < 0) continue;
    const empty = new Set<string>();
    parentSample.rows.forEach((r, n) => {
      if (g.byParent.has(n)) return;
      const v = r[pi] as Value;
      empty.add(v === null ? 'null' : num(v) === 0 ? 'zero' : 'keep');
    });
    // No childless parent sampled: an application's sum over nothing is 0.
    const only = empty.size === 0 ? 'zero' : empty.size === 1 ? ([...empty][0] as 'zero' | 'null' | 'keep') : 'keep';
    out.push({ kind: 'sum', parent: { schema: parent.schema, name: parent.name }, column: column.name, child: childRef, foreignKey: fk.name, terms: terms[found]!, empty: only === 'null' && !column.nullable ? 'keep' : only, support: g.withChildren });
  }
  return out;
}

function detectShares(child: Table, childRef: TableRef, fk: ForeignKey, children: { columns: string[]; rows: Row[] }, g: Grouped, fixed: Set<string>): ChildShareRule[] {
  const keys = keyColumnNames(child);
  const out: ChildShareRule[] = [];
  for (const column of child.columns) {
    if (!numericKind(column) || keys.has(column.name) || column.generated !== null || fixed.has(column.name)) continue;
    const i = children.columns.indexOf(column.name);
    if (i < 0) continue;
    let max = 0;
    let negative = false;
    let decimals = 0;
    for (const r of children.rows) {
      const v = num(r[i] as Value);
      if (v === null) continue;
      if (v < 0) negative = true;
      if (v > max) max = v;
      if (column.type.kind === 'float') decimals = Math.max(decimals, decimalsOf(v));
    }
    if (negative || max <= 0) continue;
    const bound = 10 ** Math.max(0, Math.ceil(Math.log10(max) - 1e-12));
    let over = 0;
    let worst = 0;
    let tight = 0;
    let several = 0;
    for (const rows of g.byParent.values()) {
      const s = termSum(rows, [i]) ?? 0;
      worst = Math.max(worst, s);
      if (s > bound * (1 + 1e-9)) over++;
      if (rows.length >= 2) {
        several++;
        if (s >= 0.99 * bound) tight++;
      }
    }
    if (worst > bound * (1 + SHARE_OVER_SLACK) || over > Math.max(1, SHARE_OVER_RATE * g.withChildren) || tight < Math.max(3, SHARE_TIGHT_RATE * several)) continue;
    const t = column.type;
    const scale = t.kind === 'integer' ? 0 : t.kind === 'decimal' ? (t.scale ?? decimals) : decimals;
    out.push({ kind: 'share', child: childRef, foreignKey: fk.name, column: column.name, bound, decimals: scale, support: g.withChildren });
  }
  return out;
}

/**
 * Whether the children of an FK are worth reading for these rules, judged from the samples alone (no query): a sum
 * needs the parent column's total over all parents near the child term's total over all children (Σ P = Σ children
 * when every parent holds its children's sum; within 25 %, as both are estimated from samples), and a share needs
 * the mean per-parent sum between half its bound and the bound (a tight bound is come close to by many parents,
 * never passed; TPC-H's discounts, 0.375 per part-supplier under a bound of 1, are not). Both are necessary, not sufficient: the rules are
 * still checked parent by parent on the children read.
 */
export function aggregatesPossible(
  parent: Table,
  parentSample: { columns: string[]; rows: Row[]; totalRows: number },
  child: Table,
  childSample: { columns: string[]; rows: Row[]; totalRows: number },
  parentsWithChildren: number,
  excluded: Set<string> = new Set(),
): boolean {
  if (childSample.rows.length === 0 || parentSample.rows.length === 0 || parentsWithChildren <= 0) return false;
  const terms = termCandidates(child, childSample);
  const termTotals = terms.map((t) => {
    const idx = t.map((c) => childSample.columns.indexOf(c));
    return ((termSum(childSample.rows, idx) ?? 0) / childSample.rows.length) * childSample.totalRows;
  });
  const keys = keyColumnNames(parent);
  for (const column of parent.columns) {
    const i = parentSample.columns.indexOf(column.name);
    if (i < 0 || !numericKind(column) || keys.has(column.name) || column.generated !== null || excluded.has(column.name)) continue;
    const total = ((termSum(parentSample.rows, [i]) ?? 0) / parentSample.rows.length) * parentSample.totalRows;
    if (termTotals.some((t) => t !== 0 && total / t > 0.8 && total / t < 1.25)) return true;
  }
  for (const [c] of terms.filter((t) => t.length === 1)) {
    const i = childSample.columns.indexOf(c!);
    let max = 0;
    let negative = false;
    for (const r of childSample.rows) {
      const v = num(r[i] as Value);
      if (v !== null && v < 0) negative = true;
      if (v !== null && v > max) max = v;
    }
    if (negative || max <= 0) continue;
    const bound = 10 ** Math.max(0, Math.ceil(Math.log10(max) - 1e-12));
    const perParent = (((termSum(childSample.rows, [i]) ?? 0) / childSample.rows.length) * childSample.totalRows) / parentsWithChildren;
    if (perParent >= 0.5 * bound && perParent <= bound * (1 + SHARE_OVER_SLACK)) return true;
  }
  return false;
}

/** One `synth plan` line. */
export function describeAggregate(rule: AggregateRule, parentName: string): string {
  if (rule.kind === 'sum') {
    const empty = rule.empty === 'zero' ? '0 without children' : rule.empty === 'null' ? 'NULL without children' : 'kept as generated without children';
    return `${tableKey(rule.parent)}.${rule.column} = Σ ${rule.child.name}.${rule.terms.join(' × ')} (through ${rule.foreignKey}; ${empty}; held on ${rule.support} sampled parents)`;
  }
  return `Σ ${tableKey(rule.child)}.${rule.column} ≤ ${rule.bound} per ${parentName} (through ${rule.foreignKey}; ${rule.support} sampled parents; scaled down to ${rule.decimals} decimal${rule.decimals === 1 ? '' : 's'} where over)`;
}


/**
 * Exact fan-outs: when every parent has the same number of children (80 part-suppliers per supplier), or the
 * count is a function of a parent column (an order's `line_count`, a plan type that fixes its seats), the
 * generated database keeps it exactly instead of drawing a spread around the mean.
 */
import type { Column, Table, TableRef } from '../schema/model.js';
import { findColumn } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';
import type { ChildCountHistogram, Rng } from './model.js';
import { keyColumnNames } from './metadata.js';
import { shuffle } from './keys/shuffle.js';

export type FanOutRule =
  | { child: TableRef; foreignKey: string; kind: 'constant'; count: number }
  | {
      child: TableRef;
      foreignKey: string;
      kind: 'column';
      /** The parent's column that fixes the count. */
      column: string;
      /** Each value of the column with its child count and how many sampled parents had it. */
      byValue: Array<{ value: string | number | boolean; count: number; parents: number }>;
    };

/** `child.fk`, the key rules are looked up by. */
export function fanOutKey(child: TableRef, foreignKey: string): string {
  return `${child.schema}.${child.name}.${foreignKey}`;
}

/** The count every parent has, when the source histogram has exactly one (and no parent without children). */
export function constantFanOut(histogram: ChildCountHistogram | undefined): number | null {
  const entries = (histogram?.counts ?? []).filter((e) => e.parents > 0);
  if (entries.length !== 1) return null;
  const only = entries[0]!;
  return only.children > 0 && only.parents >= 2 ? only.children : null;
}

function plainValue(v: Value | undefined): string | number | boolean | null {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

function countable(column: Column): boolean {
  const k = column.type.kind;
  return k === 'integer' || k === 'text' || k === 'enum' || k === 'boolean';
}

/**
 * A parent column whose every value comes with one child count, over `counts` (children of each sampled parent
 * row). Needs at least two different counts (else it is the constant case), every value seen on `minRepeat` parents
 * on average (a column that is distinct per parent explains anything), and no NULLs.
 */
export function detectColumnFanOut(
  parent: Table,
  sample: { columns: string[]; rows: Row[] },
  counts: number[],
  child: TableRef,
  foreignKey: string,
  options: { minRows?: number; minRepeat?: number } = {},
): FanOutRule | null {
  const minRows = options.minRows ?? 20;
  const minRepeat = options.minRepeat ?? 3;
  if (sample.rows.length < minRows || counts.length !== sample.rows.length) return null;
  if (new Set(counts).size < 2) return null;
  const keys = keyColumnNames(parent);
  let best: FanOutRule | null = null;
  for (const [idx, name] of sample.columns.entries()) {
    const column = findColumn(parent, name);
    if (!column || keys.has(name) || column.generated !== null || !countable(column)) continue;
    const byValue = new Map<string | number | boolean, { count: number; parents: number }>();
    let consistent = true;
    for (let r = 0; r < sample.rows.length && consistent; r++) {
      const v = plainValue(sample.rows[r]![idx] as Value);
      if (v === null) consistent = false;
      else {
        const seen = byValue.get(v);
        if (!seen) byValue.set(v, { count: counts[r]!, parents: 1 });
        else if (seen.count !== counts[r]) consistent = false;
        else seen.parents++;
      }
    }
    if (!consistent || byValue.size * minRepeat > sample.rows.length) continue;
    // The fewest distinct values wins: a plan type (3 values) explains the count better than a line_count copy.
    if (best === null || (best.kind === 'column' && byValue.size < best.byValue.length)) {
      best = { child, foreignKey, kind: 'column', column: name, byValue: [...byValue].map(([value, e]) => ({ value, ...e })) };
    }
  }
  return best;
}

/**
 * One count per parent drawn from the histogram (stratified), summing to `total`, with every count one the source
 * has: a sum that is off is settled by moving single parents to other counts of the histogram, and only what that
 * cannot settle is spread ±1 (so 80 per supplier stays 80 when the totals allow it).
 */
export function allocateInSupport(
  histogram: Array<{ children: number; parents: number }> | undefined,
  parents: number,
  total: number,
  rng: Rng,
  cap = Number.POSITIVE_INFINITY,
): Uint32Array {
  const counts = new Uint32Array(parents);
  const entries = (histogram ?? []).filter((e) => e.parents > 0 && e.children <= cap);
  if (parents === 0 || entries.length === 0) return counts;
  const acc = entries.reduce((s, e) => s + e.parents, 0);
  let sum = 0;
  for (let i = 0; i < parents; i++) {
    let u = ((i + rng.next()) / parents) * acc;
    let k = 0;
    while (k < entries.length - 1 && u >= entries[k]!.parents) u -= entries[k++]!.parents;
    counts[i] = entries[k]!.children;
    sum += counts[i]!;
  }
  shuffle(counts, rng);
  const support = entries.map((e) => e.children);
  let diff = total - sum;
  for (let tries = 0; diff !== 0 && tries < parents * 4 + 100; tries++) {
    const i = rng.int(parents);
    const c = counts[i]!;
    let move = 0;
    for (const v of support) {
      const d = v - c;
      if (d !== 0 && Math.sign(d) === Math.sign(diff) && Math.abs(d) <= Math.abs(diff) && Math.abs(d) > Math.abs(move)) move = d;
    }
    if (move === 0) continue;
    counts[i] = c + move;
    diff -= move;
  }
  // What the support cannot settle (totals that are no sum of source counts): ±1 on random parents.
  for (let guard = 0; diff !== 0 && guard < parents * 1000; guard++) {
    const i = rng.int(parents);
    if (diff > 0 && counts[i]! < cap) {
      counts[i]!++;
      diff--;
    } else if (diff < 0 && counts[i]! > 0) {
      counts[i]!--;
      diff++;
    }
  }
  return counts;
}

/**
 * Second parents for a link table whose rows come grouped by the first parent (`first`, -1 for none): parent b
 * gets exactly `counts[b]` rows and no group holds one parent twice. Gale–Ryser's construction: the parents, most
 * rows first, each take the groups with the most free rows left, which finds such an assignment whenever one
 * exists (a group of 3 290 tracks beside one of 3 290 others, as in a playlist table, included). Within a group
 * the parents are shuffled. null when none exists (a parent with more rows than there are groups).
 */
export function dealDistinct(first: Int32Array, counts: Uint32Array, rng: Rng): Int32Array | null {
  const n = first.length;
  const out = new Int32Array(n).fill(-1);
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && first[j] === first[i]) j++;
    if (first[i]! >= 0) {
      starts.push(i);
      ends.push(j);
    }
    i = j;
  }
  const groups = starts.length;
  let rows = 0;
  for (let g = 0; g < groups; g++) rows += ends[g]! - starts[g]!;
  if (counts.reduce((a, c) => a + c, 0) !== rows) return null;
  // Groups by free rows, descending (ties in random order); kept sorted as rows are taken (see take()).
  const ids = Int32Array.from({ length: groups }, (_, g) => g);
  shuffle(ids, rng);
  ids.sort((x, y) => ends[y]! - starts[y]! - (ends[x]! - starts[x]!));
  const free = Int32Array.from(ids, (g) => ends[g]! - starts[g]!);
  const filled = new Int32Array(groups);
  const parents = Array.from({ length: counts.length }, (_, b) => b);
  shuffle(parents, rng);
  parents.sort((x, y) => counts[y]! - counts[x]!);
  const put = (at: number, b: number): void => {
    const g = ids[at]!;
    out[starts[g]! + filled[g]!++] = b;
    free[at]!--;
  };
  for (const b of parents) {
    const c = counts[b]!;
    if (c === 0) continue;
    if (c > groups || free[c - 1]! === 0) return null;
    // The c groups with the most free rows: all above the c-th's value v, and the last ones of the run equal to v
    // (taking a run's tail keeps `free` sorted).
    const v = free[c - 1]!;
    let lo = 0;
    let hi = c - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (free[mid]! <= v) hi = mid;
      else lo = mid + 1;
    }
    const runStart = lo;
    lo = c - 1;
    hi = groups - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (free[mid]! >= v) lo = mid;
      else hi = mid - 1;
    }
    const runEnd = lo;
    for (let at = 0; at < runStart; at++) put(at, b);
    for (let at = runEnd - (c - runStart) + 1; at <= runEnd; at++) put(at, b);
  }
  for (let g = 0; g < groups; g++) shuffle(out.subarray(starts[g]!, ends[g]!), rng);
  return out;
}

/**
 * The parent column's value for each parent, from the children it was given: one of the values the source has
 * with that count (weighted by how often), or the value of the nearest count when the source has none.
 */
export function valuesForCounts(rule: Extract<FanOutRule, { kind: 'column' }>, counts: ArrayLike<number>, rng: Rng): Value[] {
  const byCount = new Map<number, Array<{ value: string | number | boolean; parents: number }>>();
  for (const e of rule.byValue) {
    const list = byCount.get(e.count) ?? [];
    list.push(e);
    byCount.set(e.count, list);
  }
  const known = [...byCount.keys()].sort((a, b) => a - b);
  const out: Value[] = new Array(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    const exact = byCount.get(c);
    const near = exact ?? byCount.get(known.reduce((best, k) => (Math.abs(k - c) < Math.abs(best - c) ? k : best), known[0]!))!;
    const total = near.reduce((s, e) => s + e.parents, 0);
    let u = rng.next() * total;
    let pick = near[0]!;
    for (const e of near) {
      if (u < e.parents) {
        pick = e;
        break;
      }
      u -= e.parents;
    }
    out[i] = pick.value;
  }
  return out;
}

/**
 * The parent column's values for parents `start … start + count`, as the parent is generated batch by batch. Where the
 * children's counts follow the parent's learned predictions (`childCountsOf`), each batch reads the counts of its own
 * parents, which need only that batch's predictions; otherwise the counts of every parent are read once off the
 * children's drawn parents.
 */
export function countColumnValues(
  rule: Extract<FanOutRule, { kind: 'column' }>,
  child: { rows: number; parentReader(fk: string): (i: number) => number; childCountsOf(fk: string, from: number, to: number): Uint32Array | null },
  foreignKey: string,
  parents: number,
  rng: (suffix: string) => Rng,
): (start: number, count: number) => Value[] {
  let whole: Value[] | null = null;
  return (start, count) => {
    const dealt = child.childCountsOf(foreignKey, start, start + count);
    if (dealt) return valuesForCounts(rule, dealt, rng(`:${start}`));
    if (!whole) {
      const parentOf = child.parentReader(foreignKey);
      const counts = new Uint32Array(parents);
      for (let i = 0; i < child.rows; i++) {
        const p = parentOf(i);
        if (p >= 0 && p < parents) counts[p]!++;
      }
      whole = valuesForCounts(rule, counts, rng(''));
    }
    return whole.slice(start, start + count);
  };
}

/** One line per rule, for `synth plan`. */
export function describeFanOut(rule: FanOutRule, parent: string): string {
  const via = `${rule.child.schema}.${rule.child.name}.${rule.foreignKey}`;
  if (rule.kind === 'constant') return `every ${parent} row has exactly ${rule.count} ${rule.child.name} rows (${via})`;
  const pairs = rule.byValue
    .slice(0, 6)
    .map((e) => `${String(e.value)}→${e.count}`)
    .join(', ');
  return `${rule.child.name} rows per ${parent} row follow ${parent}.${rule.column} (${pairs}${rule.byValue.length > 6 ? ', …' : ''}) (${via})`;
}

/** Self-references: the source's hierarchy level by level at fit time, a forest of the same shape at generation. */
import type { ForeignKey, Table } from '../../schema/model.js';
import type { Rng, TableSample } from '../model.js';
import { allocateInSupport } from '../fan-out.js';
import { allocateCounts } from './child-counts.js';
import { shuffle } from './shuffle.js';

export interface HierarchyLevel {
  nodes: number;
  parents: number;
  /** Children per parent among this level's rows that have children (fitted on the whole table only). */
  fanOuts?: Array<{ children: number; parents: number }>;
}

const MAX_LEVELS = 10_000;

/** Breadth-first levels of a self-reference in the sample, or null when the sample is not the whole table. */
export function fitHierarchy(table: Table, fk: ForeignKey, sample: TableSample): HierarchyLevel[] | null {
  if (sample.rows.length === 0 || sample.rows.length < sample.totalRows) return null;
  const own = fk.references.columns.map((c) => sample.columns.indexOf(c));
  const ref = fk.columns.map((c) => sample.columns.indexOf(c));
  if ([...own, ...ref].some((i) => i < 0)) return null;
  // Numbers and bigints of the same value must meet (an int8 FK to an int4 PK).
  const norm = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'bigint' || typeof v === 'number' ? `n${String(v)}` : `s${String(v)}`);
  const keyOf = (row: readonly unknown[], idx: number[]): string | null => {
    const parts = idx.map((i) => row[i]);
    return parts.some((v) => v === null || v === undefined) ? null : parts.map(norm).join('\u0000');
  };
  const ids = new Set<string>();
  for (const r of sample.rows) {
    const k = keyOf(r, own);
    if (k !== null) ids.add(k);
  }
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const r of sample.rows) {
    const id = keyOf(r, own);
    if (id === null) continue;
    const parent = keyOf(r, ref);
    if (parent === null || parent === id || !ids.has(parent)) roots.push(id);
    else {
      const list = children.get(parent);
      if (list) list.push(id);
      else children.set(parent, [id]);
    }
  }
  if (roots.length === 0) return null;
  const levels: HierarchyLevel[] = [];
  const seen = new Set<string>(roots);
  let level = roots;
  while (level.length > 0 && levels.length < MAX_LEVELS) {
    const next: string[] = [];
    let parents = 0;
    const fanOuts = new Map<number, number>();
    for (const id of level) {
      const kids = (children.get(id) ?? []).filter((k) => !seen.has(k));
      if (kids.length > 0) {
        parents++;
        fanOuts.set(kids.length, (fanOuts.get(kids.length) ?? 0) + 1);
      }
      for (const k of kids) {
        seen.add(k);
        next.push(k);
      }
    }
    const entry: HierarchyLevel = { nodes: level.length, parents };
    if (fanOuts.size > 0) entry.fanOuts = [...fanOuts].sort((a, b) => a[0] - b[0]).map(([children, n]) => ({ children, parents: n }));
    levels.push(entry);
    level = next;
  }
  return levels;
}

/**
 * Self-reference: a forest in breadth-first order, so every row points at an earlier row. `nulls`: how many rows keep a
 * NULL FK (the roots); `levels`: the learned hierarchy, when there is one.
 */
export function selfParents(
  n: number,
  nullable: boolean,
  nulls: number,
  levels: HierarchyLevel[] | undefined,
  histogram: Array<{ children: number; parents: number }> | undefined,
  rng: Rng,
): Int32Array {
  const out = new Int32Array(n).fill(-1);
  let roots = nulls;
  if (nullable && roots === 0) roots = 1;
  if (!nullable) {
    // NOT NULL self-reference: the first row is its own parent (the only way to start the chain).
    out[0] = 0;
    roots = 1;
  }
  if (levels && levels.length > 1) return levelledParents(levels, out, roots, histogram, rng);
  const counts = allocateCounts(histogram, n, n - roots, rng);
  let p = 0;
  let remaining = counts[0] ?? 0;
  for (let i = roots; i < n; i++) {
    while (remaining === 0 && p < i - 1) remaining = counts[++p]!;
    if (remaining > 0 && p < i) {
      out[i] = p;
      remaining--;
    } else out[i] = rng.int(i);
  }
  return out;
}

/**
 * A forest with the source's level sizes (scaled) and, per level, the source's share of rows that have children:
 * rows are laid out level by level, so depth and mean fan-out follow the source and every parent is an earlier row.
 * How many children each parent of a level gets is drawn from that level's counts in the source (a manager of 3
 * and one of 2, not 4 and 1), else from the whole table's counts of parents with children.
 */
function levelledParents(
  levels: HierarchyLevel[],
  out: Int32Array,
  roots: number,
  histogram: Array<{ children: number; parents: number }> | undefined,
  rng: Rng,
): Int32Array {
  const withChildren = (histogram ?? []).filter((e) => e.children > 0 && e.parents > 0);
  const n = out.length;
  const below = levels.slice(1);
  const total = below.reduce((acc, l) => acc + l.nodes, 0);
  const rest = n - roots;
  // Largest-remainder apportionment of the non-root rows over the source's levels.
  const exact = below.map((l) => (total === 0 ? 0 : (l.nodes * rest) / total));
  const sizes = exact.map(Math.floor);
  let left = rest - sizes.reduce((acc, x) => acc + x, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((p, q) => q[0] - p[0] || p[1] - q[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) sizes[order[k]![1]]!++;
  // A level that rounds to zero would cut the tree: its rows (and deeper ones) join the last non-empty level.
  const firstEmpty = sizes.findIndex((x) => x === 0);
  if (firstEmpty >= 0) {
    const moved = sizes.slice(firstEmpty).reduce((acc, x) => acc + x, 0);
    sizes.length = firstEmpty;
    if (sizes.length > 0) sizes[sizes.length - 1]! += moved;
  }
  let parentStart = 0;
  let parentCount = roots;
  let row = roots;
  for (let d = 0; d < sizes.length && parentCount > 0; d++) {
    const size = sizes[d]!;
    const src = levels[d]!;
    const share = src.nodes === 0 ? 1 : src.parents / src.nodes;
    const k = Math.max(1, Math.min(parentCount, size, Math.round(parentCount * share)));
    const pool = new Int32Array(parentCount);
    for (let i = 0; i < parentCount; i++) pool[i] = parentStart + i;
    shuffle(pool, rng);
    const support = src.fanOuts ?? withChildren;
    if (support.length > 0) {
      const counts = allocateInSupport(support, k, size, rng);
      let j = 0;
      for (let p = 0; p < k; p++) for (let c = counts[p]!; c > 0 && j < size; c--) out[row + j++] = pool[p]!;
      for (; j < size; j++) out[row + j] = pool[rng.int(k)]!;
    } else {
      for (let j = 0; j < size; j++) out[row + j] = pool[j < k ? j : rng.int(k)]!;
    }
    parentStart = row;
    parentCount = size;
    row += size;
  }
  // Rows the levels did not place (only when the tree was cut short) hang off earlier rows.
  for (; row < n; row++) out[row] = rng.int(row);
  return out;
}

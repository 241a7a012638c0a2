/**
 * Order invariants: `a ≤ b` pairs that hold on every source sample row (created ≤ updated, rental ≤ return,
 * min ≤ max), within a row or between a child's date and its parent's date through a FK. A model that draws the
 * two columns independently breaks them (a baseline ships half the line items before the order was placed); here
 * the later column is rebuilt as anchor + gap, the gap drawn from its source distribution, after the model drew
 * the row. Both models go through the same step (generate.ts), so neither has to learn the invariant itself.
 */
import type { Column, Table, TableRef } from '../schema/model.js';
import { findColumn } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';
import { conformValue, formatEpoch, parseEpoch, toNumber } from './conform.js';
import { keyColumnNames } from './metadata.js';
import type { Rng } from './model.js';

export interface OrderInvariant {
  table: TableRef;
  /** The column that is never below its anchor. */
  column: string;
  /** A column of the same row, or (with `foreignKey`) of the parent row that FK references. */
  anchor: { column: string; foreignKey?: string };
  kind: 'time' | 'number';
  /**
   * Both sides have the same type (date and date): such an anchor is preferred, since a date rebuilt on a
   * timestamp is rounded up to the next day and the gap it keeps is no longer the source's.
   */
  sameType: boolean;
  /** Sample rows where both sides were non-NULL. */
  support: number;
  /** Evenly spaced quantiles of `column − anchor` (milliseconds for time), ascending, all ≥ 0. */
  gaps: number[];
  /**
   * Marker values of the column above every anchor (employees' `to_date = '9999-01-01'` for current rows): a row the
   * model drew one for keeps it, since an application reads the marker itself; the gaps are those of the other rows.
   */
  sentinels?: number[];
}

/** A value this large a share of the column's rows, above every anchor, is a marker rather than a date. */
const SENTINEL_SHARE = 0.05;

export interface DetectOptions {
  /** Fewest rows with both sides non-NULL before a pair counts as an invariant. */
  minSupport?: number;
  /** Quantiles kept of each gap distribution. */
  quantiles?: number;
}

export const DEFAULT_MIN_SUPPORT = 20;
const DEFAULT_QUANTILES = 256;

/** Rows of a parent aligned with the child's sample rows (null where the parent is unknown). */
export interface AlignedParent {
  foreignKey: string;
  columns: string[];
  rows: Array<Row | null>;
}

function kindOf(column: Column): 'time' | 'number' | null {
  switch (column.type.kind) {
    case 'date':
    case 'timestamp':
      return 'time';
    case 'integer':
    case 'decimal':
    case 'float':
    case 'money':
      return 'number';
    default:
      return null;
  }
}

function numeric(v: Value | undefined, kind: 'time' | 'number'): number | null {
  if (v === null || v === undefined) return null;
  return kind === 'time' ? parseEpoch(v) : toNumber(v);
}

function quantiles(sorted: number[], k: number): number[] {
  if (sorted.length <= k) return sorted;
  const out: number[] = new Array(k);
  for (let i = 0; i < k; i++) out[i] = sorted[Math.min(sorted.length - 1, Math.floor(((i + 0.5) / k) * sorted.length))]!;
  return out;
}

interface Candidate {
  column: string;
  type: string;
  kind: 'time' | 'number';
  values: Array<number | null>;
}

/**
 * Pairs (lo, hi) with lo ≤ hi on every row where both are set. Skipped: fewer than `minSupport` such rows, pairs
 * equal on every row in the `equalAllowed: false` direction (an equal pair is kept once, as a zero gap, so the copy
 * stays a copy), and pairs whose ranges do not even overlap (max lo ≤ min hi: any draw from the two marginals keeps
 * them, and anchoring would only cost the later column its own shape).
 */
function orderedPairs(lo: Candidate, hi: Candidate, minSupport: number, equalAllowed = true): { gaps: number[]; sentinels?: number[] } | null {
  const pairs: Array<[number, number]> = [];
  let loMax = -Infinity;
  for (let i = 0; i < lo.values.length; i++) {
    const a = lo.values[i];
    const b = hi.values[i];
    if (a === null || a === undefined || b === null || b === undefined) continue;
    if (a > b) return null;
    pairs.push([a, b]);
    if (a > loMax) loMax = a;
  }
  if (pairs.length < minSupport) return null;
  const sentinels = markers(pairs, loMax);
  const gaps: number[] = [];
  let hiMin = Infinity;
  for (const [a, b] of pairs) {
    if (sentinels.has(b)) continue;
    gaps.push(b - a);
    if (b < hiMin) hiMin = b;
  }
  if (gaps.length === 0) return null;
  const equal = gaps.every((g) => g === 0);
  if (equal) return equalAllowed ? { gaps } : null;
  if (loMax <= hiMin) return null;
  return { gaps: gaps.sort((x, y) => x - y), ...(sentinels.size > 0 ? { sentinels: [...sentinels].sort((x, y) => x - y) } : {}) };
}

/** Values of the later column above every anchor that hold at least SENTINEL_SHARE of the pairs. */
function markers(pairs: Array<[number, number]>, loMax: number): Set<number> {
  const counts = new Map<number, number>();
  for (const [, b] of pairs) if (b > loMax) counts.set(b, (counts.get(b) ?? 0) + 1);
  return new Set([...counts].filter(([, c]) => c >= Math.max(2, pairs.length * SENTINEL_SHARE)).map(([v]) => v));
}

function candidates(table: Table, columns: string[], rows: ReadonlyArray<Row | null>, exclude: Set<string>): Candidate[] {
  const out: Candidate[] = [];
  columns.forEach((name, idx) => {
    const col = findColumn(table, name);
    if (!col || exclude.has(name) || col.generated !== null) return;
    const kind = kindOf(col);
    if (!kind) return;
    out.push({ column: name, type: col.type.kind, kind, values: rows.map((r) => (r ? numeric(r[idx] as Value, kind) : null)) });
  });
  return out;
}

/**
 * Invariants of one table from its sample: between its own attribute columns (dates and numbers), and between a
 * date of the row and a date of its parent through each FK whose parent rows are given.
 */
export function detectOrderInvariants(
  table: Table,
  sample: { columns: string[]; rows: Row[] },
  parents: AlignedParent[],
  parentTables: Map<string, Table>,
  options: DetectOptions = {},
): OrderInvariant[] {
  const minSupport = options.minSupport ?? DEFAULT_MIN_SUPPORT;
  const k = options.quantiles ?? DEFAULT_QUANTILES;
  const ref = { schema: table.schema, name: table.name };
  const keys = keyColumnNames(table);
  const own = candidates(table, sample.columns, sample.rows, keys);
  // A date in a key (sakila's UNIQUE (rental_date, inventory_id, customer_id), employees' PK (emp_no, from_date))
  // is never rebuilt, since that could repeat a key, but it anchors the row's later dates: return_date ≥ rental_date,
  // to_date ≥ from_date. Integer keys stay out: a surrogate id says nothing about a number beside it.
  const keyDates = candidates(table, sample.columns, sample.rows, new Set(table.columns.map((c) => c.name).filter((c) => !keys.has(c)))).filter((c) => c.kind === 'time');
  const anchors = [...own, ...keyDates];
  const found: OrderInvariant[] = [];
  for (const [i, lo] of anchors.entries()) {
    for (const [j, hi] of own.entries()) {
      if (lo === hi || lo.kind !== hi.kind) continue;
      // An equal pair is kept once; a key date is never rebuilt, so its equal pair is kept in its direction.
      const pair = orderedPairs(lo, hi, minSupport, i >= own.length || i < j);
      if (pair) found.push({ table: ref, column: hi.column, anchor: { column: lo.column }, kind: hi.kind, sameType: lo.type === hi.type, support: pair.gaps.length, gaps: quantiles(pair.gaps, k), ...sentinelsOf(pair) });
    }
  }
  for (const p of parents) {
    const fk = table.foreignKeys.find((f) => f.name === p.foreignKey);
    const parent = fk ? parentTables.get(p.foreignKey) : undefined;
    if (!fk || !parent || p.rows.length !== sample.rows.length) continue;
    const theirs = candidates(parent, p.columns, p.rows, keyColumnNames(parent)).filter((c) => c.kind === 'time');
    for (const lo of theirs) {
      for (const hi of own) {
        if (hi.kind !== 'time') continue;
        const pair = orderedPairs(lo, hi, minSupport);
        if (pair) {
          found.push({ table: ref, column: hi.column, anchor: { column: lo.column, foreignKey: fk.name }, kind: 'time', sameType: lo.type === hi.type, support: pair.gaps.length, gaps: quantiles(pair.gaps, k), ...sentinelsOf(pair) });
        }
      }
    }
  }
  return found;
}

function sentinelsOf(pair: { sentinels?: number[] }): { sentinels?: number[] } {
  return pair.sentinels ? { sentinels: pair.sentinels } : {};
}

function median(gaps: number[]): number {
  return gaps[Math.floor(gaps.length / 2)] ?? 0;
}

/**
 * Which invariant each column is rebuilt from: its closest lower bound of the same type (smallest median gap), so
 * a chain order ≤ ship ≤ receipt is kept by construction (receipt from ship, ship from order). Columns are
 * returned in an order where every same-row anchor is settled before the columns built on it.
 */
export function chooseAnchors(invariants: OrderInvariant[]): OrderInvariant[] {
  const rank = (inv: OrderInvariant): [number, number, number] => [inv.sameType ? 0 : 1, median(inv.gaps), inv.anchor.foreignKey === undefined ? 0 : 1];
  const better = (a: OrderInvariant, b: OrderInvariant): boolean => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] !== y[0] ? x[0] < y[0] : x[1] !== y[1] ? x[1] < y[1] : x[2] < y[2];
  };
  const best = new Map<string, OrderInvariant>();
  for (const inv of invariants) {
    const cur = best.get(inv.column);
    if (!cur || better(inv, cur)) best.set(inv.column, inv);
  }
  // Every same-row lower bound (not only the chosen one) is settled first: the other bounds are checked after.
  const lowers = new Map<string, string[]>();
  for (const inv of invariants) if (inv.anchor.foreignKey === undefined) lowers.set(inv.column, [...(lowers.get(inv.column) ?? []), inv.anchor.column]);
  const ordered: OrderInvariant[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (column: string): void => {
    const inv = best.get(column);
    if (!inv || done.has(column) || visiting.has(column)) return;
    visiting.add(column);
    for (const lower of lowers.get(column) ?? []) visit(lower);
    visiting.delete(column);
    done.add(column);
    ordered.push(inv);
  };
  for (const column of best.keys()) visit(column);
  return ordered;
}

/** A gap drawn from the fitted quantiles. */
export function drawGap(gaps: number[], rng: Rng): number {
  const at = drawGapIndex(gaps, rng);
  return at < 0 ? 0 : gaps[at]!;
}

/** Which of `gaps` drawGap draws (-1 when there are none, and no random number is used). */
function drawGapIndex(gaps: number[], rng: Rng): number {
  return gaps.length === 0 ? -1 : Math.min(gaps.length - 1, Math.floor(rng.next() * gaps.length));
}

/** Parent values of an anchor through a FK, by child row index within the table (null: unknown parent). */
export type ParentAnchor = (rowIndex: number) => Value | null;

export interface InvariantEnforcer {
  /** Rewrites the anchored columns of `rows` (rows `start … start + rows.length − 1` of the table) in place. */
  apply(rows: Row[], start: number, rng: Rng): void;
}

/**
 * Rebuilds every anchored column as anchor + gap. `rankMatched` (a model that learned something about the gap,
 * i.e. the learned one): the batch's gaps are handed out in the order of the gaps the model drew, so which rows get
 * long gaps still follows the model while the gap distribution is the source's; otherwise gaps are independent.
 */
export function createEnforcer(
  table: Table,
  columns: string[],
  invariants: OrderInvariant[],
  parentAnchor: (inv: OrderInvariant) => ParentAnchor | null,
  rankMatched: boolean,
): InvariantEnforcer | null {
  const steps = chooseAnchors(invariants)
    .map((inv) => {
      const target = columns.indexOf(inv.column);
      const column = findColumn(table, inv.column);
      // chooseAnchors settles every same-row lower bound of a column before it.
      const own = inv.anchor.foreignKey === undefined ? columns.indexOf(inv.anchor.column) : -1;
      const parent = inv.anchor.foreignKey === undefined ? null : parentAnchor(inv);
      if (target < 0 || !column || (own < 0 && !parent)) return null;
      return { inv, target, column, own, parent };
    })
    .filter((s): s is NonNullable<typeof s> => s !== null);
  if (steps.length === 0) return null;
  // Bounds that were not chosen as a column's anchor (receipt ≥ order when receipt is built from ship) are
  // checked after it; a row that breaks one takes that bound as its anchor instead.
  const chosen = new Set(steps.map((s) => s.inv));
  const secondary = invariants
    .filter((inv) => !chosen.has(inv))
    .map((inv) => {
      const target = columns.indexOf(inv.column);
      const own = inv.anchor.foreignKey === undefined ? columns.indexOf(inv.anchor.column) : -1;
      const parent = inv.anchor.foreignKey === undefined ? null : parentAnchor(inv);
      return target < 0 || (own < 0 && !parent) ? null : { inv, target, own, parent };
    })
    .filter((s): s is NonNullable<typeof s> => s !== null);
  // Per batch scratch, reused: a JS array of anchors mixed with NULLs boxed every epoch (~10^12, past a small
  // integer) and was, with the arrays beside it, much of the garbage a batch left.
  let anchors = new Float64Array(0);
  let hasAnchor = new Uint8Array(0);
  /**
   * A parent's anchor values (epochs or numbers) for the batch, by FK and column: lineitem's ship, commit and
   * receipt dates all read the order's date, and reading it through the FK and parsing it once per row, not three
   * times, was a fifth of the invariants' time. Pure functions of the row, so the same values.
   */
  let batchNo = 0;
  const parentValues = new Map<string, { values: Float64Array; has: Uint8Array; batch: number }>();
  const parentAnchors = (inv: OrderInvariant, parent: ParentAnchor, start: number, n: number): { values: Float64Array; has: Uint8Array } => {
    const key = `${inv.anchor.foreignKey}\u0000${inv.anchor.column}\u0000${inv.kind}`;
    let got = parentValues.get(key);
    if (got && got.batch === batchNo) return got;
    if (!got || got.values.length < n) parentValues.set(key, (got = { values: new Float64Array(n), has: new Uint8Array(n), batch: -1 }));
    // Siblings follow each other: a value the row before read too (the same string) is not parsed again.
    let before: Value | undefined;
    let parsed: number | null = null;
    for (let r = 0; r < n; r++) {
      const v = parent(start + r);
      if (r === 0 || v !== before) {
        before = v;
        parsed = valueOf(v, inv.kind);
      }
      got.has[r] = parsed === null ? 0 : 1;
      got.values[r] = parsed ?? 0;
    }
    got.batch = batchNo;
    return got;
  };
  /**
   * `numeric` of a date or timestamp string, remembered: the dates a batch parses (the model's drawn ones, those the
   * rules wrote, the parents') are a few thousand spellings, and a lookup is cheaper than a parse.
   */
  const epochs = new Map<string, number | null>();
  const valueOf = (v: Value | undefined, kind: OrderInvariant['kind']): number | null => {
    if (kind !== 'time' || typeof v !== 'string') return numeric(v, kind);
    let t = epochs.get(v);
    if (t === undefined) {
      t = numeric(v, kind);
      if (epochs.size >= REMEMBERED_EPOCHS) epochs.clear();
      epochs.set(v, t);
    }
    return t;
  };
  let drawn = new Float64Array(0);
  /** The index into the invariant's gaps of each row's drawn gap (-1: none, the gaps are empty). */
  let drawnAt = new Int32Array(0);
  let marked = new Uint8Array(0);
  let gaps = new Float64Array(0);
  let byGap = new Float64Array(0);
  let slots = new Int32Array(0);
  /** Per unmarked row, the id of its model gap among the batch's distinct gaps (`rankByValue`). */
  let gapIds = new Int32Array(0);
  const idOf = new Map<number, number>();
  /**
   * The model's own gap orders the rows (ties by row); the source's gaps, sorted, are dealt out in that order: the
   * row of rank k gets the k-th smallest drawn gap. Same ranks as a stable sort by (gap, row).
   */
  const rankMatch = (rows: Row[], n: number, target: number, kind: OrderInvariant['kind'], quantiles: number[]): void => {
    if (gaps.length < n) [gaps, byGap, slots, gapIds] = [new Float64Array(n), new Float64Array(n), new Int32Array(n), new Int32Array(n)];
    let m = 0;
    idOf.clear();
    let few = true;
    for (let r = 0; r < n; r++) {
      if (marked[r]) continue;
      const b = valueOf(rows[r]![target] as Value, kind);
      const gap = !hasAnchor[r] || b === null ? 0 : b - anchors[r]!;
      // NaN has no rank: leave the rows' gaps as drawn, as the comparator would have left them unordered.
      if (Number.isNaN(gap)) return;
      gaps[m] = gap;
      if (few) {
        let id = idOf.get(gap);
        if (id === undefined) {
          few = idOf.size < MAX_DISTINCT_GAPS;
          idOf.set(gap, (id = idOf.size));
        }
        gapIds[m] = id;
      }
      m++;
    }
    const dealt = sortedDrawn(n, m, quantiles);
    if (few) rankByValue(n, m, dealt);
    else rankBySort(n, m, dealt);
  };
  /**
   * The drawn gaps of the unmarked rows, ascending. They are the invariant's quantiles (ascending: a count per
   * quantile spells them out in order, no sort), or, should the quantiles not be ascending, sorted.
   */
  const sortedDrawn = (n: number, m: number, quantiles: number[]): Float64Array => {
    const dealt = new Float64Array(m);
    const q = quantiles.length;
    let ascending = true;
    for (let i = 1; i < q && ascending; i++) ascending = quantiles[i - 1]! < quantiles[i]! || Object.is(quantiles[i - 1], quantiles[i]);
    if (!ascending || q === 0) {
      for (let r = 0, k = 0; r < n; r++) if (!marked[r]) dealt[k++] = drawn[r]!;
      return dealt.sort();
    }
    const count = new Int32Array(q);
    for (let r = 0; r < n; r++) if (!marked[r]) count[drawnAt[r]!]!++;
    for (let i = 0, k = 0; i < q; i++) dealt.fill(quantiles[i]!, k, (k += count[i]!));
    return dealt;
  };
  /**
   * Ranks when the batch's model gaps take few values (dates: whole days): a row's rank is the number of gaps below
   * its own plus the rows before it with the same gap. Typed-array sorts of every row's gap took ~40 % of the rebuild.
   */
  const rankByValue = (n: number, m: number, dealt: Float64Array): void => {
    const distinct = new Float64Array(idOf.size);
    for (const [gap, id] of idOf) distinct[id] = gap;
    const count = new Int32Array(distinct.length);
    for (let k = 0; k < m; k++) count[gapIds[k]!]!++;
    const next = new Int32Array(distinct.length);
    const ascending = distinct.slice().sort();
    for (let i = 0, below = 0; i < ascending.length; i++) {
      const id = idOf.get(ascending[i]!)!;
      next[id] = below;
      below += count[id]!;
    }
    for (let r = 0, k = 0; r < n; r++) if (!marked[r]) drawn[r] = dealt[next[gapIds[k++]!]!++]!;
  };
  /** Ranks by a binary search of each row's gap in the sorted gaps (equal gaps take the next slots in row order). */
  const rankBySort = (n: number, m: number, dealt: Float64Array): void => {
    byGap.set(gaps.subarray(0, m));
    const sortedGaps = byGap.subarray(0, m).sort();
    slots.fill(0, 0, m);
    for (let r = 0, k = 0; r < n; r++) {
      if (marked[r]) continue;
      const g = gaps[k++]!;
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sortedGaps[mid]! < g) lo = mid + 1;
        else hi = mid;
      }
      drawn[r] = dealt[lo + slots[lo]!++]!;
    }
  };
  return {
    apply(rows, start, rng) {
      const n = rows.length;
      if (anchors.length < n) {
        anchors = new Float64Array(n);
        hasAnchor = new Uint8Array(n);
        drawn = new Float64Array(n);
        drawnAt = new Int32Array(n);
        marked = new Uint8Array(n);
      }
      // This batch's parent values are read afresh.
      batchNo++;
      for (const s of steps) {
        const kind = s.inv.kind;
        if (s.parent) {
          const p = parentAnchors(s.inv, s.parent, start, n);
          anchors.set(p.values.subarray(0, n));
          hasAnchor.set(p.has.subarray(0, n));
        } else {
          for (let r = 0; r < n; r++) {
            const a = valueOf(rows[r]![s.own] as Value, kind);
            hasAnchor[r] = a === null ? 0 : 1;
            anchors[r] = a ?? 0;
          }
        }
        // A marker the model drew (at or above its anchor) stays: the row is "current", not a date to rebuild.
        const sentinels = s.inv.sentinels;
        for (let r = 0; r < n; r++) {
          if (!sentinels) {
            marked[r] = 0;
            continue;
          }
          const b = valueOf(rows[r]![s.target] as Value, kind);
          marked[r] = b !== null && sentinels.includes(b) && (hasAnchor[r] ? anchors[r]! : -Infinity) <= b ? 1 : 0;
        }
        // drawGap's draws, keeping which quantile each is.
        const q = s.inv.gaps;
        for (let r = 0; r < n; r++) {
          const at = drawGapIndex(q, rng);
          drawnAt[r] = at;
          drawn[r] = at < 0 ? 0 : q[at]!;
        }
        if (rankMatched) rankMatch(rows, n, s.target, kind, q);
        for (let r = 0; r < n; r++) {
          // A NULL anchor or a NULL value (the column's own null share) leaves the row as the model drew it.
          if (!hasAnchor[r] || rows[r]![s.target] === null || marked[r]) continue;
          rows[r]![s.target] = fromNumber(anchors[r]! + drawn[r]!, s.column);
        }
        for (const x of secondary) {
          if (x.inv.column !== s.inv.column) continue;
          const p = x.parent ? parentAnchors(x.inv, x.parent, start, n) : null;
          for (let r = 0; r < n; r++) {
            const a = p ? (p.has[r] ? p.values[r]! : null) : valueOf(rows[r]![x.own] as Value, x.inv.kind);
            const b = valueOf(rows[r]![x.target] as Value, x.inv.kind);
            if (a !== null && b !== null && a > b) rows[r]![x.target] = fromNumber(a + drawGap(x.inv.gaps, rng), s.column);
          }
        }
      }
    },
  };
}

const DAY = 86_400_000;

/** Past this many distinct model gaps in a batch, ranks come from sorting every row's gap. */
const MAX_DISTINCT_GAPS = 2048;

/** Date and timestamp spellings an enforcer remembers the parse of (a timestamp column may never repeat one). */
const REMEMBERED_EPOCHS = 100_000;

function fromNumber(x: number, column: Column): Value {
  const t = column.type;
  if (t.kind === 'date') {
    // A finite instant's date as formatEpoch writes it is already what conform would make of it (it parses back
    // to the same day): conform only sees what is not.
    const v = formatEpoch(Math.ceil(x / DAY) * DAY, 'date');
    return Number.isFinite(x) ? v : conformValue(v, column);
  }
  if (t.kind === 'timestamp') return conformValue(formatEpoch(Math.ceil(x), 'timestamp', t.withTimeZone, true), column);
  if (t.kind === 'integer') return conformValue(Math.ceil(x), column);
  if (t.kind === 'decimal' && t.scale !== null) {
    const f = 10 ** t.scale;
    return conformValue(Math.ceil(Math.round(x * f * 1e6) / 1e6) / f, column);
  }
  return conformValue(x, column);
}

/** One line per invariant, for `synth plan`. */
export function describeInvariant(inv: OrderInvariant): string {
  const anchor = inv.anchor.foreignKey ? `${inv.anchor.foreignKey} → ${inv.anchor.column}` : inv.anchor.column;
  if (inv.gaps.every((g) => g === 0)) return `${anchor} = ${inv.column} (${inv.support} rows)`;
  const unit = inv.kind === 'time' ? (g: number) => `${(g / DAY).toFixed(g % DAY === 0 ? 0 : 2)}d` : (g: number) => String(Number(g.toPrecision(6)));
  return `${anchor} ≤ ${inv.column} (${inv.support} rows; gap median ${unit(median(inv.gaps))}, max ${unit(inv.gaps[inv.gaps.length - 1] ?? 0)})`;
}

/**
 * Post-generation privacy filters: drop synthetic rows that copy a training row exactly or nearly, and rows
 * that are outliers relative to the training data (values outside everything the model saw).
 *
 * Distance between two rows over the attribute columns is the mean of per-column distances: numeric and
 * datetime |a-b| / range (range from the training data, capped at 1), categorical 0 on equality else 1, NULL
 * equals only NULL. It is a metric, so the near-copy search uses pivot pruning (|d(p,t) - d(p,s)| <= d(s,t)):
 * training rows sorted by their distance to a pivot, candidates in a window, two more pivots to reject most
 * of them before the full distance. When the threshold is too small to allow any categorical mismatch, rows
 * are first blocked on their categorical values. Exact copies are found by hashing.
 *
 * With `matchTolerance` a copy is what SDMetrics' NewRowSynthesis calls one, except on datetime columns: those are
 * compared within tolerance × the column's training range rather than × the value (1 % of an epoch time around 2020
 * is about six months, which made nearly every row of a date-heavy table a copy). That match, and the bands a nudge
 * must leave, are looked up in a CopyIndex (copy-index.ts).
 *
 * Note: these filters read the training rows themselves, so their decisions are not differentially private;
 * they reduce verbatim leakage, and the report says how many rows they removed.
 */
import type { Row, RowBatch, Value } from '../../schema/values.js';
import { categoryKey, CopyIndex, type AcceptedBands, type EncodedRow } from './copy-index.js';
import { datetimeMs, datetimeStep, formatDatetimeLike } from './datetime-values.js';

export type FilterColumnKind = 'numeric' | 'datetime' | 'categorical';

/** The distinct rows a table's compared columns allow (PrivacyFilter.variety). */
export interface Variety {
  columns: string[];
  /** Distinct training values per column. */
  values: number[];
  /** Their product: the distinct rows the columns allow. */
  possible: number;
  /** The combinations the training rows hold. */
  inSource: number;
}

/** Rows the compared columns may allow and still be called few. */
const VARIETY_CAP = 10_000;

/** Values of one column recategorize() tries before the next column (a column of thousands of labels stays cheap). */
const RECATEGORIZE_TRIES = 64;
/** POW10[15 + d] is the double nearest 10^d, as a number literal reads (d = -15 … 15). */
const POW10 = Array.from({ length: 31 }, (_, i) => Number(`1e${i - 15}`));

export interface FilterColumn {
  name: string;
  kind: FilterColumnKind;
  /**
   * The quantum a nudged value is rounded to: for numeric columns 1 for integers, 10^-scale for decimals, undefined
   * for continuous ones; for datetime columns milliseconds, read from the training values when undefined (a day
   * for dates, a second, a millisecond or a microsecond for timestamps). 0 never nudges the column.
   */
  step?: number | undefined;
}

export interface FilterOptions {
  /** Attribute columns compared (keys and PII-transformed columns are usually left out). */
  columns: FilterColumn[];
  /** A synthetic row within this normalized distance of a training row is a near copy (default 0.02). */
  nearThreshold?: number;
  /**
   * Outliers: numeric values outside the training range widened by this fraction of the range on each side
   * (default 0.1), or categorical values never seen in training. Set to null to disable.
   */
  outlierMargin?: number | null;
  /** Also treat rows with no training row within this distance as outliers (off by default; costlier). */
  outlierDistance?: number | null;
  /**
   * When set, a near copy is what SDMetrics' NewRowSynthesis calls a copy (and `nearThreshold` is not used): some
   * training row equals it on every categorical column (NULL = NULL), lies within |matchTolerance × value| of it on
   * every numeric column (SDMetrics' default tolerance is 0.01) and within matchTolerance × the column's training
   * range on every datetime column (SDMetrics uses × value there too; see the module comment).
   */
  matchTolerance?: number | null;
}

export interface FilterCounts {
  total: number;
  kept: number;
  exactCopies: number;
  nearCopies: number;
  outliers: number;
}

export interface FilterResult {
  rows: Row[];
  counts: FilterCounts;
  /** The rows left out, in batch order, and for each whether it copies a training row (else it is an outlier). */
  flagged: Row[];
  copied: boolean[];
  /** Per flagged row: whether it equals a training row on every compared column (an exact copy). */
  exact: boolean[];
}

/** num: NaN for NULL; cat: NULL_CAT for NULL. */
type Encoded = EncodedRow;

const NULL_CAT = '\u0000null';

function toNumber(v: Value, kind: FilterColumnKind): number {
  if (v === null) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    if (kind === 'datetime') {
      const t = datetimeMs(v);
      return Number.isNaN(t) ? Number(v) : t;
    }
    return decimalNumber(v);
  }
  return NaN;
}

/**
 * Number(v), read without the runtime's general parser when v is plain decimal text of at most 15 digits (what
 * generation writes for a decimal): those digits as an integer divided by a power of ten is exact over exact, so
 * correctly rounded, the same double Number() gives. Encoding a row parsed every decimal cell that way, slowly.
 */
export function decimalNumber(v: string): number {
  const len = v.length;
  let i = 0;
  let negative = false;
  if (len > 0 && v.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
  }
  let m = 0;
  let digits = 0;
  let decimals = -1;
  for (; i < len; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === 46 && decimals < 0) decimals = 0;
    else return Number(v);
  }
  if (digits === 0 || digits > 15 || decimals === 0) return Number(v);
  const x = decimals > 0 ? m / 10 ** decimals : m;
  return negative ? -x : x;
}

/**
 * Whether datetime text has the shape of `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, which datetimeMs reads by arithmetic
 * first (conform.ts parseCanonicalEpoch); any other text of that shape falls through to the same parse as before.
 */
function looksCanonical(v: string): boolean {
  return (v.length === 10 || v.length === 19) && v.charCodeAt(4) === 45 && v.charCodeAt(7) === 45;
}

function toCategory(v: Value): string {
  if (v === null) return NULL_CAT;
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return JSON.stringify(v);
}

/** Keeps rows that are neither copies nor outliers; built once per table from the training sample. */
export class PrivacyFilter {
  private readonly numCols: number[] = [];
  private readonly catCols: number[] = [];
  private readonly kinds: FilterColumnKind[] = [];
  private readonly names: string[];
  private readonly ranges: Float64Array;
  private readonly mins: Float64Array;
  private readonly maxs: Float64Array;
  /**
   * Per numeric/datetime column: a datetime value at the column's min or max that holds ≥ 5 % of the training rows
   * (employees' `to_date = '9999-01-01'` for current rows). It marks a state, not a person, and is never nudged: the
   * application reads the marker itself, and the marker's own range makes every other move look cheap.
   */
  private readonly markers: Array<Set<number>>;
  private readonly seenCats: Array<Set<string>>;
  /**
   * Exact keys of the training rows, for the distance threshold only: with `matchTolerance` the copy index answers
   * exactness itself (an exact copy is a copy within tolerance), which spares a key string per training row.
   */
  private readonly exact: Set<string> | null;
  private readonly train: Encoded[] = [];
  private readonly near: number;
  private readonly margin: number | null;
  private readonly outlierDistance: number | null;
  private readonly blockOnCategories: boolean;
  private readonly tol: number | null;
  private readonly steps: Array<number | undefined>;
  /** Per numeric/datetime column: the absolute match band of a datetime column (tol × range), NaN for |tol × value|. */
  private readonly bands: Float64Array;
  /** SDMetrics' match (with `matchTolerance`): training rows blocked on categories, sorted per numeric column. */
  private readonly copies: CopyIndex | null = null;
  private blocks = new Map<string, { rows: Encoded[]; pivots: Encoded[]; dists: Float64Array[]; order: Int32Array }>();

  /**
   * The columns rows are compared on: those of `options.columns` that take more than one value in the training
   * rows. A column that never varies cannot tell one person's row from another's, and comparing on it would call
   * every row of a table whose only attribute is a constant (a load timestamp) a copy.
   */
  readonly compared: string[];

  /** The training rows as given (recategorize() writes a category as a training row holds it). */
  private readonly trainColumns: string[];
  private readonly trainRows: Row[];

  constructor(training: RowBatch, options: FilterOptions) {
    this.trainColumns = training.columns;
    this.trainRows = training.rows;
    const varying = options.columns.filter((c) => {
      const i = training.columns.indexOf(c.name);
      if (i < 0) throw new RangeError(`Training rows have no column ${c.name}`);
      const first = training.rows.length > 0 ? toCategory(training.rows[0]![i] ?? null) : null;
      return training.rows.some((r) => toCategory(r[i] ?? null) !== first);
    });
    options = { ...options, columns: varying };
    this.compared = varying.map((c) => c.name);
    this.names = options.columns.map((c) => c.name);
    const idx = options.columns.map((c) => training.columns.indexOf(c.name));
    options.columns.forEach((c, j) => {
      this.kinds.push(c.kind);
      if (c.kind === 'categorical') this.catCols.push(j);
      else this.numCols.push(j);
    });
    this.near = options.nearThreshold ?? 0.02;
    this.margin = options.outlierMargin === undefined ? 0.1 : options.outlierMargin;
    this.outlierDistance = options.outlierDistance ?? null;
    this.tol = options.matchTolerance ?? null;
    this.steps = this.numCols.map((j) => {
      const c = options.columns[j]!;
      if (c.kind !== 'datetime' || c.step !== undefined) return c.step;
      const at = idx[j]!;
      return datetimeStep(training.rows.map((r) => r[at] ?? null));
    });
    const m = options.columns.length;
    // With fewer than one allowed categorical mismatch, a near copy shares all categorical values.
    this.blockOnCategories = this.catCols.length > 0 && Math.max(this.near, this.outlierDistance ?? 0) * m < 1;

    this.mins = new Float64Array(this.numCols.length).fill(Infinity);
    this.maxs = new Float64Array(this.numCols.length).fill(-Infinity);
    this.seenCats = this.catCols.map(() => new Set<string>());
    const exact = this.tol === null ? new Set<string>() : null;
    this.exact = exact;
    for (const row of training.rows) {
      const e = this.encode(row, idx);
      this.train.push(e);
      exact?.add(this.exactKey(e));
      for (let k = 0; k < e.num.length; k++) {
        const v = e.num[k]!;
        if (v < this.mins[k]!) this.mins[k] = v;
        if (v > this.maxs[k]!) this.maxs[k] = v;
      }
      for (let k = 0; k < e.cat.length; k++) this.seenCats[k]!.add(e.cat[k]!);
    }
    this.markers = this.numCols.map((j, k) => {
      if (this.kinds[j] !== 'datetime') return new Set<number>();
      let atMin = 0;
      let atMax = 0;
      for (const e of this.train) {
        if (e.num[k] === this.mins[k]) atMin++;
        if (e.num[k] === this.maxs[k]) atMax++;
      }
      const heavy = Math.max(2, this.train.length * 0.05);
      return new Set([...(atMin >= heavy ? [this.mins[k]!] : []), ...(atMax >= heavy ? [this.maxs[k]!] : [])]);
    });
    this.ranges = Float64Array.from(this.mins, (lo, k) => {
      const r = this.maxs[k]! - lo;
      return Number.isFinite(r) && r > 0 ? r : 1;
    });
    this.bands = Float64Array.from(this.numCols, (j, k) => {
      if (this.kinds[j] !== 'datetime' || this.tol === null) return NaN;
      const r = this.maxs[k]! - this.mins[k]!;
      return Number.isFinite(r) ? Math.abs(this.tol) * r : 0;
    });
    // The pivot index serves the distance threshold and `outlierDistance`; the tolerance match has its own.
    if (this.tol === null || this.outlierDistance !== null) this.buildIndex();
    if (this.tol !== null) this.copies = new CopyIndex(this.train, this.tol, this.bands);
    const scratch = (): Encoded => ({ num: new Float64Array(this.numCols.length), cat: new Array<string>(this.catCols.length) });
    this.escapeScratch = [scratch(), scratch()];
  }

  /**
   * The value nearest to s.num[k] that no training row matching s on every other column accepts within the
   * tolerance, rounded to the column's step and inside the training range; null when there is none.
   */
  private nudgeValue(s: Encoded, k: number, bestCost: number): number | null {
    const v = s.num[k]!;
    const step = this.steps[k];
    if (Number.isNaN(v) || step === 0 || this.markers[k]!.has(v)) return null;
    // Null also when no value can cost less than the best move of an earlier column (it would not be chosen).
    const merged = this.copies!.accepted(s, k, this.ranges[k]!, bestCost);
    if (merged === null) return null;
    if (merged.count === 0) return v;
    // The band holding v is where both walks start (finding its ends reads every value merged into it).
    if (!merged.holding(v)) return v >= this.mins[k]! && v <= this.maxs[k]! ? v : null;
    const low = merged.low;
    const high = merged.high;
    const down = this.walk(merged, k, low, -1);
    const up = this.walk(merged, k, high, 1);
    if (down === null) return up;
    if (up === null) return down;
    return Math.abs(down - v) <= Math.abs(up - v) ? down : up;
  }

  /**
   * From the band edge `edge`, past band edge after band edge in direction `dir` until a value outside every band:
   * that value if it lies in column k's training range, else null. (Methods rather than closures: this runs per
   * copied row.)
   */
  private walk(merged: AcceptedBands, k: number, edge: number, dir: -1 | 1): number | null {
    const lo = this.mins[k]!;
    const hi = this.maxs[k]!;
    let x = this.past(k, edge, dir);
    if (x < lo || x > hi) return null;
    // Each step passes one more band (count bounds them), so the guard is never what ends the walk.
    for (let guard = 1; guard <= merged.count + 1; guard++) {
      if (!merged.holding(x)) return x >= lo && x <= hi ? x : null;
      x = this.past(k, dir < 0 ? merged.low : merged.high, dir);
      if (x < lo || x > hi) return null;
    }
    return null;
  }

  /** The first value of column k just past band edge `edge` in direction `dir`, on the column's own step. */
  private past(k: number, edge: number, dir: -1 | 1): number {
    return this.quantize(k, edge + dir * this.pad(k, edge), dir);
  }

  /**
   * Past a band edge by more than float32/decimal rounding can take back (an epoch time needs no float32 slack,
   * and 1e-6 of it would be half an hour).
   */
  private pad(k: number, x: number): number {
    const fixed = this.bands[k]!;
    return Number.isNaN(fixed) ? Math.max(Math.abs(x) * 1e-6, 1e-9) : Math.max(fixed * 1e-6, Math.abs(x) * 1e-14, 1e-9);
  }

  /** x rounded to column k's step, in direction `dir`, and to the step's decimals (so 0.1 + 0.2 stays 0.3). */
  private quantize(k: number, x: number, dir: -1 | 1): number {
    const step = this.steps[k];
    if (step === undefined) return x;
    const m = dir < 0 ? Math.floor(x / step) : Math.ceil(x / step);
    const q = m * step;
    const decimals = step > 0 ? Math.max(0, Math.round(-Math.log10(step))) : null;
    // What Number(q.toFixed(decimals)) gives, without its string (a walk quantizes per band it passes): q is a whole
    // multiple of an integer step, or m / 10^d for a step of 10^-d (toFixed's digits are m's while |m| is far below
    // 2^52, and both divisions round the same real number); + 0 as toFixed turns -0 into 0.
    if (decimals === 0 && Number.isInteger(step) && Math.abs(q) < 2 ** 53) return q + 0;
    if (decimals !== null && decimals >= 1 && decimals <= 15 && Math.abs(m) < 2 ** 50 && step === POW10[15 - decimals]) return m / POW10[15 + decimals]! + 0;
    return decimals === null ? q : Number(q.toFixed(decimals));
  }

  /**
   * Moves one numeric or datetime value of a row that copies a training row (SDMetrics' definition, datetimes
   * within tolerance × range) just outside the band of every matching training row: the column whose move is
   * smallest relative to its training range, within that range and rounded to the column's step (a day for
   * dates). Writes the value into `row`, in the type and shape it had; order invariants between dates are
   * re-applied after the filters by the generation's data rules. Returns whether the row is now kept (neither a
   * copy nor an outlier). Needs `matchTolerance`. `copied`: whether the row, as it is, copies a training row, when a
   * filterBatch just said so (its `copied`), so the index is not asked again. `frozen`: columns a nudge may not move
   * (the data rules rewrite them after the filters, so a nudge there would not reach the target).
   */
  escape(row: Row, columns: readonly string[], copied?: boolean, frozen?: ReadonlySet<string>): boolean {
    if (this.names.length === 0) return true;
    if (this.tol === null) return false;
    // Flagged and no copy: an outlier, which no nudge fixes.
    if (copied === false) return false;
    const idx = this.indexesIn(columns);
    const e = this.encode(row, idx, this.escapeScratch[0]);
    // Not a copy: kept unless an outlier (what classifyEncoded would say, without asking the index again).
    if (copied === undefined && !this.copies!.isCopy(e)) return !this.isOutlier(e);
    let best: { k: number; x: number; cost: number } | null = null;
    for (let k = 0; k < e.num.length; k++) {
      if (frozen?.has(this.names[this.numCols[k]!]!)) continue;
      const x = this.nudgeValue(e, k, best === null ? Infinity : best.cost);
      if (x === null) continue;
      const cost = Math.abs(x - e.num[k]!) / this.ranges[k]!;
      if (best === null || cost < best.cost) best = { k, x, cost };
    }
    if (best === null) return false;
    const at = idx[this.numCols[best.k]!]!;
    const old = row[at] ?? null;
    row[at] = this.written(best.k, best.x, old);
    // Judged on the value as written (a datetime reparsed from its text), so no rounding brings a copy back.
    if (this.classifyEncoded(this.encode(row, idx, this.escapeScratch[1])) !== null) {
      row[at] = old;
      return false;
    }
    return true;
  }

  /** x as numeric column k's value is written, in the type and shape `old` had. */
  private written(k: number, x: number, old: Value): Value {
    const step = this.steps[k];
    if (this.kinds[this.numCols[k]!] === 'datetime') return formatDatetimeLike(x, old, step);
    if (typeof old === 'bigint') return BigInt(Math.round(x));
    if (typeof old === 'string') return step !== undefined && step > 0 ? x.toFixed(Math.max(0, Math.round(-Math.log10(step)))) : String(x);
    return x;
  }

  /**
   * For a copy neither a nudge nor a redraw fixed (its values are dense, or all but one are markers): when it equals
   * a training row exactly, moves one numeric or datetime value by one step (the smallest move relative to its range,
   * inside the range, never a marker), so no real row is replayed verbatim; it stays a near copy. Returns whether the
   * row changed. `frozen`: columns it may not move (as escape's).
   */
  unexact(row: Row, columns: readonly string[], frozen?: ReadonlySet<string>): boolean {
    if (this.names.length === 0) return false;
    const idx = this.indexesIn(columns);
    const e = this.encode(row, idx, this.escapeScratch[0]);
    if (this.onlyMarkers(e) || !this.isExact(e)) return false;
    let best: { k: number; x: number; cost: number } | null = null;
    for (let k = 0; k < e.num.length; k++) {
      const v = e.num[k]!;
      const step = this.steps[k];
      if (Number.isNaN(v) || step === 0 || this.markers[k]!.has(v) || frozen?.has(this.names[this.numCols[k]!]!)) continue;
      const d = step ?? this.pad(k, v);
      const cost = d / this.ranges[k]!;
      if (best !== null && cost >= best.cost) continue;
      const x = v + d <= this.maxs[k]! ? v + d : v - d;
      if (x >= this.mins[k]! && x <= this.maxs[k]!) best = { k, x: this.quantize(k, x, x > v ? 1 : -1), cost };
    }
    if (best === null) return false;
    const at = idx[this.numCols[best.k]!]!;
    const old = row[at] ?? null;
    row[at] = this.written(best.k, best.x, old);
    if (this.isExact(this.encode(row, idx, this.escapeScratch[1]))) {
      row[at] = old;
      return false;
    }
    return true;
  }

  /**
   * For a copy of a guarded table that neither a nudge nor a redraw fixed and whose only free columns are categories
   * (northwind's customers: a job title, a region and a country; the learned model replays their real combinations):
   * changes one categorical value to another training value of its column so the row matches no training row and is
   * no outlier. The column with the fewest training values that allows it is changed (a label rather than a place);
   * the new value is drawn by its training frequency with `u` (uniform in [0, 1)), so the column keeps its shares.
   * Returns whether the row changed; false when every value of every column still copies a real row (chinook's
   * customer: every country is some real customer's). `frozen`: columns it may not change, those the data rules write
   * or read after the filters (a region the location fakes draw from the row's country: a new region would be drawn
   * over, a new country would leave the row's region in another country).
   */
  recategorize(row: Row, columns: readonly string[], u: number, frozen?: ReadonlySet<string>): boolean {
    if (this.catCols.length === 0 || this.names.length === 0) return false;
    const idx = this.indexesIn(columns);
    const e = this.encode(row, idx, this.escapeScratch[0]);
    const verdict = this.classifyEncoded(e);
    if (verdict !== 'exact' && verdict !== 'near') return false;
    const counts = (this.catCounts ??= this.countCategories());
    const order = this.catCols.map((_, k) => k).sort((a, b) => counts[a]!.values.length - counts[b]!.values.length);
    for (const k of order) {
      if (frozen?.has(this.names[this.catCols[k]!]!)) continue;
      const { values, weights, total } = counts[k]!;
      const own = e.cat[k]!;
      // The value u draws by the cumulative weights, or the next one after it that works (going round once).
      let start = 0;
      for (let acc = weights[0]!; start < values.length - 1 && acc <= u * total; acc += weights[++start]!);
      for (let i = 0; i < values.length && i < RECATEGORIZE_TRIES; i++) {
        const v = values[(start + i) % values.length]!;
        if (v === own) continue;
        e.cat[k] = v;
        if (this.classifyEncoded(e) === null) {
          const at = idx[this.catCols[k]!]!;
          row[at] = this.categoryValue(k, v);
          return true;
        }
      }
      e.cat[k] = own;
    }
    return false;
  }

  /** Per categorical column: its training values, their counts and total (recategorize's weighted draw). */
  private catCounts: Array<{ values: string[]; weights: number[]; total: number; raw: Map<string, Value> }> | null = null;

  private countCategories(): Array<{ values: string[]; weights: number[]; total: number; raw: Map<string, Value> }> {
    return this.catCols.map((_, k) => {
      const n = new Map<string, number>();
      for (const t of this.train) n.set(t.cat[k]!, (n.get(t.cat[k]!) ?? 0) + 1);
      const values = [...n.keys()].sort();
      const weights = values.map((v) => n.get(v)!);
      return { values, weights, total: weights.reduce((a, b) => a + b, 0), raw: new Map() };
    });
  }

  /** The value a training row holds for category key `v` of categorical column k (as read, so its type is the column's). */
  private categoryValue(k: number, v: string): Value {
    const c = this.catCounts![k]!;
    if (!c.raw.has(v)) {
      const at = this.trainColumns.indexOf(this.names[this.catCols[k]!]!);
      const found = this.trainRows.find((r) => toCategory(r[at] ?? null) === v);
      c.raw.set(v, found ? (found[at] ?? null) : v === NULL_CAT ? null : v);
    }
    return c.raw.get(v)!;
  }

  /** Encoded rows escape() reuses (one as drawn, one as nudged): it keeps nothing of them between calls. */
  private readonly escapeScratch: [Encoded, Encoded];

  /** Where `names` lie in the last `columns` escape() was given (callers pass one batch's columns for many rows). */
  private lastColumns: readonly string[] | null = null;
  private lastIdx: number[] = [];

  private indexesIn(columns: readonly string[]): number[] {
    if (columns !== this.lastColumns) {
      this.lastIdx = this.names.map((n) => columns.indexOf(n));
      this.lastColumns = columns;
    }
    return this.lastIdx;
  }

  /**
   * Parsed datetime texts per numeric column, for the shapes parsed by regular expression (~1 µs each): dates repeat
   * across rows. A column whose texts rarely repeat stops caching (null) once misses outnumber hits after its first
   * 4096. The canonical shapes generation writes (looksCanonical) are parsed directly: by arithmetic that costs less
   * than hashing the text for the lookup (~60 against ~300 ns on lineitem's dates).
   */
  private readonly parsed: Array<{ cache: Map<string, number>; hits: number; misses: number } | null | undefined> = [];

  private encode(row: Row, idx: number[], into?: Encoded): Encoded {
    const num = into?.num ?? new Float64Array(this.numCols.length);
    const cat: string[] = into?.cat ?? new Array<string>(this.catCols.length);
    for (let k = 0; k < this.numCols.length; k++) {
      const j = this.numCols[k]!;
      const v = row[idx[j]!] ?? null;
      let p = typeof v === 'string' && this.kinds[j] === 'datetime' && !looksCanonical(v) ? this.parsed[k] : null;
      if (p === undefined) this.parsed[k] = p = { cache: new Map(), hits: 0, misses: 0 };
      if (p !== null && typeof v === 'string') {
        let x = p.cache.get(v);
        if (x === undefined) {
          if (p.cache.size >= 1 << 16) p.cache.clear();
          p.cache.set(v, (x = toNumber(v, 'datetime')));
          if (++p.misses > 4096 && p.misses > p.hits) this.parsed[k] = null;
        } else p.hits++;
        num[k] = x;
      } else num[k] = toNumber(v, this.kinds[j]!);
    }
    for (let c = 0; c < this.catCols.length; c++) cat[c] = toCategory(row[idx[this.catCols[c]!]!] ?? null);
    return into ?? { num, cat };
  }

  /** Whether `e` equals a training row on every compared column (numbers as exactKey reads them: -0 = 0, NaN = NaN). */
  private isExact(e: Encoded): boolean {
    return this.copies !== null ? this.copies.hasExact(e) : this.exact!.has(this.exactKey(e));
  }

  private exactKey(e: Encoded): string {
    // Numbers as their shortest round-trip text (NaN for NULL), categories length-prefixed: no two rows collide.
    let k = '';
    for (let i = 0; i < e.num.length; i++) k += `${e.num[i]},`;
    return k + categoryKey(e.cat);
  }

  /** Sum of per-column distances (the mean times the column count). */
  private dist(a: Encoded, b: Encoded): number {
    let d = 0;
    for (let k = 0; k < a.num.length; k++) {
      const x = a.num[k]!;
      const y = b.num[k]!;
      const xn = Number.isNaN(x);
      const yn = Number.isNaN(y);
      if (xn || yn) d += xn && yn ? 0 : 1;
      else d += Math.min(1, Math.abs(x - y) / this.ranges[k]!);
    }
    for (let k = 0; k < a.cat.length; k++) if (a.cat[k] !== b.cat[k]) d += 1;
    return d;
  }

  private blockKey(e: Encoded): string {
    return this.blockOnCategories ? JSON.stringify(e.cat) : '';
  }

  private buildIndex(): void {
    const grouped = new Map<string, Encoded[]>();
    for (const e of this.train) {
      const k = this.blockKey(e);
      const g = grouped.get(k);
      if (g) g.push(e);
      else grouped.set(k, [e]);
    }
    for (const [k, rows] of grouped) {
      // Pivots: the first row, then the farthest from it, then the farthest from both (spread-out pivots prune best).
      const pivots: Encoded[] = [rows[0]!];
      while (pivots.length < Math.min(3, rows.length)) {
        let best = rows[0]!;
        let bestD = -1;
        for (const r of rows) {
          let d = Infinity;
          for (const p of pivots) d = Math.min(d, this.dist(r, p));
          if (d > bestD) {
            bestD = d;
            best = r;
          }
        }
        pivots.push(best);
      }
      const dists = pivots.map((p) => Float64Array.from(rows, (r) => this.dist(r, p)));
      const order = Int32Array.from(rows.keys()).sort((a, b) => dists[0]![a]! - dists[0]![b]!);
      this.blocks.set(k, { rows, pivots, dists, order });
    }
  }

  /** Whether some training row lies within `radius` (sum of column distances) of `s`. */
  private anyWithin(s: Encoded, radius: number): boolean {
    const block = this.blocks.get(this.blockKey(s));
    if (!block) return false;
    const sp = block.pivots.map((p) => this.dist(s, p));
    const d0 = block.dists[0]!;
    const { order } = block;
    // First position with d0 >= sp0 - radius.
    let lo = 0;
    let hi = order.length;
    const from = sp[0]! - radius;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (d0[order[mid]!]! < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < order.length; i++) {
      const t = order[i]!;
      if (d0[t]! > sp[0]! + radius) break;
      let pruned = false;
      for (let p = 1; p < block.pivots.length; p++) {
        if (Math.abs(block.dists[p]![t]! - sp[p]!) > radius) {
          pruned = true;
          break;
        }
      }
      if (!pruned && this.dist(s, block.rows[t]!) <= radius + 1e-12) return true;
    }
    return false;
  }

  private isOutlier(e: Encoded): boolean {
    if (this.margin !== null) {
      for (let k = 0; k < e.num.length; k++) {
        const v = e.num[k]!;
        if (Number.isNaN(v)) continue;
        const pad = this.margin * (this.maxs[k]! - this.mins[k]!);
        if (v < this.mins[k]! - pad || v > this.maxs[k]! + pad) return true;
      }
      for (let k = 0; k < e.cat.length; k++) if (!this.seenCats[k]!.has(e.cat[k]!)) return true;
    }
    if (this.outlierDistance !== null && !this.anyWithin(e, this.outlierDistance * this.names.length)) return true;
    return false;
  }

  /** Classifies one row: 'exact' | 'near' | 'outlier' | null (kept). */
  classify(row: Row, columns: readonly string[]): 'exact' | 'near' | 'outlier' | null {
    const idx = this.names.map((n) => columns.indexOf(n));
    return this.classifyEncoded(this.encode(row, idx));
  }

  /**
   * How many distinct rows the compared columns allow, when that is few (at most VARIETY_CAP): each column's distinct
   * training values multiplied, and how many of those combinations the training rows hold. When they hold (nearly) all,
   * every generated row matches a real one whatever the model draws (a status table, a link table's flags): such a
   * match is unavoidable and tells no row apart. Null when the columns allow more rows than that.
   */
  variety(): Variety | null {
    if (this.names.length === 0) return null;
    const values: number[] = [];
    // Categorical columns first (their counts are known), then each numeric column counted only up to what keeps the
    // product within the cap: null exactly when the full product exceeds it (with any training row every count is at
    // least 1, so the running product only grows), without counting 20 000 distinct amounts per column.
    let possible = 1;
    this.catCols.forEach((j, k) => {
      values[j] = this.seenCats[k]!.size;
      possible *= values[j];
    });
    if (possible > VARIETY_CAP) return null;
    for (let k = 0; k < this.numCols.length; k++) {
      const cap = possible > 0 ? Math.floor(VARIETY_CAP / possible) : VARIETY_CAP;
      const seen = new Set<number>();
      for (const e of this.train) {
        seen.add(e.num[k]!);
        if (seen.size > cap) return null;
      }
      values[this.numCols[k]!] = seen.size;
      possible *= seen.size;
    }
    let inSource = this.exact?.size;
    if (inSource === undefined) {
      const keys = new Set<string>();
      for (const e of this.train) keys.add(this.exactKey(e));
      inSource = keys.size;
    }
    return { columns: [...this.names], values, possible, inSource };
  }

  /** The compared columns that hold a marker value (a datetime at its min or max on ≥ 5 % of the training rows). */
  markedColumns(): string[] {
    return this.numCols.filter((_, k) => this.markers[k]!.size > 0).map((j) => this.names[j]!);
  }

  /** Whether `value` is a marker of column `name` (markedColumns); false for any other column. */
  isMarker(name: string, value: Value): boolean {
    const k = this.numCols.findIndex((j) => this.names[j] === name);
    return k >= 0 && this.markers[k]!.size > 0 && this.markers[k]!.has(toNumber(value, this.kinds[this.numCols[k]!]!));
  }

  private onlyMarkers(e: Encoded): boolean {
    if (this.catCols.length > 0) return false;
    for (let k = 0; k < e.num.length; k++) if (!this.markers[k]!.has(e.num[k]!)) return false;
    return true;
  }

  private classifyEncoded(e: Encoded): 'exact' | 'near' | 'outlier' | null {
    // Nothing varies: no row can be told apart from another, so none is a copy.
    if (this.names.length === 0) return null;
    // Nothing but markers (titles' only attribute is to_date; '9999-01-01' on half the rows): no person either.
    if (this.onlyMarkers(e)) return null;
    if (this.copies !== null) {
      // Every exact copy is also a copy within tolerance, so the exact key is only built for copies.
      if (this.copies.isCopy(e)) return this.copies.hasExact(e) ? 'exact' : 'near';
    } else if (this.isExact(e)) return 'exact';
    else if (this.near > 0 && this.anyWithin(e, this.near * this.names.length)) return 'near';
    if (this.isOutlier(e)) return 'outlier';
    return null;
  }

  /** Filters one batch of synthetic rows; counts add up across calls in `totals` (unless `count` is false: a probe). */
  filterBatch(batch: RowBatch, count = true): FilterResult {
    const idx = this.names.map((n) => {
      const i = batch.columns.indexOf(n);
      if (i < 0) throw new RangeError(`Synthetic rows have no column ${n}`);
      return i;
    });
    const counts: FilterCounts = { total: batch.rows.length, kept: 0, exactCopies: 0, nearCopies: 0, outliers: 0 };
    const rows: Row[] = [];
    const flagged: Row[] = [];
    const copied: boolean[] = [];
    const exact: boolean[] = [];
    // One encoded row reused across the batch: classifying keeps nothing of it.
    const scratch: Encoded = { num: new Float64Array(this.numCols.length), cat: new Array<string>(this.catCols.length) };
    for (const row of batch.rows) {
      const verdict = this.classifyEncoded(this.encode(row, idx, scratch));
      if (verdict === null) {
        rows.push(row);
        continue;
      }
      if (verdict === 'exact') counts.exactCopies++;
      else if (verdict === 'near') counts.nearCopies++;
      else counts.outliers++;
      flagged.push(row);
      copied.push(verdict !== 'outlier');
      exact.push(verdict === 'exact');
    }
    counts.kept = rows.length;
    if (count) addCounts(this.totals, counts);
    return { rows, counts, flagged, copied, exact };
  }

  readonly totals: FilterCounts = { total: 0, kept: 0, exactCopies: 0, nearCopies: 0, outliers: 0 };

  /** Filters a stream of batches, batch by batch (memory: the training sample only). */
  async *filterStream(batches: AsyncIterable<RowBatch>): AsyncGenerator<RowBatch> {
    for await (const b of batches) {
      const r = this.filterBatch(b);
      if (r.rows.length > 0) yield { columns: b.columns, rows: r.rows };
    }
  }
}

function addCounts(into: FilterCounts, c: FilterCounts): void {
  into.total += c.total;
  into.kept += c.kept;
  into.exactCopies += c.exactCopies;
  into.nearCopies += c.nearCopies;
  into.outliers += c.outliers;
}

/** One-shot form: the kept synthetic rows and the counts for the report. */
export function filterRows(training: RowBatch, synthetic: RowBatch, options: FilterOptions): FilterResult {
  return new PrivacyFilter(training, options).filterBatch(synthetic);
}

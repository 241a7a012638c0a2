/**
 * The index behind SDMetrics' NewRowSynthesis match (filters.ts with `matchTolerance`): which training rows a
 * synthetic row copies within tolerance, and, for a nudge, which values of one column the matching rows accept.
 *
 * Training rows are blocked on their categorical values (a copy equals them all), and inside a block each numeric or
 * datetime column keeps its own sorted order. A query binary-searches its tolerance window on every column and scans
 * only the narrowest one, so the work per row is a few binary searches plus the rows that agree on the most selective
 * column — not the block (a block of a table without categorical columns is the whole sample, and scanning it per
 * nudged row made the filters cost 40 s on a 28k-row table).
 */

/** A row as the filters compare it: numeric/datetime values (NaN for NULL) and categorical values as strings. */
export interface EncodedRow {
  num: Float64Array;
  cat: string[];
}

interface Block {
  n: number;
  /** All numeric values, row-major in block order (`width` per row). */
  flat: Float64Array;
  /** Per numeric column: row indexes sorted by the column's value, NULLs (NaN) last. */
  order: Int32Array[];
  /** Per numeric column: the values in that order. */
  sorted: Float64Array[];
  /** Per numeric column: each row's position in that order (the inverse of `order`). */
  rank: Int32Array[];
  /** Per numeric column: where the NULLs start in `sorted`. */
  nulls: number[];
  /**
   * For the most selective columns: all numeric values row-major in that column's order, so a window is scanned
   * sequentially (through `order` into `flat`, each row is a cache miss: ~50 ns against a few).
   */
  packed: Array<Float64Array | null>;
  /** The merged bands of the only numeric column (they then depend on nothing but the block); built on first use. */
  single: Bands | null;
}

/**
 * Sorted, disjoint bands of values, flat: band i is [edges[2i], edges[2i + 1]]. Flat, and in a buffer the index
 * reuses, because a nudge merges a band per accepting training row (hundreds) for every copied row it moves.
 */
export interface Bands {
  edges: Float64Array;
  count: number;
}

/** Blocks by categorical value, one level per categorical column: a lookup builds no key string. */
type BlockTrie = Map<string, BlockTrie | Block>;

/** A key naming the categorical values unambiguously (length-prefixed, so no separator can collide). */
export function categoryKey(cat: readonly string[]): string {
  let k = '';
  for (const c of cat) k += `${c.length}:${c}`;
  return k;
}

/** First index in sorted[0, end) whose value is >= x. */
function lowerBound(sorted: Float64Array, end: number, x: number): number {
  let lo = 0;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in sorted[start, end) whose value is > x (every value before `start` is <= x). */
function upperBound(sorted: Float64Array, start: number, end: number, x: number): number {
  let lo = start;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Sorts a[lo, hi) ascending in place (no NaN in it): quicksort with a median of three, insertion sort below 24
 * values. Float64Array.prototype.sort took ~30 ns a value on the hundreds a nudge sorts, several times this.
 * -0 and 0 may come out in either order: they have the same band.
 */
export function sortNumbers(a: Float64Array, lo: number, hi: number): void {
  while (hi - lo > 24) {
    const x = a[lo]!;
    const y = a[(lo + hi) >>> 1]!;
    const z = a[hi - 1]!;
    const p = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi - 1;
    for (;;) {
      while (a[i]! < p) i++;
      while (a[j]! > p) j--;
      if (i >= j) break;
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
      i++;
      j--;
    }
    // [lo, j] holds values <= p, [j + 1, hi) values >= p: recurse into the smaller part, loop on the other.
    if (j + 1 - lo < hi - j - 1) {
      sortNumbers(a, lo, j + 1);
      lo = j + 1;
    } else {
      sortNumbers(a, j + 1, hi);
      hi = j + 1;
    }
  }
  for (let i = lo + 1; i < hi; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= lo && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/** Whether row a sorts before row b: by key, then by index (-0 and 0 are one key, as a comparator's difference says). */
function before(keys: Float64Array, a: number, b: number): boolean {
  const x = keys[a]!;
  const y = keys[b]!;
  return x < y || (x === y && a < b);
}

/**
 * Sorts the row indexes o[lo, hi) by keys[index] (no NaN in keys), ties by index: the order of
 * `o.sort((a, b) => keys[a] - keys[b] || a - b)`, which is unique, without a call of a comparator per comparison
 * (that sort was most of building the index of a 20 000-row sample).
 */
export function sortIndexes(o: Int32Array, keys: Float64Array, lo: number, hi: number): void {
  while (hi - lo > 24) {
    const a = o[lo]!;
    const b = o[(lo + hi) >>> 1]!;
    const c = o[hi - 1]!;
    const p = before(keys, a, b) ? (before(keys, b, c) ? b : before(keys, a, c) ? c : a) : before(keys, a, c) ? a : before(keys, b, c) ? c : b;
    let i = lo;
    let j = hi - 1;
    for (;;) {
      while (before(keys, o[i]!, p)) i++;
      while (before(keys, p, o[j]!)) j--;
      if (i >= j) break;
      const t = o[i]!;
      o[i] = o[j]!;
      o[j] = t;
      i++;
      j--;
    }
    if (j + 1 - lo < hi - j - 1) {
      sortIndexes(o, keys, lo, j + 1);
      lo = j + 1;
    } else {
      sortIndexes(o, keys, j + 1, hi);
      hi = j + 1;
    }
  }
  for (let i = lo + 1; i < hi; i++) {
    const v = o[i]!;
    let j = i - 1;
    while (j >= lo && before(keys, v, o[j]!)) {
      o[j + 1] = o[j]!;
      j--;
    }
    o[j + 1] = v;
  }
}

/** The index of the band of sorted, disjoint `merged` that holds x, or -1. */
export function bandAt(merged: Bands, x: number): number {
  const edges = merged.edges;
  let lo = 0;
  let hi = merged.count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[2 * mid + 1]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < merged.count && edges[2 * lo]! <= x ? lo : -1;
}

/**
 * The accepting values of a nudge, as a walk reads them: whether a value lies in a merged band, and that band's ends.
 * `count` is 0 exactly when no value was accepted.
 */
export interface AcceptedBands {
  readonly count: number;
  /** Whether x lies in a merged band; its ends are then left in `low` and `high`. */
  holding(x: number): boolean;
  low: number;
  high: number;
}

/** Merged bands in a flat array (acceptedEdgesWithin), read by binary search. */
class SortedBands implements AcceptedBands {
  low = 0;
  high = 0;
  /** Set by each query (the index reuses one instance: a nudge reads its answer before the next). */
  bands: Bands = { edges: new Float64Array(0), count: 0 };
  get count(): number {
    return this.bands.count;
  }
  holding(x: number): boolean {
    const b = bandAt(this.bands, x);
    if (b < 0) return false;
    this.low = this.bands.edges[2 * b]!;
    this.high = this.bands.edges[2 * b + 1]!;
    return true;
  }
}

/**
 * The accepting values as marks on their positions in column k's order (a bitmap over the block), never merged as a
 * whole: a walk reads only the bands it passes, from the value it starts at, where merging every band (hundreds on a
 * dense table) was most of a nudge's cost. Consecutive values in that order share a merged band exactly when the
 * upper one's band starts at or below the lower one's end (the ends grow with the value), as in the merged list.
 */
class MarkedBands implements AcceptedBands {
  low = 0;
  high = 0;
  count = 0;
  bits: Int32Array = new Int32Array(0);
  sorted: Float64Array = new Float64Array(0);
  /** Where column k's non-NULL values end in `sorted`. */
  end = 0;
  first = 0;
  last = -1;
  fixed = NaN;
  tol = 0;

  /** The first marked position at or after p, or -1. */
  private next(p: number): number {
    if (p > this.last) return -1;
    const bits = this.bits;
    let word = p >> 5;
    let b = bits[word]! & (-1 << (p & 31));
    while (b === 0) {
      if (++word > this.last >> 5) return -1;
      b = bits[word]!;
    }
    return (word << 5) + 31 - Math.clz32(b & -b);
  }

  /** The last marked position at or before p, or -1. */
  private prev(p: number): number {
    if (p < this.first) return -1;
    const bits = this.bits;
    let word = p >> 5;
    const keep = p & 31;
    let b = keep === 31 ? bits[word]! : bits[word]! & ((1 << (keep + 1)) - 1);
    while (b === 0) {
      if (--word < this.first >> 5) return -1;
      b = bits[word]!;
    }
    return (word << 5) + 31 - Math.clz32(b);
  }

  holding(x: number): boolean {
    const sorted = this.sorted;
    const fixed = this.fixed;
    const tol = this.tol;
    // Every value below x - margin has a band ending below x (relative bands: tol < 0.25, so a band's end lies within
    // 2 tol |x| of its value near x; fixed bands: within the band, twice it for rounding).
    const margin = (Number.isNaN(fixed) ? 2 * tol * Math.abs(x) : 2 * fixed) + Math.abs(x) * 1e-12 + Number.MIN_VALUE;
    let p = this.next(Math.max(this.first, lowerBound(sorted, this.end, x - margin)));
    while (p >= 0 && bandHigh(sorted[p]!, fixed, tol) < x) p = this.next(p + 1);
    // The first value whose band ends at or past x: x is in a band exactly when that band starts at or below x.
    if (p < 0 || bandLow(sorted[p]!, fixed, tol) > x) return false;
    let q = p;
    for (let d = this.prev(q - 1); d >= 0 && bandLow(sorted[q]!, fixed, tol) <= bandHigh(sorted[d]!, fixed, tol); d = this.prev(q - 1)) q = d;
    this.low = bandLow(sorted[q]!, fixed, tol);
    q = p;
    for (let u = this.next(q + 1); u >= 0 && bandLow(sorted[u]!, fixed, tol) <= bandHigh(sorted[q]!, fixed, tol); u = this.next(q + 1)) q = u;
    this.high = bandHigh(sorted[q]!, fixed, tol);
    return true;
  }

  /** Clears the marks (the bitmap is reused by the next query). */
  clear(): void {
    if (this.last >= 0) this.bits.fill(0, this.first >> 5, (this.last >> 5) + 1);
    this.last = -1;
  }
}

/** The lowest value training value rv accepts: rv - band (datetimes), else v' with |rv - v'| <= tol |v'|. */
function bandLow(rv: number, fixed: number, tol: number): number {
  return !Number.isNaN(fixed) ? rv - fixed : rv > 0 ? rv / (1 + tol) : rv < 0 ? rv / (1 - tol) : 0;
}

/** The highest value training value rv accepts. */
function bandHigh(rv: number, fixed: number, tol: number): number {
  return !Number.isNaN(fixed) ? rv + fixed : rv > 0 ? rv / (1 - tol) : rv < 0 ? rv / (1 + tol) : 0;
}

/** A window this small is scanned rather than narrowed further (a scanned row costs a few ns, a search ~100). */
const SCAN_ENOUGH = 64;
/** Columns whose order gets a packed copy of the block (memory: this × columns × rows × 8 bytes). */
const PACKED_COLUMNS = 2;

export class CopyIndex {
  /** Numeric columns, most selective first (smallest mean window over the training rows themselves). */
  private readonly probeOrder: number[];
  private readonly width: number;
  private readonly blocks = new Map<string, Block>();
  /** The blocks by categorical values (`depth` levels; with none, the one block itself). */
  private readonly trie: BlockTrie | Block | undefined;
  private readonly depth: number;
  /** Reused buffer of accepting values (acceptedBands). */
  private scratch = new Float64Array(0);
  /** Reused bitmap over a block's positions in one column's order (acceptedBands); all zero between calls. */
  private bits = new Int32Array(0);

  /**
   * `bands[k]`: the fixed match band of numeric column k (tol × range, datetimes), or NaN for SDMetrics' |tol × value|.
   */
  constructor(
    training: readonly EncodedRow[],
    private readonly tol: number,
    private readonly bands: Float64Array,
  ) {
    const width = bands.length;
    this.width = width;
    const grouped = new Map<string, EncodedRow[]>();
    for (const e of training) {
      const k = categoryKey(e.cat);
      const g = grouped.get(k);
      if (g) g.push(e);
      else grouped.set(k, [e]);
    }
    for (const [k, rows] of grouped) {
      const n = rows.length;
      const flat = new Float64Array(n * width);
      for (let i = 0; i < n; i++) flat.set(rows[i]!.num, i * width);
      const order: Int32Array[] = [];
      const sorted: Float64Array[] = [];
      const nulls: number[] = [];
      const rank: Int32Array[] = [];
      const vals = new Float64Array(n);
      for (let c = 0; c < width; c++) {
        // NULLs sort last as +Infinity; `nulls` is then where the NaNs start.
        for (let i = 0; i < n; i++) {
          const x = flat[i * width + c]!;
          vals[i] = Number.isNaN(x) ? Infinity : x;
        }
        const o = new Int32Array(n);
        for (let i = 0; i < n; i++) o[i] = i;
        sortIndexes(o, vals, 0, n);
        const s = new Float64Array(n);
        const r = new Int32Array(n);
        for (let pos = 0; pos < n; pos++) {
          s[pos] = flat[o[pos]! * width + c]!;
          r[o[pos]!] = pos;
        }
        let nn = n;
        while (nn > 0 && Number.isNaN(s[nn - 1]!)) nn--;
        order.push(o);
        sorted.push(s);
        rank.push(r);
        nulls.push(nn);
      }
      this.blocks.set(k, { n, flat, order, sorted, nulls, rank, packed: new Array<Float64Array | null>(width).fill(null), single: null });
    }
    this.depth = training[0]?.cat.length ?? 0;
    this.trie = this.depth === 0 ? this.blocks.get('') : new Map();
    for (const [k, block] of this.blocks) {
      if (this.depth === 0) break;
      const cat = grouped.get(k)![0]!.cat;
      let node = this.trie as BlockTrie;
      for (let c = 0; c < this.depth - 1; c++) {
        let next = node.get(cat[c]!) as BlockTrie | undefined;
        if (!next) node.set(cat[c]!, (next = new Map()));
        node = next;
      }
      node.set(cat[this.depth - 1]!, block);
    }
    // Selectivity measured on up to 256 training rows spread over the sample, each against its own block.
    const share = new Float64Array(width);
    const step = Math.max(1, Math.floor(training.length / 256));
    for (let i = 0; i < training.length; i += step) {
      const e = training[i]!;
      const block = this.blocks.get(categoryKey(e.cat))!;
      for (let c = 0; c < width; c++) {
        this.window(block, c, e.num[c]!);
        share[c] = share[c]! + (this.to - this.from) / block.n;
      }
    }
    this.probeOrder = Array.from(share.keys()).sort((a, b) => share[a]! - share[b]! || a - b);
    for (const block of this.blocks.values()) {
      for (const c of this.probeOrder.slice(0, PACKED_COLUMNS)) {
        const packed = new Float64Array(block.n * width);
        const { order, flat } = block;
        for (let i = 0; i < block.n; i++) for (let c2 = 0, at = order[c]![i]! * width; c2 < width; c2++) packed[i * width + c2] = flat[at + c2]!;
        block.packed[c] = packed;
      }
    }
  }

  /** The block of training rows with exactly these categorical values. */
  private blockOf(cat: readonly string[]): Block | undefined {
    if (cat.length !== this.depth) return undefined;
    let node = this.trie;
    for (let c = 0; c < cat.length && node !== undefined; c++) node = (node as BlockTrie).get(cat[c]!);
    return node as Block | undefined;
  }

  /** How far a training value may lie from `v` on column k and still match: the fixed band, else |tol × v|. */
  band(k: number, v: number): number {
    const b = this.bands[k]!;
    return Number.isNaN(b) ? Math.abs(this.tol * v) : b;
  }

  /** SDMetrics' match on the numeric columns (all but `skip`) of the row at `at` in `vals`: NaN only matches NaN, else |r - s| <= the band. */
  private matches(s: EncodedRow, vals: Float64Array, at: number, skip: number): boolean {
    // Most selective column first: a row that does not match usually fails there.
    const probeOrder = this.probeOrder;
    for (let p = 0; p < probeOrder.length; p++) {
      const k = probeOrder[p]!;
      if (k === skip) continue;
      const v = s.num[k]!;
      const rv = vals[at + k]!;
      if (Number.isNaN(v)) {
        if (!Number.isNaN(rv)) return false;
      } else if (!(Math.abs(rv - v) <= this.band(k, v))) return false;
    }
    return true;
  }

  /**
   * Per numeric column, bounds a training value must lie within to match the query row set by `setBounds`: the
   * band a hair wider (more than the rounding of |r - v| can take back), -/+Infinity for a NULL. Outside them no row
   * can match, so a scan rejects most rows on two compares and leaves the exact check (`matches`) to the few inside.
   */
  private lo = new Float64Array(0);
  private hi = new Float64Array(0);

  private setBounds(s: EncodedRow): void {
    if (this.lo.length !== this.width) {
      this.lo = new Float64Array(this.width);
      this.hi = new Float64Array(this.width);
    }
    for (let k = 0; k < this.width; k++) {
      const v = s.num[k]!;
      if (Number.isNaN(v)) {
        this.lo[k] = -Infinity;
        this.hi[k] = Infinity;
        continue;
      }
      const b = this.band(k, v);
      const slack = (Math.abs(v) + b) * 1e-12 + Number.MIN_VALUE;
      this.lo[k] = v - b - slack;
      this.hi[k] = v + b + slack;
    }
  }

  /** False when the row at `at` lies outside the bounds on some column (but `skip` and `skip2`): it matches no query. */
  private within(vals: Float64Array, at: number, skip: number, skip2: number): boolean {
    const probeOrder = this.probeOrder;
    const lo = this.lo;
    const hi = this.hi;
    for (let p = 0; p < probeOrder.length; p++) {
      const k = probeOrder[p]!;
      if (k === skip || k === skip2) continue;
      const rv = vals[at + k]!;
      if (rv < lo[k]! || rv > hi[k]!) return false;
    }
    return true;
  }

  /**
   * Where the rows of column k's order lie: the packed copy (row at position i starts at i × width) or the block's
   * flat values reached through the order (`order` non-null).
   */
  private layout(block: Block, k: number): { vals: Float64Array; order: Int32Array | null } {
    const packed = block.packed[k];
    return packed ? { vals: packed, order: null } : { vals: block.flat, order: block.order[k]! };
  }

  /** The last window: positions [from, to) in its column's order (fields, so the hot path allocates nothing). */
  private from = 0;
  private to = 0;

  /** Sets [from, to) to the positions in column k's order of the rows within the band of `v` (an ulp-scale margin wider). */
  private window(block: Block, k: number, v: number): void {
    const sorted = block.sorted[k]!;
    const n = block.nulls[k]!;
    if (Number.isNaN(v)) {
      this.from = n;
      this.to = sorted.length;
      return;
    }
    const w = this.band(k, v) + Math.abs(v) * 1e-12;
    this.from = lowerBound(sorted, n, v - w);
    this.to = upperBound(sorted, this.from, n, v + w);
  }

  /**
   * A column (other than `skip`) with a narrow window, left in [from, to); -1 when there is none. Columns are tried
   * most selective first, and the search stops at a window small enough that scanning it costs less than
   * another pair of binary searches.
   */
  private narrowest(block: Block, s: EncodedRow, skip: number): number {
    let best = -1;
    let from = 0;
    let to = 0;
    for (const k of this.probeOrder) {
      if (k === skip) continue;
      this.window(block, k, s.num[k]!);
      if (best < 0 || this.to - this.from < to - from) {
        best = k;
        from = this.from;
        to = this.to;
      }
      if (to - from <= SCAN_ENOUGH) break;
    }
    this.from = from;
    this.to = to;
    return best;
  }

  /** Whether SDMetrics' NewRowSynthesis would count `s` a copy of some training row. */
  isCopy(s: EncodedRow): boolean {
    const block = this.blockOf(s.cat);
    if (!block) return false;
    const k = this.narrowest(block, s, -1);
    if (k < 0) return true;
    // The window is an ulp-scale margin wider than the band: every column is checked, its own included.
    const { vals, order } = this.layout(block, k);
    const w = this.width;
    this.setBounds(s);
    for (let i = this.from; i < this.to; i++) {
      const at = (order ? order[i]! : i) * w;
      if (this.within(vals, at, k, -1) && this.matches(s, vals, at, -1)) return true;
    }
    return false;
  }

  /**
   * Whether some training row equals `s` on every column: the categorical values (its block), and every number (-0
   * equal to 0, NULL to NULL, as the filters' exact keys compared them). Only the rows holding exactly s's value of
   * one column (the most selective with a finite value) are compared; with none finite, the whole block.
   */
  hasExact(s: EncodedRow): boolean {
    const block = this.blockOf(s.cat);
    if (!block) return false;
    const w = this.width;
    if (w === 0) return true;
    let k = -1;
    for (let p = 0; p < this.probeOrder.length && k < 0; p++) if (Number.isFinite(s.num[this.probeOrder[p]!]!)) k = this.probeOrder[p]!;
    let from = 0;
    let to = block.n;
    let order: Int32Array | null = null;
    let vals = block.flat;
    if (k >= 0) {
      // Finite values sort before every NULL and infinity; -0 and 0 compare equal, so both are in the run.
      const sorted = block.sorted[k]!;
      const v = s.num[k]!;
      from = lowerBound(sorted, block.nulls[k]!, v);
      to = upperBound(sorted, from, block.nulls[k]!, v);
      ({ vals, order } = this.layout(block, k));
    }
    for (let i = from; i < to; i++) {
      const at = (order ? order[i]! : i) * w;
      let c = 0;
      for (; c < w; c++) {
        const v = s.num[c]!;
        const rv = vals[at + c]!;
        if (rv !== v && !(Number.isNaN(rv) && Number.isNaN(v))) break;
      }
      if (c === w) return true;
    }
    return false;
  }

  private bitsFor(n: number): Int32Array {
    if (this.bits.length * 32 < n) this.bits = new Int32Array((n + 31) >> 5);
    return this.bits;
  }

  /** The values at the marked positions in [first, last], in order, into the scratch buffer; clears the marks. */
  private readMarks(sorted: Float64Array, first: number, last: number, n: number): Float64Array {
    const bits = this.bits;
    const out = this.scratch;
    let m = 0;
    for (let word = first >> 5; word <= last >> 5; word++) {
      let b = bits[word]!;
      if (b === 0) continue;
      bits[word] = 0;
      while (b !== 0) {
        const low = b & -b;
        out[m++] = sorted[(word << 5) + 31 - Math.clz32(low)]!;
        b ^= low;
      }
    }
    return out.subarray(0, n);
  }

  /**
   * Sorted, merged intervals of values for s.num[k] that some training row matching s on every other column
   * accepts: |r - v'| <= tol |v'| is an interval around r (just {0} for r = 0), |r - v'| <= band (datetimes) is
   * r ± band.
   */
  acceptedBands(s: EncodedRow, k: number): Array<[number, number]> {
    return this.acceptedBandsWithin(s, k, 1, Infinity)!;
  }

  /** The last accepted() answer in marks, cleared at the next query. */
  private readonly marked = new MarkedBands();
  /** The last accepted() answer as merged bands, when not in marks. */
  private readonly merged = new SortedBands();

  private sortedBands(bands: Bands | null): SortedBands | null {
    if (bands === null) return null;
    this.merged.bands = bands;
    return this.merged;
  }

  /**
   * acceptedEdgesWithin for a nudge's walk: on a dense window (hundreds of accepting values) as marks in column k's
   * order that the walk reads from v outwards, otherwise the merged bands. Valid until the next call.
   */
  accepted(s: EncodedRow, k: number, range: number, cost: number): AcceptedBands | null {
    const marks = this.marked;
    marks.clear();
    const fixed = this.bands[k]!;
    const block = s.num.length === 1 ? undefined : this.blockOf(s.cat);
    if (!block || !(Number.isNaN(fixed) ? this.tol > 0 && this.tol < 0.25 : fixed >= 0)) return this.sortedBands(this.acceptedEdgesWithin(s, k, range, cost));
    const w = this.narrowest(block, s, k);
    const from = this.from;
    const to = this.to;
    // Sparse windows: sorting their few values costs less than a bitmap over the block (the window found is theirs).
    if (!(to - from >= 32 && block.n <= (to - from) * 128)) return this.sortedBands(this.edgesIn(block, s, k, range, cost, w));
    const tol = this.tol;
    const bounded = cost !== Infinity;
    const v = s.num[k]!;
    let nearest = 0;
    // Only a value within this of v can have a band holding v (as in MarkedBands.holding): the others are not
    // divided out.
    const margin = (Number.isNaN(fixed) ? 2 * tol * Math.abs(v) : 2 * fixed) + Math.abs(v) * 1e-12 + Number.MIN_VALUE;
    const holdsLo = v - margin;
    const holdsHi = v + margin;
    const { vals, order } = this.layout(block, w);
    const width = this.width;
    const bits = this.bitsFor(block.n);
    const rowAt = block.order[w]!;
    const rank = block.rank[k]!;
    let n = 0;
    let firstPos = block.n;
    let lastPos = -1;
    this.setBounds(s);
    for (let i = from; i < to; i++) {
      const at = (order ? order[i]! : i) * width;
      const rv = vals[at + k]!;
      if (Number.isNaN(rv) || !this.within(vals, at, k, w) || !this.matches(s, vals, at, k)) continue;
      const pos = rank[rowAt[i]!]!;
      bits[pos >> 5] = bits[pos >> 5]! | (1 << (pos & 31));
      if (pos < firstPos) firstPos = pos;
      if (pos > lastPos) lastPos = pos;
      n++;
      if (bounded && rv >= holdsLo && rv <= holdsHi) {
        const a = bandLow(rv, fixed, tol);
        const c = bandHigh(rv, fixed, tol);
        if (a <= v && v <= c) nearest = Math.max(nearest, Math.min(v - a, c - v));
        if (nearest / range >= cost) break;
      }
    }
    marks.bits = bits;
    marks.first = firstPos;
    marks.last = lastPos;
    if (bounded && nearest / range >= cost) return null;
    marks.count = n;
    marks.sorted = block.sorted[k]!;
    marks.end = block.nulls[k]!;
    marks.fixed = fixed;
    marks.tol = tol;
    return marks;
  }

  /** acceptedEdgesWithin as pairs (a copy, for callers that keep it). */
  acceptedBandsWithin(s: EncodedRow, k: number, range: number, cost: number): Array<[number, number]> | null {
    const bands = this.acceptedEdgesWithin(s, k, range, cost);
    if (bands === null) return null;
    return Array.from({ length: bands.count }, (_, i) => [bands.edges[2 * i]!, bands.edges[2 * i + 1]!] as [number, number]);
  }

  /** Reused buffer of merged band edges (acceptedEdgesWithin). */
  private edgeBuf = new Float64Array(0);

  /**
   * acceptedBands, or null when no value outside them can lie nearer to v = s.num[k] than `cost` × `range` (a
   * caller's best move so far): every such value is outside the band of each accepting training value whose band
   * holds v, so at least the nearer end of that band away from v. Deciding that needs no sort of the values.
   */
  acceptedEdgesWithin(s: EncodedRow, k: number, range: number, cost: number): Bands | null {
    this.marked.clear();
    const single = s.num.length === 1;
    const block = this.blockOf(s.cat);
    if (single && block?.single) return block.single;
    return this.edgesIn(block, s, k, range, cost, block && !single ? this.narrowest(block, s, k) : -1);
  }

  /**
   * acceptedEdgesWithin in `block` (s's), where `w` is the column narrowest() chose for s and k, its window left in
   * [from, to), or -1 to read the whole block (a single numeric column).
   */
  private edgesIn(block: Block | undefined, s: EncodedRow, k: number, range: number, cost: number, w: number): Bands | null {
    const single = s.num.length === 1;
    // The accepting training values, sorted: each one's band is monotone in the value (r ± band, or
    // [r / (1 + tol), r / (1 - tol)] mirrored for r < 0), so the bands come out sorted by both ends.
    let n = 0;
    const fixed = this.bands[k]!;
    const tol = this.tol;
    const bounded = cost !== Infinity;
    const v = s.num[k]!;
    let nearest = 0;
    // Sorting the values costs more than marking their positions in column k's order and reading the marks back in
    // order, once a window holds more than a few values per 32 positions of the block (the same values, the same
    // order: -0 and 0, which the two orders may place differently, have the same band).
    let marked = false;
    let firstPos = Infinity;
    let lastPos = -1;
    if (block) {
      if (this.scratch.length < block.n) this.scratch = new Float64Array(block.n);
      const out = this.scratch;
      const from = w < 0 ? 0 : this.from;
      const to = w < 0 ? block.n : this.to;
      const { vals, order } = this.layout(block, Math.max(w, 0));
      const width = this.width;
      marked = w >= 0 && to - from >= 32 && block.n <= (to - from) * 128;
      const bits = marked ? this.bitsFor(block.n) : this.bits;
      const rowAt = marked ? block.order[w]! : null;
      const rank = block.rank[k]!;
      if (w >= 0) this.setBounds(s);
      for (let i = from; i < to; i++) {
        const at = (order ? order[i]! : i) * width;
        const rv = vals[at + k]!;
        if (!Number.isNaN(rv) && (w < 0 || (this.within(vals, at, k, w) && this.matches(s, vals, at, k)))) {
          if (rowAt) {
            const pos = rank[rowAt[i]!]!;
            bits[pos >> 5] = bits[pos >> 5]! | (1 << (pos & 31));
            if (pos < firstPos) firstPos = pos;
            if (pos > lastPos) lastPos = pos;
            n++;
          } else out[n++] = rv;
          if (bounded) {
            const a = bandLow(rv, fixed, tol);
            const c = bandHigh(rv, fixed, tol);
            if (a <= v && v <= c) nearest = Math.max(nearest, Math.min(v - a, c - v));
            // No value outside the bands can beat the caller's move any more (nearest only grows): the answer is null.
            if (nearest / range >= cost) break;
          }
        }
      }
    }
    // (Marks are read back, and so cleared, whatever is returned.)
    const read = marked ? this.readMarks(block!.sorted[k]!, firstPos, lastPos, n) : null;
    // The same expression as the caller's cost (|x - v| / range), and float subtraction and division are monotone.
    if (bounded && nearest / range >= cost) return null;
    if (!read) sortNumbers(this.scratch, 0, n);
    const values = read ?? this.scratch.subarray(0, n);
    // The merged bands are valid until the next call (the buffer is reused): callers read them at once.
    if (this.edgeBuf.length < 2 * values.length) this.edgeBuf = new Float64Array(Math.max(2 * values.length, 2 * this.edgeBuf.length));
    const edges = this.edgeBuf;
    let m = 0;
    for (let i = 0; i < values.length; i++) {
      const rv = values[i]!;
      const a = bandLow(rv, fixed, tol);
      const c = bandHigh(rv, fixed, tol);
      if (m > 0 && a <= edges[2 * m - 1]!) edges[2 * m - 1] = Math.max(edges[2 * m - 1]!, c);
      else {
        edges[2 * m] = a;
        edges[2 * m + 1] = c;
        m++;
      }
    }
    const merged: Bands = { edges, count: m };
    if (single && block) return (block.single = { edges: edges.slice(0, 2 * m), count: m });
    return merged;
  }
}

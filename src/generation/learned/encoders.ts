/**
 * Column ↔ token encoders. Every modelled attribute column becomes one discrete token per row:
 * numerics and datetimes as quantile bins (decoded uniformly inside the bin, so the marginal stays continuous),
 * frequent exact values as their own "point" tokens, low-cardinality values as categories with rare ones
 * grouped into an "other" token, NULL as its own token. Free text and keys are not modelled here.
 */
import type { Column, NeutralType } from '../../schema/model.js';
import type { Value } from '../../schema/values.js';
import { utc } from '../conform.js';
import { MIN_CATEGORY_COUNT } from '../metadata.js';
import type { ColumnMeta, Rng } from '../model.js';

/** How a numeric-like column's values map to numbers and back. */
export type NumericKind =
  | { kind: 'integer' }
  | { kind: 'decimal'; scale: number }
  /** `digits`: decimals the source values show (at most 6), so decoded values look like them; absent = full precision. */
  | { kind: 'float'; digits?: number }
  /** Days since 1970-01-01. */
  | { kind: 'date' }
  /** Milliseconds since the epoch; `fraction` = digits after the seconds, `utc` = '+00' suffix. */
  | { kind: 'timestamp'; fraction: number; utc: boolean }
  /** Seconds since midnight. */
  | { kind: 'time'; fraction: number };

/** JSON-safe form of a category value (bigints do not survive JSON). */
type StoredValue = { v: Value } | { bigint: string };

export interface NumericEncoderJSON {
  type: 'numeric';
  column: string;
  numeric: NumericKind;
  hasNull: boolean;
  points: StoredValue[];
  edges: number[];
  /** Per bin, ascending sub-edges from the bin's lower to its upper edge (the fine token's bins). */
  fine?: number[][];
}

export interface CategoryEncoderJSON {
  type: 'category';
  column: string;
  hasNull: boolean;
  categories: StoredValue[];
  /** Rare values grouped into one token, decoded by sampling this list by weight. */
  other: { values: StoredValue[]; weights: number[] } | null;
}

export type EncoderJSON = NumericEncoderJSON | CategoryEncoderJSON;

export interface ColumnEncoder {
  readonly column: string;
  /** Size of the (first) token's vocabulary. */
  readonly vocabSize: number;
  /**
   * Vocabulary size of each token the column becomes in the model: one, or for binned numerics two
   * (coarse quantile bin, then a fine sub-bin inside it, so within-bin dependencies are modelled too).
   */
  readonly parts: number[];
  /** Token of a value; values never seen map to the nearest bin, the "other" token, or the most common token. */
  encode(v: Value): number;
  decode(token: number, rng: Rng): Value;
  /** One token per part. */
  encodeParts(v: Value): number[];
  /** The value of the parts at `tokens[at…]` (a row of the sampler's token matrix, read in place). */
  decodeParts(tokens: ArrayLike<number>, rng: Rng, at?: number): Value;
  toJSON(): EncoderJSON;
}

export interface EncoderOptions {
  /** Quantile bins per numeric column. */
  maxBins: number;
  /** Quantile sub-bins inside each numeric bin (second token); 0 or 1 = a single token. */
  fineBins?: number;
  /** Most categories kept as their own token; the rest share the "other" token. */
  maxCategories: number;
  /** Rare values remembered for decoding the "other" token. */
  maxOtherValues: number;
}

export const defaultEncoderOptions: EncoderOptions = { maxBins: 32, fineBins: 8, maxCategories: 40, maxOtherValues: 1000 };

function valueKey(v: Value): string {
  if (v === null) return 'n';
  if (typeof v === 'bigint') return `i${v.toString()}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `i${v}` : `f${v}`;
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'boolean') return `b${v}`;
  if (v instanceof Uint8Array) return `x${Buffer.from(v).toString('hex')}`;
  return `j${JSON.stringify(v)}`;
}

function store(v: Value): StoredValue {
  return typeof v === 'bigint' ? { bigint: v.toString() } : { v };
}

function unstore(s: StoredValue): Value {
  return 'bigint' in s ? BigInt(s.bigint) : s.v;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

const MS_PER_DAY = 86_400_000;

/** A decimal string that the removal of other characters would leave as it is (most are: a regex test is cheaper). */
const PLAIN_NUMBER = /^[+-]?\d*\.?\d*(?:[eE][+-]?\d+)?$/;

/**
 * Day number of a `YYYY-MM-DD` string, remembered: a conditioned child encodes its parents' dates once per row
 * (lineitem reads its order's date 6 M times at scale), and a column's days fall in a few thousand values.
 */
const DAY_NUMBERS = new Map<string, number>();

/** Value → number for binning, or null when the value is not a finite number of that kind. */
export function toNumber(v: Value, nk: NumericKind): number | null {
  if (v === null) return null;
  switch (nk.kind) {
    case 'integer':
    case 'float':
    case 'decimal': {
      const n =
        typeof v === 'number'
          ? v
          : typeof v === 'bigint'
            ? Number(v)
            : typeof v === 'string'
              ? Number(PLAIN_NUMBER.test(v) ? v : v.replace(/[^0-9eE+.-]/g, ''))
              : NaN;
      return Number.isFinite(n) ? n : null;
    }
    case 'date': {
      if (typeof v !== 'string') return null;
      const known = DAY_NUMBERS.get(v);
      if (known !== undefined) return known;
      const m = /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(v);
      if (!m) return null;
      const day = utc(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / MS_PER_DAY;
      if (DAY_NUMBERS.size < MAX_REMEMBERED_DAYS) DAY_NUMBERS.set(v, day);
      return day;
    }
    case 'timestamp': {
      if (typeof v !== 'string') return null;
      const m = /^(-?\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?/.exec(v);
      if (!m) return null;
      // Microseconds stay as the fraction of a millisecond.
      const ms = m[7] ? Number(m[7]) * 1000 : 0;
      return utc(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) + ms;
    }
    case 'time': {
      if (typeof v !== 'string') return null;
      const m = /^(\d{2}):(\d{2}):(\d{2})(\.\d+)?/.exec(v);
      if (!m) return null;
      return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + (m[4] ? Number(m[4]) : 0);
    }
  }
}

/**
 * `YYYY-MM-DD` of a day number, remembered: formatting a Date per generated value was a tenth of the learned
 * model's generation time, and a column's days fall in a few thousand values.
 */
const DAYS = new Map<number, string>();
const MAX_REMEMBERED_DAYS = 100_000;

function dayString(day: number): string {
  let s = DAYS.get(day);
  if (s === undefined) {
    const d = new Date(day * MS_PER_DAY);
    s = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
    if (DAYS.size < MAX_REMEMBERED_DAYS) DAYS.set(day, s);
  }
  return s;
}

/** `HH:MM:SS` per second of the day, filled as drawn. */
const TIMES: Array<string | undefined> = new Array(86_400);

/** Number → value of the column's kind (already rounded to what the kind can hold). */
export function fromNumber(x: number, nk: NumericKind): Value {
  switch (nk.kind) {
    case 'integer': {
      const r = Math.round(x);
      return Number.isSafeInteger(r) ? r : BigInt(r);
    }
    case 'float':
      return nk.digits === undefined ? x : Number(x.toFixed(nk.digits));
    case 'decimal':
      return x.toFixed(nk.scale);
    case 'date':
      return Number.isFinite(x) ? dayString(Math.round(x)) : null;
    case 'timestamp': {
      const micros = Math.round(x * 1000);
      const ms = Math.floor(micros / 1000);
      const day = Math.floor(ms / MS_PER_DAY);
      const inDay = ms - day * MS_PER_DAY;
      const secs = Math.floor(inDay / 1000);
      if (!(secs >= 0 && secs < 86_400)) return null;
      let s = `${dayString(day)} ${(TIMES[secs] ??= `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}`)}`;
      if (nk.fraction > 0) s += '.' + pad((inDay % 1000) * 1000 + (micros - ms * 1000), 6).slice(0, nk.fraction);
      return nk.utc ? s + '+00' : s;
    }
    case 'time': {
      const clamped = Math.min(Math.max(x, 0), 86_399.999999);
      const whole = Math.floor(clamped);
      let s = `${pad(Math.floor(whole / 3600), 2)}:${pad(Math.floor((whole % 3600) / 60), 2)}:${pad(whole % 60, 2)}`;
      if (nk.fraction > 0) s += (clamped - whole).toFixed(nk.fraction).slice(1);
      return s;
    }
  }
}

const MIN_ROWS_PER_SUB_BIN = 25;

/** Largest k with edges[k] <= x, clamped to [0, edges.length - 2]. */
function binOf(edges: number[], x: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((edges[mid] as number) <= x) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, lo);
}

/** Integer-valued kinds decode to whole units inside a bin. */
function isDiscrete(nk: NumericKind): boolean {
  return nk.kind === 'integer' || nk.kind === 'date';
}

export class NumericEncoder implements ColumnEncoder {
  readonly column: string;
  readonly vocabSize: number;
  private readonly nullToken: number;
  private readonly pointKeys: Map<string, number>;
  private readonly points: Value[];
  private readonly firstBin: number;

  constructor(private readonly spec: NumericEncoderJSON) {
    this.column = spec.column;
    this.points = spec.points.map(unstore);
    this.pointKeys = new Map(this.points.map((p, i) => [valueKey(p), i]));
    this.nullToken = spec.hasNull ? 0 : -1;
    this.firstBin = (spec.hasNull ? 1 : 0) + this.points.length;
    this.vocabSize = this.firstBin + Math.max(0, spec.edges.length - 1);
    const fineSize = Math.max(0, ...(spec.fine ?? []).map((f) => f.length - 1));
    this.parts = fineSize > 1 ? [this.vocabSize, fineSize] : [this.vocabSize];
  }

  readonly parts: number[];

  encodeParts(v: Value): number[] {
    const t = this.encode(v);
    if (this.parts.length === 1) return [t];
    const sub = this.spec.fine?.[t - this.firstBin];
    const x = v === null ? null : toNumber(v, this.spec.numeric);
    if (!sub || x === null || (this.pointKeys.size > 0 && this.pointKeys.has(valueKey(v)))) return [t, 0];
    return [t, binOf(sub, x)];
  }

  decodeParts(tokens: ArrayLike<number>, rng: Rng, at = 0): Value {
    const t = tokens[at] as number;
    const k = t - this.firstBin;
    const sub = this.spec.fine?.[k];
    if (this.parts.length === 1 || !sub || k < 0) return this.decode(t, rng);
    const s = Math.min(Math.max(0, tokens[at + 1] ?? 0), sub.length - 2);
    const lastBin = k === this.spec.edges.length - 2;
    return this.decodeRange(sub[s] as number, sub[s + 1] as number, lastBin && s === sub.length - 2, rng);
  }

  encode(v: Value): number {
    if (v === null) return this.nullToken >= 0 ? this.nullToken : this.fallback();
    // Most columns have no point values: no key to build.
    const p = this.pointKeys.size > 0 ? this.pointKeys.get(valueKey(v)) : undefined;
    if (p !== undefined) return (this.spec.hasNull ? 1 : 0) + p;
    const x = toNumber(v, this.spec.numeric);
    const edges = this.spec.edges;
    if (x === null || edges.length < 2) return this.fallback();
    return this.firstBin + binOf(edges, x);
  }

  private fallback(): number {
    return this.vocabSize > this.firstBin ? this.firstBin : 0;
  }

  decode(token: number, rng: Rng): Value {
    if (token === this.nullToken) return null;
    const pointIndex = token - (this.spec.hasNull ? 1 : 0);
    if (pointIndex >= 0 && pointIndex < this.points.length) return this.points[pointIndex] as Value;
    const k = token - this.firstBin;
    const edges = this.spec.edges;
    const lo = edges[k];
    const hi = edges[k + 1];
    if (lo === undefined || hi === undefined) return null;
    return this.decodeRange(lo, hi, k === edges.length - 2, rng);
  }

  /** Uniform inside [lo, hi) ([lo, hi] for the last range), in the column's units. */
  private decodeRange(lo: number, hi: number, last: boolean, rng: Rng): Value {
    const nk = this.spec.numeric;
    if (isDiscrete(nk)) {
      const a = Math.ceil(lo);
      const b = last ? Math.floor(hi) : Math.ceil(hi) - 1;
      return fromNumber(b < a ? Math.round(lo) : a + Math.floor(rng.next() * (b - a + 1)), nk);
    }
    let x = lo + rng.next() * (hi - lo);
    const scale = nk.kind === 'decimal' ? nk.scale : nk.kind === 'float' ? nk.digits : undefined;
    if (scale !== undefined) {
      // Rounding to the scale must not leave the range: edges are source values, so they sit on the scale's grid.
      const f = 10 ** scale;
      const lower = Math.ceil(lo * f - 1e-6) / f;
      const upper = (last ? Math.floor(hi * f + 1e-6) : Math.round(hi * f) - 1) / f;
      x = upper < lower ? lower : Math.min(Math.max(Math.round(x * f) / f, lower), upper);
      // x is k / 10^scale, the double nearest that decimal: printing and parsing it again (fromNumber) gives x back.
      if (nk.kind === 'float' && Math.abs(x * f) < Number.MAX_SAFE_INTEGER) return x;
    }
    return fromNumber(x, nk);
  }

  toJSON(): NumericEncoderJSON {
    return this.spec;
  }
}

export class CategoryEncoder implements ColumnEncoder {
  readonly column: string;
  readonly vocabSize: number;
  private readonly categories: Value[];
  private readonly keys: Map<string, number>;
  private readonly otherValues: Value[];
  private readonly otherCumulative: number[];
  private readonly offset: number;
  private readonly otherToken: number;

  constructor(private readonly spec: CategoryEncoderJSON) {
    this.column = spec.column;
    this.offset = spec.hasNull ? 1 : 0;
    this.categories = spec.categories.map(unstore);
    this.keys = new Map(this.categories.map((c, i) => [valueKey(c), i + this.offset]));
    this.otherValues = spec.other ? spec.other.values.map(unstore) : [];
    let acc = 0;
    this.otherCumulative = (spec.other?.weights ?? []).map((w) => (acc += w));
    this.otherToken = spec.other ? this.offset + this.categories.length : -1;
    this.vocabSize = this.offset + this.categories.length + (spec.other ? 1 : 0);
    this.parts = [this.vocabSize];
  }

  readonly parts: number[];

  encodeParts(v: Value): number[] {
    return [this.encode(v)];
  }

  decodeParts(tokens: ArrayLike<number>, rng: Rng, at = 0): Value {
    return this.decode(tokens[at] as number, rng);
  }

  encode(v: Value): number {
    if (v === null && this.spec.hasNull) return 0;
    const t = this.keys.get(valueKey(v));
    if (t !== undefined) return t;
    if (this.otherToken >= 0) return this.otherToken;
    return this.categories.length > 0 ? this.offset : 0;
  }

  decode(token: number, rng: Rng): Value {
    if (this.spec.hasNull && token === 0) return null;
    if (token === this.otherToken) {
      const total = this.otherCumulative[this.otherCumulative.length - 1] ?? 0;
      const u = rng.next() * total;
      let i = 0;
      while (i < this.otherCumulative.length - 1 && (this.otherCumulative[i] as number) <= u) i++;
      return this.otherValues[i] ?? null;
    }
    return this.categories[token - this.offset] ?? null;
  }

  toJSON(): CategoryEncoderJSON {
    return this.spec;
  }
}

export function encoderFromJSON(j: EncoderJSON): ColumnEncoder {
  return j.type === 'numeric' ? new NumericEncoder(j) : new CategoryEncoder(j);
}

/** The numeric reading of a column type, or null for types that are not numbers or datetimes. */
export function numericKindOf(type: NeutralType, sample: Value[]): NumericKind | null {
  const fractionDigits = (re: RegExp): number => {
    let digits = 0;
    for (const v of sample) {
      if (typeof v !== 'string') continue;
      const m = re.exec(v);
      if (m?.[1]) digits = Math.max(digits, m[1].length);
    }
    return Math.min(digits, 6);
  };
  switch (type.kind) {
    case 'integer':
    case 'year':
      return { kind: 'integer' };
    case 'float': {
      let digits = 0;
      for (const v of sample) {
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        const text = String(v);
        if (/e/i.test(text)) return { kind: 'float' };
        digits = Math.max(digits, text.split('.')[1]?.length ?? 0);
        if (digits > 6) return { kind: 'float' };
      }
      return { kind: 'float', digits };
    }
    case 'decimal':
    case 'money':
      return { kind: 'decimal', scale: type.kind === 'decimal' && type.scale !== null ? type.scale : fractionDigits(/\.(\d+)$/) || (type.kind === 'money' ? 2 : 0) };
    case 'date':
      return { kind: 'date' };
    case 'timestamp':
      return { kind: 'timestamp', fraction: fractionDigits(/:\d{2}\.(\d+)/), utc: type.withTimeZone };
    case 'time':
      return type.withTimeZone ? null : { kind: 'time', fraction: fractionDigits(/:\d{2}\.(\d+)/) };
    default:
      return null;
  }
}

function countValues(values: Value[]): Map<string, { value: Value; count: number }> {
  const counts = new Map<string, { value: Value; count: number }>();
  for (const v of values) {
    const k = valueKey(v);
    const e = counts.get(k);
    if (e) e.count++;
    else counts.set(k, { value: v, count: 1 });
  }
  return counts;
}

/**
 * `minCount`: values seen fewer times are never decoded verbatim (a value seen once names its row); their rows are
 * encoded as "other", which then decodes to a frequent value. Kept as is when no value is frequent.
 */
function fitCategory(column: string, values: Value[], opts: EncoderOptions, minCount = 1): CategoryEncoder {
  const counts = countValues(values);
  const hasNull = counts.has('n');
  counts.delete('n');
  const all = [...counts.values()].sort((a, b) => b.count - a.count || (valueKey(a.value) < valueKey(b.value) ? -1 : 1));
  const frequent = all.filter((e) => e.count >= minCount);
  const sorted = frequent.length > 0 ? frequent : all;
  const rare = sorted.length < all.length;
  // One token is kept for "other" whenever some values do not get their own: those past maxCategories, or rare ones.
  const keep = sorted.length <= opts.maxCategories && !rare ? sorted : sorted.slice(0, opts.maxCategories - 1);
  const tail = sorted.slice(keep.length, keep.length + opts.maxOtherValues);
  let other = tail.map((e) => ({ value: e.value, weight: e.count }));
  if (rare) {
    // The rare rows' share of "other" is spread over every frequent value by its count, so it does not all land on
    // the few values past maxCategories.
    const rareRows = all.reduce((n, e) => n + (e.count < minCount ? e.count : 0), 0);
    const frequentRows = sorted.reduce((n, e) => n + e.count, 0);
    other = [
      ...keep.map((e) => ({ value: e.value, weight: (e.count * rareRows) / frequentRows })),
      ...tail.map((e) => ({ value: e.value, weight: e.count + (e.count * rareRows) / frequentRows })),
    ];
  }
  return new CategoryEncoder({
    type: 'category',
    column,
    hasNull,
    categories: keep.map((e) => store(e.value)),
    other: other.length > 0 ? { values: other.map((e) => store(e.value)), weights: other.map((e) => e.weight) } : null,
  });
}

function fitNumeric(column: string, nk: NumericKind, values: Value[], opts: EncoderOptions): NumericEncoder {
  const counts = countValues(values);
  const hasNull = counts.has('n');
  counts.delete('n');
  const nonNull = values.length - (hasNull ? (countValues(values.filter((v) => v === null)).get('n')?.count ?? 0) : 0);
  // Values frequent enough to own a bin by themselves (e.g. a pile of zeros) become exact "points".
  const threshold = Math.max(2, nonNull / opts.maxBins);
  const points: Value[] = [];
  const rest: number[] = [];
  for (const { value, count } of counts.values()) {
    const x = toNumber(value, nk);
    if (x === null || count >= threshold) points.push(value);
    else for (let i = 0; i < count; i++) rest.push(x);
  }
  points.sort((a, b) => (valueKey(a) < valueKey(b) ? -1 : 1));
  rest.sort((a, b) => a - b);
  const edges: number[] = [];
  if (rest.length > 0) {
    const bins = Math.max(1, Math.min(opts.maxBins, Math.ceil(rest.length / 2)));
    for (let b = 0; b <= bins; b++) {
      const e = rest[Math.min(rest.length - 1, Math.round((b * (rest.length - 1)) / bins))] as number;
      if (edges.length === 0 || e > (edges[edges.length - 1] as number)) edges.push(e);
    }
    // A single distinct remaining value still needs a [v, v] bin.
    if (edges.length === 1) edges.push(edges[0] as number);
  }
  const spec: NumericEncoderJSON = { type: 'numeric', column, numeric: nk, hasNull, points: points.map(store), edges };
  const fineBins = opts.fineBins ?? 0;
  if (fineBins > 1 && edges.length >= 2) {
    const fine: number[][] = [];
    let i = 0;
    for (let k = 0; k + 1 < edges.length; k++) {
      const lo = edges[k] as number;
      const hi = edges[k + 1] as number;
      const last = k + 2 === edges.length;
      const inBin: number[] = [];
      while (i < rest.length && ((rest[i] as number) < hi || last)) inBin.push(rest[i++] as number);
      const sub = [lo];
      // A sub-bin needs enough rows to estimate; on small samples fine tokens would only add noise to learn.
      const pieces = Math.min(fineBins, Math.floor(inBin.length / MIN_ROWS_PER_SUB_BIN));
      for (let j = 1; j < pieces; j++) {
        const e = inBin[Math.round((j * (inBin.length - 1)) / pieces)] as number;
        if (e > (sub[sub.length - 1] as number) && e < hi) sub.push(e);
      }
      sub.push(hi);
      fine.push(sub);
    }
    if (fine.some((f) => f.length > 2)) spec.fine = fine;
  }
  return new NumericEncoder(spec);
}

/**
 * Fits the encoder for one attribute column, or returns null when the column is not modelled here
 * (keys, free text, PII, constants, structured values: the baseline generator keeps those).
 */
export function fitEncoder(
  column: Column,
  meta: ColumnMeta | undefined,
  values: Value[],
  opts: EncoderOptions = defaultEncoderOptions,
): ColumnEncoder | null {
  const role = meta?.role;
  if (role !== undefined && !['numerical', 'categorical', 'datetime', 'boolean'].includes(role)) return null;
  if (values.some((v) => v !== null && typeof v === 'object' && !(typeof v === 'bigint'))) return null;
  const distinct = countValues(values);
  distinct.delete('n');
  // Enum and boolean values are the schema's, not the rows': only values read off the rows are protected.
  const minCount = column.type.kind === 'boolean' || column.type.kind === 'enum' ? 1 : MIN_CATEGORY_COUNT;
  if (role === 'boolean' || role === 'categorical' || column.type.kind === 'boolean' || column.type.kind === 'enum') {
    return fitCategory(column.name, values, opts, minCount);
  }
  const nk = numericKindOf(column.type, values);
  if (nk !== null && distinct.size > opts.maxCategories) return fitNumeric(column.name, nk, values, opts);
  // Without a declared role, only values that repeat are treated as categories.
  const nonNull = values.length - values.filter((v) => v === null).length;
  if (distinct.size <= opts.maxCategories && (role !== undefined || !nearlyUnique(distinct.size, nonNull))) {
    return fitCategory(column.name, values, opts, minCount);
  }
  return null;
}

/** Encoder for a child-count head: counts are non-negative integers, few exact values plus quantile bins. */
export function fitCountEncoder(name: string, counts: number[], opts: EncoderOptions = defaultEncoderOptions): ColumnEncoder {
  const distinct = new Set(counts);
  if (distinct.size <= opts.maxCategories) return fitCategory(name, counts, opts);
  return fitNumeric(name, { kind: 'integer' }, counts, opts);
}

/**
 * Encoder for a parent (context) column, whose types the child's model does not see: the kind is read off the
 * values (numbers, numeric strings, dates, timestamps), falling back to categories.
 */
export function fitContextEncoder(name: string, values: Value[], opts: EncoderOptions = defaultEncoderOptions): ColumnEncoder | null {
  const nonNull = values.filter((v) => v !== null);
  const distinct = countValues(nonNull).size;
  if (distinct <= opts.maxCategories && !nearlyUnique(distinct, nonNull.length)) return fitCategory(name, values, opts);
  const all = (p: (v: Value) => boolean): boolean => nonNull.length > 0 && nonNull.every(p);
  let nk: NumericKind | null = null;
  if (all((v) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint')) nk = { kind: 'integer' };
  else if (all((v) => typeof v === 'number')) nk = { kind: 'float' };
  else if (all((v) => typeof v === 'string' && /^-?\d{4,}-\d{2}-\d{2}$/.test(v))) nk = { kind: 'date' };
  else if (all((v) => typeof v === 'string' && /^-?\d{4,}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/.test(v))) nk = { kind: 'timestamp', fraction: 6, utc: false };
  else if (all((v) => typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))) nk = { kind: 'decimal', scale: 6 };
  if (nk !== null) return fitNumeric(name, nk, values, opts);
  // High-cardinality text (names, emails, addresses) carries no usable signal and must not leak into the artifact.
  return null;
}

/** Values that barely repeat (names, emails, codes) are identifiers, not categories. */
function nearlyUnique(distinct: number, nonNull: number): boolean {
  return distinct > 2 && distinct > nonNull / 2;
}

/**
 * Differentially private column statistics: one ε share per attribute column buys every number the generators
 * keep about it (null rate, quantiles, category vocabulary, text length and character-class shares). The
 * baseline spec and the learned model's encoder are both derived from that one release (post-processing, so
 * free), never from the raw sample. Columns declared public skip the mechanisms and use the raw statistics.
 */
import { SynthError } from '../../errors.js';
import type { Column, Table } from '../../schema/model.js';
import { tableKey } from '../../schema/model.js';
import type { Value } from '../../schema/values.js';
import { decodeValue, encodeValue, fitColumnSpec, type ColumnModelSpec, type ColumnSpec } from '../baseline/column-spec.js';
import { parseEpoch, parseTimeOfDay, toNumber } from '../conform.js';
import { CategoryEncoder, NumericEncoder, type ColumnEncoder, type NumericKind } from '../learned/encoders.js';
import type { ColumnRole } from '../model.js';
import type { PiiKind } from './pii-config.js';
import { dpStructuredSpec, structuredCharges } from './dp-structured.js';
import { contributionOf, dpBounds, dpCategoryVocabulary, dpCount, dpHistogram, dpHistogramQuantiles, dpQuantiles, type DpContext } from './mechanisms.js';

/** Quantiles kept per numeric/datetime column (a grid of equal-mass points, 0 and 1 included). */
const DP_QUANTILES = 21;
const QS = Array.from({ length: DP_QUANTILES }, (_, i) => i / (DP_QUANTILES - 1));
/** Text longer than this (or the declared length) is clamped before its length statistics are released. */
const DEFAULT_MAX_TEXT = 255;
/** A string column becomes categorical when its released vocabulary covers this share of its values. */
const CATEGORICAL_COVERAGE = 0.7;

export interface DpColumnInput {
  table: Table;
  column: Column;
  values: Value[];
  /** ε for this column (pure ε-DP, basic composition inside the column). */
  epsilon: number;
  /** δ of the vocabulary threshold (only string-like columns use it). */
  delta: number;
  /** DP estimate of the sample size (from the table's noisy row count), for rates. */
  sampleSize: number;
  ctx: Omit<DpContext, 'label'>;
  /** Declared public in the config: raw statistics, no budget. */
  isPublic?: boolean;
  role?: ColumnRole;
  /** Generated as fresh fakes of this kind (`dpFakeKind`): only the NULL share is released. */
  fakeKind?: PiiKind;
  /**
   * Told when the budget could not locate the column's values and it is generated from a fallback (what the
   * releases found is DP, so saying so is free): the run names the column instead of shipping it silently.
   * `lost`: a number or date generated as NULL or one constant; `text`: no category released, so the column is
   * text of its DP profile (the design for free text, a loss for a categorical one: the data cannot tell which).
   */
  onFallback?: (what: string, kind: 'lost' | 'text') => void;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0));
}

function sortedUnique(xs: number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

function unsupported(table: Table, column: Column, what: string): SynthError {
  return new SynthError('UNSUPPORTED_TYPE', `${tableKey(table)}.${column.name}: ${what} has no differentially private generator yet, so with \`privacy\` set the table is refused.`, {
    table: tableKey(table),
    column: column.name,
    hint: `Declare the column public (tables.${table.name}.columns.${column.name}.public: true) if its values are not personal, or skip the table (tables.${table.name}.skip: true).`,
  });
}

/** Points of the equal-mass grid a numeric/date column keeps from its DP histogram (32 bins for the encoders). */
const HIST_QUANTILES = 33;
const HQS = Array.from({ length: HIST_QUANTILES }, (_, i) => i / (HIST_QUANTILES - 1));

/**
 * Bins of a column's DP histogram: as many as keep the expected rows per bin near 4 noise scales when spread
 * evenly (from the noisy row count and ε, so the choice is DP), within 16..1024.
 */
export function histogramBins(noisyRows: number, epsilon: number, contribution: number): number {
  return Math.max(16, Math.min(1024, Math.round((noisyRows * epsilon) / (4 * contribution))));
}

/**
 * DP quantiles of a number or date column: DP bounds (30 %), then one Laplace histogram inside them (70 %), read
 * as an equal-mass grid (`dpHistogramQuantiles`). Null when the budget cannot locate the values.
 */
function histogramQuantiles(xs: number[], epsilon: number, ctx: DpContext, noisyRows: number, integer: boolean): number[] | null {
  // Too few rows for 16 bins to clear the histogram's cut (3 noise scales) even if spread evenly: one exponential
  // mechanism per quantile, whose utility needs no bin to fill.
  // There the quantiles' share buys little (at ε 0.1 over 200 rows each of 21 quantiles is nearly uniform inside the
  // bounds) while the bounds decide everything: they get 70 % (a 200-row column clears their threshold at ε ≈ 0.1).
  if (noisyRows * 0.7 * epsilon < 16 * 6 * contributionOf(ctx)) return numericQuantiles(xs, epsilon, ctx, undefined, SMALL_BOUNDS_SHARE);
  const range = dpBounds(xs, { epsilon: 0.3 * epsilon }, ctx);
  if (!range) return null;
  if (!(range.upper > range.lower)) return [range.lower];
  const q = dpHistogramQuantiles(xs, HQS, range, 0.7 * epsilon, ctx, { bins: histogramBins(noisyRows, 0.7 * epsilon, contributionOf(ctx)), integer });
  return q ? sortedUnique(q) : null;
}

/**
 * Share of a small column's budget spent on its DP bounds (the rest on quantiles). Planned as the histogram path's
 * two Laplace releases (30 % / 70 %): a Laplace at 70 % plus 21 exponential mechanisms at 30 % together is at most
 * that at every RDP order.
 */
const SMALL_BOUNDS_SHARE = 0.7;

/** DP quantiles of a numeric column over DP bounds (or a public range); null when the bounds are not found. */
function numericQuantiles(xs: number[], epsilon: number, ctx: DpContext, publicRange?: { lower: number; upper: number }, boundsShare = 0.3): number[] | null {
  let range = publicRange ?? null;
  let left = epsilon;
  if (!range) {
    range = dpBounds(xs, { epsilon: boundsShare * epsilon }, ctx);
    left = (1 - boundsShare) * epsilon;
  }
  if (!range) return null;
  if (!(range.upper > range.lower)) return [range.lower];
  return sortedUnique(dpQuantiles(xs, QS, range, left, ctx));
}

/**
 * Per-row shares of upper/lower/digit characters, word-ness, leading capital and all-caps: each row adds at most
 * 1 to the character shares together and 1 to each flag, so the vector has L1 sensitivity 4 per row, 4m for a
 * unit of m rows (one Laplace release at ε).
 */
function textProfile(strs: string[], epsilon: number, ctx: DpContext, maxLength: number, noisyN: number): ColumnSpec {
  const lengths = strs.map((s) => Math.min(maxLength, Array.from(s).length));
  const lengthQ = sortedUnique(dpQuantiles(lengths, QS, { lower: 0, upper: Math.max(1, maxLength) }, 0.5 * epsilon, ctx)).map((x) => Math.round(x));
  const sums = [0, 0, 0, 0, 0, 0];
  for (const s of strs) {
    let u = 0;
    let l = 0;
    let d = 0;
    let all = 0;
    for (const ch of s) {
      all++;
      if (ch >= 'A' && ch <= 'Z') u++;
      else if (ch >= 'a' && ch <= 'z') l++;
      else if (ch >= '0' && ch <= '9') d++;
    }
    if (all > 0) {
      sums[0]! += u / all;
      sums[1]! += l / all;
      sums[2]! += d / all;
    }
    if (/\s/.test(s.trim())) sums[3]!++;
    if (/^[A-Z]/.test(s)) sums[4]!++;
    if (/[A-Z]/.test(s) && !/[a-z]/.test(s)) sums[5]!++;
  }
  const e = 0.5 * epsilon;
  ctx.ledger.charge(`${ctx.label} text profile`, { mechanism: 'laplace', epsilon: e, count: 1 });
  const noisy = sums.map((s) => Math.max(0, s + ctx.rng.laplace((4 * contributionOf(ctx)) / e)));
  const n = Math.max(1, noisyN);
  const chars = { upper: noisy[0]!, lower: noisy[1]!, digit: noisy[2]! };
  if (chars.upper + chars.lower + chars.digit <= 0) chars.lower = 1;
  return {
    type: 'text',
    lengths: lengthQ.length > 0 ? lengthQ : [0],
    wordShare: clamp01(noisy[3]! / n),
    capitalShare: clamp01(noisy[4]! / n),
    upperShare: clamp01(noisy[5]! / n),
    chars,
  };
}

/**
 * Values a CHECK constraint allows for a text column (`status IN ('new', 'paid')`, PostgreSQL's
 * `= ANY (ARRAY['new'::text, ...])`, `(status = 'new') OR (status = 'paid')`): schema, so public. Null when no single-column check lists literals.
 */
export function checkedLiterals(table: Table, column: string): string[] | null {
  const out = new Set<string>();
  for (const check of table.checks) {
    if (check.columns.length !== 1 || check.columns[0] !== column) continue;
    // Only lists of allowed values: IN (...), = ANY (ARRAY[...]), or equalities joined by OR.
    const shape = check.expression.replace(/'((?:[^']|'')*)'/g, "''");
    const list = /\bIN\s*\(|=\s*ANY\s*\(/i.test(shape) || (/=/.test(shape) && !/[<>~!]|\b(LIKE|SIMILAR|NOT|AND)\b/i.test(shape));
    if (!list) continue;
    for (const m of check.expression.matchAll(/'((?:[^']|'')*)'/g)) out.add(m[1]!.replace(/''/g, "'"));
  }
  return out.size > 0 ? [...out] : null;
}

export interface CheckedRange {
  lower?: { value: number; strict: boolean };
  upper?: { value: number; strict: boolean };
}

/**
 * Bounds a single-column CHECK puts on a numeric column (`price > 0`, `qty BETWEEN 1 AND 99`, `0 <= pct`):
 * schema, so public. Used to keep DP quantiles inside what the table accepts, and as the fallback value when the
 * budget is too small to locate the data.
 */
export function checkedRange(table: Table, column: string): CheckedRange | null {
  const name = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const col = `(?:"${name}"|\`${name}\`|\\b${name}\\b)`;
  const num = '\\(?\\s*(-?\\d+(?:\\.\\d+)?)\\s*\\)?(?:::[a-z ]+)?';
  const out: CheckedRange = {};
  const setLower = (v: number, strict: boolean) => {
    if (!out.lower || v > out.lower.value) out.lower = { value: v, strict };
  };
  const setUpper = (v: number, strict: boolean) => {
    if (!out.upper || v < out.upper.value) out.upper = { value: v, strict };
  };
  for (const check of table.checks) {
    if (check.columns.length !== 1 || check.columns[0] !== column) continue;
    const e = check.expression.replace(/::[a-z ]+/gi, '');
    if (/\bOR\b/i.test(e)) continue;
    for (const m of e.matchAll(new RegExp(`${col}\\s*\\)?\\s*(>=|>|<=|<)\\s*${num}`, 'gi'))) {
      const v = Number(m[2]);
      if (m[1]!.startsWith('>')) setLower(v, m[1] === '>');
      else setUpper(v, m[1] === '<');
    }
    for (const m of e.matchAll(new RegExp(`${num}\\s*(>=|>|<=|<)\\s*\\(?${col}`, 'gi'))) {
      const v = Number(m[1]);
      if (m[2]!.startsWith('<')) setLower(v, m[2] === '<');
      else setUpper(v, m[2] === '>');
    }
    const between = new RegExp(`${col}\\s*BETWEEN\\s*${num}\\s*AND\\s*${num}`, 'i').exec(e);
    if (between) {
      setLower(Number(between[1]), false);
      setUpper(Number(between[2]), false);
    }
  }
  return out.lower || out.upper ? out : null;
}

/** Quantiles clamped into a CHECK's bounds (post-processing), strict bounds nudged inside by one unit of `step`. */
function clampToRange(q: number[], range: CheckedRange | null, step: number): number[] {
  if (!range) return q;
  const lo = range.lower ? range.lower.value + (range.lower.strict ? step : 0) : -Infinity;
  const hi = range.upper ? range.upper.value - (range.upper.strict ? step : 0) : Infinity;
  if (!(hi >= lo)) return q;
  return q.map((x) => Math.min(hi, Math.max(lo, x)));
}

/** The DP spec of one attribute column (what the baseline draws from and the learned encoder is built from). */
export function dpColumnSpec(input: DpColumnInput): ColumnModelSpec {
  const { table, column, values, epsilon } = input;
  const where = `${tableKey(table)}.${column.name}`;
  if (input.isPublic) return fitColumnSpec(tableKey(table), column, input.role ?? 'text', values);
  const type = column.type;
  const ctx: DpContext = { ...input.ctx, label: where };
  const nonNull = values.filter((v) => v !== null);
  if (input.fakeKind) {
    // Nothing of the values is learned: the NULL share is the only release, and it gets the column's whole budget.
    const nullRate = column.nullable ? clamp01(dpCount(values.length - nonNull.length, { epsilon }, ctx) / Math.max(1, input.sampleSize)) : 0;
    return { column: column.name, nullRate, spec: { type: 'fake', kind: input.fakeKind } };
  }
  // The null share gets a fifth of the column's budget; NOT NULL columns need none.
  let rest = epsilon;
  let nullRate = 0;
  if (column.nullable) {
    const nulls = dpCount(values.length - nonNull.length, { epsilon: 0.2 * epsilon }, ctx);
    nullRate = clamp01(nulls / Math.max(1, input.sampleSize));
    rest = 0.8 * epsilon;
  }
  const noisyNonNull = Math.max(1, input.sampleSize * (1 - nullRate));
  const out = (spec: ColumnSpec): ColumnModelSpec => ({ column: column.name, nullRate, spec });
  const fallbackNumber = (integer: boolean): ColumnModelSpec => {
    input.onFallback?.(`${column.name}: its DP bounds located no value at ε ${rest.toPrecision(2)} over ~${Math.round(noisyNonNull)} rows, generated as ${column.nullable ? 'NULL' : 'one constant'}`, 'lost');
    // Too few rows for the budget to locate the values: NULL where allowed, else a single public value.
    return column.nullable
      ? { column: column.name, nullRate: 1, spec: { type: 'null' } }
      : type.kind === 'date' || type.kind === 'timestamp'
        ? out({ type: 'epoch', unit: type.kind, quantiles: [Date.UTC(2000, 0, 1)], fraction: false, withTimeZone: type.kind === 'timestamp' && type.withTimeZone })
        : out({ type: 'numeric', quantiles: [0], integer });
  };
  switch (type.kind) {
    case 'integer':
    case 'decimal':
    case 'float':
    case 'money':
    case 'year': {
      const integer = type.kind === 'integer' || type.kind === 'year';
      const range = checkedRange(table, column.name);
      const step = integer ? 1 : type.kind === 'decimal' && type.scale !== null ? 10 ** -type.scale : type.kind === 'money' ? 0.01 : 1e-6;
      const q = histogramQuantiles(nonNull.map(toNumber).filter((x): x is number => x !== null), rest, ctx, noisyNonNull, integer);
      if (!q) {
        if (column.nullable || !range) return fallbackNumber(integer);
        input.onFallback?.(`${column.name}: its DP bounds located no value at ε ${rest.toPrecision(2)} over ~${Math.round(noisyNonNull)} rows, generated as one value its CHECK accepts`, 'lost');
        // NOT NULL under a CHECK: a single value the CHECK accepts (zero would be refused by e.g. price > 0).
        return out({ type: 'numeric', quantiles: clampToRange([0], range, step), integer });
      }
      const clamped = clampToRange(q, range, step);
      const spec: ColumnSpec = { type: 'numeric', quantiles: integer ? clamped.map(Math.round) : clamped, integer };
      if (type.kind === 'decimal' && type.scale === null) spec.decimals = 2;
      return out(spec);
    }
    case 'boolean': {
      const bits = nonNull.map((v) => (v === true || v === 't' || v === 1 ? 1 : 0));
      const h = dpHistogram(bits, [0, 1, 2], { epsilon: rest }, ctx);
      const [f, t] = [h.counts[0]!, h.counts[1]!];
      return out({ type: 'boolean', pTrue: f + t > 0 ? t / (f + t) : 0.5 });
    }
    case 'date':
    case 'timestamp': {
      const ms = nonNull.map((v) => parseEpoch(v)).filter((x): x is number => x !== null);
      const q = histogramQuantiles(ms, rest, ctx, noisyNonNull, false);
      if (!q) return fallbackNumber(false);
      return out({ type: 'epoch', unit: type.kind, quantiles: q, fraction: false, withTimeZone: type.kind === 'timestamp' && type.withTimeZone });
    }
    case 'time': {
      const secs = nonNull.map(parseTimeOfDay).filter((x): x is number => x !== null);
      const q = numericQuantiles(secs, rest, ctx, { lower: 0, upper: 86_399 }) ?? [0];
      return out({ type: 'epoch', unit: 'time', quantiles: q, fraction: false, withTimeZone: type.withTimeZone });
    }
    case 'enum': {
      // The labels are schema, so public: every label gets a noisy weight, none needs a threshold.
      const vocab = dpCategoryVocabulary(nonNull.map(String), { epsilon: rest }, ctx, { delta: input.delta, publicValues: type.values });
      const kept = vocab.filter((v) => v.count > 0);
      const use = kept.length > 0 ? kept : vocab.map((v) => ({ ...v, count: 1 }));
      return out({ type: 'categorical', values: use.map((v) => v.value), weights: use.map((v) => v.count) });
    }
    case 'uuid':
      return out({ type: 'uuid' });
    case 'text': {
      const strs = nonNull.map((v) => (typeof v === 'string' ? v : String(v)));
      const allowed = checkedLiterals(table, column.name);
      if (allowed) {
        // A CHECK lists the values: they are public, so every one gets a noisy weight and lorem never violates it.
        const vocab = dpCategoryVocabulary(strs, { epsilon: rest }, ctx, { delta: input.delta, publicValues: allowed });
        return out({ type: 'categorical', values: vocab.map((v) => v.value), weights: vocab.map((v) => Math.max(1, v.count)) });
      }
      const vocab = dpCategoryVocabulary(strs, { epsilon: 0.5 * rest }, ctx, { delta: input.delta });
      const covered = vocab.reduce((s, v) => s + v.count, 0);
      const maxLength = type.maxLength ?? DEFAULT_MAX_TEXT;
      const profile = textProfile(strs, 0.5 * rest, ctx, maxLength, noisyNonNull);
      if (vocab.length > 0 && covered >= CATEGORICAL_COVERAGE * noisyNonNull) {
        return out({ type: 'categorical', values: vocab.map((v) => encodeValue(v.value)), weights: vocab.map((v) => v.count) });
      }
      input.onFallback?.(
        `${column.name}: ${vocab.length === 0 ? 'no value' : `values covering ${Math.round((100 * covered) / noisyNonNull)} % of rows`} cleared the vocabulary threshold at ε ${(0.5 * rest).toPrecision(2)} over ~${Math.round(noisyNonNull)} rows, generated as text of its DP length and character profile`,
        'text',
      );
      return out(profile);
    }
    case 'binary': {
      const lengths = nonNull.map((v) => (v instanceof Uint8Array ? v.length : String(v).length));
      const q = numericQuantiles(lengths, rest, ctx, { lower: 0, upper: 4096 }) ?? [16];
      return out({ type: 'binary', lengths: q.map(Math.round) });
    }
    default: {
      const spec = dpStructuredSpec({
        table,
        column,
        nonNull,
        epsilon: rest,
        delta: input.delta,
        noisyNonNull,
        ctx,
        inner: (part, partValues, partEpsilon, partSize) =>
          dpColumnSpec({ table, column: part, values: partValues, epsilon: partEpsilon, delta: input.delta, sampleSize: partSize, ctx: input.ctx }),
      });
      if (spec) return out(spec);
      throw unsupported(table, column, `a ${column.nativeType} column`);
    }
  }
}

/** The numeric reading the learned encoder uses for a column type (type only: no value is looked at). */
function encoderKind(column: Column): NumericKind | null {
  const t = column.type;
  switch (t.kind) {
    case 'integer':
    case 'year':
      return { kind: 'integer' };
    case 'float':
      return { kind: 'float' };
    case 'decimal':
      return { kind: 'decimal', scale: t.scale ?? 2 };
    case 'money':
      return { kind: 'decimal', scale: 2 };
    case 'date':
      return { kind: 'date' };
    case 'timestamp':
      return { kind: 'timestamp', fraction: 0, utc: t.withTimeZone };
    default:
      return null;
  }
}

const MS_PER_DAY = 86_400_000;

/**
 * The learned model's encoder for a column, built from its DP spec only: quantiles become bin edges, released
 * categories become tokens, and there is no "other" token (values outside the vocabulary map to the first
 * category, so no raw rare value is ever stored). Null when the column is left to the baseline (free text,
 * uuids, binaries, numbers the budget could not locate).
 */
export function encoderFromSpec(column: Column, spec: ColumnModelSpec): ColumnEncoder | null {
  const hasNull = column.nullable && spec.nullRate > 0;
  const s = spec.spec;
  if (s.type === 'categorical') {
    if (s.values.length < 1) return null;
    return new CategoryEncoder({ type: 'category', column: column.name, hasNull, categories: s.values.map((v) => ({ v: decodeValue(v) })), other: null });
  }
  if (s.type === 'boolean') {
    return new CategoryEncoder({ type: 'category', column: column.name, hasNull, categories: [{ v: true }, { v: false }], other: null });
  }
  if (s.type !== 'numeric' && s.type !== 'epoch') return null;
  const nk = encoderKind(column);
  if (!nk || s.quantiles.length < 2) return null;
  const scale = nk.kind === 'date' ? 1 / MS_PER_DAY : 1;
  const edges: number[] = [];
  for (const q of s.quantiles) {
    const e = q * scale;
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  if (edges.length < 2) return null;
  return new NumericEncoder({ type: 'numeric', column: column.name, numeric: nk, hasNull, points: [], edges });
}

type Charge = Parameters<DpContext['ledger']['charge']>[1];

/**
 * The ledger charges `dpColumnSpec` makes for a column on its longest path (it makes at most these), computed
 * from the schema alone so the budget can be calibrated before any data is touched. Throws the same refusal as
 * `dpColumnSpec` for types without a DP generator, so a run is refused before it spends anything.
 */
export function columnCharges(table: Table, column: Column, epsilon: number, delta: number, isPublic: boolean, fake = false): Charge[] {
  if (isPublic) return [];
  if (fake) return column.nullable ? [{ mechanism: 'laplace', epsilon, count: 1 }] : [];
  const out: Charge[] = [];
  let rest = epsilon;
  if (column.nullable) {
    out.push({ mechanism: 'laplace', epsilon: 0.2 * epsilon, count: 1 });
    rest = 0.8 * epsilon;
  }
  const quantiles = (e: number): Charge => ({ mechanism: 'exponential', epsilon: e / DP_QUANTILES, count: DP_QUANTILES });
  switch (column.type.kind) {
    case 'integer':
    case 'decimal':
    case 'float':
    case 'money':
    case 'year':
    case 'date':
    case 'timestamp':
      out.push({ mechanism: 'laplace', epsilon: 0.3 * rest, count: 1 }, { mechanism: 'laplace', epsilon: 0.7 * rest, count: 1 });
      break;
    case 'boolean':
      out.push({ mechanism: 'laplace', epsilon: rest, count: 1 });
      break;
    case 'time':
    case 'binary':
      out.push(quantiles(rest));
      break;
    case 'enum':
      out.push({ mechanism: 'laplace', epsilon: rest, count: 1 }, { mechanism: 'approx-dp', epsilon: 0, delta, count: 1 });
      break;
    case 'uuid':
      break;
    case 'text':
      if (checkedLiterals(table, column.name)) {
        out.push({ mechanism: 'laplace', epsilon: rest, count: 1 }, { mechanism: 'approx-dp', epsilon: 0, delta, count: 1 });
        break;
      }
      out.push(
        { mechanism: 'laplace', epsilon: 0.5 * rest, count: 1 },
        { mechanism: 'approx-dp', epsilon: 0, delta, count: 1 },
        quantiles(0.25 * rest),
        { mechanism: 'laplace', epsilon: 0.25 * rest, count: 1 },
      );
      break;
    default: {
      const structured = structuredCharges(column, rest, delta, (part, e) => columnCharges(table, part, e, delta, false));
      if (!structured) throw unsupported(table, column, `a ${column.nativeType} column`);
      out.push(...structured);
    }
  }
  return out;
}

/**
 * Probabilities of the tokens of `encoderFromSpec(column, spec)`, from the DP spec alone (post-processing): the
 * NULL token gets the null rate; categories their released weights; numeric bins equal mass (their edges are DP
 * quantiles). Null when the encoder is not built from this spec.
 */
export function tokenPriors(column: Column, spec: ColumnModelSpec): number[] | null {
  const enc = encoderFromSpec(column, spec);
  if (!enc) return null;
  const json = enc.toJSON();
  const nullShare = json.hasNull ? spec.nullRate : 0;
  const head = json.hasNull ? [nullShare] : [];
  const s = spec.spec;
  if (json.type === 'category') {
    const weights = s.type === 'categorical' ? s.weights : s.type === 'boolean' ? [s.pTrue, 1 - s.pTrue] : json.categories.map(() => 1);
    const total = weights.reduce((a, b) => a + Math.max(0, b), 0) || 1;
    return [...head, ...weights.map((w) => ((1 - nullShare) * Math.max(0, w)) / total)];
  }
  const bins = Math.max(0, json.edges.length - 1);
  return bins > 0 ? [...head, ...Array.from({ length: bins }, () => (1 - nullShare) / bins)] : null;
}

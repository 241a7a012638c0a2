/**
 * Differentially private statistics for the generators: bounds, quantiles / bin edges, histograms and
 * category vocabularies of one column. Neighbouring relation: add or remove one privacy unit, which adds or
 * removes at most `ctx.contribution` rows of the column's table (1 at row level; the per-entity bound at entity
 * level), each row contributing one value per column, so counts have L1 sensitivity `contribution`. Every
 * function charges its cost to the ledger it is given, labelled with what it released: the charge is the
 * unit's privacy loss, the noise is scaled to the contribution.
 *
 * Budgets come as `{ epsilon }` (Laplace noise / exponential mechanism, pure ε-DP) or `{ rho }` (Gaussian
 * noise, ρ-zCDP; composes best with DP-SGD in RDP).
 *
 * Noisy counts are rounded to integers: post-processing, so free, and it removes the low-order float bits
 * through which textbook floating-point Laplace leaks the true count (Mironov 2012).
 */
import { SynthError } from '../../errors.js';
import type { PrivacyLedger } from './rdp-accountant.js';
import type { SecureRandom } from './secure-random.js';

export { gaussianNoise, secureRandom, SecureRandom } from './secure-random.js';

export type DpBudget = { epsilon: number } | { rho: number };

export interface DpContext {
  ledger: PrivacyLedger;
  rng: SecureRandom;
  /** Names the release in the ledger, e.g. `public.users.age`. */
  label: string;
  /** Rows of the released table one privacy unit can add or remove (default 1: row-level DP). */
  contribution?: number;
}

/** The contribution bound of a release (a positive integer; 1 unless the privacy unit spans several rows). */
export function contributionOf(ctx: Pick<DpContext, 'contribution'>): number {
  const m = ctx.contribution ?? 1;
  if (!(Number.isInteger(m) && m >= 1)) throw new RangeError(`contribution must be a positive integer, got ${m}`);
  return m;
}

function checkBudget(budget: DpBudget, label: string): void {
  const v = 'epsilon' in budget ? budget.epsilon : budget.rho;
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new SynthError('PRIVACY_BUDGET', `Privacy budget for ${label} must be a positive number, got ${v}.`, {
      hint: 'Give every DP statistic a positive share of privacy.epsilon.',
    });
  }
}

/** Noise for counts with L1 sensitivity `ctx.contribution` under the budget, plus the matching ledger charge. */
function countNoise(
  budget: DpBudget,
  ctx: DpContext,
  what: string,
): { draw: () => number; tail: (p: number) => number } {
  checkBudget(budget, ctx.label);
  const m = contributionOf(ctx);
  if ('epsilon' in budget) {
    const scale = m / budget.epsilon;
    ctx.ledger.charge(`${ctx.label} ${what}`, { mechanism: 'laplace', epsilon: budget.epsilon, count: 1 });
    // P(Lap(b) > t) = ½·exp(-t/b)
    return { draw: () => ctx.rng.laplace(scale), tail: (p) => scale * Math.log(1 / (2 * p)) };
  }
  // L2 sensitivity of m rows' counts is at most m (all in one bin); ρ-zCDP for sensitivity Δ needs σ = Δ/√(2ρ).
  const sigma = m / Math.sqrt(2 * budget.rho);
  ctx.ledger.charge(`${ctx.label} ${what}`, { mechanism: 'gaussian', noiseMultiplier: sigma, count: 1 });
  // Chernoff: P(N(0,σ²) > t) <= exp(-t²/2σ²)
  return { draw: () => sigma * ctx.rng.normal(), tail: (p) => sigma * Math.sqrt(2 * Math.log(1 / p)) };
}

function finiteNumbers(values: Iterable<unknown>): number[] {
  const out: number[] = [];
  for (const v of values) {
    const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : NaN;
    if (v !== null && v !== '' && Number.isFinite(n)) out.push(n);
  }
  return out;
}

/** A DP count (sensitivity `ctx.contribution`), not clamped. */
export function dpCount(trueCount: number, budget: DpBudget, ctx: DpContext): number {
  return Math.round(trueCount + countNoise(budget, ctx, 'count').draw());
}

export interface DpHistogram {
  /** Bin edges, ascending; bin i is [edges[i], edges[i+1]) and the last bin is closed. */
  edges: number[];
  /** Noisy counts, clamped at 0. */
  counts: number[];
}

/**
 * DP histogram over bin edges that must be public or themselves DP (e.g. from `dpBinEdges`). Values outside
 * the edges are clamped into the first/last bin so the edges never reveal extremes.
 */
export function dpHistogram(values: Iterable<unknown>, edges: readonly number[], budget: DpBudget, ctx: DpContext): DpHistogram {
  if (edges.length < 2) throw new RangeError('dpHistogram needs at least two edges');
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of finiteNumbers(values)) {
    // Binary search for the last edge <= v.
    let lo = 0;
    let hi = bins - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (edges[mid]! <= v) lo = mid;
      else hi = mid - 1;
    }
    counts[lo]! += 1;
  }
  const noise = countNoise(budget, ctx, 'histogram');
  return { edges: [...edges], counts: counts.map((c) => Math.max(0, Math.round(c + noise.draw()))) };
}

/**
 * DP quantiles read off one noisy histogram (Laplace on every bin of an equal-width grid over a public or DP
 * `range`, one release of L1 sensitivity `contribution`): unlike one exponential mechanism per quantile, the
 * whole budget buys every quantile at once, and a gap between two modes stays empty instead of attracting
 * quantiles by its width. Bins whose noisy count stays under three noise scales are cut to 0 (post-processing),
 * so the tails do not fill with noise; each quantile is interpolated inside its bin. Integer columns whose range
 * spans at most `bins` values get one bin per integer. Null when no bin clears the cut (too few rows for ε).
 */
export function dpHistogramQuantiles(
  values: Iterable<unknown>,
  quantiles: readonly number[],
  range: { lower: number; upper: number },
  epsilon: number,
  ctx: DpContext,
  options: { bins: number; integer?: boolean },
): number[] | null {
  if (!(range.upper > range.lower)) throw new RangeError('dpHistogramQuantiles needs range.upper > range.lower');
  const unit = options.integer === true && Math.ceil(range.upper) - Math.floor(range.lower) + 1 <= options.bins;
  const lower = unit ? Math.floor(range.lower) - 0.5 : range.lower;
  const bins = unit ? Math.ceil(range.upper) - Math.floor(range.lower) + 1 : Math.max(1, Math.round(options.bins));
  const width = unit ? 1 : (range.upper - range.lower) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lower + i * width);
  const xs = finiteNumbers(values).map((v) => Math.min(range.upper, Math.max(range.lower, v)));
  const h = dpHistogram(xs, edges, { epsilon }, ctx);
  // An empty bin clears 3 noise scales with probability e⁻³/2 (2.5 %); the outermost 0.5 % of the mass is left out
  // of the ends so that such a stray bin does not stretch the range.
  const cut = (3 * contributionOf(ctx)) / epsilon;
  const kept = h.counts.map((c) => (c >= cut ? c : 0));
  // A lone surviving bin between empty ones is far more often noise than data (post-processing, free).
  const counts = kept.map((c, b) => (c > 0 && !(kept[b - 1]! > 0) && !(kept[b + 1]! > 0) && c < 2 * cut ? 0 : c));
  const total = counts.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return null;
  const first = counts.findIndex((c) => c > 0);
  let last = counts.length - 1;
  while (counts[last] === 0) last--;
  return quantiles.map((q) => {
    const target = Math.min(0.995, Math.max(0.005, q)) * total;
    let acc = 0;
    for (let b = first; b <= last; b++) {
      const c = counts[b]!;
      if (c > 0 && acc + c >= target) return edges[b]! + ((target - acc) / c) * width;
      acc += c;
    }
    return edges[last + 1]!;
  });
}

const MIN_EXP = -20;
const MAX_EXP = 62;
/** Bins of `magnitudeBin`: ±2^k for k in [MIN_EXP, MAX_EXP], and zero. */
export const MAGNITUDE_BINS = 2 * (MAX_EXP - MIN_EXP + 1) + 1;

/** Log-scale bin of a value: 0 is its own bin; ±[2^k, 2^(k+1)) otherwise, magnitudes clamped to the range. */
export function magnitudeBin(v: number): number {
  const span = MAX_EXP - MIN_EXP + 1;
  if (v === 0) return span;
  const k = Math.min(MAX_EXP, Math.max(MIN_EXP, Math.floor(Math.log2(Math.abs(v)))));
  return v > 0 ? span + 1 + (k - MIN_EXP) : span - 1 - (k - MIN_EXP);
}

export function binRange(bin: number): [number, number] {
  const span = MAX_EXP - MIN_EXP + 1;
  if (bin === span) return [0, 0];
  if (bin > span) {
    const k = bin - span - 1 + MIN_EXP;
    return [k === MIN_EXP ? 0 : 2 ** k, 2 ** (k + 1)];
  }
  const k = span - 1 - bin + MIN_EXP;
  return [-(2 ** (k + 1)), k === MIN_EXP ? 0 : -(2 ** k)];
}

/**
 * DP lower and upper bounds of a numeric column without a public range: noisy counts over log-scale bins
 * (±2^k, k in [-20, 62]); the bounds are the outer edges of the outermost bins kept. A bin is kept when its noisy
 * count clears a threshold that an empty bin passes with probability at most `beta` overall, and either lies
 * within `REACH` bins' worth of magnitude (×2^REACH) of the bins kept so far — starting from the fullest bin and
 * going outwards by magnitude — or clears a far higher threshold (`farBeta`, ≪ beta). An empty bin that passes
 * the first threshold therefore widens the range by a bounded factor at most: before, one such bin anywhere among
 * the 167 (5 % of columns) set a bound near ±2^62 and the DP quantiles reached into it (a POINT coordinate of
 * -1.93e15 in CI). Everything after the noisy counts is post-processing, so the choice costs no budget. Returns
 * null when no bin clears the threshold (too few rows for the budget).
 */
export function dpBounds(
  values: Iterable<unknown>,
  budget: DpBudget,
  ctx: DpContext,
  options: { beta?: number; farBeta?: number } = {},
): { lower: number; upper: number } | null {
  const nBins = 2 * (MAX_EXP - MIN_EXP + 1) + 1;
  const counts = new Array<number>(nBins).fill(0);
  for (const v of finiteNumbers(values)) counts[magnitudeBin(v)]! += 1;
  const noise = countNoise(budget, ctx, 'bounds');
  const threshold = noise.tail((options.beta ?? 0.05) / nBins);
  const far = noise.tail((options.farBeta ?? 1e-9) / nBins);
  const noisy = counts.map((c) => c + noise.draw());
  let fullest = -1;
  for (let b = 0; b < nBins; b++) if (noisy[b]! > threshold && (fullest < 0 || noisy[b]! > noisy[fullest]!)) fullest = b;
  if (fullest < 0) return null;
  const magnitude = (b: number) => Math.max(...binRange(b).map(Math.abs));
  // Outwards by magnitude (ties: index order, so the result does not depend on the sort's stability).
  const order = [...noisy.keys()].sort((a, b) => magnitude(a) - magnitude(b) || a - b);
  let reach = Math.max(1, magnitude(fullest));
  let first = fullest;
  let last = fullest;
  for (const b of order) {
    if (noisy[b]! <= threshold) continue;
    if (magnitude(b) > reach * 2 ** REACH && noisy[b]! <= far) continue;
    reach = Math.max(reach, magnitude(b));
    first = Math.min(first, b);
    last = Math.max(last, b);
  }
  return { lower: binRange(first)[0], upper: binRange(last)[1] };
}

/** How many magnitude bins (doublings) past the bins kept so far a bin may lie and still be kept at the lower threshold. */
const REACH = 3;

/**
 * DP quantiles by the exponential mechanism (Smith 2011): for each quantile, an interval between consecutive
 * sorted (clamped) values is picked with probability ∝ length · exp(ε·utility/2), utility = -|rank - q·n|,
 * then a uniform point inside it. The budget ε is split evenly over the quantiles (each charged as an
 * exponential mechanism). `range` must be public or DP (e.g. from `dpBounds`).
 */
export function dpQuantiles(
  values: Iterable<unknown>,
  quantiles: readonly number[],
  range: { lower: number; upper: number },
  epsilon: number,
  ctx: DpContext,
): number[] {
  checkBudget({ epsilon }, ctx.label);
  if (!(range.upper > range.lower)) throw new RangeError('dpQuantiles needs range.upper > range.lower');
  const xs = finiteNumbers(values).map((v) => Math.min(range.upper, Math.max(range.lower, v)));
  xs.sort((a, b) => a - b);
  const n = xs.length;
  const points = [range.lower, ...xs, range.upper];
  const epsEach = epsilon / quantiles.length;
  ctx.ledger.charge(`${ctx.label} quantiles`, { mechanism: 'exponential', epsilon: epsEach, count: quantiles.length });
  // A unit of m rows moves every rank by at most m: the utility's sensitivity.
  const utilityScale = epsEach / (2 * contributionOf(ctx));
  const out: number[] = [];
  for (const q of quantiles) {
    const target = q * n;
    let best = -Infinity;
    let bestI = 0;
    for (let i = 0; i <= n; i++) {
      const width = points[i + 1]! - points[i]!;
      if (width <= 0) continue;
      // Gumbel-max draws from the softmax of the scores without normalising.
      const score = Math.log(width) - utilityScale * Math.abs(i - target) - Math.log(-Math.log(ctx.rng.nextOpen()));
      if (score > best) {
        best = score;
        bestI = i;
      }
    }
    out.push(points[bestI]! + ctx.rng.next() * (points[bestI + 1]! - points[bestI]!));
  }
  return out;
}

/** `bins` equal-mass bin edges from DP quantiles, ascending and de-duplicated, including the range ends. */
export function dpBinEdges(
  values: Iterable<unknown>,
  bins: number,
  range: { lower: number; upper: number },
  epsilon: number,
  ctx: DpContext,
): number[] {
  const qs = Array.from({ length: bins - 1 }, (_, i) => (i + 1) / bins);
  const inner = bins > 1 ? dpQuantiles(values, qs, range, epsilon, ctx) : [];
  const edges = [range.lower, ...inner.sort((a, b) => a - b), range.upper];
  return edges.filter((e, i) => i === 0 || e > edges[i - 1]!);
}

export interface DpVocabularyEntry {
  value: string;
  /** Noisy count, at least 0. */
  count: number;
  /** True when the value was declared public (emitted whatever its count). */
  public: boolean;
}

/**
 * DP category vocabulary: noisy counts per category, and a category that is not declared public is released
 * only when its noisy count clears a threshold τ chosen so that the categories held by a single privacy unit are
 * released with probability at most δ together (Korolova et al. 2009; Wilson et al. 2020). A unit of m rows holds
 * at most m categories, each with a count of at most m, so τ = m + b·ln(m/2δ) for Laplace scale b (= 1 + b·ln(1/2δ)
 * at row level). That δ is charged to the ledger. Rare values are therefore never emitted verbatim unless public.
 */
export function dpCategoryVocabulary(
  values: Iterable<unknown>,
  budget: DpBudget,
  ctx: DpContext,
  options: { delta: number; publicValues?: readonly string[]; minCount?: number },
): DpVocabularyEntry[] {
  if (!(options.delta > 0 && options.delta < 1)) throw new RangeError('dpCategoryVocabulary needs 0 < delta < 1');
  const counts = new Map<string, number>();
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const key = typeof v === 'string' ? v : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const noise = countNoise(budget, ctx, 'vocabulary');
  ctx.ledger.charge(`${ctx.label} vocabulary threshold`, {
    mechanism: 'approx-dp',
    epsilon: 0,
    delta: options.delta,
    count: 1,
  });
  const m = contributionOf(ctx);
  const threshold = Math.max(m + noise.tail(options.delta / m), options.minCount ?? 0);
  const pub = new Set(options.publicValues ?? []);
  const out: DpVocabularyEntry[] = [];
  for (const value of pub) {
    out.push({ value, count: Math.max(0, Math.round((counts.get(value) ?? 0) + noise.draw())), public: true });
  }
  for (const [value, c] of counts) {
    if (pub.has(value)) continue;
    const noisy = c + noise.draw();
    if (noisy > threshold) out.push({ value, count: Math.round(noisy), public: false });
  }
  return out.sort((a, b) => b.count - a.count);
}

/**
 * Bin edges for a numeric column's encoder in one call: DP bounds (20% of ε) unless a public range is
 * declared, then DP equal-mass edges (the rest). Null when the column is too small for the budget to find
 * bounds; the caller then falls back to a public default or a single bin.
 */
export function dpNumericEdges(
  values: Iterable<unknown>,
  bins: number,
  epsilon: number,
  ctx: DpContext,
  options: { publicRange?: { lower: number; upper: number } } = {},
): number[] | null {
  checkBudget({ epsilon }, ctx.label);
  const xs = finiteNumbers(values);
  let range = options.publicRange ?? null;
  let left = epsilon;
  if (!range) {
    range = dpBounds(xs, { epsilon: 0.2 * epsilon }, ctx);
    left = 0.8 * epsilon;
    if (!range) return null;
  }
  if (!(range.upper > range.lower)) return [range.lower, range.lower + 1];
  return dpBinEdges(xs, bins, range, left, ctx);
}

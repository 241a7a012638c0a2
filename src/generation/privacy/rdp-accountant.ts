/**
 * Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism (Mironov, Talwar, Zhang 2019,
 * "Rényi Differential Privacy of the Sampled Gaussian Mechanism"), following Google's dp_accounting
 * `rdp/rdp_privacy_accountant.py` (the accountant TF Privacy now delegates to): integer orders by the
 * binomial expansion, fractional orders by the two-sided series of Sec. 3.3, all in log space, and the
 * RDP → (ε, δ) conversion of Canonne, Kamath, Steinke 2020 (Prop. 12), which is what TF Privacy and
 * Opacus use today. Neighbouring relation: add-or-remove-one example.
 */
import { SynthError } from '../../errors.js';
import { logAdd, logComb, logErfc } from './log-math.js';

/** dp_accounting's DEFAULT_RDP_ORDERS. */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 53 }, (_, x) => 11 + x),
  128,
  256,
  512,
  1024,
]);

function logAInt(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  const logQ = Math.log(q);
  const log1mq = Math.log1p(-q);
  for (let i = 0; i <= alpha; i++) {
    const logCoef = logComb(alpha, i) + i * logQ + (alpha - i) * log1mq;
    logA = logAdd(logA, logCoef + (i * i - i) / (2 * sigma * sigma));
  }
  return logA;
}

const MAX_STEPS_LOG_A_FRAC = 1000;

function logAFrac(q: number, sigma: number, alpha: number): number {
  // The two parts of A_alpha, integrals over (-inf, z0] and [z0, +inf).
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mq = Math.log1p(-q);
  let lastS0 = -Infinity;
  let lastS1 = -Infinity;
  const s2 = Math.SQRT2 * sigma;
  for (let i = 0; i < MAX_STEPS_LOG_A_FRAC; i++) {
    const logCoef = logComb(alpha, i);
    const j = alpha - i;
    const logT0 = logCoef + i * logQ + j * log1mq;
    const logT1 = logCoef + j * logQ + i * log1mq;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / s2);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / s2);
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    logA0 = logAdd(logA0, logS0);
    logA1 = logAdd(logA1, logS1);
    const total = logAdd(logA0, logA1);
    // Stop once both series decrease and their terms are negligible next to the total.
    if (logS0 < lastS0 && logS1 < lastS1 && Math.max(logS0, logS1) < total - 30) return total;
    lastS0 = logS0;
    lastS1 = logS1;
  }
  // As dp_accounting does: an order that does not converge is excluded (its RDP is +inf).
  return Infinity;
}

/** RDP of one step of the Poisson-subsampled Gaussian mechanism at one order. */
export function rdpSubsampledGaussian(q: number, noiseMultiplier: number, order: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Sampling rate must be in [0, 1], got ${q}`);
  if (!(noiseMultiplier >= 0)) throw new RangeError(`Noise multiplier must be >= 0, got ${noiseMultiplier}`);
  if (q === 0) return 0;
  if (!Number.isFinite(order) || noiseMultiplier === 0) return Infinity;
  if (q === 1) return order / (2 * noiseMultiplier * noiseMultiplier);
  const logA = Number.isInteger(order)
    ? logAInt(q, noiseMultiplier, order)
    : logAFrac(q, noiseMultiplier, order);
  return logA / (order - 1);
}

/** RDP vector of `steps` compositions of the subsampled Gaussian, one entry per order. */
export function computeRdp(q: number, noiseMultiplier: number, steps: number, orders: readonly number[]): number[] {
  return orders.map((a) => (steps === 0 ? 0 : steps * rdpSubsampledGaussian(q, noiseMultiplier, a)));
}

/**
 * Smallest ε over orders for the given δ (Canonne-Kamath-Steinke 2020 Prop. 12, as dp_accounting's
 * `compute_epsilon`): ε = rdp + log1p(-1/α) - log(δ·α)/(α-1), with the KL shortcut for tiny RDP.
 */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
): { epsilon: number; order: number } {
  if (!(delta >= 0)) throw new RangeError(`Delta cannot be negative, got ${delta}`);
  if (orders.length !== rdp.length) throw new RangeError('orders and rdp must have the same length');
  if (delta === 0) return { epsilon: rdp.every((r) => r === 0) ? 0 : Infinity, order: 0 };
  let best = Infinity;
  let bestOrder = orders[0] ?? 0;
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k]!;
    const r = rdp[k]!;
    if (a < 1) throw new RangeError(`Rényi divergence order must be at least 1, got ${a}`);
    let eps: number;
    if (r < 0) eps = 0;
    else if (delta * delta + Math.expm1(-r) > 0) eps = 0;
    else if (a > 1.01) eps = r + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1);
    else eps = Infinity;
    // argmin semantics: the first order reaching the minimum wins (NaN never wins).
    if (eps < best) {
      best = eps;
      bestOrder = a;
    }
  }
  return { epsilon: Math.max(0, best), order: bestOrder };
}

/** Smallest δ over orders for the given ε (the same Prop. 12 bound, as dp_accounting's `compute_delta`). */
export function deltaFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  epsilon: number,
): { delta: number; order: number } {
  if (!(epsilon >= 0)) throw new RangeError(`Epsilon cannot be negative, got ${epsilon}`);
  let best = Infinity;
  let bestOrder = orders[0] ?? 0;
  for (let k = 0; k < orders.length; k++) {
    const a = orders[k]!;
    const r = rdp[k]!;
    let logDelta: number;
    if (r <= 0) logDelta = -Infinity;
    else logDelta = 0.5 * Math.log1p(-Math.exp(-r));
    if (a > 1.01) {
      const bound = (a - 1) * (r - epsilon + Math.log1p(-1 / a)) - Math.log(a);
      logDelta = Math.min(logDelta, bound);
    }
    if (logDelta < best || k === 0) {
      best = logDelta;
      bestOrder = a;
    }
  }
  return { delta: Math.min(Math.exp(best), 1), order: bestOrder };
}

export interface EpsilonQuery {
  /** Poisson sampling rate (expected batch size / dataset size). */
  q: number;
  noiseMultiplier: number;
  steps: number;
  delta: number;
  orders?: readonly number[];
}

/** (ε, best order) of DP-SGD with Poisson sampling rate q, noise multiplier σ, over `steps` steps. */
export function computeEpsilon(query: EpsilonQuery): { epsilon: number; order: number } {
  const orders = query.orders ?? DEFAULT_RDP_ORDERS;
  return epsilonFromRdp(orders, computeRdp(query.q, query.noiseMultiplier, query.steps, orders), query.delta);
}

export interface NoiseQuery {
  q: number;
  steps: number;
  delta: number;
  targetEpsilon: number;
  orders?: readonly number[];
  /** Relative precision of the binary search on σ (default 1e-4). */
  tolerance?: number;
}

/**
 * Smallest noise multiplier (to `tolerance`) whose ε stays at or below the target: exponential search for
 * an upper bracket, then bisection; ε is monotone decreasing in σ. The result is the upper end of the
 * final bracket, so it always satisfies the target.
 */
export function findNoiseMultiplier(query: NoiseQuery): number {
  const { q, steps, delta, targetEpsilon } = query;
  if (!(targetEpsilon > 0)) {
    throw new SynthError('PRIVACY_BUDGET', `Target epsilon must be positive, got ${targetEpsilon}.`, {
      hint: 'Set privacy.epsilon to a positive number (typical values: 1 to 10).',
    });
  }
  const eps = (sigma: number): number =>
    computeEpsilon({ q, noiseMultiplier: sigma, steps, delta, orders: query.orders }).epsilon;
  if (q === 0 || steps === 0) return 0;
  let hi = 1;
  while (eps(hi) > targetEpsilon) {
    hi *= 2;
    if (hi > 1e6) {
      throw new SynthError(
        'PRIVACY_BUDGET',
        `No noise multiplier reaches epsilon ${targetEpsilon} at delta ${delta} with sampling rate ${q} over ${steps} steps.`,
        { hint: 'Raise the privacy budget, train for fewer steps or use a smaller batch.' },
      );
    }
  }
  let lo = hi === 1 ? 0 : hi / 2;
  const tol = query.tolerance ?? 1e-4;
  while (hi - lo > tol * hi) {
    const mid = (lo + hi) / 2;
    if (eps(mid) > targetEpsilon) lo = mid;
    else hi = mid;
  }
  return hi;
}

export interface StepsQuery {
  q: number;
  noiseMultiplier: number;
  delta: number;
  targetEpsilon: number;
  orders?: readonly number[];
  /** Upper limit of the search (default 10^9). */
  maxSteps?: number;
}

/** Largest number of steps whose ε stays within the target (0 when even one step exceeds it). */
export function maxStepsWithinBudget(query: StepsQuery): number {
  const orders = query.orders ?? DEFAULT_RDP_ORDERS;
  // RDP is linear in the step count, so one per-step vector serves the whole search.
  const perStep = computeRdp(query.q, query.noiseMultiplier, 1, orders);
  const eps = (steps: number): number =>
    epsilonFromRdp(
      orders,
      perStep.map((r) => r * steps),
      query.delta,
    ).epsilon;
  const cap = query.maxSteps ?? 1e9;
  if (eps(1) > query.targetEpsilon) return 0;
  let lo = 1;
  let hi = 2;
  while (hi <= cap && eps(hi) <= query.targetEpsilon) {
    lo = hi;
    hi *= 2;
  }
  if (hi > cap) {
    if (eps(cap) <= query.targetEpsilon) return cap;
    hi = cap;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (eps(mid) <= query.targetEpsilon) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** RDP of the Laplace mechanism with ε = sensitivity / scale (Mironov 2017 Prop. 6; dp_accounting `_laplace_rdp`). */
export function rdpLaplace(epsilon: number, order: number): number {
  const a = order;
  const eps = epsilon;
  if (a === 1) return eps + Math.expm1(-eps);
  if (!Number.isFinite(a)) return eps;
  if (a < 1.1) {
    // Taylor series of log(1 + c·x)/x keeps 1 < α <= 1.1 numerically stable.
    const c = Math.expm1(eps * (1 - 2 * a)) / (2 * a - 1);
    const v = -c * (a - 1);
    let s = 0;
    for (let k = 100; k >= 1; k--) s += v ** (k - 1) / k;
    return eps + c * s;
  }
  return eps + Math.log1p(((a - 1) * Math.expm1(eps * (1 - 2 * a))) / (2 * a - 1)) / (a - 1);
}

/** Tight RDP of any ε-DP mechanism (randomized response bound, as dp_accounting's EpsilonDeltaDpEvent). */
export function rdpPureDp(epsilon: number, order: number): number {
  if (epsilon === 0) return 0;
  if (!Number.isFinite(order)) return epsilon;
  const logAddExp0 = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
  return (epsilon * order + logAddExp0(epsilon * (1 - 2 * order)) - logAddExp0(epsilon)) / (order - 1);
}

/** RDP of the exponential mechanism (bounded-range zCDP bound of Cesar & Rogers 2021, capped at ε). */
export function rdpExponentialMechanism(epsilon: number, order: number): number {
  if (epsilon === 0) return 0;
  const r = epsilon / Math.expm1(epsilon);
  const xi = r - 1 - Math.log(r) - (epsilon * epsilon) / 8;
  return Math.min(xi + ((epsilon * epsilon) / 8) * order, epsilon);
}

export type LedgerCharge =
  | { mechanism: 'subsampled-gaussian'; q: number; noiseMultiplier: number; steps: number }
  | { mechanism: 'gaussian'; noiseMultiplier: number; count: number }
  | { mechanism: 'laplace'; epsilon: number; count: number }
  | { mechanism: 'exponential'; epsilon: number; count: number }
  | { mechanism: 'pure-dp'; epsilon: number; count: number }
  | { mechanism: 'zcdp'; rho: number; count: number }
  | { mechanism: 'approx-dp'; epsilon: number; delta: number; count: number };

export interface LedgerEntry {
  /** What the budget was spent on, e.g. `public.users.age quantiles` or `public.users DP-SGD`. */
  label: string;
  charge: LedgerCharge;
}

export interface PrivacySpent {
  epsilon: number;
  delta: number;
  /** Best RDP order, or null when basic composition gave the smaller ε. */
  order: number | null;
  method: 'rdp' | 'basic';
}

/**
 * Accumulates the privacy cost of everything computed from one source database. All mechanisms are
 * composed in RDP (Gaussian, subsampled Gaussian, Laplace, exponential and generic ε-DP each through its own
 * RDP curve; the δ of thresholded releases as an additive δ, as dp_accounting does). Alongside, the plain
 * sum of ε and δ (basic composition) is kept, valid only while every charge is pure or approximate DP;
 * `spent(δ)` reports the smaller of the two valid bounds.
 */
export class PrivacyLedger {
  readonly orders: readonly number[];
  private readonly rdp: number[];
  private extraDelta = 0;
  private basicEpsilon = 0;
  private basicDelta = 0;
  private basicValid = true;
  private readonly log: LedgerEntry[] = [];

  constructor(options: { orders?: readonly number[] } = {}) {
    this.orders = options.orders ?? DEFAULT_RDP_ORDERS;
    this.rdp = this.orders.map(() => 0);
  }

  get entries(): readonly LedgerEntry[] {
    return this.log;
  }

  charge(label: string, charge: LedgerCharge): void {
    for (const [k, v] of Object.entries(charge)) {
      if (typeof v === 'number' && !(v >= 0)) {
        throw new RangeError(`Privacy ledger charge "${label}": ${k} must be a non-negative number, got ${v}`);
      }
    }
    const add = (f: (order: number) => number, times: number): void => {
      for (let k = 0; k < this.orders.length; k++) this.rdp[k]! += times * f(this.orders[k]!);
    };
    switch (charge.mechanism) {
      case 'subsampled-gaussian':
        add((a) => rdpSubsampledGaussian(charge.q, charge.noiseMultiplier, a), charge.steps);
        if (charge.q > 0 && charge.steps > 0) this.basicValid = false;
        break;
      case 'gaussian':
        add((a) => rdpSubsampledGaussian(1, charge.noiseMultiplier, a), charge.count);
        if (charge.count > 0) this.basicValid = false;
        break;
      case 'zcdp':
        add((a) => charge.rho * a, charge.count);
        if (charge.count > 0 && charge.rho > 0) this.basicValid = false;
        break;
      case 'laplace':
        add((a) => rdpLaplace(charge.epsilon, a), charge.count);
        this.basicEpsilon += charge.epsilon * charge.count;
        break;
      case 'exponential':
        add((a) => rdpExponentialMechanism(charge.epsilon, a), charge.count);
        this.basicEpsilon += charge.epsilon * charge.count;
        break;
      case 'pure-dp':
        add((a) => rdpPureDp(charge.epsilon, a), charge.count);
        this.basicEpsilon += charge.epsilon * charge.count;
        break;
      case 'approx-dp': {
        add((a) => rdpPureDp(charge.epsilon, a), charge.count);
        // 1 - (1 - δ_old)(1 - δ)^count, computed stably.
        const logTerm = Math.log1p(-this.extraDelta) + charge.count * Math.log1p(-charge.delta);
        this.extraDelta = -Math.expm1(logTerm);
        this.basicEpsilon += charge.epsilon * charge.count;
        this.basicDelta += charge.delta * charge.count;
        break;
      }
    }
    this.log.push({ label, charge });
  }

  /** The (ε, δ) spent so far at the given δ. */
  spent(delta: number): PrivacySpent {
    const effective = -Math.expm1(Math.log1p(-delta) - Math.log1p(-this.extraDelta));
    const viaRdp =
      effective <= 0 ? { epsilon: Infinity, order: 0 } : epsilonFromRdp(this.orders, this.rdp, effective);
    if (this.basicValid && this.basicDelta <= delta && this.basicEpsilon < viaRdp.epsilon) {
      return { epsilon: this.basicEpsilon, delta, order: null, method: 'basic' };
    }
    return { epsilon: viaRdp.epsilon, delta, order: viaRdp.order, method: 'rdp' };
  }

  /**
   * Per-label cost for the report: each label's charges composed alone (so the parts do not add up to the
   * total; RDP composition is sub-additive in ε), plus the total.
   */
  breakdown(delta: number): { total: PrivacySpent; byLabel: Array<{ label: string; charges: number; epsilon: number }> } {
    const groups = new Map<string, LedgerEntry[]>();
    for (const e of this.log) {
      const g = groups.get(e.label);
      if (g) g.push(e);
      else groups.set(e.label, [e]);
    }
    const byLabel = [...groups].map(([label, entries]) => {
      const l = new PrivacyLedger({ orders: this.orders });
      for (const e of entries) l.charge(e.label, e.charge);
      return { label, charges: entries.length, epsilon: l.spent(delta).epsilon };
    });
    return { total: this.spent(delta), byLabel: byLabel.sort((a, b) => b.epsilon - a.epsilon) };
  }

  /** Throws PRIVACY_BUDGET when the spend so far exceeds the budget. */
  ensureWithin(budget: { epsilon: number; delta: number }): void {
    const s = this.spent(budget.delta);
    if (s.epsilon > budget.epsilon) {
      const top = this.log.map((e) => e.label).slice(-3).join(', ');
      throw new SynthError(
        'PRIVACY_BUDGET',
        `Privacy budget exceeded: spent epsilon ${s.epsilon.toPrecision(3)} > budget ${budget.epsilon} at delta ${budget.delta}` +
          (top ? ` (latest charges: ${top}).` : '.'),
        { hint: 'Raise privacy.epsilon, lower the DP-SGD epochs, or give statistics a smaller share of the budget.' },
      );
    }
  }

  clone(): PrivacyLedger {
    const c = new PrivacyLedger({ orders: this.orders });
    for (const e of this.log) c.charge(e.label, e.charge);
    return c;
  }

  /** Rebuilds a ledger from `toJSON()` output (e.g. a resumed run's saved spend). */
  static fromJSON(json: { orders: readonly number[]; entries: readonly LedgerEntry[] }): PrivacyLedger {
    const l = new PrivacyLedger({ orders: json.orders });
    for (const e of json.entries) l.charge(e.label, e.charge);
    return l;
  }

  toJSON(): { orders: number[]; rdp: number[]; extraDelta: number; entries: LedgerEntry[] } {
    return { orders: [...this.orders], rdp: [...this.rdp], extraDelta: this.extraDelta, entries: [...this.log] };
  }
}

/**
 * DP-SGD building blocks for the learned model: Poisson lot sampling (what the RDP analysis assumes),
 * the noise plan that turns a budget into a noise multiplier and step count, the hook the model's
 * `trainStep` takes, and per-example gradient norm formulas (Goodfellow 2015's trick: the norm of an
 * outer-product gradient factorises, so per-example norms need no per-example gradients).
 */
import { SynthError } from '../../errors.js';
import type { Rng } from '../model.js';
import { computeEpsilon, DEFAULT_RDP_ORDERS, findNoiseMultiplier, maxStepsWithinBudget, type PrivacyLedger } from './rdp-accountant.js';
import type { SecureRandom } from './secure-random.js';

/**
 * Lots for `steps` steps: each of the `n` example indices joins each lot independently with probability q.
 * Geometric gap skipping makes a lot cost O(q·n), not O(n). Lots can be empty; DP-SGD still takes the step
 * (noise only), as the analysis requires.
 */
export function* poissonBatches(n: number, q: number, rng: Rng, steps = Infinity): Generator<Uint32Array> {
  if (!(q > 0 && q <= 1)) throw new RangeError(`Sampling rate must be in (0, 1], got ${q}`);
  const logKeep = Math.log1p(-q);
  for (let s = 0; s < steps; s++) {
    if (q === 1) {
      yield Uint32Array.from({ length: n }, (_, i) => i);
      continue;
    }
    const picked: number[] = [];
    let i = -1;
    for (;;) {
      // Gap to the next selected index ~ Geometric(q).
      const u = 1 - rng.next();
      i += 1 + Math.floor(Math.log(u) / logKeep);
      if (i >= n) break;
      picked.push(i);
    }
    yield Uint32Array.from(picked);
  }
}

export interface DpSgdPlanInput {
  epsilon: number;
  delta: number;
  datasetSize: number;
  /** Expected lot size; the sampling rate is batchSize / datasetSize. */
  batchSize: number;
  epochs: number;
  /** Fix the noise multiplier instead of solving for it: then the plan stops when the budget runs out. */
  noiseMultiplier?: number;
  orders?: readonly number[];
}

export interface DpSgdPlan {
  q: number;
  steps: number;
  noiseMultiplier: number;
  /** ε actually reached by `steps` steps at `delta` (at most the target). */
  epsilon: number;
  delta: number;
  /** True when a fixed noise multiplier forced fewer steps than the epochs asked for. */
  stoppedEarly: boolean;
}

/** Turns a budget into DP-SGD parameters (TF Privacy's compute_noise_from_budget, plus the fixed-σ variant). */
export function planDpSgd(input: DpSgdPlanInput): DpSgdPlan {
  const { epsilon, delta, datasetSize, batchSize, epochs } = input;
  if (!(datasetSize > 0)) {
    throw new SynthError('EMPTY_SOURCE', 'DP-SGD needs at least one training row.', {
      hint: 'Use the baseline generator for empty tables.',
    });
  }
  const q = Math.min(1, batchSize / datasetSize);
  const wanted = Math.max(1, Math.ceil((epochs * datasetSize) / batchSize));
  const orders = input.orders ?? DEFAULT_RDP_ORDERS;
  if (input.noiseMultiplier !== undefined) {
    const steps = Math.min(
      wanted,
      maxStepsWithinBudget({ q, noiseMultiplier: input.noiseMultiplier, delta, targetEpsilon: epsilon, orders, maxSteps: wanted }),
    );
    if (steps === 0) {
      throw new SynthError(
        'PRIVACY_BUDGET',
        `Noise multiplier ${input.noiseMultiplier} spends more than epsilon ${epsilon} in a single DP-SGD step.`,
        { hint: 'Raise the noise multiplier or the privacy budget.' },
      );
    }
    const reached = computeEpsilon({ q, noiseMultiplier: input.noiseMultiplier, steps, delta, orders }).epsilon;
    return { q, steps, noiseMultiplier: input.noiseMultiplier, epsilon: reached, delta, stoppedEarly: steps < wanted };
  }
  const sigma = findNoiseMultiplier({ q, steps: wanted, delta, targetEpsilon: epsilon, orders });
  const reached = computeEpsilon({ q, noiseMultiplier: sigma, steps: wanted, delta, orders }).epsilon;
  return { q, steps: wanted, noiseMultiplier: sigma, epsilon: reached, delta, stoppedEarly: false };
}

/** Structurally the `dp` argument of the learned model's `trainStep`. */
export interface DpSgdHook {
  clipNorm: number;
  noiseMultiplier: number;
  /** Standard-normal noise of the given shape (row-major), from a secure source. */
  noise: (shape: [number, number]) => Float32Array;
  expectedBatchSize?: number;
}

/**
 * The hook for `trainStep`, charging the ledger once per step taken (call `step()` after each trainStep),
 * so an interrupted training still reports exactly what it spent.
 */
export function createDpHook(options: {
  plan: DpSgdPlan;
  clipNorm: number;
  datasetSize: number;
  rng: SecureRandom;
  ledger?: PrivacyLedger;
  label?: string;
}): DpSgdHook & { step(): void; readonly stepsTaken: number } {
  const { plan, rng, ledger } = options;
  let taken = 0;
  return {
    clipNorm: options.clipNorm,
    noiseMultiplier: plan.noiseMultiplier,
    expectedBatchSize: plan.q * options.datasetSize,
    noise: (shape) => rng.gaussian(shape[0] * shape[1], 1),
    step() {
      if (taken >= plan.steps) {
        throw new SynthError('PRIVACY_BUDGET', `DP-SGD tried step ${taken + 1} of a plan of ${plan.steps} steps.`, {
          hint: 'This is a bug in the training loop: it must stop after plan.steps steps.',
        });
      }
      taken++;
      ledger?.charge(options.label ?? 'dp-sgd', {
        mechanism: 'subsampled-gaussian',
        q: plan.q,
        noiseMultiplier: plan.noiseMultiplier,
        steps: 1,
      });
    },
    get stepsTaken() {
      return taken;
    },
  };
}

/**
 * Per-example squared gradient norms of a dense layer y = W·a + b, from its inputs `a` (batch × inDim) and
 * output errors `d` (batch × outDim), row-major: ‖∂W_i‖² + ‖∂b_i‖² = (‖a_i‖² + 1)·‖d_i‖².
 */
export function denseSquaredNorms(a: Float32Array, d: Float32Array, batch: number, inDim: number, outDim: number): Float32Array {
  const out = new Float32Array(batch);
  for (let i = 0; i < batch; i++) {
    let aa = 0;
    for (let k = 0; k < inDim; k++) {
      const v = a[i * inDim + k]!;
      aa += v * v;
    }
    let dd = 0;
    for (let j = 0; j < outDim; j++) {
      const v = d[i * outDim + j]!;
      dd += v * v;
    }
    out[i] = (aa + 1) * dd;
  }
  return out;
}

/**
 * Per-example squared norms of a masked weight gradient ∂W_i = (a_i d_iᵀ) ⊙ M (MADE's masks, M is
 * inDim × outDim, row-major): ‖∂W_i‖² = (a_i²)ᵀ M (d_i²). Add ‖d_i‖² yourself for an unmasked bias.
 */
export function maskedSquaredNorms(
  a: Float32Array,
  d: Float32Array,
  mask: Float32Array,
  batch: number,
  inDim: number,
  outDim: number,
): Float32Array {
  const out = new Float32Array(batch);
  const md = new Float64Array(inDim);
  for (let i = 0; i < batch; i++) {
    // M·(d_i²), then dot with a_i²: O(in·out) per example, no per-example gradient materialised.
    md.fill(0);
    for (let k = 0; k < inDim; k++) {
      let s = 0;
      for (let j = 0; j < outDim; j++) {
        const dv = d[i * outDim + j]!;
        s += mask[k * outDim + j]! * dv * dv;
      }
      md[k] = s;
    }
    let total = 0;
    for (let k = 0; k < inDim; k++) {
      const av = a[i * inDim + k]!;
      total += av * av * md[k]!;
    }
    out[i] = total;
  }
  return out;
}

/** Row indices per group, groups numbered densely in order of first appearance. */
function groupMembers(groups: Int32Array): number[][] {
  const index = new Map<number, number>();
  const out: number[][] = [];
  groups.forEach((g, row) => {
    if (g < 0) return;
    let i = index.get(g);
    if (i === undefined) {
      i = out.length;
      index.set(g, i);
      out.push([]);
    }
    out[i]!.push(row);
  });
  return out;
}

/** Per-example clip factors min(1, C/‖g_i‖) from squared norms summed over all layers. */
export function clipFactors(squaredNorms: Float32Array, clipNorm: number): Float32Array {
  return Float32Array.from(squaredNorms, (s) => Math.min(1, clipNorm / Math.max(Math.sqrt(s), 1e-12)));
}

/** Sums per-layer squared norms into the whole-model squared norm per example. */
export function sumSquaredNorms(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts[0]?.length ?? 0);
  for (const p of parts) for (let i = 0; i < out.length; i++) out[i]! += p[i]!;
  return out;
}

/**
 * A batch sampler for the learned model's training loop (`LearnedOptions.batchSampler`): Poisson lots with
 * the plan's rate q from the secure source (the loop's seeded rng is ignored: lot membership must be
 * unpredictable for the subsampling amplification to hold), about 1/q lots per epoch, never more than
 * `plan.steps` lots in total, each charged to the ledger as it is handed out (so the charge never lags the
 * step, even when training stops early).
 */
export function dpBatchSampler(options: {
  plan: DpSgdPlan;
  rng: SecureRandom;
  ledger?: PrivacyLedger;
  label?: string;
  /**
   * Entity unit: row → group (entity) index. Lots then take whole groups, each group joining with probability q,
   * so the subsampled Gaussian's amplification holds for the group (rows with a negative group never train).
   */
  groups?: Int32Array;
}): ((args: { rows: number; batchSize: number; epoch: number }) => Iterable<Int32Array>) & { readonly stepsTaken: number } {
  const { plan, rng, ledger } = options;
  let taken = 0;
  const perEpoch = Math.max(1, Math.round(1 / plan.q));
  const members = options.groups ? groupMembers(options.groups) : null;
  const sampler = function* (args: { rows: number }): Generator<Int32Array> {
    const steps = Math.min(perEpoch, plan.steps - taken);
    for (const lot of poissonBatches(members ? members.length : args.rows, plan.q, rng, steps)) {
      taken++;
      ledger?.charge(options.label ?? 'dp-sgd', { mechanism: 'subsampled-gaussian', q: plan.q, noiseMultiplier: plan.noiseMultiplier, steps: 1 });
      if (!members) {
        yield Int32Array.from(lot);
        continue;
      }
      const rows: number[] = [];
      for (const g of lot) for (const r of members[g]!) rows.push(r);
      yield Int32Array.from(rows);
    }
  };
  Object.defineProperty(sampler, 'stepsTaken', { get: () => taken });
  return sampler as typeof sampler & { readonly stepsTaken: number };
}

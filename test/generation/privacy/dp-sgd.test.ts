import { describe, expect, it } from 'vitest';
import {
  clipFactors,
  createDpHook,
  dpBatchSampler,
  denseSquaredNorms,
  maskedSquaredNorms,
  planDpSgd,
  poissonBatches,
  sumSquaredNorms,
} from '../../../src/generation/privacy/dp-sgd.js';
import { computeEpsilon, PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';

function randomArray(rng: SecureRandom, n: number): Float32Array {
  return rng.gaussian(n, 1);
}

describe('poissonBatches', () => {
  it('includes each index independently with probability q', () => {
    const rng = SecureRandom.seededForTests('poisson');
    const n = 1000;
    const q = 0.05;
    const hits = new Array<number>(n).fill(0);
    let sizes = 0;
    let steps = 0;
    for (const lot of poissonBatches(n, q, rng, 2000)) {
      steps++;
      sizes += lot.length;
      for (let i = 1; i < lot.length; i++) expect(lot[i]!).toBeGreaterThan(lot[i - 1]!);
      for (const i of lot) hits[i]!++;
    }
    expect(steps).toBe(2000);
    expect(sizes / steps).toBeGreaterThan(48);
    expect(sizes / steps).toBeLessThan(52);
    // Per-index inclusion ~ Binomial(2000, 0.05): mean 100, sd ~9.7.
    expect(Math.min(...hits)).toBeGreaterThan(55);
    expect(Math.max(...hits)).toBeLessThan(150);
    expect(hits[0]).toBeGreaterThan(55);
    expect(hits[n - 1]).toBeGreaterThan(55);
  });
});

describe('planDpSgd', () => {
  it('solves for the noise multiplier that meets the budget', () => {
    const plan = planDpSgd({ epsilon: 3, delta: 1e-5, datasetSize: 60000, batchSize: 256, epochs: 60 });
    expect(plan.steps).toBe(Math.ceil((60 * 60000) / 256));
    expect(plan.epsilon).toBeLessThanOrEqual(3);
    expect(plan.epsilon).toBeGreaterThan(2.99);
    expect(plan.noiseMultiplier).toBeGreaterThan(0.8);
    expect(plan.noiseMultiplier).toBeLessThan(1.3);
    expect(plan.stoppedEarly).toBe(false);
  });

  it('with a fixed noise multiplier, stops when the budget is spent', () => {
    const plan = planDpSgd({ epsilon: 1, delta: 1e-5, datasetSize: 10000, batchSize: 100, epochs: 100, noiseMultiplier: 1 });
    expect(plan.stoppedEarly).toBe(true);
    expect(plan.steps).toBeLessThan(10000);
    expect(plan.epsilon).toBeLessThanOrEqual(1);
    expect(computeEpsilon({ q: 0.01, noiseMultiplier: 1, steps: plan.steps + 1, delta: 1e-5 }).epsilon).toBeGreaterThan(1);
  });

  it('the hook gives standard-normal noise and charges the ledger per step, refusing extra steps', () => {
    const plan = planDpSgd({ epsilon: 2, delta: 1e-5, datasetSize: 1000, batchSize: 100, epochs: 1 });
    const ledger = new PrivacyLedger();
    const hook = createDpHook({ plan, clipNorm: 1, datasetSize: 1000, rng: SecureRandom.seededForTests('hook'), ledger });
    expect(hook.noise([3, 4])).toHaveLength(12);
    expect(hook.expectedBatchSize).toBeCloseTo(100, 9);
    for (let i = 0; i < plan.steps; i++) hook.step();
    expect(hook.stepsTaken).toBe(plan.steps);
    expect(ledger.spent(1e-5).epsilon).toBeCloseTo(plan.epsilon, 9);
    expect(() => hook.step()).toThrow(/plan of/);
  });
});

describe('dpBatchSampler', () => {
  it('hands out Poisson lots per epoch, charges each one, and stops at the planned step count', () => {
    const plan = planDpSgd({ epsilon: 2, delta: 1e-5, datasetSize: 1000, batchSize: 100, epochs: 2.5 });
    expect(plan.steps).toBe(25);
    const ledger = new PrivacyLedger();
    const sampler = dpBatchSampler({ plan, rng: SecureRandom.seededForTests('sampler'), ledger, label: 'users DP-SGD' });
    const perEpoch: number[] = [];
    let rows = 0;
    for (let epoch = 1; epoch <= 5; epoch++) {
      let n = 0;
      for (const lot of sampler({ rows: 1000, batchSize: 100, epoch })) {
        expect(lot).toBeInstanceOf(Int32Array);
        rows += lot.length;
        n++;
      }
      perEpoch.push(n);
    }
    expect(perEpoch).toEqual([10, 10, 5, 0, 0]);
    expect(sampler.stepsTaken).toBe(25);
    expect(rows / 25).toBeGreaterThan(80);
    expect(rows / 25).toBeLessThan(120);
    expect(ledger.entries).toHaveLength(25);
    expect(ledger.spent(1e-5).epsilon).toBeCloseTo(plan.epsilon, 9);
  });
});

describe('per-example gradient norms vs brute force', () => {
  const batch = 5;
  const inDim = 7;
  const outDim = 4;

  it('dense: (|a_i|^2 + 1)|d_i|^2 equals the norm of the explicit weight and bias gradients', () => {
    const rng = SecureRandom.seededForTests('dense');
    const a = randomArray(rng, batch * inDim);
    const d = randomArray(rng, batch * outDim);
    const fast = denseSquaredNorms(a, d, batch, inDim, outDim);
    for (let i = 0; i < batch; i++) {
      let brute = 0;
      for (let k = 0; k < inDim; k++) for (let j = 0; j < outDim; j++) brute += (a[i * inDim + k]! * d[i * outDim + j]!) ** 2;
      for (let j = 0; j < outDim; j++) brute += d[i * outDim + j]! ** 2;
      expect(fast[i]).toBeCloseTo(brute, 3);
    }
  });

  it('masked: (a_i^2)^T M (d_i^2) equals the norm of the explicit masked gradient', () => {
    const rng = SecureRandom.seededForTests('masked');
    const a = randomArray(rng, batch * inDim);
    const d = randomArray(rng, batch * outDim);
    const mask = Float32Array.from({ length: inDim * outDim }, () => (rng.next() < 0.5 ? 1 : 0));
    const fast = maskedSquaredNorms(a, d, mask, batch, inDim, outDim);
    for (let i = 0; i < batch; i++) {
      let brute = 0;
      for (let k = 0; k < inDim; k++) {
        for (let j = 0; j < outDim; j++) brute += (mask[k * outDim + j]! * a[i * inDim + k]! * d[i * outDim + j]!) ** 2;
      }
      expect(fast[i]).toBeCloseTo(brute, 3);
    }
  });

  it('clip factors bound every clipped example norm by C', () => {
    const sq = sumSquaredNorms([Float32Array.from([0.25, 4, 100]), Float32Array.from([0, 5, 0])]);
    expect(Array.from(sq)).toEqual([0.25, 9, 100]);
    const f = clipFactors(sq, 1);
    expect(f[0]).toBe(1);
    expect(f[1]).toBeCloseTo(1 / 3, 6);
    expect(f[2]).toBeCloseTo(0.1, 6);
    for (let i = 0; i < 3; i++) expect(Math.sqrt(sq[i]!) * f[i]!).toBeLessThanOrEqual(1 + 1e-6);
  });
});

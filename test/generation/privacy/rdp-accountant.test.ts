import { describe, expect, it } from 'vitest';
import {
  computeEpsilon,
  computeRdp,
  deltaFromRdp,
  epsilonFromRdp,
  findNoiseMultiplier,
  maxStepsWithinBudget,
  PrivacyLedger,
  rdpLaplace,
} from '../../../src/generation/privacy/rdp-accountant.js';
import { erfc, logGamma } from '../../../src/generation/privacy/log-math.js';
import { isSynthError } from '../../../src/errors.js';

/** Relative agreement to `digits` significant digits. */
function expectSig(actual: number, expected: number, digits = 3): void {
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(0.5 * 10 ** (1 - digits));
}

// Orders used by TF Privacy's compute_dp_sgd_privacy_lib.compute_dp_sgd_privacy.
const TF_DPSGD_ORDERS = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, ...Array.from({ length: 59 }, (_, i) => 5 + i), 128, 256, 512];

// Opacus RDPAccountant.DEFAULT_ALPHAS.
const OPACUS_ALPHAS = [...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10), ...Array.from({ length: 52 }, (_, i) => 12 + i)];

describe('special functions', () => {
  it('erfc matches known values from the centre to the far tail', () => {
    expectSig(erfc(0.5), 0.4795001221869535, 12);
    expectSig(erfc(-1), 1.8427007929497148, 12);
    expectSig(erfc(2.4), 6.885138966450786e-4, 10);
    expectSig(erfc(3), 2.209049699858544e-5, 12);
    expectSig(erfc(10), 2.088487583762545e-45, 10);
  });
  it('logGamma matches factorials and Γ(1/2)', () => {
    expectSig(logGamma(11), Math.log(3628800), 13);
    expectSig(logGamma(0.5), 0.5 * Math.log(Math.PI), 13);
    // |Γ(-0.5)| = 2√π
    expectSig(logGamma(-0.5), Math.log(2 * Math.sqrt(Math.PI)), 12);
  });
});

describe('RDP of the Poisson-subsampled Gaussian', () => {
  it('matches dp_accounting test_compute_rdp_poisson_sampled_gaussian (integer and fractional orders)', () => {
    // google/differential-privacy python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant_test.py,
    // test_compute_rdp_poisson_sampled_gaussian: q=0.01, sigma=2.5, count=50.
    const rdp = computeRdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, Infinity]);
    const expected = [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2];
    expected.forEach((e, i) => expectSig(rdp[i]!, e, 6));
    expect(rdp[5]).toBe(Infinity);
  });

  it('matches TF Privacy test_compute_rdp_scalar', () => {
    // tensorflow/privacy tensorflow_privacy/privacy/analysis/rdp_accountant_test.py, test_compute_rdp_scalar:
    // compute_rdp(0.1, 2, 10, 5) == 0.07737 (places=5).
    expect(computeRdp(0.1, 2, 10, [5])[0]).toBeCloseTo(0.07737, 5);
  });

  it('handles q = 0 and q = 1 like TF Privacy (test_compute_rdp_no_data / test_compute_rdp_no_sampling)', () => {
    expect(computeRdp(0, 10, 1, [20])[0]).toBe(0);
    expect(computeRdp(1, 10, 1, [20])[0]).toBeCloseTo(0.1, 12);
  });
});

describe('RDP to (epsilon, delta)', () => {
  it('matches dp_accounting test_compute_epsilon_delta_pure_dp', () => {
    // rdp_privacy_accountant_test.py test_compute_epsilon_delta_pure_dp: orders 2..32, rdp 1.1, delta 1e-5.
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const { epsilon, order } = epsilonFromRdp(orders, orders.map(() => 1.1), 1e-5);
    expect(epsilon).toBeCloseTo(1.32783806176, 7);
    expect(order).toBe(32);
    const back = deltaFromRdp(orders, orders.map(() => 1.1), 1.32783806176);
    expect(back.delta).toBeCloseTo(1e-5, 7);
    expect(back.order).toBe(32);
  });

  it('matches dp_accounting test_compute_epsilon_delta_gaussian (sigma 4.530877117 gives exactly (1, 1e-6))', () => {
    const orders = Array.from({ length: 99000 }, (_, i) => 0.001 * (i + 1000));
    const rdp = computeRdp(1, 4.530877117, 1, orders);
    expect(epsilonFromRdp(orders, rdp, 1e-6).epsilon).toBeCloseTo(1, 6);
    expect(deltaFromRdp(orders, rdp, 1).delta).toBeCloseTo(1e-6, 9);
  });
});

describe('computeEpsilon for DP-SGD', () => {
  // tensorflow/privacy tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py,
  // test_compute_dp_sgd_privacy, parameters Test0/Test1/Test2: (n, batch, sigma, epochs, delta, eps, order);
  // q = batch/n, steps = ceil(epochs*n/batch), orders as compute_dp_sgd_privacy.
  const cases: Array<[string, number, number, number, number, number, number, number]> = [
    ['Test0', 60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19],
    ['Test1', 100000, 100, 1.0, 30, 1e-7, 1.4154988495444842, 13],
    ['Test2', 100000000, 1024, 0.1, 10, 1e-7, 5907982.3113978775, 1.25],
  ];
  for (const [name, n, batch, sigma, epochs, delta, eps, order] of cases) {
    it(`TF Privacy compute_dp_sgd_privacy_test ${name}: eps ${eps.toPrecision(4)} at order ${order}`, () => {
      const r = computeEpsilon({
        q: batch / n,
        noiseMultiplier: sigma,
        steps: Math.ceil((epochs * n) / batch),
        delta,
        orders: TF_DPSGD_ORDERS,
      });
      expectSig(r.epsilon, eps, 6);
      expect(r.order).toBe(order);
    });
  }

  it('matches TF Privacy test_compute_dp_sgd_example_privacy (RDP, Poisson, with and without microbatching)', () => {
    // compute_dp_sgd_privacy_test.py test_compute_dp_sgd_example_privacy: epochs 1.2, sigma 0.7, delta 1e-5,
    // q 1e-2, default dp_accounting orders; microbatching doubles the sensitivity (sigma/2).
    const steps = Math.ceil(1.2 / 1e-2);
    expectSig(computeEpsilon({ q: 1e-2, noiseMultiplier: 0.7, steps, delta: 1e-5 }).epsilon, 3.2392676, 6);
    expectSig(computeEpsilon({ q: 1e-2, noiseMultiplier: 0.35, steps, delta: 1e-5 }).epsilon, 22.6248601, 6);
  });

  it('matches the printed Poisson epsilon of TF Privacy test_dp_sgd_privacy_statement_no_user_dp_with_rdp', () => {
    // 10000 examples, batch 64, 5 epochs, sigma 2.0 with microbatching, delta 1e-6: "1.616".
    const r = computeEpsilon({ q: 64 / 10000, noiseMultiplier: 1, steps: Math.ceil((5 * 10000) / 64), delta: 1e-6 });
    expect(r.epsilon.toFixed(3)).toBe('1.616');
  });

  it('matches Opacus test_rdp_accountant (sigma 1.5, q 0.04, 2250 steps, delta 1e-5: eps 7.32911117143)', () => {
    // pytorch/opacus opacus/tests/accountants_test.py, AccountingTest.test_rdp_accountant, with
    // RDPAccountant.DEFAULT_ALPHAS. Opacus's fractional-order series keeps coefficient signs while
    // dp_accounting (followed here) adds magnitudes, so the two agree to 4 significant digits, not more.
    const r = computeEpsilon({ q: 0.04, noiseMultiplier: 1.5, steps: Math.floor(90 / 0.04), delta: 1e-5, orders: OPACUS_ALPHAS });
    expectSig(r.epsilon, 7.32911117143, 4);
  });

  it('is monotone in steps and noise', () => {
    const base = { q: 0.01, delta: 1e-5 };
    const a = computeEpsilon({ ...base, noiseMultiplier: 1, steps: 100 }).epsilon;
    const b = computeEpsilon({ ...base, noiseMultiplier: 1, steps: 1000 }).epsilon;
    const c = computeEpsilon({ ...base, noiseMultiplier: 2, steps: 1000 }).epsilon;
    expect(a).toBeLessThan(b);
    expect(c).toBeLessThan(b);
  });
});

describe('findNoiseMultiplier and maxStepsWithinBudget', () => {
  it('inverts computeEpsilon: the TF Privacy Test0 epsilon gives back sigma 1.3', () => {
    const q = 150 / 60000;
    const steps = Math.ceil((15 * 60000) / 150);
    const sigma = findNoiseMultiplier({ q, steps, delta: 1e-5, targetEpsilon: 0.7242234026109595, orders: TF_DPSGD_ORDERS });
    expect(sigma).toBeCloseTo(1.3, 3);
    const eps = computeEpsilon({ q, steps, delta: 1e-5, noiseMultiplier: sigma, orders: TF_DPSGD_ORDERS }).epsilon;
    expect(eps).toBeLessThanOrEqual(0.7242234026109595);
  });

  it('matches Opacus get_noise_multiplier (test_get_noise_multiplier_rdp_epochs / _rdp_steps)', () => {
    // pytorch/opacus opacus/tests/accountants_test.py: eps 8, delta 1e-5, q 0.04 -> 1.416 over 90 epochs
    // (2250 steps) and 1.3562 over 2000 steps. Opacus stops its search within 0.01 of the target epsilon,
    // so its sigma is reproduced to 3 significant digits.
    const base = { q: 0.04, delta: 1e-5, targetEpsilon: 8, orders: OPACUS_ALPHAS };
    expectSig(findNoiseMultiplier({ ...base, steps: 2250 }), 1.416, 3);
    expectSig(findNoiseMultiplier({ ...base, steps: 2000 }), 1.3562, 3);
  });

  it('refuses an unreachable target with PRIVACY_BUDGET', () => {
    try {
      findNoiseMultiplier({ q: 0.5, steps: 10, delta: 1e-5, targetEpsilon: -1 });
      expect.unreachable();
    } catch (e) {
      expect(isSynthError(e) && e.code).toBe('PRIVACY_BUDGET');
    }
  });

  it('maxStepsWithinBudget finds the last step within budget', () => {
    const q = 0.01;
    const steps = maxStepsWithinBudget({ q, noiseMultiplier: 1.1, delta: 1e-5, targetEpsilon: 2 });
    expect(steps).toBeGreaterThan(100);
    expect(computeEpsilon({ q, noiseMultiplier: 1.1, steps, delta: 1e-5 }).epsilon).toBeLessThanOrEqual(2);
    expect(computeEpsilon({ q, noiseMultiplier: 1.1, steps: steps + 1, delta: 1e-5 }).epsilon).toBeGreaterThan(2);
    expect(maxStepsWithinBudget({ q: 1, noiseMultiplier: 0.1, delta: 1e-5, targetEpsilon: 0.5 })).toBe(0);
  });
});

describe('PrivacyLedger', () => {
  it('composes DP-SGD steps exactly like computeEpsilon', () => {
    const ledger = new PrivacyLedger();
    ledger.charge('dp-sgd', { mechanism: 'subsampled-gaussian', q: 0.01, noiseMultiplier: 0.7, steps: 60 });
    ledger.charge('dp-sgd', { mechanism: 'subsampled-gaussian', q: 0.01, noiseMultiplier: 0.7, steps: 60 });
    expectSig(ledger.spent(1e-5).epsilon, 3.2392676, 6);
    expect(ledger.entries).toHaveLength(2);
  });

  it('uses basic composition when it is tighter for a few pure-DP charges, RDP otherwise', () => {
    const ledger = new PrivacyLedger();
    ledger.charge('age histogram', { mechanism: 'laplace', epsilon: 0.1, count: 1 });
    const one = ledger.spent(1e-6);
    expect(one.epsilon).toBeCloseTo(0.1, 12);
    expect(one.method).toBe('basic');
    for (let i = 0; i < 399; i++) ledger.charge('x', { mechanism: 'laplace', epsilon: 0.1, count: 1 });
    const many = ledger.spent(1e-6);
    // 400 Laplace(ε=0.1): basic composition says 40; RDP gives far less.
    expect(many.method).toBe('rdp');
    expect(many.epsilon).toBeLessThan(15);
    expect(many.epsilon).toBeGreaterThan(rdpLaplace(0.1, 2) * 400 - 1);
  });

  it('adds Gaussian statistics and DP-SGD in RDP and enforces the budget', () => {
    const ledger = new PrivacyLedger();
    ledger.charge('dp-sgd', { mechanism: 'subsampled-gaussian', q: 0.01, noiseMultiplier: 1, steps: 100 });
    const before = ledger.spent(1e-5).epsilon;
    ledger.charge('counts', { mechanism: 'gaussian', noiseMultiplier: 10, count: 1 });
    const after = ledger.spent(1e-5).epsilon;
    expect(after).toBeGreaterThan(before);
    expect(() => ledger.ensureWithin({ epsilon: after * 2, delta: 1e-5 })).not.toThrow();
    expect(() => ledger.ensureWithin({ epsilon: after / 2, delta: 1e-5 })).toThrow(/Privacy budget exceeded/);
  });

  it('breaks the spend down by label for the report', () => {
    const ledger = new PrivacyLedger();
    ledger.charge('public.users DP-SGD', { mechanism: 'subsampled-gaussian', q: 0.01, noiseMultiplier: 0.7, steps: 120 });
    ledger.charge('public.users.age bounds', { mechanism: 'laplace', epsilon: 0.1, count: 1 });
    ledger.charge('public.users.age bounds', { mechanism: 'laplace', epsilon: 0.1, count: 1 });
    const b = ledger.breakdown(1e-5);
    expect(b.byLabel.map((x) => x.label)).toEqual(['public.users DP-SGD', 'public.users.age bounds']);
    expectSig(b.byLabel[0]!.epsilon, 3.2392676, 6);
    expect(b.byLabel[1]!.charges).toBe(2);
    expect(b.byLabel[1]!.epsilon).toBeCloseTo(0.2, 9);
    expect(b.total.epsilon).toBeGreaterThan(b.byLabel[0]!.epsilon);
    expect(b.total.epsilon).toBeLessThan(b.byLabel[0]!.epsilon + 0.2);
  });

  it('accounts the delta of thresholded releases', () => {
    const ledger = new PrivacyLedger();
    ledger.charge('vocab', { mechanism: 'approx-dp', epsilon: 0.5, delta: 1e-6, count: 1 });
    expect(ledger.spent(1e-5).epsilon).toBeCloseTo(0.5, 12);
    // δ below the already spent δ cannot be met.
    expect(ledger.spent(1e-7).epsilon).toBe(Infinity);
    expect(ledger.clone().spent(1e-5).epsilon).toBeCloseTo(0.5, 12);
    const restored = PrivacyLedger.fromJSON(JSON.parse(JSON.stringify(ledger)) as ReturnType<PrivacyLedger['toJSON']>);
    expect(restored.spent(1e-5)).toEqual(ledger.spent(1e-5));
    expect(restored.entries).toEqual(ledger.entries);
  });
});

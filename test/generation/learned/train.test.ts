import { beforeAll, describe, expect, it } from 'vitest';
import { initCompute } from '../../../src/generation/compute/index.js';
import { makeLayout, specOf, batchOf } from '../../../src/generation/learned/layout.js';
import { MadeNetwork, type DpHook } from '../../../src/generation/learned/made.js';
import type { BatchSampler } from '../../../src/generation/learned/options.js';
import { seededRng } from '../../../src/generation/learned/seeded-rng.js';
import { evaluate, train } from '../../../src/generation/learned/train.js';

// Two columns where b = a (mod 4): learnable only through the autoregressive connection.
const layout = makeLayout([], [4, 4], []);
const rows = 1000;
const tokens = new Int32Array(rows * layout.width);
{
  const rng = seededRng(1);
  for (let r = 0; r < rows; r++) {
    const a = rng.int(4);
    tokens[r * 2] = a;
    tokens[r * 2 + 1] = a;
  }
}

/** Poisson sampling: each row joins each lot independently with probability q; one lot per step. */
const poisson =
  (q: number): BatchSampler =>
  ({ rows: n, rng }) => {
    const lots: Int32Array[] = [];
    for (let s = 0; s < Math.round(1 / q); s++) {
      const picked: number[] = [];
      for (let i = 0; i < n; i++) if (rng.next() < q) picked.push(i);
      lots.push(Int32Array.from(picked));
    }
    return lots;
  };

describe('training loop', () => {
  beforeAll(async () => {
    await initCompute();
  });

  it('learns an in-table dependency and early-stops on validation loss', () => {
    const net = new MadeNetwork(specOf(layout, [16]), seededRng(2));
    const before = evaluate(net, layout, tokens, rows);
    const report = train(
      net,
      layout,
      { train: tokens.subarray(0, 1600), trainRows: 800, validation: tokens.subarray(1600), validationRows: 200 },
      { epochs: 200, batchSize: 64, learningRate: 1e-2, patience: 3 },
      seededRng(3),
    );
    const after = evaluate(net, layout, tokens, rows);
    // Entropy floor: ln 4 for the first column, 0 for the second.
    expect(before).toBeGreaterThan(2.5);
    expect(after).toBeLessThan(Math.log(4) + 0.1);
    expect(report.epochs).toBeLessThan(200);
    expect(report.bestEpoch).toBeLessThanOrEqual(report.epochs);
    net.dispose();
  });

  it('DP-SGD with a plugged-in Poisson sampler: one step per lot, empty lots included, and it still learns', () => {
    const net = new MadeNetwork(specOf(layout, [16]), seededRng(4));
    const noiseRng = seededRng(5);
    const dp: DpHook = {
      clipNorm: 1,
      noiseMultiplier: 0.8,
      noise: ([r, c]) => Float32Array.from({ length: r * c }, () => noiseRng.normal()),
      expectedBatchSize: 100,
    };
    const report = train(
      net,
      layout,
      { train: tokens, trainRows: rows, validation: null, validationRows: 0 },
      { epochs: 15, batchSize: 100, learningRate: 1e-2, patience: 3, dp, batchSampler: poisson(0.1) },
      seededRng(6),
    );
    expect(report.steps).toBe(15 * 10);
    expect(evaluate(net, layout, tokens, rows)).toBeLessThan(Math.log(4) + 0.5);
    net.dispose();
  });

  it('maxSteps bounds training regardless of epochs', () => {
    const net = new MadeNetwork(specOf(layout, [8]), seededRng(8));
    const report = train(
      net,
      layout,
      { train: tokens, trainRows: rows, validation: null, validationRows: 0 },
      { epochs: 100, batchSize: 100, learningRate: 1e-2, patience: 3, maxSteps: 25 },
      seededRng(9),
    );
    expect(report.steps).toBe(25);
    expect(report.epochs).toBe(3);
    net.dispose();
  });

  it('a batch built from tokens (nonzeros and target indices with it) trains to exactly the weights of its dense form', () => {
    // Context, a missing token (-1) and an out-of-range one: both leave their one-hot block empty.
    const ctxLayout = makeLayout([3], [4, 4], [5]);
    const n = 300;
    const t = new Int32Array(n * ctxLayout.width);
    const rng = seededRng(4);
    for (let r = 0; r < n; r++) {
      const a = rng.int(4);
      t.set([r % 7 === 0 ? -1 : rng.int(3), a, r % 11 === 0 ? 9 : (a + 1) % 4, rng.int(5)], r * ctxLayout.width);
    }
    const fromTokens = new MadeNetwork(specOf(ctxLayout, [16, 16]), seededRng(2));
    const dense = new MadeNetwork(specOf(ctxLayout, [16, 16]), seededRng(2));
    for (let step = 0; step < 6; step++) {
      const idx = Int32Array.from({ length: 50 }, (_, i) => (step * 50 + i) % n);
      const batch = batchOf(ctxLayout, t, idx);
      const { sparse: _s, targetIndex: _t, ...plain } = batch;
      expect(fromTokens.trainStep(batch).loss).toBe(dense.trainStep(plain).loss);
      expect(fromTokens.loss(batch)).toBe(dense.loss(plain));
    }
    expect(fromTokens.weights()).toEqual(dense.weights());
    fromTokens.dispose();
    dense.dispose();
  });

  it('an empty lot under DP moves the weights by noise alone; without DP it is a no-op', () => {
    const net = new MadeNetwork(specOf(layout, [8]), seededRng(7));
    const empty = batchOf(layout, tokens, new Int32Array(0));
    const w0 = net.weights();
    net.trainStep(empty);
    expect(net.weights()).toEqual(w0);
    net.trainStep(empty, { clipNorm: 1, noiseMultiplier: 1, noise: ([r, c]) => new Float32Array(r * c).fill(1) });
    expect(net.weights()).not.toEqual(w0);
    net.dispose();
  });
});

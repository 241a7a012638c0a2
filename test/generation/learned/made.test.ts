import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
// Autograd is only the reference here; the model never registers or uses it.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { initCompute } from '../../../src/generation/compute/index.js';
import { MadeNetwork, type EncodedBatch, type MadeSpec } from '../../../src/generation/learned/made.js';
import { seededRng } from '../../../src/generation/learned/seeded-rng.js';

const spec: MadeSpec = {
  inputs: [
    { size: 3, degree: 0 },
    { size: 4, degree: 1 },
    { size: 3, degree: 2 },
    { size: 5, degree: 3 },
  ],
  outputs: [
    { size: 4, degree: 1 },
    { size: 3, degree: 2 },
    { size: 5, degree: 3 },
    { size: 6, degree: 4 },
  ],
  hidden: [16, 12],
};

function randomBatch(size: number, seed: number): EncodedBatch {
  const rng = seededRng(seed);
  const inSizes = spec.inputs.map((b) => b.size);
  const outSizes = spec.outputs.map((b) => b.size);
  const input = new Float32Array(size * inSizes.reduce((a, b) => a + b));
  const target = new Float32Array(size * outSizes.reduce((a, b) => a + b));
  const inW = inSizes.reduce((a, b) => a + b);
  const outW = outSizes.reduce((a, b) => a + b);
  for (let r = 0; r < size; r++) {
    let off = 0;
    for (const s of inSizes) {
      input[r * inW + off + rng.int(s)] = 1;
      off += s;
    }
    off = 0;
    for (const s of outSizes) {
      target[r * outW + off + rng.int(s)] = 1;
      off += s;
    }
  }
  return { size, input, target };
}

/** The same loss written with plain tfjs ops, differentiated by tfjs autograd. */
function autogradGrads(net: MadeNetwork, batch: EncodedBatch, sampleWeights?: Float32Array): Float32Array[] {
  const w = net.weights();
  const sizes = [net.inputSize, ...spec.hidden, net.outputSize];
  const params = w.map((a, i) => {
    const l = Math.floor(i / 2);
    return i % 2 === 0 ? tf.tensor2d(a, [sizes[l]!, sizes[l + 1]!]) : tf.tensor2d(a, [1, sizes[l + 1]!]);
  });
  const x = tf.tensor2d(batch.input, [batch.size, net.inputSize]);
  const y = tf.tensor2d(batch.target, [batch.size, net.outputSize]);
  // Masks: a masked weight is zero and must stay zero; compare only the connected entries via the hand gradient's mask.
  const f = (...ps: tf.Tensor[]): tf.Scalar => {
    let a: tf.Tensor = x;
    for (let l = 0; l < ps.length / 2; l++) {
      const z = tf.add(tf.matMul(a as tf.Tensor2D, ps[2 * l] as tf.Tensor2D), ps[2 * l + 1]!);
      a = l + 1 < ps.length / 2 ? tf.relu(z) : z;
    }
    const parts = net.outputBlocks.map((b) => tf.logSoftmax(tf.slice(a, [0, b.start], [batch.size, b.size])));
    const perRow = tf.neg(tf.sum(tf.mul(tf.concat(parts, 1), y), 1));
    const weighted = sampleWeights ? tf.mul(perRow, tf.tensor1d(sampleWeights)) : perRow;
    return tf.div(tf.sum(weighted), batch.size) as tf.Scalar;
  };
  const g = tf.grads(f)(params);
  return g.map((t) => t.dataSync() as Float32Array);
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12);
}

describe.each(['cpu', 'wasm'] as const)('MADE network on %s', (backend) => {
  beforeAll(async () => {
    await initCompute(backend);
    expect(await tf.setBackend(backend)).toBe(true);
    expect(tf.getBackend()).toBe(backend);
  });

  it.each([true, false])('hand-written gradients match tfjs autograd (relative error < 1e-4), sparse first layer: %s', (sparse) => {
    const net = new MadeNetwork(spec, seededRng(1));
    net.sparseInputs = sparse;
    // A few steps first so biases and activations are not at their symmetric initial values.
    for (let i = 0; i < 3; i++) net.trainStep(randomBatch(32, 10 + i));
    const batch = randomBatch(64, 99);
    const { grads } = net.gradients(batch);
    const hand = grads.flat().map((t) => t.dataSync() as Float32Array);
    const auto = autogradGrads(net, batch);
    const masks = hand.map((h, i) => (i % 2 === 0 ? Float32Array.from(net.weights()[i]!, (v) => (v !== 0 ? 1 : 0)) : null));
    for (let i = 0; i < hand.length; i++) {
      const m = masks[i];
      const a = m ? auto[i]!.map((v, j) => v * m[j]!) : auto[i]!;
      expect(relErr(hand[i]!, a)).toBeLessThan(1e-4);
    }
    grads.flat().forEach((t) => t.dispose());
    net.dispose();
  });

  it('column c logits depend only on the context and earlier columns', () => {
    const net = new MadeNetwork(spec, seededRng(2));
    const batch = randomBatch(1, 5);
    const base = net.logits(batch.input, 1);
    // Flip the one-hot of column 2 (input block 2, degree 2): outputs of degree ≤ 2 must not move.
    const changed = batch.input.slice();
    const start = 3 + 4;
    const hot = [0, 1, 2].find((i) => changed[start + i] === 1)!;
    changed[start + hot] = 0;
    changed[start + ((hot + 1) % 3)] = 1;
    const after = net.logits(changed, 1);
    const [b1, b2, b3] = net.outputBlocks;
    for (let i = b1!.start; i < b2!.start + b2!.size; i++) expect(after[i]).toBe(base[i]);
    let moved = 0;
    for (let i = b3!.start; i < net.outputSize; i++) moved += Math.abs(after[i]! - base[i]!);
    expect(moved).toBeGreaterThan(0);
    net.dispose();
  });

  it.each([true, false])('logits of one block from prefix weights equal the full forward pass, sparse: %s', (sparse) => {
    const net = new MadeNetwork(spec, seededRng(6));
    net.sparseInputs = sparse;
    net.trainStep(randomBatch(32, 1));
    const batch = randomBatch(9, 2);
    // Rows without any active input (no parent, nothing sampled yet) at the end and in the middle.
    batch.input.fill(0, 8 * net.inputSize);
    batch.input.fill(0, 3 * net.inputSize, 4 * net.inputSize);
    const full = net.logits(batch.input, 9);
    net.outputBlocks.forEach((b, k) => {
      const part = net.logitsFor(batch.input, 9, k);
      for (let r = 0; r < 9; r++) {
        for (let j = 0; j < b.size; j++) expect(part[r * b.size + j]).toBeCloseTo(full[r * net.outputSize + b.start + j]!, 5);
      }
    });
    net.dispose();
  });

  it.each([true, false])('per-example gradient norms equal the norms of single-example autograd gradients, sparse: %s', (sparse) => {
    const net = new MadeNetwork(spec, seededRng(3));
    net.sparseInputs = sparse;
    net.trainStep(randomBatch(32, 7));
    const batch = randomBatch(6, 8);
    const big = 1e9;
    const { grads, norms } = net.gradients(batch, { clipNorm: big, noiseMultiplier: 0, noise: ([r, c]) => new Float32Array(r * c) });
    grads.flat().forEach((t) => t.dispose());
    for (let i = 0; i < batch.size; i++) {
      const weights = new Float32Array(batch.size);
      weights[i] = batch.size; // gradient of example i's own loss
      const g = autogradGrads(net, batch, weights);
      const wts = net.weights();
      let sq = 0;
      g.forEach((arr, k) => arr.forEach((v, j) => (sq += k % 2 === 0 && wts[k]![j] === 0 ? 0 : v * v)));
      expect(Math.abs(norms![i]! - Math.sqrt(sq)) / Math.sqrt(sq)).toBeLessThan(1e-4);
    }
    net.dispose();
  });

  it('DP clipping bounds every example’s contribution', () => {
    const net = new MadeNetwork(spec, seededRng(4));
    const batch = randomBatch(8, 9);
    const clip = 0.05;
    const { grads } = net.gradients(batch, { clipNorm: clip, noiseMultiplier: 0, noise: ([r, c]) => new Float32Array(r * c) });
    let sq = 0;
    for (const t of grads.flat()) sq += (t.dataSync() as Float32Array).reduce((a, v) => a + v * v, 0);
    // Mean of clipped per-example gradients has norm ≤ clip.
    expect(Math.sqrt(sq)).toBeLessThanOrEqual(clip * 1.0001);
    expect(Math.sqrt(sq)).toBeGreaterThan(0);
    grads.flat().forEach((t) => t.dispose());
    net.dispose();
  });

  it('per-row clip bounds (entity unit): a group of rows clipped to C/k each stays within C together', () => {
    const net = new MadeNetwork(spec, seededRng(4));
    const one = randomBatch(8, 9);
    const zero = ([r, c]: [number, number]) => new Float32Array(r * c);
    // Rows 0-3 are one entity (bound C/4 each), rows 4-7 have no bound (0): only the entity's rows contribute.
    const rowClipNorm = Float32Array.from([0.25, 0.25, 0.25, 0.25, 0, 0, 0, 0]);
    const batch = { ...one, rows: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };
    const { grads } = net.gradients(batch, { clipNorm: 1, rowClipNorm, noiseMultiplier: 0, noise: zero, expectedBatchSize: 1 });
    let sq = 0;
    for (const t of grads.flat()) sq += (t.dataSync() as Float32Array).reduce((a, v) => a + v * v, 0);
    expect(Math.sqrt(sq)).toBeLessThanOrEqual(1.0001);
    expect(Math.sqrt(sq)).toBeGreaterThan(0);
    grads.flat().forEach((t) => t.dispose());
    // The same rows presented in another order keep their own bounds.
    const swapped = net.gradients({ ...batch, rows: Int32Array.from([4, 5, 6, 7, 0, 1, 2, 3]) }, { clipNorm: 1, rowClipNorm, noiseMultiplier: 0, noise: zero, expectedBatchSize: 1 });
    let sq2 = 0;
    for (const t of swapped.grads.flat()) sq2 += (t.dataSync() as Float32Array).reduce((a, v) => a + v * v, 0);
    expect(Math.sqrt(sq2)).toBeLessThanOrEqual(1.0001);
    swapped.grads.flat().forEach((t) => t.dispose());
    net.dispose();
  });

  it('training, evaluation and inference leave no tensors behind', () => {
    const net = new MadeNetwork(spec, seededRng(5));
    const before = tf.memory().numTensors;
    const batch = randomBatch(16, 3);
    net.trainStep(batch);
    net.trainStep(batch, { clipNorm: 1, noiseMultiplier: 1, noise: ([r, c]) => new Float32Array(r * c).fill(0.1) });
    net.loss(batch);
    net.logits(batch.input, batch.size);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});

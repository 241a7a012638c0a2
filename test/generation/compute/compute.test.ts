import { describe, expect, it } from 'vitest';
import { computeBackendName, initCompute, ops } from '../../../src/generation/compute/index.js';
import { seededRng } from '../../../src/generation/learned/seeded-rng.js';

describe('compute module', () => {
  it('initializes the wasm backend in Node, reports it, and leaves the process error handlers alone', async () => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    expect(await initCompute('auto')).toBe('wasm');
    expect(computeBackendName()).toBe('wasm');
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(before);
  });

  it('block softmax cross-entropy: loss and per-example error terms match a direct computation', async () => {
    await initCompute();
    const rows = 3;
    const logits = Float32Array.from([1, 2, 3, 0.5, -1, 0, 0, 0, 2, 4, 1, 1, -2, 3, 0.1]);
    const target = Float32Array.from([0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0]);
    const blocks = [
      { start: 0, size: 3 },
      { start: 3, size: 2 },
    ];
    const width = 5;
    const { loss, error } = ops.blockSoftmaxCrossEntropy(ops.fromArray(logits, rows, width), ops.fromArray(target, rows, width), blocks);
    const err = ops.toArray(error);
    let expectedLoss = 0;
    for (let r = 0; r < rows; r++) {
      for (const b of blocks) {
        const z = Array.from({ length: b.size }, (_, k) => logits[r * width + b.start + k]!);
        const m = Math.max(...z);
        const sum = z.reduce((a, v) => a + Math.exp(v - m), 0);
        z.forEach((v, k) => {
          const p = Math.exp(v - m) / sum;
          const y = target[r * width + b.start + k]!;
          if (y === 1) expectedLoss -= Math.log(p);
          expect(err[r * width + b.start + k]).toBeCloseTo(p - y, 5);
        });
      }
    }
    expect(loss).toBeCloseTo(expectedLoss / rows, 5);
    error.dispose();
  });

  it('Adam update matches the textbook formula and disposes the old tensors', async () => {
    await initCompute();
    const before = ops.liveTensors();
    const p = ops.fromArray(Float32Array.from([1, -2]), 1, 2);
    const g = ops.fromArray(Float32Array.from([0.5, -0.25]), 1, 2);
    let state = { m: ops.zeros(1, 2), v: ops.zeros(1, 2) };
    let param = p;
    const lr = 0.1;
    const ref = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    const grad = [0.5, -0.25];
    for (let t = 1; t <= 3; t++) {
      const out = ops.adamUpdate(param, g, state, t, lr);
      param = out.param;
      state = out.state;
      for (let i = 0; i < 2; i++) {
        m[i] = 0.9 * m[i]! + 0.1 * grad[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * grad[i]! ** 2;
        ref[i] = ref[i]! - (lr * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8);
      }
    }
    const got = ops.toArray(param);
    expect(got[0]).toBeCloseTo(ref[0]!, 4);
    expect(got[1]).toBeCloseTo(ref[1]!, 4);
    ops.dispose(param, g, state.m, state.v);
    expect(ops.liveTensors()).toBe(before);
  });

  it.each(['wasm', 'cpu'] as const)('affineHost and affineInto on %s: ReLU(a·w + b) and row softmax(a·w + b) match a direct computation, no tensors left', async (backend) => {
    await initCompute(backend);
    const rng = seededRng(4);
    const [rows, k, n] = [37, 11, 5];
    const a = ops.randomNormal(rows * k, rng);
    const wData = ops.randomNormal(k * n, rng);
    const bData = ops.randomNormal(n, rng);
    const w = ops.fromArray(wData, k, n);
    const b = ops.vecFromArray(bData);
    const before = ops.liveTensors();
    const relu = ops.affineHost(a, rows, k, w, b, 'relu');
    const soft = ops.affineHost(a, rows, k, w, b, 'softmax');
    // affineInto on a kept input written in place: the same values, handed over where the backend holds them.
    const input = ops.hostMat(rows, k);
    ops.liveValues(input).set(a);
    const into: Float32Array[] = [];
    ops.affineInto(input, w, b, 'relu', (out) => into.push(out.slice()));
    ops.liveValues(input).set(a);
    ops.affineInto(input, w, b, 'softmax', (out) => into.push(out.slice()));
    expect(into).toEqual([relu, soft]);
    ops.dispose(input);
    expect(ops.liveTensors()).toBe(before);
    for (let r = 0; r < rows; r++) {
      const z = Array.from({ length: n }, (_, c) => bData[c]! + Array.from({ length: k }, (_, j) => a[r * k + j]! * wData[j * n + c]!).reduce((x, y) => x + y, 0));
      const max = Math.max(...z);
      const total = z.reduce((x, v) => x + Math.exp(v - max), 0);
      z.forEach((v, c) => {
        expect(relu[r * n + c]).toBeCloseTo(Math.max(0, v), 4);
        expect(soft[r * n + c]).toBeCloseTo(Math.exp(v - max) / total, 5);
      });
    }
    ops.dispose(w, b);
    await initCompute('wasm');
  });

  it('random normals come from the seeded Rng, so weights do not depend on the backend', () => {
    const a = ops.randomNormal(1000, seededRng(3));
    const b = ops.randomNormal(1000, seededRng(3));
    expect(a).toEqual(b);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const sd = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(sd - 1)).toBeLessThan(0.1);
  });
});

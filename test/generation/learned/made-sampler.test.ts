/** The sampler's draw from probabilities: the distribution it is given, deterministic per seed; its tokens and count heads against prefix passes. */
import { beforeAll, describe, expect, it } from 'vitest';
import { initCompute } from '../../../src/generation/compute/index.js';
import { makeLayout, oneHot, specOf } from '../../../src/generation/learned/layout.js';
import { MadeNetwork } from '../../../src/generation/learned/made.js';
import { drawToken, drawTokens, MadeSampler } from '../../../src/generation/learned/made-sampler.js';
import { seededRng } from '../../../src/generation/learned/seeded-rng.js';

describe('drawTokens', () => {
  it('draws each token with its share of the row total (unnormalized rows too); zero-probability tokens never', () => {
    const size = 5;
    const rows = 200_000;
    const shares = [0.1, 0.0, 0.45, 0.3, 0.15];
    const p = new Float32Array(rows * size);
    // Half the rows scaled by 3: the draw normalizes by the row total (a float32 softmax does not sum to exactly 1).
    for (let r = 0; r < rows; r++) for (let k = 0; k < size; k++) p[r * size + k] = shares[k]! * (r % 2 === 0 ? 1 : 3);
    const into = new Int32Array(rows);
    drawTokens(p, size, rows, seededRng(1), into);
    const counts = new Array<number>(size).fill(0);
    for (const t of into) counts[t]! += 1;
    expect(counts[1]).toBe(0);
    // Within 4 standard deviations of a binomial count.
    shares.forEach((q, k) => expect(Math.abs(counts[k]! - q * rows)).toBeLessThan(4 * Math.sqrt(rows * q * (1 - q)) + 1));
    const again = new Int32Array(rows);
    drawTokens(p, size, rows, seededRng(1), again);
    expect(again).toEqual(into);
  });
});

describe('MadeSampler with context and count heads', () => {
  beforeAll(async () => {
    await initCompute();
  });

  // On cpu too: the sampler writes its product inputs in place where each backend keeps a tensor's values.
  it.each(['wasm', 'cpu'] as const)('draws the tokens of a prefix pass per column (runs of siblings sharing a context included) and returns the count heads of the drawn rows (%s)', async (backend) => {
    await initCompute(backend);
    // Two context columns, three attribute columns (one of two tokens), two count heads.
    const layout = makeLayout([3, 4], [5, 3, 4, 2], [6, 4]);
    const net = new MadeNetwork(specOf(layout, [24, 24]), seededRng(5));
    const rows = 700;
    const w = layout.width;
    const attrs = layout.outputs.length - 2;
    const reference = new Int32Array(rows * w).fill(-1);
    const ctxRng = seededRng(6);
    for (let r = 0; r < rows; r++) {
      // Runs of 1–4 rows share their parent's context; some rows have no parent (-1). Others share only the first
      // column (the primary parent's, with another parent's differing): the sampler keeps a partial sum for those.
      const same = r > 0 && ctxRng.next() < 0.6;
      const sameFirst = same || (r > 0 && ctxRng.next() < 0.7);
      reference[r * w] = sameFirst ? reference[(r - 1) * w]! : ctxRng.int(4) - 1;
      reference[r * w + 1] = same ? reference[(r - 1) * w + 1]! : ctxRng.int(4);
    }
    const fast = reference.slice();
    const all = Int32Array.from({ length: rows }, (_, i) => i);
    const rng = seededRng(11);
    for (let c = 0; c < attrs; c++) {
      const size = layout.outputs[c]!.size;
      const logits = net.logitsFor(oneHot(layout.inputs, reference, w, all), rows, c);
      for (let r = 0; r < rows; r++) {
        let max = -Infinity;
        for (let k = 0; k < size; k++) max = Math.max(max, logits[r * size + k]!);
        const p = Float32Array.from({ length: size }, (_, k) => Math.exp(logits[r * size + k]! - max));
        reference[r * w + layout.outputs[c]!.token] = drawToken(p, 0, size, rng);
      }
    }
    const sampler = new MadeSampler(net, layout.inputs, layout.outputs);
    const heads = sampler.sample(fast, w, rows, attrs, seededRng(11), 2);
    sampler.dispose();
    expect(fast).toEqual(reference);
    expect(heads).toHaveLength(2);
    for (let h = 0; h < 2; h++) {
      const size = layout.outputs[attrs + h]!.size;
      const logits = net.logitsFor(oneHot(layout.inputs, reference, w, all), rows, attrs + h);
      for (let r = 0; r < rows; r += 37) {
        const z = Array.from({ length: size }, (_, k) => logits[r * size + k]!);
        const max = Math.max(...z);
        const e = z.map((v) => Math.exp(v - max));
        const total = e.reduce((a, b) => a + b, 0);
        const got = Array.from(heads[h]!.subarray(r * size, (r + 1) * size));
        const gotTotal = got.reduce((a, b) => a + b, 0);
        got.forEach((p, k) => expect(Math.abs(p / gotTotal - e[k]! / total)).toBeLessThan(1e-5));
      }
    }
    net.dispose();
    await initCompute('wasm');
  });
});

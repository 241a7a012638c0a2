/** The sampler's kernel: the same float32 bits as adding in a Float32Array, the same tokens as drawTokens. */
import { describe, expect, it } from 'vitest';
import { SamplerKernel } from '../../../src/generation/learned/sampler-kernel.js';
import { drawTokens } from '../../../src/generation/learned/made-sampler.js';
import { seededRng } from '../../../src/generation/learned/seeded-rng.js';

/** Values spread over many magnitudes and signs, so that sums round (and a wrong rounding shows). */
function spread(n: number, seed: number): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 10 ** (rng.int(9) - 4));
}

describe('SamplerKernel', () => {
  // 37 units: nine SIMD steps and a tail of one, from every starting unit.
  const width = 37;
  const inputs = 11;
  const weights = spread(inputs * width, 1);

  it('adds weight rows to unit rows bit for bit as a Float32Array does, tails and offsets included', () => {
    const kernel = new SamplerKernel(weights, width, 1);
    const rows = 5;
    kernel.reserve(rows);
    const start = spread(rows * width, 2);
    kernel.units.set(start);
    const expected = start.slice();
    const rng = seededRng(3);
    for (let k = 0; k < 40; k++) {
      const r = rng.int(rows);
      const from = rng.int(width);
      const t = rng.int(inputs);
      const n = width - from;
      kernel.addRow(r * width + from, t * width + from, n);
      for (let u = 0; u < n; u++) expected[r * width + from + u] = expected[r * width + from + u]! + weights[t * width + from + u]!;
    }
    expect(Buffer.from(kernel.units.buffer, kernel.units.byteOffset, rows * width * 4).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it("adds each row's token's weight row from a unit on, skipping tokens outside the block; grows keeping the weights", () => {
    const kernel = new SamplerKernel(weights, width, 1);
    kernel.reserve(3);
    // A second reserve grows the memory (the views are taken again).
    const rows = 3000;
    kernel.reserve(rows);
    const start = spread(rows * width, 4);
    kernel.units.set(start);
    const expected = start.slice();
    const rng = seededRng(5);
    // A block of 4 tokens starting at input 6; -1 (no parent) and 4 (past the block) add nothing.
    const [first, size] = [6, 4];
    for (let r = 0; r < rows; r++) kernel.tokens[r] = rng.int(size + 2) - 1;
    for (const unit of [0, 13, 36]) {
      kernel.addTokenRows(rows, first, size, unit);
      for (let r = 0; r < rows; r++) {
        const t = kernel.tokens[r]!;
        if (t < 0 || t >= size) continue;
        for (let u = unit; u < width; u++) expected[r * width + u] = expected[r * width + u]! + weights[(first + t) * width + u]!;
      }
    }
    expect(Buffer.from(kernel.units.buffer, kernel.units.byteOffset, rows * width * 4).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it('ReLU of a range of units per row: negatives become 0, -0 and NaN stay as they are', () => {
    const kernel = new SamplerKernel(weights, width, 1);
    const rows = 9;
    kernel.reserve(rows);
    const start = spread(rows * width, 6);
    start[3] = -0;
    start[width + 5] = NaN;
    start[2 * width + 7] = -0;
    kernel.units.set(start);
    const expected = start.slice();
    for (const [from, to] of [[2, 9], [9, 30], [30, 37]] as const) {
      kernel.relu(rows, from, to);
      for (let r = 0; r < rows; r++) for (let u = from; u < to; u++) if (expected[r * width + u]! < 0) expected[r * width + u] = 0;
    }
    expect(Buffer.from(kernel.units.buffer, kernel.units.byteOffset, rows * width * 4).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(Object.is(kernel.units[3], -0) && Number.isNaN(kernel.units[width + 5])).toBe(true);
  });

  it('draws the tokens drawTokens draws, consuming the same random numbers', () => {
    const kernel = new SamplerKernel(weights, width, 41);
    const rows = 4096;
    kernel.reserve(rows);
    for (const size of [1, 2, 3, 4, 5, 7, 13, 41]) {
      const rng = seededRng(size);
      // Unnormalized rows of very different totals, with zeros (never drawn) and a row of all zeros (the last token).
      const p = Float32Array.from({ length: rows * size }, (_, i) => (rng.next() < 0.2 ? 0 : rng.next() * 10 ** (Math.floor(i / size) % 5)));
      p.fill(0, 0, size);
      const expected = new Int32Array(rows);
      const [a, b] = [seededRng(100 + size), seededRng(100 + size)];
      drawTokens(p, size, rows, a, expected);
      kernel.draw(p, size, rows, b);
      expect(Array.from(kernel.tokens.subarray(0, rows))).toEqual(Array.from(expected));
      expect(b.next()).toBe(a.next());
      expect(new Set(expected).size).toBeGreaterThan(Math.min(size, 3) - 1);
    }
  });
});

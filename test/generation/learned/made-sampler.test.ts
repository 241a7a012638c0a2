/** The sampler's draw from probabilities: the distribution it is given, deterministic per seed. */
import { describe, expect, it } from 'vitest';
import { drawTokens } from '../../../src/generation/learned/made-sampler.js';
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

import { describe, expect, it } from 'vitest';
import { dpBounds, SecureRandom } from '../../../src/generation/privacy/mechanisms.js';
import { PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';

const ctx = (seed: string) => ({ ledger: new PrivacyLedger(), rng: SecureRandom.seededForTests(seed), label: 'public.t.c' });

// Values in [0, 100], as a percentage or a quantity column: the bounds may widen a little under noise, never by orders
// of magnitude (an empty bin passing the threshold once set a bound near ±2^62; CI saw POINT(-1.93e15 52.29)).
const values = Array.from({ length: 2000 }, (_, i) => (i * 37) % 101);

describe('dpBounds keeps empty magnitude bins far from the data out of the bounds', () => {
  it('a column of values in [0, 100] never gets bounds beyond 1e6, over many seeds and budgets', () => {
    let widest = 0;
    let nulls = 0;
    for (let seed = 0; seed < 3000; seed++) {
      const epsilon = [0.03, 0.1, 0.3, 1][seed % 4]!;
      const b = dpBounds(values, { epsilon }, ctx(`tail-${seed}`));
      if (b === null) {
        nulls++;
        continue;
      }
      widest = Math.max(widest, Math.abs(b.lower), Math.abs(b.upper));
      expect(b.lower, `seed ${seed}`).toBeGreaterThan(-1e6);
      expect(b.upper, `seed ${seed}`).toBeLessThan(1e6);
      // Whenever the budget is not tiny the data's own range is kept, give or take a bin: 0 and 1 hold 1 % of the rows
      // each (their bins may fall under the threshold), and an empty bin may still pass it, within ×2^3 of the data.
      if (epsilon >= 0.3) {
        expect(b.lower, `seed ${seed}`).toBeGreaterThanOrEqual(-1024);
        expect(b.lower, `seed ${seed}`).toBeLessThanOrEqual(4);
        expect(b.upper, `seed ${seed}`).toBeGreaterThanOrEqual(128);
      }
    }
    expect(nulls).toBe(0);
    expect(widest).toBeLessThanOrEqual(128 * 2 ** 3);
  });

  it('keeps a far cluster that has rows of its own, and a column under the Gaussian mechanism', () => {
    const far = [...values, ...Array.from({ length: 400 }, (_, i) => 5e6 + i)];
    expect(dpBounds(far, { epsilon: 0.3 }, ctx('far'))?.upper).toBe(2 ** 23);
    const negative = values.map((v) => -v * 1000);
    expect(dpBounds(negative, { rho: 0.05 }, ctx('rho'))).toEqual({ lower: -(2 ** 17), upper: 0 });
  });
});

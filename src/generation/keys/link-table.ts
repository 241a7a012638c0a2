/** Link tables: the second FK of a unique pair takes distinct parents within each group of the first. */
import type { Rng } from '../model.js';
import { allocateInSupport, dealDistinct } from '../fan-out.js';
import { allocateCounts } from './child-counts.js';
import { shuffle } from './shuffle.js';

/**
 * Distinct second parents within each group of the first FK (`first`: its parent index per row), weighted by the
 * second FK's child counts; an exact fan-out on the second parent deals its exact counts instead.
 */
export function linkSecondParents(
  first: Int32Array,
  nb: number,
  m: number,
  histogram: Array<{ children: number; parents: number }> | undefined,
  exactFanOut: boolean,
  rng: Rng,
): Int32Array {
  const n = first.length;
  const out = new Int32Array(n).fill(-1);
  if (exactFanOut) {
    // An exact fan-out on the second parent too (80 part-suppliers per supplier): deal the exact counts.
    const dealt = dealDistinct(first, allocateInSupport(histogram, nb, m, rng), rng);
    if (dealt) return dealt;
  }
  const weights = allocateCounts(histogram, nb, Math.max(m, nb), rng);
  const cum = new Float64Array(nb);
  let acc = 0;
  for (let i = 0; i < nb; i++) cum[i] = acc += weights[i]! + 0.01;
  const draw = (): number => {
    const u = rng.next() * acc;
    let lo = 0;
    let hi = nb - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  let i = 0;
  while (i < n) {
    const groupParent = first[i]!;
    let j = i;
    while (j < n && first[j] === groupParent) j++;
    if (groupParent < 0) {
      i = j;
      continue;
    }
    const size = j - i;
    const used = new Set<number>();
    if (size * 2 <= nb) {
      for (let k = i; k < j; k++) {
        let b = draw();
        for (let tries = 0; used.has(b) && tries < 32; tries++) b = draw();
        while (used.has(b)) b = (b + 1) % nb;
        used.add(b);
        out[k] = b;
      }
    } else {
      const ids = new Int32Array(nb);
      for (let k = 0; k < nb; k++) ids[k] = k;
      shuffle(ids, rng);
      for (let k = i; k < j; k++) out[k] = ids[k - i]!;
    }
    i = j;
  }
  return out;
}

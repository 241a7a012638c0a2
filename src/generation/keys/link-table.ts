/** Link tables: the second FK of a unique pair takes distinct parents within each group of the first. */
import type { Rng } from '../model.js';
import { allocateInSupport, dealDistinct } from '../fan-out.js';
import { allocateCounts } from './child-counts.js';
import { shuffle } from './shuffle.js';

/**
 * Distinct second parents within each group of the first FK (`first`: its parent index per row), each taking the
 * number of rows its drawn child count says (exact counts for an exact fan-out).
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
  // Each second parent gets the rows its count says: an exact fan-out's counts (80 part-suppliers per supplier),
  // else counts drawn from the histogram. Drawing every row's parent independently by those weights instead scattered
  // the counts (a territory with 1 employee got 0–4: Cardinality 0.68 on northwind's employee_territories).
  const counts = exactFanOut ? allocateInSupport(histogram, nb, m, rng) : allocateCounts(histogram, nb, m, rng);
  const dealt = dealDistinct(first, counts, rng);
  if (dealt) return dealt;
  // No clash-free deal (a count above the number of groups): weighted draws, distinct within each group.
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

/** Children per parent: histogram draws, scaling to an exact total, and matching them to predicted counts. */
import type { Rng } from '../model.js';
import { shuffle } from './shuffle.js';

/** Draws one count per parent from the histogram, then scales them so they sum to exactly `total`. */
export function allocateCounts(
  histogram: Array<{ children: number; parents: number }> | undefined,
  parents: number,
  total: number,
  rng: Rng,
  cap = Number.POSITIVE_INFINITY,
): Uint32Array {
  const counts = new Uint32Array(parents);
  if (parents === 0 || total === 0) return counts;
  const raw = new Uint32Array(parents);
  const entries = (histogram ?? []).filter((e) => e.parents > 0);
  let rawSum = 0;
  if (entries.length > 0) {
    const cum: number[] = [];
    let acc = 0;
    for (const e of entries) cum.push((acc += e.parents));
    // Stratified draws (parent i takes the quantile (i + u) / parents of the histogram), then shuffled: the counts
    // follow the source's distribution without the sampling noise of independent draws, which with a handful of
    // parents (3 shippers, 9 employees) would otherwise decide the whole cardinality shape.
    for (let i = 0; i < parents; i++) {
      const u = ((i + rng.next()) / parents) * acc;
      let lo = 0;
      let hi = cum.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cum[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      raw[i] = entries[lo]!.children;
      rawSum += raw[i]!;
    }
    shuffle(raw, rng);
  }
  return scaleCounts(raw, total, rng, cap, rawSum);
}

/**
 * Scales per-parent counts (drawn from a histogram, or predicted per parent row by a learned count head) so they
 * sum to exactly `total`, each at most `cap`; parents with a zero count stay at zero unless nothing else can take rows.
 */
export function scaleCounts(
  rawIn: ArrayLike<number>,
  total: number,
  rng: Rng,
  cap = Number.POSITIVE_INFINITY,
  rawSumIn?: number,
): Uint32Array {
  const parents = rawIn.length;
  const counts = new Uint32Array(parents);
  if (parents === 0 || total === 0) return counts;
  const raw = rawIn instanceof Uint32Array ? rawIn : Uint32Array.from(rawIn, (x) => Math.max(0, Math.round(x)));
  let rawSum = rawSumIn ?? raw.reduce((a, b) => a + b, 0);
  let sum = 0;
  if (rawSum === 0) {
    raw.fill(1);
    rawSum = parents;
  }
  const f = total / rawSum;
  for (let i = 0; i < parents; i++) {
    const c = Math.min(cap, Math.floor(raw[i]! * f + rng.next()));
    counts[i] = c;
    sum += c;
  }
  // Random ±1 corrections to land exactly on `total`; only ~sqrt(parents) of them are needed.
  while (sum < total) {
    let i = rng.int(parents);
    for (let tries = 0; tries < 20 && (raw[i] === 0 || counts[i]! >= cap); tries++) i = rng.int(parents);
    if (counts[i]! >= cap) {
      const start = i;
      while (counts[i]! >= cap) {
        i = (i + 1) % parents;
        if (i === start) throw new Error('internal: capacity below total');
      }
    }
    counts[i]!++;
    sum++;
  }
  while (sum > total) {
    let i = rng.int(parents);
    while (counts[i] === 0) i = (i + 1) % parents;
    counts[i]!--;
    sum--;
  }
  return counts;
}

/**
 * Hands the histogram's counts to the parents in the order of their predicted counts (ties broken at random): the
 * marginal stays exactly the source's (and any cap holds), while which parent gets many children follows the
 * parent's attributes as the model predicts.
 */
export function rankMatch(counts: Uint32Array, predicted: ArrayLike<number>, rng: Rng): Uint32Array {
  const n = counts.length;
  const byPrediction = Array.from({ length: n }, (_, i) => i);
  const jitter = Float64Array.from({ length: n }, () => rng.next());
  byPrediction.sort((x, y) => (predicted[y]! - predicted[x]!) || jitter[y]! - jitter[x]!);
  const sorted = Uint32Array.from(counts).sort().reverse();
  const out = new Uint32Array(n);
  for (let k = 0; k < n; k++) out[byPrediction[k]!] = sorted[k]!;
  return out;
}

import type { Rng } from '../model.js';

/** Fisher–Yates in place, drawing from `rng` from the last index down (the draw order every caller's seed relies on). */
export function shuffle(a: { length: number; [i: number]: number }, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/**
 * A small deterministic Rng for training (weight init, shuffling, validation split). The factory gets a numeric
 * seed from the framework; sampling uses whatever Rng the framework passes.
 */
import type { Rng } from '../model.js';

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hashLabel(seed: number, label: string): number {
  let h = mix32(seed ^ 0x9e3779b9);
  for (let i = 0; i < label.length; i++) h = mix32(h ^ label.charCodeAt(i));
  return h;
}

export function seededRng(seed: number): Rng {
  let state = mix32(seed >>> 0 || 0x6d2b79f5);
  let spare: number | null = null;
  const next = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    fork: (label) => seededRng(hashLabel(seed, label)),
  };
}

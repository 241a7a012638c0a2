/** Plausible filler text, drawn from a fixed lorem vocabulary so nothing of the source leaks into it. */
import type { Rng } from '../model.js';

const WORDS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore ' +
  'magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo ' +
  'consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint ' +
  'occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum porta nibh ' +
  'vitae tellus orci varius natus magnis dis parturient montes nascetur ridiculus mus donec quam felis ultricies'
).split(' ');

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

export function loremWord(rng: Rng): string {
  return WORDS[rng.int(WORDS.length)]!;
}

/** Words up to exactly `length` characters (the last word is cut when needed). */
export function loremText(rng: Rng, length: number): string {
  if (length <= 0) return '';
  let s = '';
  while (s.length < length) s += (s ? ' ' : '') + loremWord(rng);
  s = s.slice(0, length);
  // A cut that ends in a space would be trimmed by some drivers; keep the length stable.
  return s.endsWith(' ') ? `${s.slice(0, -1)}a` : s;
}

export interface CharProfile {
  upper: number;
  lower: number;
  digit: number;
}

export function randomToken(rng: Rng, length: number, profile: CharProfile): string {
  const total = profile.upper + profile.lower + profile.digit || 1;
  let s = '';
  for (let i = 0; i < length; i++) {
    const u = rng.next() * total;
    const pool = u < profile.upper ? UPPER : u < profile.upper + profile.lower ? LOWER : DIGITS;
    s += pool[rng.int(pool.length)];
  }
  return s;
}

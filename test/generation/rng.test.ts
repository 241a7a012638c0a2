import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/generation/rng.js';

describe('createRng', () => {
  it('replays the same sequence for the same seed and label', () => {
    const a = createRng(42, 't');
    const b = createRng(42, 't');
    const xs = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xs);
  });
  it('differs by seed, label and fork label; forks are reproducible', () => {
    const first = (r: ReturnType<typeof createRng>) => Array.from({ length: 5 }, () => r.next());
    expect(first(createRng(1, 'x'))).not.toEqual(first(createRng(2, 'x')));
    expect(first(createRng(1, 'x'))).not.toEqual(first(createRng(1, 'y')));
    const root = createRng(7);
    expect(first(root.fork('a'))).toEqual(first(createRng(7).fork('a')));
    expect(first(root.fork('a'))).not.toEqual(first(root.fork('b')));
  });
  it('draws uniform floats, bounded ints and standard normals', () => {
    const r = createRng(3);
    const n = 20000;
    let sum = 0;
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < n; i++) {
      const x = r.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
      buckets[r.int(10)]++;
    }
    expect(sum / n).toBeCloseTo(0.5, 1);
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(n / 10 * 0.1);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s1 += z;
      s2 += z * z;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(0.05);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });
});

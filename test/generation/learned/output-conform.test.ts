/**
 * The learned columns' conform step: skipped only where decoding already gives what conformValue would, and
 * otherwise conformValue itself (remembered), so the composed rows are the same either way.
 */
import { describe, expect, it } from 'vitest';
import { conformValue } from '../../../src/generation/conform.js';
import { fitEncoder } from '../../../src/generation/learned/encoders.js';
import { decodesConformed, learnedConformer } from '../../../src/generation/learned/output-conform.js';
import { seededRng } from '../../../src/generation/learned/seeded-rng.js';
import type { Column, NeutralType } from '../../../src/schema/model.js';
import type { Value } from '../../../src/schema/values.js';

function col(name: string, type: NeutralType, nullable = false): Column {
  return { name, type, nativeType: type.kind, nullable, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null };
}
const meta = (column: string) => ({ table: { schema: 'public', name: 't' }, column, role: 'numerical' as const });

/** Fits an encoder for `c` on `values`, then checks the conformer against conformValue on decoded values and NULL. */
function check(c: Column, values: Value[], conformed: boolean): void {
  const enc = fitEncoder(c, meta(c.name), values)!;
  expect(enc, c.name).not.toBeNull();
  expect(decodesConformed(c, enc), c.name).toBe(conformed);
  const f = learnedConformer(c, enc);
  const rng = seededRng(3);
  for (let i = 0; i < 3000; i++) {
    const v = enc.decodeParts([rng.int(enc.parts[0]!), rng.int(enc.parts[1] ?? 1)], rng);
    expect(f(v), `${c.name} ${String(v)}`).toEqual(conformValue(v, c));
  }
  expect(f(null)).toEqual(conformValue(null, c));
}

describe('learnedConformer', () => {
  const r = seededRng(9);
  const stamps = (fraction: boolean): Value[] =>
    Array.from({ length: 800 }, () => {
      const d = new Date(Date.UTC(2020, 0, 1) + Math.floor(r.next() * 4e10));
      const s = d.toISOString().replace('T', ' ').slice(0, 19);
      return fraction ? `${s}.${String(r.int(1000)).padStart(3, '0')}` : s;
    });

  it('skips conforming whole-second timestamps, in-precision decimals and in-range integers', () => {
    check(col('t', { kind: 'timestamp', withTimeZone: false }), stamps(false), true);
    check(col('p', { kind: 'decimal', precision: 10, scale: 2 }), Array.from({ length: 800 }, () => (r.next() * 5000).toFixed(2)), true);
    check(col('q', { kind: 'integer', bytes: 4, unsigned: false }), Array.from({ length: 800 }, () => r.int(100_000) - 50_000), true);
  });

  it('conforms what decoding leaves unconformed: fractions, decimals past their precision, integers past the type', () => {
    check(col('tf', { kind: 'timestamp', withTimeZone: false }), stamps(true), false);
    // A numeric(6,2) column whose encoder (a DP one, say) reaches past 9999.99.
    check(col('p', { kind: 'decimal', precision: 6, scale: 2 }), Array.from({ length: 800 }, () => (r.next() * 50_000).toFixed(2)), false);
    check(col('s', { kind: 'integer', bytes: 2, unsigned: false }), Array.from({ length: 800 }, () => r.int(100_000) - 50_000), false);
    // NOT NULL: a NULL token still gets the column's fallback.
    check(col('n', { kind: 'integer', bytes: 4, unsigned: false }), [...Array.from({ length: 800 }, () => r.int(1000)), null, null, null], true);
  });
});

import { describe, expect, it } from 'vitest';
import type { Column, NeutralType } from '../../../src/schema/model.js';
import type { Value } from '../../../src/schema/values.js';
import type { ColumnMeta } from '../../../src/generation/model.js';
import {
  encoderFromJSON,
  fitContextEncoder,
  fitCountEncoder,
  fitEncoder,
  fromNumber,
  type ColumnEncoder,
  type NumericKind,
} from '../../../src/generation/learned/encoders.js';
import { seededRng } from '../../../src/generation/learned/seeded-rng.js';

function col(name: string, type: NeutralType): Column {
  return { name, type, nativeType: type.kind, nullable: true, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null };
}
function meta(column: string, role: ColumnMeta['role']): ColumnMeta {
  return { table: { schema: 'public', name: 't' }, column, role };
}

/** Every token decodes to a value that encodes back to the same token, and JSON round-trips keep behaviour. */
function checkRoundTrip(enc: ColumnEncoder, values: Value[]): void {
  const rng = seededRng(7);
  const again = encoderFromJSON(JSON.parse(JSON.stringify(enc.toJSON())));
  expect(again.vocabSize).toBe(enc.vocabSize);
  for (let t = 0; t < enc.vocabSize; t++) {
    for (let k = 0; k < 20; k++) {
      const v = enc.decode(t, rng);
      expect(enc.encode(v)).toBe(t);
      expect(again.encode(v)).toBe(t);
    }
  }
  for (const v of values) expect(again.encode(v)).toBe(enc.encode(v));
  // Two-token numerics: a decoded (bin, sub-bin) pair encodes back to itself.
  if (enc.parts.length === 2) {
    for (const v of values.slice(0, 200)) {
      const p = enc.encodeParts(v);
      expect(p[1]).toBeLessThan(enc.parts[1]!);
      for (let k = 0; k < 5; k++) expect(enc.encodeParts(enc.decodeParts(p, rng))).toEqual(p);
      expect(again.encodeParts(v)).toEqual(p);
    }
    for (let t = 0; t < enc.vocabSize; t++) {
      for (let sub = 0; sub < enc.parts[1]!; sub++) {
        const p = enc.encodeParts(enc.decodeParts([t, sub], rng));
        expect(p[0]).toBe(t);
        expect(enc.encodeParts(enc.decodeParts(p, rng))).toEqual(p);
      }
    }
  }
}

describe('encoders', () => {
  const rng = seededRng(1);

  it('integers: quantile bins decode to integers inside the bin, frequent values become exact points, NULL its own token', () => {
    const values: Value[] = [];
    for (let i = 0; i < 20000; i++) values.push(i % 10 === 0 ? null : i % 3 === 0 ? 0 : Math.floor(rng.next() * 100000));
    const enc = fitEncoder(col('n', { kind: 'integer', bytes: 4, unsigned: false }), meta('n', 'numerical'), values)!;
    expect(enc.toJSON().type).toBe('numeric');
    expect(enc.parts).toEqual([enc.vocabSize, 8]);
    checkRoundTrip(enc, values);
    for (let i = 0; i < 200; i++) {
      const v = enc.decode(enc.encode(values[i]!), rng);
      if (values[i] === null) expect(v).toBeNull();
      else {
        expect(Number.isInteger(v)).toBe(true);
        expect(v as number).toBeGreaterThanOrEqual(0);
        expect(v as number).toBeLessThanOrEqual(100000);
      }
    }
    expect(enc.decode(enc.encode(0), rng)).toBe(0);
  });

  it('decimals keep their scale, floats stay continuous', () => {
    const dec: Value[] = Array.from({ length: 500 }, () => (rng.next() * 1000).toFixed(2));
    const d = fitEncoder(col('d', { kind: 'decimal', precision: 10, scale: 2 }), meta('d', 'numerical'), dec)!;
    checkRoundTrip(d, dec);
    for (let i = 0; i < 50; i++) expect(String(d.decode(d.encode(dec[i]!), rng))).toMatch(/^\d+\.\d{2}$/);
    const short: Value[] = Array.from({ length: 500 }, () => Number((rng.next() * 100).toFixed(2)));
    const sf = fitEncoder(col('s', { kind: 'float', bytes: 4 }), meta('s', 'numerical'), short)!;
    checkRoundTrip(sf, short);
    for (let i = 0; i < 50; i++) expect(String(sf.decode(sf.encode(short[i]!), rng))).toMatch(/^\d+(\.\d{1,2})?$/);
    const fl: Value[] = Array.from({ length: 500 }, () => rng.normal() * 5);
    const f = fitEncoder(col('f', { kind: 'float', bytes: 8 }), meta('f', 'numerical'), fl)!;
    checkRoundTrip(f, fl);
    const decoded = new Set(Array.from({ length: 100 }, () => f.decode(f.encode(fl[0]!), rng)));
    expect(decoded.size).toBeGreaterThan(90);
  });

  it('dates, timestamps and times bin by epoch value and format back', () => {
    const dates: Value[] = Array.from({ length: 300 }, (_, i) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000 * 3).toISOString().slice(0, 10));
    const de = fitEncoder(col('d', { kind: 'date' }), meta('d', 'datetime'), dates)!;
    checkRoundTrip(de, dates);
    expect(String(de.decode(de.encode('2020-06-01'), rng))).toMatch(/^2020-0[5-6]-\d{2}$/);
    const ts: Value[] = Array.from({ length: 300 }, (_, i) => `2021-03-${String(1 + (i % 28)).padStart(2, '0')} 12:${String(i % 60).padStart(2, '0')}:05.123+00`);
    const te = fitEncoder(col('t', { kind: 'timestamp', withTimeZone: true }), meta('t', 'datetime'), ts)!;
    checkRoundTrip(te, ts);
    expect(String(te.decode(te.encode(ts[0]!), rng))).toMatch(/^2021-03-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+00$/);
    const times: Value[] = Array.from({ length: 300 }, (_, i) => `${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00`);
    const tm = fitEncoder(col('h', { kind: 'time', withTimeZone: false }), meta('h', 'datetime'), times)!;
    checkRoundTrip(tm, times);
  });

  it('dates and timestamps format as a Date-based formatting does (remembered days, fractions, UTC, before 1970, year < 1000)', () => {
    const pad = (v: number, w: number): string => String(v).padStart(w, '0');
    const reference = (x: number, nk: NumericKind): string => {
      if (nk.kind === 'date') {
        const d = new Date(Math.round(x) * 86_400_000);
        return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
      }
      if (nk.kind !== 'timestamp') throw new Error('dates and timestamps only');
      const micros = Math.round(x * 1000);
      const ms = Math.floor(micros / 1000);
      const d = new Date(ms);
      let s = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
      if (nk.fraction > 0) s += '.' + pad(d.getUTCMilliseconds() * 1000 + (micros - ms * 1000), 6).slice(0, nk.fraction);
      return nk.utc ? s + '+00' : s;
    };
    const kinds: NumericKind[] = [
      { kind: 'date' },
      { kind: 'timestamp', fraction: 0, utc: false },
      { kind: 'timestamp', fraction: 3, utc: true },
      { kind: 'timestamp', fraction: 6, utc: false },
    ];
    const r = seededRng(12);
    for (const nk of kinds) {
      const span = nk.kind === 'date' ? 3_000_000 : 3_000_000 * 86_400_000;
      // Twice over the same values: the second pass reads the remembered days.
      const xs = Array.from({ length: 2000 }, () => (r.next() - 0.6) * span);
      for (const x of [...xs, ...xs, -0.5, 0, 86_399_999.9994, -1]) expect(fromNumber(x, nk), `${nk.kind} ${x}`).toBe(reference(x, nk));
    }
    // A float decoded inside a bin is already on its decimal grid: it is returned as drawn, equal to the printed value.
    const fl: Value[] = Array.from({ length: 400 }, (_, i) => Number((i * 0.137).toFixed(3)));
    const fe = fitEncoder(col('f', { kind: 'float', bytes: 8 }), meta('f', 'numerical'), fl)!;
    for (let t = 0; t < fe.vocabSize; t++) {
      const v = fe.decode(t, r) as number;
      expect(v).toBe(Number(v.toFixed(3)));
    }
  });

  it('categories: rare values share an "other" token decoded by sampling the group; booleans and NULL', () => {
    const values: Value[] = [];
    for (let i = 0; i < 1000; i++) values.push(i % 2 === 0 ? 'common' : i % 5 === 0 ? null : `rare${i % 97}`);
    const enc = fitEncoder(col('c', { kind: 'text', maxLength: null, fixedLength: false }), meta('c', 'categorical'), values, {
      maxBins: 10,
      maxCategories: 5,
      maxOtherValues: 1000,
    })!;
    expect(enc.vocabSize).toBe(1 + 4 + 1);
    checkRoundTrip(enc, values);
    const other = enc.encode('rare50');
    const drawn = new Set(Array.from({ length: 300 }, () => enc.decode(other, rng)));
    expect(drawn.size).toBeGreaterThan(10);
    expect([...drawn].every((v) => typeof v === 'string' && v.startsWith('rare'))).toBe(true);
    const b = fitEncoder(col('b', { kind: 'boolean' }), meta('b', 'boolean'), [true, false, null, true])!;
    checkRoundTrip(b, [true, false, null]);
    expect(b.decode(b.encode(false), rng)).toBe(false);
  });

  it('bigint categories survive JSON; free text and keys are not modelled', () => {
    const big: Value[] = [2n ** 60n, 2n ** 60n + 1n, null];
    const e = fitEncoder(col('b', { kind: 'integer', bytes: 8, unsigned: false }), meta('b', 'numerical'), big)!;
    checkRoundTrip(e, big);
    expect(e.decode(e.encode(2n ** 60n + 1n), rng)).toBe(2n ** 60n + 1n);
    expect(fitEncoder(col('t', { kind: 'text', maxLength: null, fixedLength: false }), meta('t', 'text'), ['a'])).toBeNull();
    expect(fitEncoder(col('id', { kind: 'integer', bytes: 4, unsigned: false }), meta('id', 'primary-key'), [1])).toBeNull();
  });

  it('context and child-count encoders infer their kind from values', () => {
    const nums: Value[] = Array.from({ length: 400 }, () => (rng.next() * 50).toFixed(3));
    const c = fitContextEncoder('price', nums)!;
    expect(c.toJSON().type).toBe('numeric');
    checkRoundTrip(c, nums);
    // Names/emails: high-cardinality or near-unique text is never context (no signal, and it would leak values).
    expect(fitContextEncoder('email', Array.from({ length: 400 }, (_, i) => `u${i}@example.com`))).toBeNull();
    expect(fitContextEncoder('name', ['Ann', 'Bob', 'Cy', 'Dee', 'Eve'])).toBeNull();
    expect(fitContextEncoder('tier', ['a', 'b', 'a', 'b', 'a', null])!.vocabSize).toBe(3);
    const counts = Array.from({ length: 400 }, (_, i) => (i % 7 === 0 ? 100 + i : i % 5));
    const cnt = fitCountEncoder('fk#count', counts);
    for (let t = 0; t < cnt.vocabSize; t++) expect(Number.isInteger(cnt.decode(t, rng))).toBe(true);
  });
});

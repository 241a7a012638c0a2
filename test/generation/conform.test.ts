import { describe, expect, it } from 'vitest';
import { conformValue, formatEpoch, utc } from '../../src/generation/conform.js';
import type { NeutralType } from '../../src/schema/model.js';
import { isSynthError } from '../../src/errors.js';
import { col } from './fixtures.js';

const c = (type: NeutralType, nullable = true) => col('c', type, { nullable });

describe('conformValue', () => {
  it('fits each part of a composite or range to its own type', () => {
    const dims: NeutralType = {
      kind: 'json',
      binary: false,
      structured: { form: 'composite', name: 'public.dims', attributes: [{ name: 'w', type: { kind: 'decimal', precision: 8, scale: 2 } }, { name: 'h', type: { kind: 'integer', bytes: 2, unsigned: false } }, { name: 'label', type: { kind: 'text', maxLength: 3, fixedLength: false } }] },
    };
    expect(conformValue({ w: 1118317755.97, h: 70000, label: 'abcdef' }, c(dims))).toEqual({ w: '999999.99', h: 32767, label: 'abc' });
    const span: NeutralType = { kind: 'json', binary: false, structured: { form: 'range', name: 'public.span', subtype: { kind: 'integer', bytes: 2, unsigned: false } } };
    expect(conformValue({ lower: -1e9, upper: 5.4, bounds: '[)' }, c(span))).toEqual({ lower: -32768, upper: 5, bounds: '[)' });
  });

  it('never returns null for NOT NULL columns of any type', () => {
    const types: NeutralType[] = [
      { kind: 'integer', bytes: 4, unsigned: false },
      { kind: 'decimal', precision: 6, scale: 2 },
      { kind: 'float', bytes: 8 },
      { kind: 'boolean' },
      { kind: 'text', maxLength: 5, fixedLength: false },
      { kind: 'binary', maxLength: null },
      { kind: 'date' },
      { kind: 'time', withTimeZone: false },
      { kind: 'timestamp', withTimeZone: true },
      { kind: 'interval' },
      { kind: 'year' },
      { kind: 'uuid' },
      { kind: 'json', binary: true },
      { kind: 'enum', values: ['a', 'b'], name: null },
      { kind: 'set', values: ['x'] },
      { kind: 'array', element: { kind: 'integer', bytes: 4, unsigned: false }, dimensions: 1 },
      { kind: 'bit', length: 3, varying: false },
      { kind: 'network', family: 'inet' },
      { kind: 'tsvector' },
      { kind: 'geometry', subtype: null },
      { kind: 'money' },
      { kind: 'xml' },
    ];
    for (const t of types) {
      expect(conformValue(null, c(t, false)), t.kind).not.toBeNull();
      expect(conformValue(null, c(t, true)), t.kind).toBeNull();
    }
  });

  it('clamps integers to byte width and signedness, rounds, and goes bigint beyond 2^53', () => {
    expect(conformValue(300, c({ kind: 'integer', bytes: 1, unsigned: false }))).toBe(127);
    expect(conformValue(-5, c({ kind: 'integer', bytes: 1, unsigned: true }))).toBe(0);
    expect(conformValue(70000.6, c({ kind: 'integer', bytes: 2, unsigned: false }))).toBe(32767);
    expect(conformValue(12.6, c({ kind: 'integer', bytes: 3, unsigned: true }))).toBe(13);
    expect(conformValue(2 ** 40, c({ kind: 'integer', bytes: 4, unsigned: true }))).toBe(4294967295);
    expect(conformValue(10n ** 30n, c({ kind: 'integer', bytes: 8, unsigned: false }))).toBe(9223372036854775807n);
    expect(conformValue('42', c({ kind: 'integer', bytes: 8, unsigned: false }))).toBe(42);
  });

  it('clamps numbers without BigInts exactly as the BigInt path does: -0, 2^53 and 8-byte bounds', () => {
    const big = c({ kind: 'integer', bytes: 8, unsigned: false });
    expect(Object.is(conformValue(-0, big), 0)).toBe(true);
    expect(Object.is(conformValue(-0.4, c({ kind: 'integer', bytes: 2, unsigned: false })), 0)).toBe(true);
    expect(conformValue(2 ** 53 - 1, big)).toBe(2 ** 53 - 1);
    expect(conformValue(2 ** 53, big)).toBe(9007199254740992n);
    expect(conformValue(-(2 ** 70), big)).toBe(-9223372036854775808n);
    expect(conformValue(-3.5, c({ kind: 'integer', bytes: 8, unsigned: true }))).toBe(0);
    expect(conformValue(Number.NaN, c({ kind: 'integer', bytes: 4, unsigned: false }, false))).toBe(0);
  });

  it('computes epochs as Date.UTC does (years 100–9999, days and times past their range carried over)', () => {
    for (let y = 100; y <= 9999; y += 37) {
      for (let mo = 0; mo < 12; mo++) {
        for (const [d, h, mi, s] of [[1, 0, 0, 0], [29, 23, 59, 59], [31, 24, 60, 61], [0, -1, 0, 0], [-3, 0, -5, 70]]) {
          expect(utc(y, mo, d!, h, mi, s)).toBe(Date.UTC(y, mo, d!, h, mi, s));
        }
      }
    }
    // Years below 100 are those years (Date.UTC would read 1900–1999), and a date written reads back to itself.
    expect(formatEpoch(utc(50, 1, 29), 'date')).toBe('0050-03-01');
    expect(conformValue('0004-02-29', c({ kind: 'date' }))).toBe('0004-02-29');
    expect(conformValue('2024-02-30', c({ kind: 'date' }))).toBe('2024-03-01');
  });

  it('rounds decimals to scale and clamps to precision', () => {
    const d = c({ kind: 'decimal', precision: 5, scale: 2 });
    expect(conformValue(3.14159, d)).toBe('3.14');
    expect(conformValue(123456, d)).toBe('999.99');
    expect(conformValue(-123456, d)).toBe('-999.99');
    expect(conformValue('7', d)).toBe('7.00');
    expect(conformValue(2.5, c({ kind: 'decimal', precision: 4, scale: 0 }))).toBe('3');
    expect(conformValue('12.3456789', c({ kind: 'decimal', precision: null, scale: null }))).toBe('12.3456789');
    expect(conformValue(1.005, c({ kind: 'money' }))).toMatch(/^1\.0[01]$/);
  });

  it('truncates text to the column length in characters', () => {
    expect(conformValue('abcdefgh', c({ kind: 'text', maxLength: 3, fixedLength: false }))).toBe('abc');
    expect(conformValue('äöüß€', c({ kind: 'text', maxLength: 4, fixedLength: true }))).toBe('äöüß');
    expect(conformValue(12, c({ kind: 'text', maxLength: null, fixedLength: false }))).toBe('12');
  });

  it('keeps enum and set values inside their domain', () => {
    const e = c({ kind: 'enum', values: ['G', 'PG'], name: null }, false);
    expect(conformValue('PG', e)).toBe('PG');
    expect(conformValue('XXX', e)).toBe('G');
    expect(conformValue(['a', 'zz', 'a', 'b'], c({ kind: 'set', values: ['a', 'b'] }))).toEqual(['a', 'b']);
    expect(conformValue('a,b,q', c({ kind: 'set', values: ['a', 'b'] }))).toEqual(['a', 'b']);
  });

  it('fits bit strings to their length', () => {
    expect(conformValue('1', c({ kind: 'bit', length: 4, varying: false }))).toBe('1000');
    expect(conformValue('101101', c({ kind: 'bit', length: 4, varying: false }))).toBe('1011');
    expect(conformValue('11', c({ kind: 'bit', length: 4, varying: true }))).toBe('11');
  });

  it('keeps years in MySQL YEAR range and dates valid', () => {
    expect(conformValue(1800, c({ kind: 'year' }))).toBe(1901);
    expect(conformValue(2300, c({ kind: 'year' }))).toBe(2155);
    expect(conformValue('2023-02-30', c({ kind: 'date' }))).toBe('2023-03-02');
    expect(conformValue('2023-01-05 10:11:12', c({ kind: 'date' }))).toBe('2023-01-05');
    expect(conformValue('not a date', c({ kind: 'date' }))).toBeNull();
    expect(conformValue('2023-01-05 10:11:12+02', c({ kind: 'timestamp', withTimeZone: true }))).toBe('2023-01-05 08:11:12+00');
    expect(conformValue('2023-01-05 10:11:12.5', c({ kind: 'timestamp', withTimeZone: false }))).toBe('2023-01-05 10:11:12.500');
    expect(conformValue('25:99:00', c({ kind: 'time', withTimeZone: false }))).toBe('23:59:59');
  });

  it('handles floats, booleans, uuids, binary, arrays and json', () => {
    expect(conformValue(1e40, c({ kind: 'float', bytes: 4 }))).toBeCloseTo(3.4e38, -35);
    expect(conformValue('t', c({ kind: 'boolean' }))).toBe(true);
    expect(conformValue(0, c({ kind: 'boolean' }))).toBe(false);
    expect(conformValue('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', c({ kind: 'uuid' }))).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(conformValue(new Uint8Array([1, 2, 3]), c({ kind: 'binary', maxLength: 2 }))).toEqual(new Uint8Array([1, 2]));
    expect(conformValue([1.4, 70000], c({ kind: 'array', element: { kind: 'integer', bytes: 2, unsigned: false }, dimensions: 1 }))).toEqual([1, 32767]);
    expect(conformValue({ a: [1] }, c({ kind: 'json', binary: true }))).toEqual({ a: [1] });
  });

  it('refuses unsupported types with UNSUPPORTED_TYPE naming the column', () => {
    try {
      conformValue(1, col('weird', { kind: 'unsupported', reason: 'custom base type' }, { nativeType: 'myext.thing' }));
      expect.unreachable();
    } catch (e) {
      expect(isSynthError(e) && e.code).toBe('UNSUPPORTED_TYPE');
      expect(String((e as Error).message)).toContain('weird');
    }
  });

  it('writes a date the same inside and outside the days it keeps by index (1900-2258)', () => {
    const days = [utc(1, 0, 1), utc(1899, 11, 31), utc(1900, 0, 1), utc(1970, 0, 1), utc(2258, 9, 17), utc(2258, 9, 18), utc(9999, 11, 31)];
    for (let k = 0; k < 2; k++) {
      expect(days.map((d) => formatEpoch(d, 'date'))).toEqual(['0001-01-01', '1899-12-31', '1900-01-01', '1970-01-01', '2258-10-17', '2258-10-18', '9999-12-31']);
    }
  });
});

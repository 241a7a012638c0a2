import { describe, expect, it } from 'vitest';
import { formatEpoch, parseEpoch } from '../../src/generation/conform.js';
import { fromNumber, toNumber } from '../../src/generation/learned/encoders.js';

describe('timestamps keep microseconds through generation', () => {
  it('baseline: parse and format round-trip six fractional digits, with and without a time zone', () => {
    for (const v of ['2022-02-15 09:34:33.905795', '1999-12-31 23:59:59.000001', '2024-02-29 00:00:00.5']) {
      expect(formatEpoch(parseEpoch(v)!, 'timestamp', false, true)).toBe(v.endsWith('.5') ? '2024-02-29 00:00:00.500' : v);
    }
    expect(formatEpoch(parseEpoch('2022-03-01 10:00:00.123456+02')!, 'timestamp', true, true)).toBe('2022-03-01 08:00:00.123456+00');
    expect(formatEpoch(parseEpoch('2022-03-01 10:00:00')!, 'timestamp', false, true)).toBe('2022-03-01 10:00:00');
  });

  it('learned: the numeric reading of a timestamp keeps its microseconds', () => {
    const nk = { kind: 'timestamp', fraction: 6, utc: true } as const;
    expect(fromNumber(toNumber('2022-02-15 09:34:33.905795+00', nk)!, nk)).toBe('2022-02-15 09:34:33.905795+00');
    expect(fromNumber(toNumber('2022-02-15 09:34:33.000001+00', nk)!, nk)).toBe('2022-02-15 09:34:33.000001+00');
  });
});

describe('times of day keep microseconds', () => {
  it('formats fractional seconds to the microsecond only when asked, and conforms a time(6) value without rounding it', async () => {
    const { formatTimeOfDay, parseTimeOfDay, conformValue } = await import('../../src/generation/conform.js');
    expect(formatTimeOfDay(parseTimeOfDay('12:34:56.789012')!, false, true)).toBe('12:34:56.789012');
    expect(formatTimeOfDay(parseTimeOfDay('12:34:56.789012')!)).toBe('12:34:57');
    expect(formatTimeOfDay(86399.9999999, true, true)).toBe('23:59:59.999999+00');
    const column = { name: 't', type: { kind: 'time', withTimeZone: false } as const, nativeType: 'time(6) without time zone', nullable: true, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null };
    expect(conformValue('08:00:00.000001', column)).toBe('08:00:00.000001');
  });
});

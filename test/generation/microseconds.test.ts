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

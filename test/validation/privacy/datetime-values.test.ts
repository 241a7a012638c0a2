import { describe, expect, it } from 'vitest';
import { DAY_MS, datetimeMs, datetimeStep, formatDatetimeLike } from '../../../src/validation/privacy/datetime-values.js';
import { createPgDatabase } from '../../support/databases.js';

describe('datetime cells of the copy filters, read from PostgreSQL', () => {
  it('reads dates, timestamps, timestamptz and times as milliseconds, finds their step and writes a moved value back in the same shape', async () => {
    const db = await createPgDatabase('priv_dt_values');
    try {
      await db.exec(`
        CREATE TABLE ev (d date, ts timestamp(0), us timestamp(6), tz timestamptz, t time);
        INSERT INTO ev VALUES
          ('2024-02-28', '2024-02-28 10:15:30', '2024-02-28 10:15:30.123456', '2024-02-28 10:15:30+02', '10:15:30'),
          ('2024-03-01', '2024-03-01 00:00:01', '2024-03-01 00:00:00.000001', '2024-03-01 23:59:59+00', '23:59:59');`);
      const rows = await db.query<Record<string, string>>(
        `SELECT d::text AS d, ts::text AS ts, us::text AS us, to_char(tz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00' AS tz, t::text AS t FROM ev`,
      );
      const col = (c: string): string[] => rows.map((r) => r[c]!);

      expect(datetimeMs(col('d')[0]!)).toBe(Date.UTC(2024, 1, 28));
      expect(datetimeMs(col('tz')[0]!)).toBe(Date.UTC(2024, 1, 28, 8, 15, 30));
      expect(datetimeMs(col('us')[0]!)).toBeCloseTo(Date.UTC(2024, 1, 28, 10, 15, 30) + 123.456, 3);
      expect(datetimeMs(col('t')[1]!)).toBe((23 * 3600 + 59 * 60 + 59) * 1000);
      expect(datetimeMs(null)).toBeNaN();
      expect(datetimeMs('not a date')).toBeNaN();

      expect(datetimeStep(col('d'))).toBe(DAY_MS);
      expect(datetimeStep(col('ts'))).toBe(1000);
      expect(datetimeStep(col('tz'))).toBe(1000);
      expect(datetimeStep(col('us'))).toBe(0.001);
      expect(datetimeStep(col('t'))).toBe(1000);
      expect(datetimeStep([2019, 2024])).toBe(1);
      expect(datetimeStep([null])).toBeUndefined();

      const later = (c: string, ms: number, step: number) => formatDatetimeLike(datetimeMs(col(c)[0]!) + ms, col(c)[0]!, step);
      expect(later('d', 3 * DAY_MS, DAY_MS)).toBe('2024-03-02');
      expect(later('ts', 90_000, 1000)).toBe('2024-02-28 10:17:00');
      expect(later('tz', 3_600_000, 1000)).toBe('2024-02-28 09:15:30+00');
      expect(later('us', 0.001, 0.001)).toBe('2024-02-28 10:15:30.123457');
      expect(later('t', 60_000, 1000)).toBe('10:16:30');
      expect(formatDatetimeLike(Date.UTC(2024, 0, 1, 12), '2023-05-05T00:00:00+02:00', 1000)).toBe('2024-01-01T14:00:00+02:00');
      expect(formatDatetimeLike(2021.4, 2020, 1)).toBe(2021);
      // What a moved value is written as reads back to that value.
      for (const c of ['d', 'ts', 'tz', 'us', 't']) {
        const step = datetimeStep(col(c))!;
        const v = datetimeMs(col(c)[1]!) - 5 * step;
        expect(datetimeMs(formatDatetimeLike(v, col(c)[1]!, step))).toBeCloseTo(v, 3);
      }
    } finally {
      await db.drop();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { formatEpoch, parseEpoch } from '../../src/generation/conform.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';

// Years 0001–0099 are real years to PostgreSQL (a "no date" sentinel 0001-01-01, historical records); JavaScript's
// Date.UTC reads a year below 100 as 19xx, which moved them nineteen centuries.
describe('dates of years 0001–0099', () => {
  it('parseEpoch keeps the year and formatEpoch writes it back', () => {
    for (const text of ['0001-01-01', '0050-06-15', '0099-12-31', '0004-02-29', '0050-06-15 12:34:56', '0050-06-15 12:34:56.123456+02', '1999-12-31']) {
      const ms = parseEpoch(text)!;
      expect(new Date(ms).getUTCFullYear(), text).toBe(Number(text.slice(0, 4)));
    }
    expect(formatEpoch(parseEpoch('0050-06-15')!, 'date')).toBe('0050-06-15');
    expect(formatEpoch(parseEpoch('0001-01-01')!, 'date')).toBe('0001-01-01');
    expect(formatEpoch(parseEpoch('0004-02-29 23:59:59')!, 'timestamp')).toBe('0004-02-29 23:59:59');
    expect(formatEpoch(parseEpoch('0050-06-15 12:34:56.5+02')!, 'timestamp', true, true)).toBe('0050-06-15 10:34:56.500+00');
  });

  const env = pgHydrationFixture('synth_adate_', `
    CREATE TABLE era (id int PRIMARY KEY, code text NOT NULL);
    CREATE TABLE record (
      id int PRIMARY KEY, era_id int NOT NULL REFERENCES era, happened date NOT NULL, stamped timestamp NOT NULL,
      CHECK (happened < DATE '0100-01-01')
    );
    CREATE TABLE almanac (day date PRIMARY KEY, note text);
    INSERT INTO almanac SELECT DATE '1850-03-01' + g, 'n' || g FROM generate_series(0, 299) g;
    INSERT INTO era SELECT g, 'e' || g FROM generate_series(1, 5) g;
    INSERT INTO record SELECT g, 1 + g % 5,
        CASE WHEN g % 2 = 0 THEN DATE '0001-01-01' ELSE DATE '0050-06-15' END + (g % 97),
        TIMESTAMP '0050-06-15 08:00:00' + make_interval(secs => g * 3607)
      FROM generate_series(1, 400) g;
  `);

  it.each(['baseline', 'learned'] as const)('PG → PG (%s model): a date column of years 0001 and 0050 keeps its years', async (model) => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, quality: { enabled: true }, outDir: env.outDir, model });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    const [row] = await env.target.query<{ n: number; lo: string; hi: string; ts_lo: string; ts_hi: string }>(
      `SELECT count(*)::int AS n, min(happened)::text AS lo, max(happened)::text AS hi, min(stamped)::text AS ts_lo, max(stamped)::text AS ts_hi FROM record`,
    );
    expect(row!.n).toBe(400);
    // Many distinct days and instants, so the learned model encodes them as numbers (not as categories).
    expect([row!.lo >= '0001-01-01', row!.hi <= '0050-09-20', row].join()).toMatch(/^true,true/);
    expect([row!.ts_lo >= '0050-06-15 08:00:00', row!.ts_hi <= '0050-07-03 00:00:00', row].join()).toMatch(/^true,true/);
    // A date key of the 1850s is generated (the "do n distinct dates exist" check once started at 1901).
    const [almanac] = await env.target.query<{ n: number; lo: string }>(`SELECT count(*)::int AS n, min(day)::text AS lo FROM almanac`);
    expect(almanac).toEqual({ n: 300, lo: expect.stringMatching(/^18/) });
    // Both eras are there, not moved to 1901/1950.
    const [eras] = await env.target.query<{ early: number; mid: number }>(
      `SELECT count(*) FILTER (WHERE happened < '0010-01-01')::int AS early, count(*) FILTER (WHERE happened >= '0050-01-01')::int AS mid FROM record`,
    );
    expect(eras!.early).toBeGreaterThan(0);
    expect(eras!.mid).toBeGreaterThan(0);
  }, 120_000);
});

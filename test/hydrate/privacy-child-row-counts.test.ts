import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';

// Issue 17: a child whose fan-out is skewed (chinook's album under artist: many parents with none, some with many)
// must end with the rows its own DP count released, not the sum of per-parent draws. 1 500 artists, 4 497 albums
// (artist g has g mod 7 albums, so one in seven has none): both sides have the rows for MST at ε = 3, the artist's
// tree with the album family-size column, the album's with the artist as context.
const FIXTURE = `
CREATE TABLE artist (id serial PRIMARY KEY, label text NOT NULL, founded integer NOT NULL, country text NOT NULL);
INSERT INTO artist (label, founded, country)
  SELECT (ARRAY['indie', 'major', 'self', 'classic', 'jazz'])[1 + g % 5], 1950 + (g * 13) % 70, (ARRAY['UK', 'US', 'DE', 'FR'])[1 + (g * 3) % 4]
  FROM generate_series(1, 1500) g;
CREATE TABLE album (id serial PRIMARY KEY, artist_id integer NOT NULL REFERENCES artist(id), released integer NOT NULL, format text NOT NULL, tracks integer NOT NULL);
INSERT INTO album (artist_id, released, format, tracks)
  SELECT a, 1960 + (a * 7 + k * 3) % 60, (ARRAY['LP', 'CD', 'EP'])[1 + (a + k) % 3], 6 + (a + k * 5) % 14
  FROM generate_series(1, 1500) a, generate_series(1, 6) k WHERE k <= a % 7;
`;

const env = pgHydrationFixture('synth_dpfan', FIXTURE);

describe('a child table’s row count under privacy (issue 17)', () => {
  it('at ε = 3 the child ends with its released count, within 10 % of the source, for each of 3 seeds', async () => {
    const sourceAlbums = await env.source.query<{ n: string }>('SELECT count(*) AS n FROM album');
    expect(Number(sourceAlbums[0]!.n)).toBe(4497);
    for (const seed of [1, 2, 3]) {
      const config = parseConfig({
        source: { url: env.source.url },
        targets: { dev: { url: env.target.url } },
        model: 'baseline',
        privacy: { epsilon: 3 },
        seed,
        outDir: env.outDir,
        quality: { enabled: false },
      });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      // The path under test: the artist's MST tree carries the album family-size column (the per-parent counts).
      expect(result.privacy!.tables.map((t) => [t.table, t.model])).toEqual([['public.artist', 'mst'], ['public.album', 'mst']]);
      for (const [table, source] of [['album', 4497], ['artist', 1500]] as const) {
        const spend = result.privacy!.tables.find((t) => t.table === `public.${table}`)!;
        const counted = await env.target.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
        // The released (noisy) count is what gets generated and loaded: nothing downstream re-derives it.
        expect(Number(counted[0]!.n), `${table}, seed ${seed}`).toBe(spend.rowCount!.generated);
        expect(spend.rowCount!.generated).toBe(Math.max(1, spend.rowCount!.noisy));
        // The count's noise is well under 1 % here, so a 10 % miss would mean the count came from somewhere else.
        expect(spend.rowCount!.relativeError).toBeLessThan(0.01);
        expect(Math.abs(Number(counted[0]!.n) - source), `${table}, seed ${seed}`).toBeLessThanOrEqual(0.1 * source);
      }
      // The skew survives: some artists have no album, some several.
      const spread = await env.target.query<{ none: string; many: string }>(
        'SELECT count(*) FILTER (WHERE n = 0) AS none, count(*) FILTER (WHERE n >= 4) AS many FROM (SELECT a.id, count(b.id) n FROM artist a LEFT JOIN album b ON b.artist_id = a.id GROUP BY a.id) x',
      );
      expect(Number(spread[0]!.none)).toBeGreaterThan(0);
      expect(Number(spread[0]!.many)).toBeGreaterThan(0);
    }
  }, 300_000);
});

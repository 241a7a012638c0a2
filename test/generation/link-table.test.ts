/**
 * Link tables keep the child counts of their second parent: every territory keeps 0 or 1 employee as in the
 * source (independent weighted draws gave 0–4: Cardinality 0.68 on northwind), and two playlists that hold nearly
 * every track beside small ones still get each track its count, distinct within each playlist.
 */
import { describe, expect, it } from 'vitest';
import { dealDistinct } from '../../src/generation/fan-out.js';
import { linkSecondParents } from '../../src/generation/keys/link-table.js';
import { createRng } from '../../src/generation/rng.js';
import { hydrate } from '../../src/pipeline/index.js';
import { rulesConfig } from '../support/app-rules.js';
import { pgHydrationFixture } from '../support/databases.js';

// 9 employees with 2–10 territories over 53 territories (49 taken once, 4 never); 6 playlists, two of them holding
// 380 of the 400 tracks; every track in 1–5 playlists.
const FIXTURE = `
  SELECT setseed(0.41);
  CREATE TABLE employee (id int PRIMARY KEY, name text NOT NULL);
  INSERT INTO employee SELECT i, 'employee ' || i FROM generate_series(1, 9) i;
  CREATE TABLE territory (id int PRIMARY KEY, name text NOT NULL);
  INSERT INTO territory SELECT i, 'territory ' || i FROM generate_series(1, 53) i;
  CREATE TABLE employee_territory (employee_id int NOT NULL REFERENCES employee, territory_id int NOT NULL REFERENCES territory,
    PRIMARY KEY (employee_id, territory_id));
  INSERT INTO employee_territory SELECT 1 + (t % 9), t FROM generate_series(1, 49) t;
  CREATE TABLE track (id int PRIMARY KEY, seconds int NOT NULL);
  INSERT INTO track SELECT i, 60 + floor(random() * 300)::int FROM generate_series(1, 400) i;
  CREATE TABLE playlist (id int PRIMARY KEY, name text NOT NULL);
  INSERT INTO playlist SELECT i, 'playlist ' || i FROM generate_series(1, 6) i;
  CREATE TABLE playlist_track (playlist_id int NOT NULL REFERENCES playlist, track_id int NOT NULL REFERENCES track,
    PRIMARY KEY (playlist_id, track_id));
  INSERT INTO playlist_track SELECT 1, i FROM generate_series(1, 380) i UNION ALL SELECT 2, i FROM generate_series(21, 400) i
    UNION ALL SELECT 3, i FROM generate_series(1, 400, 5) i UNION ALL SELECT 4, i FROM generate_series(3, 400, 7) i
    UNION ALL SELECT 5, i FROM generate_series(1, 400, 11) i UNION ALL SELECT 6, i FROM generate_series(2, 40, 2) i;
  ANALYZE;
`;

const env = pgHydrationFixture('synth_link', FIXTURE);

const PER_TERRITORY = `SELECT n, count(*)::int AS parents FROM (SELECT t.id, count(et.territory_id)::int AS n FROM territory t
  LEFT JOIN employee_territory et ON et.territory_id = t.id GROUP BY t.id) x GROUP BY n ORDER BY n`;
const PER_TRACK = `SELECT n, count(*)::int AS parents FROM (SELECT t.id, count(pt.track_id)::int AS n FROM track t
  LEFT JOIN playlist_track pt ON pt.track_id = t.id GROUP BY t.id) x GROUP BY n ORDER BY n`;

describe('link tables', () => {
  it('dealDistinct finds an assignment whenever one exists (groups of very different sizes)', () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 40; trial++) {
      // A random bipartite graph: group g holds each parent with its own probability; its degrees are realizable.
      const groups = 2 + rng.int(12);
      const nb = 5 + rng.int(60);
      const first: number[] = [];
      const counts = new Uint32Array(nb);
      for (let g = 0; g < groups; g++) {
        const p = g < 2 ? 0.95 : 0.05 + rng.next() * 0.3;
        for (let b = 0; b < nb; b++) {
          if (rng.next() < p) {
            first.push(g);
            counts[b]!++;
          }
        }
      }
      const dealt = dealDistinct(Int32Array.from(first), counts, createRng(trial))!;
      expect(dealt).not.toBeNull();
      const per = new Uint32Array(nb);
      const seen = new Set<string>();
      dealt.forEach((b, i) => {
        per[b]!++;
        seen.add(`${first[i]}:${b}`);
      });
      expect([...per]).toEqual([...counts]);
      expect(seen.size).toBe(first.length);
    }
  });

  it('linkSecondParents gives every second parent a count of the histogram', () => {
    const first = Int32Array.from({ length: 49 }, (_, i) => i % 9).sort();
    const out = linkSecondParents(first, 53, 49, [{ children: 0, parents: 4 }, { children: 1, parents: 49 }], false, createRng(3));
    const per = new Map<number, number>();
    for (const b of out) per.set(b, (per.get(b) ?? 0) + 1);
    expect(per.size).toBe(49);
    expect([...per.values()].every((c) => c === 1)).toBe(true);
  });

  it('hydrates with the source histogram of each link table second parent', async () => {
    const config = rulesConfig(env, 'baseline', { referenceMaxRows: 0, epochs: 1, quality: false });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    expect(await env.target.query(PER_TERRITORY)).toEqual(await env.source.query(PER_TERRITORY));
    expect(await env.target.query(PER_TRACK)).toEqual(await env.source.query(PER_TRACK));
  }, 120_000);
});

/**
 * A learned child is never conditioned on its parents' personal columns: the parent generates them as fresh fakes
 * (names the sample never held), so at generation every row's context would be a token the network never saw with
 * that meaning. Employees' 30 first and last names did this to dept_emp, whose current-row share fell from 0.67 to
 * 0.48-0.60 depending on the seed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { openSource } from '../../../src/connectors/index.js';
import { introspectAndPlan, trainModels } from '../../../src/pipeline/index.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

// Few distinct names, so their metadata role is categorical: only the PII scan tells them apart from `team`.
const FIXTURE = `
  CREATE TABLE person (id integer PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, team text NOT NULL);
  CREATE TABLE issuer (id integer PRIMARY KEY, last_name text NOT NULL, region text NOT NULL);
  CREATE TABLE badge (
    id integer PRIMARY KEY,
    person_id integer NOT NULL REFERENCES person(id),
    issuer_id integer NOT NULL REFERENCES issuer(id),
    level text NOT NULL
  );
  INSERT INTO person SELECT i, (ARRAY['Mary','John','Anna','Peter','Linda','James','Susan','Robert'])[1 + i % 8],
      (ARRAY['Smith','Jones','Brown','Taylor','Wilson','Davies'])[1 + (i * 7) % 6], (ARRAY['red','green','blue'])[1 + i % 3]
    FROM generate_series(1, 300) i;
  INSERT INTO issuer SELECT i, (ARRAY['Smith','Jones','Brown','Taylor'])[1 + i % 4], (ARRAY['north','south'])[1 + i % 2]
    FROM generate_series(1, 40) i;
  INSERT INTO badge SELECT i, 1 + (i * 13) % 300, 1 + (i * 7) % 40, CASE WHEN (1 + (i * 13) % 300) % 3 = 0 THEN 'gold' ELSE 'silver' END
    FROM generate_series(1, 600) i;
`;

let source: TestDatabase;

beforeAll(async () => {
  source = await createPgDatabase('synth_pctx_src');
  await source.exec(FIXTURE);
});
afterAll(async () => {
  await source?.drop();
});

describe('learned context without personal columns (PostgreSQL)', () => {
  it("conditions badge on its person's team and its issuer's region, not on their names", async () => {
    const src = await openSource(source.url);
    try {
      const config = parseConfig({ source: { url: source.url }, targets: { t: { url: source.url } }, model: 'learned', training: { epochs: 1 } });
      const { schema, plan } = await introspectAndPlan(src, config);
      const models = await trainModels(src, schema, plan, config);
      const badge = models.tables.get('public.badge')!.model;
      expect(badge.kind).toBe('learned');
      const [person, issuer] = ['public.person', 'public.issuer'].map((t) => models.tables.get(t)!.model);
      // The parents fake their names (none is learned), which is what makes them useless as context.
      expect(person!.kind).toBe('learned');
      expect(person!.columns).toContain('team');
      // One parent is the primary (bare column names), the other comes in as `fk::column`: either way, by column.
      const names = badge.contextColumns.map((c) => c.split('::').at(-1)!);
      expect(names, badge.contextColumns.join(', ')).toEqual(expect.arrayContaining(['team', 'region']));
      for (const c of ['first_name', 'last_name']) expect(names, badge.contextColumns.join(', ')).not.toContain(c);
      expect(issuer).toBeDefined();
    } finally {
      await src.close();
    }
  }, 120_000);
});

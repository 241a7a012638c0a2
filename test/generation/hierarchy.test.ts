/**
 * Self-references keep how many children each parent has, not only the level sizes: chinook's 8 employees (a
 * manager of 2 who has managers of 3 and 2) came out as managers of 4 and 1 (Cardinality 0.875).
 */
import { describe, expect, it } from 'vitest';
import { hydrate } from '../../src/pipeline/index.js';
import { rulesConfig } from '../support/app-rules.js';
import { pgHydrationFixture } from '../support/databases.js';

// chinook's employee tree, and a 3-level org of 1 + 6 + 60 rows whose managers have 4–16 reports.
const FIXTURE = `
  CREATE TABLE employee (id int PRIMARY KEY, reports_to int REFERENCES employee, title text NOT NULL);
  INSERT INTO employee VALUES (1, NULL, 'General Manager'), (2, 1, 'Sales Manager'), (3, 2, 'Sales Support Agent'),
    (4, 2, 'Sales Support Agent'), (5, 2, 'Sales Support Agent'), (6, 1, 'IT Manager'), (7, 6, 'IT Staff'), (8, 6, 'IT Staff');
  CREATE TABLE org (id int PRIMARY KEY, boss int REFERENCES org, grade int NOT NULL);
  INSERT INTO org VALUES (1, NULL, 0);
  INSERT INTO org SELECT i, 1, 1 FROM generate_series(2, 7) i;
  INSERT INTO org SELECT 7 + i, 2 + CASE WHEN i <= 16 THEN 0 WHEN i <= 28 THEN 1 WHEN i <= 38 THEN 2 WHEN i <= 46 THEN 3 WHEN i <= 52 THEN 4 ELSE 5 END, 2
    FROM generate_series(1, 56) i;
  INSERT INTO org SELECT 64 + i, 2 + i, 2 FROM generate_series(1, 4) i;
`;

const env = pgHydrationFixture('synth_tree', FIXTURE);

const perParent = (table: string, fk: string) => `SELECT n, count(*)::int AS parents FROM (SELECT p.id, count(c.id)::int AS n FROM ${table} p
  LEFT JOIN ${table} c ON c.${fk} = p.id GROUP BY p.id) x GROUP BY n ORDER BY n`;

describe('self-references', () => {
  it('hydrates each tree with the source children-per-parent histogram', async () => {
    const result = await hydrate({ config: rulesConfig(env, 'baseline', { referenceMaxRows: 0, epochs: 1, quality: false }), target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    expect(await env.target.query(perParent('employee', 'reports_to'))).toEqual(await env.source.query(perParent('employee', 'reports_to')));
    expect(await env.target.query(perParent('org', 'boss'))).toEqual(await env.source.query(perParent('org', 'boss')));
  }, 120_000);
});

/**
 * Reference tables in an FK cycle (world: country.capital → city, city.countrycode → country) are copied
 * verbatim too: the cycle's deferred FK is written from the real rows. It used to follow the generated NULL share,
 * so a few countries lost their capital (world: 6 of 239).
 */
import { describe, expect, it } from 'vitest';
import { hydrate } from '../../src/pipeline/index.js';
import { rulesConfig } from '../support/app-rules.js';
import { pgHydrationFixture, type TestDatabase } from '../support/databases.js';

// 40 countries, 1 in 8 without a capital; 200 cities, one per country is its capital.
const FIXTURE = `
  CREATE TABLE country (code char(3) PRIMARY KEY, name text NOT NULL, population int NOT NULL, capital int);
  CREATE TABLE city (id int PRIMARY KEY, name text NOT NULL, countrycode char(3) NOT NULL REFERENCES country, population int NOT NULL);
  INSERT INTO country SELECT 'C' || lpad(i::text, 2, '0'), 'country ' || i, 1000 * i, NULL FROM generate_series(1, 40) i;
  INSERT INTO city SELECT i, 'city ' || i, 'C' || lpad((1 + i % 40)::text, 2, '0'), 10 * i FROM generate_series(1, 200) i;
  UPDATE country c SET capital = (SELECT min(id) FROM city WHERE countrycode = c.code) WHERE right(code, 2)::int % 8 <> 0;
  ALTER TABLE country ADD FOREIGN KEY (capital) REFERENCES city;
`;

const env = pgHydrationFixture('synth_refcyc', FIXTURE);

const rowsOf = async (db: TestDatabase, table: string): Promise<string[]> =>
  (await db.query<{ r: string }>(`SELECT t::text AS r FROM public."${table}" t ORDER BY 1`)).map((x) => x.r);

describe('reference tables in a cycle', () => {
  it('copies both tables of the cycle verbatim, the deferred FK included', async () => {
    const result = await hydrate({ config: rulesConfig(env, 'baseline', { referenceMaxRows: 1000, epochs: 1, quality: false }), target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    for (const t of ['country', 'city']) expect(await rowsOf(env.target, t), t).toEqual(await rowsOf(env.source, t));
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertIntoEveryTable } from '../../bench/insert-check.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';

const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

describe('the application-style INSERT check of bench parity', () => {
  let pgDb: TestDatabase;
  let myDb: TestDatabase;
  beforeAll(async () => {
    pgDb = await createPgDatabase('synth_inschk_pg');
    myDb = await createMysqlDatabase('synth_inschk_my');
    dbs.push(pgDb, myDb);
    // `late` holds keys written past its sequence (as a copy that forgot setval leaves it): its INSERT must fail.
    await pgDb.exec(`
      CREATE TABLE country (code char(3) PRIMARY KEY, name text NOT NULL);
      INSERT INTO country VALUES ('ABC', 'Abc'), ('DEF', 'Def');
      CREATE TABLE city (id serial PRIMARY KEY, country char(3) NOT NULL REFERENCES country, name varchar(20) NOT NULL, born date NOT NULL, note text);
      INSERT INTO city (country, name, born) VALUES ('ABC', 'x', '2000-01-01');
      CREATE TABLE region (id smallint PRIMARY KEY, kind text NOT NULL CHECK (kind IN ('north', 'south')));
      CREATE TABLE a_region_note (region_id smallint NOT NULL REFERENCES region, body text NOT NULL);
      CREATE TABLE late (id serial PRIMARY KEY, n integer NOT NULL);
      INSERT INTO late VALUES (1, 1), (2, 2);`);
    await myDb.exec(`
      CREATE TABLE country (code char(3) PRIMARY KEY, name varchar(40) NOT NULL);
      INSERT INTO country VALUES ('ABC', 'Abc');
      CREATE TABLE city (id int AUTO_INCREMENT PRIMARY KEY, country char(3) NOT NULL, kind enum('a','b') NOT NULL, FOREIGN KEY (country) REFERENCES country (code));
      INSERT INTO city (country, kind) VALUES ('ABC', 'b');
      CREATE TABLE tick (id int AUTO_INCREMENT PRIMARY KEY);`);
  }, 60_000);

  it('PostgreSQL: a table whose sequence is behind its keys is the one failure', async () => {
    const check = await insertIntoEveryTable(pgDb.url);
    expect(check.total).toBe(5);
    expect(check.inserted).toBe(4);
    expect(check.failures).toEqual([expect.stringMatching(/^late: duplicate key/)]);
    // The new city names a country (an existing one or the one inserted just before, parents first).
    const [city] = await pgDb.query<{ n: number; named: number }>(`SELECT count(*)::int AS n, count(country)::int AS named FROM city`);
    expect(city).toEqual({ n: 2, named: 2 });
    // An empty parent got its row first (a SMALLINT key, a value its CHECK allows), then its child.
    expect(await pgDb.query(`SELECT r.kind FROM region r JOIN a_region_note n ON n.region_id = r.id`)).toEqual([{ kind: 'north' }]);
    // A new country code that does not collide with the existing ones.
    expect(await pgDb.query(`SELECT count(*)::int AS n FROM country`)).toEqual([{ n: 3 }]);
  });

  it('MySQL: every table takes a row, a key-only table included', async () => {
    const check = await insertIntoEveryTable(myDb.url);
    expect(check).toEqual({ inserted: 3, total: 3, failures: [] });
    expect(await myDb.query(`SELECT count(*) AS n FROM tick`)).toEqual([{ n: 1 }]);
  });
});

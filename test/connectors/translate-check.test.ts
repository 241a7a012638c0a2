import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMysqlSource } from '../../src/connectors/mysql/index.js';
import { openPostgresSource } from '../../src/connectors/postgres/index.js';
import { translateCheck } from '../../src/connectors/translate-check.js';
import { parsePostgresExpression } from '../../src/connectors/postgres/postgres-expression.js';
import { parseMysqlExpression } from '../../src/connectors/mysql/mysql-expression.js';
import type { Column, NeutralType, Table } from '../../src/schema/model.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';

const col = (name: string, type: NeutralType, generated = false): Column => ({
  name, type, nativeType: type.kind, nullable: true, default: null, autoIncrement: null,
  generated: generated ? { expression: 'x', stored: true } : null, domain: null, collation: null, comment: null,
});
const table: Table = {
  schema: 'public', name: 't', primaryKey: null, uniques: [], foreignKeys: [], checks: [], indexes: [], partitioning: null, comment: null, estimatedRows: 0,
  columns: [
    col('price', { kind: 'decimal', precision: 10, scale: 2 }),
    col('name', { kind: 'text', maxLength: 20, fixedLength: false }),
    col('d', { kind: 'date' }),
    col('flag', { kind: 'boolean' }),
    col('ts', { kind: 'timestamp', withTimeZone: true }),
    col('n', { kind: 'integer', bytes: 4, unsigned: false }),
    col('tags', { kind: 'array', element: { kind: 'text', maxLength: null, fixedLength: false }, dimensions: 1 }),
    col('st', { kind: 'enum', values: ['a', 'b'], name: null }),
    col('j', { kind: 'json', binary: true }),
    col('total', { kind: 'decimal', precision: 10, scale: 2 }, true),
  ],
};
const toMysql = (expression: string) => translateCheck('postgres', 'mysql', table, { expression });
const toPg = (expression: string) => translateCheck('mysql', 'postgres', table, { expression });

describe('CHECK translation PostgreSQL → MySQL (pg_get_constraintdef forms)', () => {
  it('folds casts of literals, turns ANY (ARRAY[…]) into IN and ~~ into LIKE', () => {
    expect(toMysql('(price >= (0)::numeric)')).toEqual({ ok: true, sql: '(`price` >= 0)' });
    expect(toMysql("((name)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))")).toEqual({ ok: true, sql: "(`name` IN ('a', 'b'))" });
    expect(toMysql("((name ~~ 'x%'::text) AND (name !~~ '%z'::text))")).toEqual({ ok: true, sql: "((`name` LIKE 'x%') AND (`name` NOT LIKE '%z'))" });
    expect(toMysql('(n <> ALL (ARRAY[3, 4]))')).toEqual({ ok: true, sql: '(`n` NOT IN (3, 4))' });
    expect(toMysql("(st = 'a'::public.mood)")).toEqual({ ok: true, sql: "(`st` = 'a')" });
  });

  it('keeps arithmetic, NOT, IS NULL, functions and boolean columns', () => {
    expect(toMysql('((((n % 2) = 0) AND ((- n) < 5) AND (n IS NOT NULL)))')).toEqual({ ok: true, sql: '(((`n` % 2) = 0) AND ((- `n`) < 5) AND (`n` IS NOT NULL))' });
    expect(toMysql('((char_length(name) >= 1) AND (length(name) <= 5))')).toEqual({ ok: true, sql: '((CHAR_LENGTH(`name`) >= 1) AND (CHAR_LENGTH(`name`) <= 5))' });
    expect(toMysql('(flag OR (NOT flag) OR (flag = true))')).toEqual({ ok: true, sql: '(`flag` OR (NOT `flag`) OR (`flag` = TRUE))' });
    expect(toMysql("(price <> '-1.5'::numeric)")).toEqual({ ok: true, sql: '(`price` <> -1.5)' });
  });

  it('turns timestamptz literals into the UTC DATETIME text the connector stores, and escapes strings for MySQL', () => {
    expect(toMysql("(ts > '2000-01-01 02:00:00+02'::timestamp with time zone)")).toEqual({ ok: true, sql: "(`ts` > '2000-01-01 00:00:00')" });
    expect(toMysql("((d >= '2000-01-01'::date) AND (name <> 'it''s a\\b'::text))")).toEqual({ ok: true, sql: "((`d` >= '2000-01-01') AND (`name` <> 'it''s a\\\\b'))" });
  });

  it('refuses what it cannot translate with a reason, never throwing', () => {
    expect(toMysql('(cardinality(tags) <= 5)')).toEqual({ ok: false, reason: 'function cardinality() has no translation' });
    expect(toMysql("(tags IS NOT NULL)")).toMatchObject({ ok: false, reason: expect.stringContaining('column tags (array)') });
    expect(toMysql('(total > (0)::numeric)')).toMatchObject({ ok: false, reason: expect.stringContaining('generated') });
    expect(toMysql('(nosuch > 0)')).toMatchObject({ ok: false, reason: expect.stringContaining('nosuch') });
    expect(toMysql("(name ~ '^[a-z]+$'::text)")).toMatchObject({ ok: false });
    expect(toMysql('(price > ')).toMatchObject({ ok: false });
  });
});

describe('CHECK translation MySQL → PostgreSQL (CHECK_CLAUSE forms)', () => {
  it('renders MariaDB clauses as PostgreSQL with MySQL semantics kept', () => {
    expect(toPg("`price` between 0 and 1000 and `st` in ('a','b')")).toEqual({ ok: true, sql: `(("price" BETWEEN 0 AND 1000) AND ("st" IN ('a', 'b')))` });
    // LIKE is case-insensitive in MySQL's default collation; LENGTH counts bytes.
    expect(toPg("`name` like 'N%' and octet_length(`name`) < 30")).toEqual({ ok: true, sql: `(("name" ILIKE 'N%') AND (octet_length("name") < 30))` });
    // TINYINT(1) booleans compared with 0/1 become boolean literals; other numbers compare with the 0/1 value.
    expect(toPg('`flag` in (0,1) and `flag` = 1 and `flag` <> 2')).toEqual({ ok: true, sql: `(("flag" IN (false, true)) AND ("flag" = true) AND (("flag")::int <> 2))` });
    expect(toPg("`name` <> 'it\\'s'")).toEqual({ ok: true, sql: `("name" <> 'it''s')` });
    expect(toPg('`n` / 3 > 1 and `n` mod 2 = 0')).toEqual({ ok: true, sql: `(((("n")::numeric / 3) > 1) AND (("n" % 2) = 0))` });
    expect(toPg('json_valid(`j`)')).toEqual({ ok: true, sql: 'true' });
  });

  it('renders IS [NOT] TRUE/FALSE, <=> and COALESCE', () => {
    expect(toPg("coalesce(`n`,0) >= 0 and `flag` is not true or `name` <=> 'x'")).toEqual({
      ok: true, sql: `(((coalesce("n", 0) >= 0) AND ("flag" IS NOT TRUE)) OR ("name" IS NOT DISTINCT FROM 'x'))`,
    });
    expect(toMysql("(NOT (name IS DISTINCT FROM 'x'::text))")).toEqual({ ok: true, sql: "(NOT (NOT (`name` <=> 'x')))" });
    expect(toMysql("((name)::text IS NOT DISTINCT FROM 'x'::text)")).toEqual({ ok: true, sql: "(`name` <=> 'x')" });
    expect(toMysql("((ts)::timestamp with time zone IS NOT NULL)")).toEqual({ ok: true, sql: '(`ts` IS NOT NULL)' });
    expect(toMysql('((n IS NOT NULL) AND (flag IS FALSE))')).toEqual({ ok: true, sql: '((`n` IS NOT NULL) AND (`flag` IS FALSE))' });
    expect(toPg('`n` is true')).toEqual({ ok: true, sql: '(("n" <> 0) IS TRUE)' });
  });

  it('refuses unknown functions', () => {
    expect(toPg("find_in_set('gps', `name`) = 0")).toEqual({ ok: false, reason: 'function find_in_set() has no translation' });
  });

  it('parses to the same neutral form from both dialects', () => {
    expect(parsePostgresExpression("((n >= 1) AND (name ~~ 'a%'))")).toEqual(parseMysqlExpression("`n` >= 1 and `name` like 'a%'"));
  });
});

/**
 * The translated SQL must mean the same on the other server: each probe row is accepted or refused by the
 * source's CHECK exactly when the translated CHECK accepts or refuses it.
 */
describe('translated CHECKs agree with the source on the real servers', () => {
  let pgDb: TestDatabase;
  let myDb: TestDatabase;
  beforeAll(async () => {
    pgDb = await createPgDatabase('synth_xck');
    myDb = await createMysqlDatabase('synth_xck');
  });
  afterAll(async () => {
    await pgDb?.drop();
    await myDb?.drop();
  });

  const PROBES: Array<[number, string, string, number, boolean]> = [
    [1, 'Store a', '2001-01-01', 5, true],
    [2, 'store b', '1999-01-01', 5, true],
    [3, 'Sx', '2005-06-01', 0, false],
    [4, 'Store long name here', '2020-01-01', 7, false],
    [5, 'Store c', '2030-01-01', 3, true],
    [6, "it's", '2010-01-01', -2, true],
  ];

  it('PostgreSQL CHECKs translated to MariaDB accept and refuse the same rows', async () => {
    await pgDb.exec(`CREATE TABLE p (id int PRIMARY KEY, name varchar(30), d date, n int, flag boolean,
      CONSTRAINT c_name CHECK (name LIKE 'Store %' OR char_length(name) BETWEEN 3 AND 5),
      CONSTRAINT c_d CHECK (d >= '2000-01-01' AND d < DATE '2025-01-01'),
      CONSTRAINT c_n CHECK (n IN (3, 5, 7) OR (n < 0 AND flag)),
      CONSTRAINT c_mix CHECK (n * 2 + 1 <= 15 AND NOT (name = 'Sx')),
      CONSTRAINT c_null CHECK (COALESCE(n, 0) >= -1 AND flag IS NOT FALSE OR name IS NOT DISTINCT FROM 'it''s'))`);
    const src = await openPostgresSource(pgDb.url);
    const schema = await src.introspect();
    await src.close();
    const tbl = schema.tables[0]!;
    const translated = tbl.checks.map((c) => ({ c, r: translateCheck('postgres', 'mysql', tbl, c) }));
    expect(translated.every((x) => x.r.ok)).toBe(true);
    await myDb.exec(`CREATE TABLE p (id int PRIMARY KEY, name varchar(30), d date, n int, flag tinyint(1)
      ${translated.map((x) => `, CONSTRAINT \`${x.c.name}\` CHECK (${x.r.ok ? x.r.sql : ''})`).join('')})`);
    for (const [id, name, d, n, flag] of PROBES) {
      const values = [id, name, d, n, flag];
      const pgOk = await pgDb.query('INSERT INTO p VALUES ($1, $2, $3, $4, $5)', values).then(() => true, () => false);
      const myOk = await myDb.query('INSERT INTO p VALUES (?, ?, ?, ?, ?)', values).then(() => true, () => false);
      expect(myOk, `row ${id}`).toBe(pgOk);
    }
    expect((await pgDb.query('SELECT id FROM p')).length).toBeGreaterThan(0);
    expect((await pgDb.query('SELECT id FROM p')).length).toBeLessThan(PROBES.length);
  });

  it('MariaDB CHECKs translated to PostgreSQL accept and refuse the same rows', async () => {
    await myDb.exec(`CREATE TABLE m (id int PRIMARY KEY, name varchar(30), d date, n int, flag tinyint(1),
      CONSTRAINT c_name CHECK (name LIKE 'store %' OR char_length(name) BETWEEN 3 AND 5),
      CONSTRAINT c_d CHECK (d >= '2000-01-01' AND d < '2025-01-01'),
      CONSTRAINT c_n CHECK (n IN (3, 5, 7) OR (n < 0 AND flag = 1)),
      CONSTRAINT c_mix CHECK (n * 2 + 1 <= 15 AND NOT (name = 'Sx')),
      CONSTRAINT c_null CHECK (IFNULL(n, 0) >= -1 AND flag IS NOT FALSE OR name <=> 'it\\'s'))`);
    const src = await openMysqlSource(myDb.url);
    const schema = await src.introspect();
    await src.close();
    const tbl = schema.tables.find((t) => t.name === 'm')!;
    const translated = tbl.checks.map((c) => ({ c, r: translateCheck('mysql', 'postgres', tbl, c) }));
    expect(translated.every((x) => x.r.ok)).toBe(true);
    await pgDb.exec(`CREATE TABLE m (id int PRIMARY KEY, name varchar(30), d date, n int, flag boolean
      ${translated.map((x) => `, CONSTRAINT "${x.c.name}" CHECK (${x.r.ok ? x.r.sql : ''})`).join('')})`);
    for (const [id, name, d, n, flag] of PROBES) {
      const myOk = await myDb.query('INSERT INTO m VALUES (?, ?, ?, ?, ?)', [id, name, d, n, flag]).then(() => true, () => false);
      const pgOk = await pgDb.query('INSERT INTO m VALUES ($1, $2, $3, $4, $5)', [id, name, d, n, flag]).then(() => true, () => false);
      expect(pgOk, `row ${id}`).toBe(myOk);
    }
    expect((await myDb.query('SELECT id FROM m')).length).toBeGreaterThan(0);
    expect((await myDb.query('SELECT id FROM m')).length).toBeLessThan(PROBES.length);
  });
});

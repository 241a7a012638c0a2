import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openTarget } from '../../src/connectors/index.js';
import { formatIntegrityReport, hydrate, type HydrateResult } from '../../src/pipeline/index.js';
import { createMysqlDatabase, createPgDatabase, MYSQL_SERVER, type TestDatabase } from '../support/databases.js';

/**
 * PostgreSQL → MariaDB and MariaDB → PostgreSQL through `hydrate()`, on the real servers. Each direction uses a
 * source with the types that need mapping, key shapes that need care (composite FK, nullable FK cycle,
 * self-reference, AUTO_INCREMENT/serial) and CHECKs that must be translated, created, counted and repaired.
 */

const PG_SOURCE = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE TABLE account (
    account_id serial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    profile jsonb,
    tags text[] NOT NULL,
    mood mood,
    avatar bytea,
    created timestamptz NOT NULL,
    active boolean NOT NULL,
    token uuid NOT NULL,
    balance numeric(10,2) NOT NULL CHECK (balance >= 0),
    referrer_id integer REFERENCES account (account_id),
    CONSTRAINT account_created_check CHECK (created >= '2000-01-01 00:00:00+00'),
    CONSTRAINT account_active_check CHECK (active OR balance = 0),
    CONSTRAINT account_mood_check CHECK (mood IN ('ok', 'happy') OR mood IS NULL),
    CONSTRAINT account_tags_check CHECK (cardinality(tags) <= 5)
  );
  CREATE TABLE region (
    country char(2) NOT NULL,
    code varchar(10) NOT NULL,
    name text NOT NULL CHECK (char_length(name) BETWEEN 3 AND 40),
    PRIMARY KEY (country, code)
  );
  CREATE TABLE store (
    store_id integer PRIMARY KEY,
    country char(2) NOT NULL,
    code varchar(10) NOT NULL,
    manager_id integer,
    name text NOT NULL CHECK (name LIKE 'Store %'),
    opened date NOT NULL CHECK (opened >= DATE '2010-01-01'),
    FOREIGN KEY (country, code) REFERENCES region (country, code)
  );
  CREATE TABLE employee (
    employee_id integer PRIMARY KEY,
    store_id integer NOT NULL REFERENCES store,
    name text NOT NULL,
    salary numeric(10,2) NOT NULL CHECK (salary BETWEEN 1000 AND 90000),
    grade smallint NOT NULL CONSTRAINT employee_grade_check CHECK (grade IN (1, 2, 3) AND grade * 1000 <= salary)
  );
  ALTER TABLE store ADD CONSTRAINT store_manager_fk FOREIGN KEY (manager_id) REFERENCES employee (employee_id);

  INSERT INTO account (email, profile, tags, mood, avatar, created, active, token, balance, referrer_id)
  SELECT 'user' || i || '@example.com',
         CASE WHEN i % 3 = 0 THEN NULL ELSE jsonb_build_object('plan', (ARRAY['free','pro','team'])[1 + i % 3], 'seats', i % 7) END,
         CASE i % 3 WHEN 0 THEN ARRAY['a'] WHEN 1 THEN ARRAY['a', 'b'] ELSE ARRAY[]::text[] END,
         CASE WHEN i % 5 = 0 THEN NULL WHEN i % 2 = 0 THEN 'ok'::mood ELSE 'happy'::mood END,
         CASE WHEN i % 4 = 0 THEN decode(md5(i::text), 'hex') ELSE NULL END,
         timestamptz '2015-01-01 00:00:00+00' + (i * interval '9 days 3 hours'),
         i % 4 <> 0,
         md5(i::text)::uuid,
         CASE WHEN i % 4 = 0 THEN 0 ELSE round((i * 37 % 5000)::numeric / 3, 2) END,
         CASE WHEN i > 10 AND i % 3 = 0 THEN i / 3 ELSE NULL END
    FROM generate_series(1, 240) i;
  INSERT INTO region SELECT (ARRAY['US','DE','FR'])[1 + i % 3], 'R' || i, 'Region number ' || i FROM generate_series(1, 9) i;
  INSERT INTO store SELECT i, r.country, r.code, NULL, 'Store ' || (ARRAY['North', 'South', 'East', 'West'])[1 + i % 4], date '2012-01-01' + i * 40
    FROM generate_series(1, 30) i JOIN (SELECT country, code, row_number() OVER (ORDER BY code) AS rn FROM region) r ON r.rn = 1 + i % 9;
  INSERT INTO employee SELECT i, 1 + i % 30, 'Employee ' || i, 3000 + (i * 131) % 50000, 1 + i % 3 FROM generate_series(1, 150) i;
  UPDATE store SET manager_id = store_id WHERE store_id % 2 = 0;
`;

const PG_TABLES = ['account', 'region', 'store', 'employee'];

const MYSQL_SOURCE = `
  CREATE TABLE category (
    category_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(40) NOT NULL,
    parent_id INT UNSIGNED NULL,
    CONSTRAINT category_parent FOREIGN KEY (parent_id) REFERENCES category (category_id),
    CONSTRAINT category_name CHECK (char_length(name) >= 3)
  ) ENGINE=InnoDB;
  CREATE TABLE product (
    product_id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    category_id INT UNSIGNED NOT NULL,
    name VARCHAR(60) NOT NULL,
    size ENUM('S','M','L') NOT NULL,
    features SET('wifi','gps','nfc'),
    attrs JSON,
    released YEAR,
    in_stock TINYINT(1) NOT NULL,
    stock SMALLINT UNSIGNED NOT NULL,
    weight_g MEDIUMINT UNSIGNED,
    price DECIMAL(10,2) NOT NULL,
    image BLOB,
    added DATETIME NOT NULL,
    updated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    price_with_tax DECIMAL(12,2) AS (price * 1.2) STORED,
    CONSTRAINT product_category FOREIGN KEY (category_id) REFERENCES category (category_id),
    CONSTRAINT product_price CHECK (price > 0 AND price < 10000),
    CONSTRAINT product_stock CHECK (in_stock = 1 OR stock = 0),
    CONSTRAINT product_released CHECK (released BETWEEN 1990 AND 2030),
    CONSTRAINT product_size CHECK (size IN ('S','M') OR price >= 10),
    CONSTRAINT product_added CHECK (added >= '2000-01-01' AND name LIKE 'P%'),
    CONSTRAINT product_gps CHECK (find_in_set('gps', features) = 0 OR in_stock = 1)
  ) ENGINE=InnoDB;
  INSERT INTO category (name, parent_id) SELECT CONCAT('Category ', seq), NULL FROM seq_1_to_12;
  UPDATE category SET parent_id = 1 + (category_id % 3) WHERE category_id > 3;
  INSERT INTO product (category_id, name, size, features, attrs, released, in_stock, stock, weight_g, price, image, added, updated)
  SELECT 1 + seq % 12, CONCAT('Product ', seq), ELT(1 + seq % 3, 'S', 'M', 'L'),
         IF(seq % 4 = 0, NULL, ELT(1 + seq % 3, 'wifi', IF(seq % 5 = 0, 'wifi', 'wifi,gps'), 'nfc')),
         IF(seq % 3 = 0, NULL, JSON_OBJECT('color', ELT(1 + seq % 3, 'red', 'green', 'blue'), 'n', seq % 5)),
         1995 + seq % 30, IF(seq % 5 = 0, 0, 1), IF(seq % 5 = 0, 0, seq % 300), IF(seq % 6 = 0, NULL, 100 + seq * 3),
         IF(seq % 3 = 2, 10 + seq % 900, 1 + seq % 900) + 0.99, IF(seq % 4 = 0, UNHEX(MD5(seq)), NULL),
         '2012-01-01 08:00:00' + INTERVAL seq * 13 HOUR, '2020-06-01 00:00:00' + INTERVAL seq MINUTE
    FROM seq_1_to_260;
`;

const MYSQL_TABLES = ['category', 'product'];

async function pgChecksums(db: TestDatabase): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of PG_TABLES) {
    const [row] = await db.query<{ sum: string }>(`SELECT md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))) AS sum FROM "${t}" x`);
    out[t] = row!.sum;
  }
  return out;
}

async function mysqlChecksums(db: TestDatabase): Promise<Record<string, string>> {
  const rows = await db.query<{ Table: string; Checksum: string | number }>(`CHECKSUM TABLE ${MYSQL_TABLES.map((t) => `\`${db.name}\`.\`${t}\``).join(', ')}`);
  return Object.fromEntries(rows.map((r) => [r.Table, String(r.Checksum)]));
}

/** Databases the MySQL target created next to `db` (shadows, the backup). */
async function dropMysqlCompanions(db: TestDatabase): Promise<void> {
  const admin = await mysql.createConnection({ uri: MYSQL_SERVER });
  try {
    const [rows] = await admin.query(`SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`, [`${db.name}\\_\\_synth%`]);
    for (const r of rows as Array<{ s: string }>) await admin.query(`DROP DATABASE IF EXISTS \`${r.s}\``);
  } finally {
    await admin.end();
  }
}

function checkCounts(result: HydrateResult): { skipped: string[] } {
  return { skipped: result.integrity.tables.flatMap((t) => t.skipped) };
}

describe('hydrate PostgreSQL → MariaDB', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  beforeAll(async () => {
    source = await createPgDatabase('synth_xsrc');
    target = await createMysqlDatabase('synth_xdst');
    await source.exec(PG_SOURCE);
  });
  afterAll(async () => {
    await source?.drop();
    if (target) await dropMysqlCompanions(target);
    await target?.drop();
  });

  it('hydrates with zero violations, translated CHECKs, keys and AUTO_INCREMENT, and leaves the source unchanged', async () => {
    const before = await pgChecksums(source);
    // The baseline model's independent draws break translated CHECKs, so the repair path in the target dialect runs.
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, model: 'baseline' });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status, formatIntegrityReport(result.integrity)).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    // Generated rows that broke a translated CHECK were resampled in the target dialect before validation.
    expect(Object.values(result.integrity.resampled ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    for (const t of PG_TABLES) {
      const [src] = await source.query<{ n: string }>(`SELECT count(*) AS n FROM "${t}"`);
      const [dst] = await target.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${t}\``);
      expect(Number(dst!.n), t).toBe(Number(src!.n));
    }

    // Foreign keys exist live (composite, self-reference, both edges of the cycle) and hold.
    const fks = await target.query<{ CONSTRAINT_NAME: string; TABLE_NAME: string; REFERENCED_TABLE_NAME: string }>(
      `SELECT CONSTRAINT_NAME, TABLE_NAME, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY TABLE_NAME, REFERENCED_TABLE_NAME`,
      [target.name],
    );
    expect(fks.map((f) => `${f.TABLE_NAME}->${f.REFERENCED_TABLE_NAME}`)).toEqual(['account->account', 'employee->store', 'store->employee', 'store->region']);
    const [orphans] = await target.query<{ n: number }>(
      `SELECT (SELECT COUNT(*) FROM store s LEFT JOIN region r ON r.country = s.country AND r.code = s.code WHERE r.code IS NULL)
            + (SELECT COUNT(*) FROM store s LEFT JOIN employee e ON e.employee_id = s.manager_id WHERE s.manager_id IS NOT NULL AND e.employee_id IS NULL)
            + (SELECT COUNT(*) FROM account a LEFT JOIN account p ON p.account_id = a.referrer_id WHERE a.referrer_id IS NOT NULL AND p.account_id IS NULL) AS n`,
    );
    expect(Number(orphans!.n)).toBe(0);
    const [managed] = await target.query<{ n: number }>(`SELECT COUNT(*) AS n FROM store WHERE manager_id IS NOT NULL`);
    expect(Number(managed!.n)).toBeGreaterThan(0);

    // Translatable CHECKs are live MariaDB constraints; the array one is a lossy note and reported skipped.
    const checks = await target.query<{ CONSTRAINT_NAME: string; CHECK_CLAUSE: string }>(
      `SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY CONSTRAINT_NAME`,
      [target.name],
    );
    const names = checks.map((c) => c.CONSTRAINT_NAME);
    for (const n of ['account_active_check', 'account_balance_check', 'account_created_check', 'account_mood_check', 'region_name_check', 'store_name_check', 'store_opened_check', 'employee_salary_check', 'employee_grade_check']) {
      expect(names, n).toContain(n);
    }
    expect(names).not.toContain('account_tags_check');
    expect(result.mappingNotes).toContainEqual(expect.objectContaining({ table: 'public.account', severity: 'lossy', note: expect.stringContaining('CHECK account_tags_check is not copied to mysql') }));
    expect(checkCounts(result).skipped.some((s) => s.includes('account_tags_check'))).toBe(true);
    expect(checkCounts(result).skipped.some((s) => s.includes('salary'))).toBe(false);
    // The database agrees: violating rows are refused.
    await expect(target.exec(`UPDATE employee SET salary = 95000 WHERE employee_id = (SELECT m FROM (SELECT MIN(employee_id) AS m FROM employee) x)`)).rejects.toThrow(/employee_salary_check/);
    await expect(target.exec(`UPDATE store SET name = 'Shop' LIMIT 1`)).rejects.toThrow(/store_name_check/);

    // AUTO_INCREMENT continues after the generated keys.
    const [{ m: maxId }] = (await target.query<{ m: number }>(`SELECT MAX(account_id) AS m FROM account`)) as [{ m: number }];
    await target.exec(`INSERT INTO account (email, tags, created, active, token, balance) VALUES ('new@example.com', '[]', '2024-01-01', 1, '00000000-0000-0000-0000-000000000000', 1)`);
    const [{ id }] = (await target.query<{ id: number }>(`SELECT account_id AS id FROM account WHERE email = 'new@example.com'`)) as [{ id: number }];
    expect(Number(id)).toBeGreaterThan(Number(maxId));

    expect(await pgChecksums(source)).toEqual(before);
  });

  it('rolls back to the previous data, and a second rollback goes forward again', async () => {
    await target.exec(`UPDATE account SET email = 'marker@example.com' WHERE account_id = (SELECT m FROM (SELECT MIN(account_id) AS m FROM account) x)`);
    const before = await pgChecksums(source);
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false } });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    const marker = async () => (await target.query(`SELECT 1 FROM account WHERE email = 'marker@example.com'`)).length;
    expect(await marker()).toBe(0);
    const t = await openTarget(target.url);
    try {
      await t.rollback();
      expect(await marker()).toBe(1);
      await t.rollback();
      expect(await marker()).toBe(0);
      await t.rollback();
      expect(await marker()).toBe(1);
      // The restored tables keep their keys and CHECKs.
      const [fk] = await target.query<{ n: number }>(`SELECT COUNT(*) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`, [target.name]);
      expect(Number(fk!.n)).toBe(4);
      await expect(target.exec(`UPDATE employee SET salary = 95000 LIMIT 1`)).rejects.toThrow(/employee_salary_check/);
    } finally {
      await t.close();
    }
    expect(await pgChecksums(source)).toEqual(before);
  });
});

describe('hydrate MariaDB → PostgreSQL', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  beforeAll(async () => {
    source = await createMysqlDatabase('synth_xsrc');
    target = await createPgDatabase('synth_xdst');
    await source.exec(MYSQL_SOURCE);
  });
  afterAll(async () => {
    if (source) await dropMysqlCompanions(source);
    await source?.drop();
    await target?.drop();
  });

  it('hydrates with zero violations, translated CHECKs, keys and identity, and leaves the source unchanged', async () => {
    const before = await mysqlChecksums(source);
    // The baseline model's independent draws break translated CHECKs, so the repair path in the target dialect runs.
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, model: 'baseline' });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status, formatIntegrityReport(result.integrity)).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    // Generated rows that broke a translated CHECK were resampled in the target dialect before validation.
    expect(Object.values(result.integrity.resampled ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    for (const t of MYSQL_TABLES) {
      const [src] = await source.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${t}\``);
      const [dst] = await target.query<{ n: string }>(`SELECT count(*) AS n FROM public."${t}"`);
      expect(Number(dst!.n), t).toBe(Number(src!.n));
    }

    const fks = await target.query<{ rel: string; ref: string }>(
      `SELECT conrelid::regclass::text AS rel, confrelid::regclass::text AS ref FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'public' AND contype = 'f' ORDER BY 1, 2`,
    );
    expect(fks).toEqual([{ rel: 'category', ref: 'category' }, { rel: 'product', ref: 'category' }]);

    // Types landed as documented in docs/type-mapping.md.
    const types = Object.fromEntries(
      (await target.query<{ column_name: string; t: string }>(
        `SELECT a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a WHERE a.attrelid = 'public.product'::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
      )).map((r) => [r.column_name, r.t]),
    );
    expect(types).toMatchObject({ in_stock: 'boolean', features: 'text[]', released: 'smallint', stock: 'integer', weight_g: 'bigint', price: 'numeric(10,2)', image: 'bytea', added: 'timestamp without time zone', updated: 'timestamp with time zone' });
    expect(['json', 'jsonb']).toContain(types['attrs']);

    // Translated CHECKs are live PostgreSQL constraints and hold; find_in_set() is not translatable.
    const checks = (await target.query<{ conname: string }>(
      `SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND contype = 'c' ORDER BY 1`,
    )).map((r) => r.conname);
    expect(checks).toEqual(expect.arrayContaining(['category_name', 'product_added', 'product_price', 'product_released', 'product_size', 'product_stock']));
    expect(checks).not.toContain('product_gps');
    expect(result.mappingNotes).toContainEqual(expect.objectContaining({ table: `${source.name}.product`, severity: 'lossy', note: expect.stringContaining('CHECK product_gps is not copied to postgres') }));
    expect(checkCounts(result).skipped.some((s) => s.includes('product_gps'))).toBe(true);
    const [bad] = await target.query<{ n: string }>(`SELECT count(*) AS n FROM product WHERE NOT (in_stock OR stock = 0) OR NOT (price > 0 AND price < 10000) OR NOT (released BETWEEN 1990 AND 2030)`);
    expect(Number(bad!.n)).toBe(0);
    await expect(target.exec(`UPDATE product SET price = -1 WHERE product_id = (SELECT min(product_id) FROM product)`)).rejects.toThrow(/product_price/);

    // The identity continues after the generated keys.
    const [max] = await target.query<{ m: string }>(`SELECT max(category_id) AS m FROM category`);
    const [ins] = await target.query<{ id: string }>(`INSERT INTO category (name) VALUES ('Brand new') RETURNING category_id AS id`);
    expect(Number(ins!.id)).toBeGreaterThan(Number(max!.m));

    expect(await mysqlChecksums(source)).toEqual(before);
  });

  it('rolls back to the previous data and forward again', async () => {
    await target.exec(`UPDATE public.category SET name = 'marker' WHERE category_id = (SELECT min(category_id) FROM public.category)`);
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false } });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    const marker = async () => (await target.query(`SELECT 1 FROM public.category WHERE name = 'marker'`)).length;
    expect(await marker()).toBe(0);
    const t = await openTarget(target.url);
    try {
      await t.rollback();
      expect(await marker()).toBe(1);
      await t.rollback();
      expect(await marker()).toBe(0);
    } finally {
      await t.close();
    }
  });
});

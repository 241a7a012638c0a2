import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../src/connectors/index.js';
import type { DatabaseSchema } from '../../src/schema/model.js';
import { compareSchemas, formatDifferences, formatParity } from '../../src/validation/schema-parity.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { createParityFixture } from '../support/torture-mysql-parity.js';

async function introspect(url: string, schemas?: string[]): Promise<DatabaseSchema> {
  const s = await openSource(url);
  try {
    return await s.introspect(schemas ? { schemas } : {});
  } finally {
    await s.close();
  }
}

const PG_DDL = (schema: string) => `
  CREATE SCHEMA IF NOT EXISTS "${schema}";
  SET search_path = "${schema}";
  CREATE TABLE item (
    id serial PRIMARY KEY,
    sku text NOT NULL UNIQUE,
    qty integer NOT NULL DEFAULT 1 CHECK (qty > 0),
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE ord (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id integer NOT NULL REFERENCES item (id) ON DELETE CASCADE,
    amount numeric(10,2)
  );
  CREATE INDEX ord_item_idx ON ord (item_id);
  CREATE VIEW item_orders AS SELECT i.id, count(o.id) AS n FROM item i LEFT JOIN ord o ON o.item_id = i.id GROUP BY i.id;
  RESET search_path;`;

describe('schema parity on real PostgreSQL schemas', () => {
  let a: TestDatabase;
  let b: TestDatabase;
  beforeAll(async () => {
    a = await createPgDatabase('synth_par_pga');
    b = await createPgDatabase('synth_par_pgb');
    await a.exec(PG_DDL('public'));
    // The copy lives in a shadow-like schema: its name must be mapped back to the source's everywhere.
    await b.exec(PG_DDL('synth_shadow_x1'));
  }, 60_000);
  afterAll(async () => {
    await a?.drop();
    await b?.drop();
  });

  const compare = async () =>
    compareSchemas(await introspect(a.url, ['public']), await introspect(b.url, ['synth_shadow_x1']), { namespaces: [{ source: 'public', shadow: 'synth_shadow_x1' }] });

  it('an identical schema in another namespace is 100 %', async () => {
    const parity = await compare();
    expect(formatDifferences(parity)).toBe('');
    expect(parity.matched).toBe(parity.total);
    expect(parity.total).toBeGreaterThan(12);
    expect(formatParity(parity)).toBe(`schema parity ${parity.total}/${parity.total}`);
  });

  it('lists an altered default, a dropped index and a changed view', async () => {
    await b.exec(`ALTER TABLE synth_shadow_x1.item ALTER qty SET DEFAULT 5;
      DROP INDEX synth_shadow_x1.ord_item_idx;
      CREATE OR REPLACE VIEW synth_shadow_x1.item_orders AS SELECT i.id, count(*) AS n FROM synth_shadow_x1.item i GROUP BY i.id;`);
    const parity = await compare();
    expect(parity.total - parity.matched).toBe(3);
    const by = (kind: string) => parity.differences.find((d) => d.kind === kind);
    expect(by('column')).toMatchObject({ object: 'public.item.qty' });
    expect(by('column')!.source).toMatch(/DEFAULT 1\b/);
    expect(by('column')!.target).toMatch(/DEFAULT 5\b/);
    expect(by('index')).toMatchObject({ object: 'public.ord.ord_item_idx', target: null });
    expect(by('view')).toMatchObject({ object: 'public.item_orders' });
    expect(by('view')!.target).not.toContain('synth_shadow_x1');
  });

  it("matches a CHECK recreated from PostgreSQL's own deparsed form (other casts), and still sees a changed literal", async () => {
    await a.exec(`CREATE TABLE public.film (id int PRIMARY KEY, rating varchar(5) CHECK (rating IN ('G', 'PG', 'R')))`);
    const [def] = await a.query<{ d: string }>(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = 'public.film'::regclass AND contype = 'c'`);
    await b.exec(`CREATE TABLE synth_shadow_x1.film (id int PRIMARY KEY, rating varchar(5), CONSTRAINT film_rating_check ${def!.d})`);
    const [again] = await b.query<{ d: string }>(`SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = 'synth_shadow_x1.film'::regclass AND contype = 'c'`);
    // The premise: PostgreSQL does not give back what it was given.
    expect(again!.d).not.toBe(def!.d);
    const films = (p: Awaited<ReturnType<typeof compare>>) => p.differences.filter((d) => d.object.includes('film'));
    expect(films(await compare())).toEqual([]);
    await b.exec(`ALTER TABLE synth_shadow_x1.film DROP CONSTRAINT film_rating_check, ADD CONSTRAINT film_rating_check CHECK (rating IN ('G', 'PG', 'X'))`);
    expect(films(await compare()).map((d) => d.kind)).toEqual(['check', 'check']);
  });
});

describe('schema parity on real MariaDB schemas', () => {
  let a: TestDatabase;
  let b: TestDatabase;
  beforeAll(async () => {
    a = await createMysqlDatabase('synth_par_mya');
    b = await createMysqlDatabase('synth_par_myb');
    await createParityFixture(a);
    await createParityFixture(b);
  }, 60_000);
  afterAll(async () => {
    await a?.drop();
    await b?.drop();
  });

  const compare = async () => compareSchemas(await introspect(a.url), await introspect(b.url), { namespaces: [{ source: a.name, shadow: b.name }] });

  it('an identical schema in another database is 100 %, routines, events and indexes included', async () => {
    const parity = await compare();
    expect(formatDifferences(parity)).toBe('');
    expect(parity.matched).toBe(parity.total);
    const source = await introspect(a.url);
    expect(source.otherObjects.map((o) => o.kind).sort()).toEqual(['event', 'function', 'procedure', 'sequence', 'trigger', 'view', 'view']);
    expect(source.otherObjects.every((o) => o.definition !== null)).toBe(true);
    const item = source.tables.find((t) => t.name === 'shop_item')!;
    expect(item.indexes.map((i) => i.definition)).toEqual([
      'INDEX `ix_title_prefix` (`title`(20))',
      'INDEX `ix_created_desc` (`created_at` DESC, `id`)',
      'SPATIAL INDEX `sp_location` (`location`)',
      'FULLTEXT INDEX `ft_body` (`title`, `body`)',
    ]);
    expect(item.storage).toBe('ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci');
  });

  it('lists an altered default, a dropped index, a changed view and a changed event', async () => {
    await b.exec(`ALTER TABLE shop_item ALTER qty SET DEFAULT 5;
      DROP INDEX ix_placed ON shop_order;
      CREATE OR REPLACE VIEW item_totals AS SELECT id, title, 0 AS spent FROM shop_item;
      ALTER EVENT purge_log ON SCHEDULE EVERY 2 DAY STARTS '2030-01-01 00:00:00';`);
    const parity = await compare();
    expect(parity.total - parity.matched).toBe(4);
    const by = (kind: string) => parity.differences.find((d) => d.kind === kind);
    expect(by('column')).toMatchObject({ object: `${a.name}.shop_item.qty` });
    expect(by('column')!.target).toMatch(/DEFAULT 5\b/);
    expect(by('index')).toMatchObject({ object: `${a.name}.shop_order.ix_placed`, target: null });
    expect(by('view')!.target).toMatch(/0 AS `spent`/);
    expect(by('event')!.target).toMatch(/EVERY 2 DAY/);
  });
});

describe('schema parity across dialects', () => {
  let pgDb: TestDatabase;
  let myDb: TestDatabase;
  beforeAll(async () => {
    pgDb = await createPgDatabase('synth_par_xpg');
    myDb = await createMysqlDatabase('synth_par_xmy');
    await pgDb.exec(PG_DDL('public'));
    await myDb.exec(`CREATE TABLE item (id INT AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(255) NOT NULL UNIQUE, qty INT NOT NULL DEFAULT 1, created_at DATETIME(6) NOT NULL);
      CREATE TABLE ord (id BIGINT PRIMARY KEY, item_id INT NOT NULL, amount DECIMAL(10,2), FOREIGN KEY (item_id) REFERENCES item (id));`);
  }, 60_000);
  afterAll(async () => {
    await pgDb?.drop();
    await myDb?.drop();
  });

  it('compares only what carries over: tables, columns and nullability, keys and FKs', async () => {
    const pgSchema = await introspect(pgDb.url, ['public']);
    const parity = compareSchemas(pgSchema, await introspect(myDb.url));
    expect(formatDifferences(parity)).toBe('');
    await myDb.exec('ALTER TABLE ord MODIFY amount DECIMAL(10,2) NOT NULL');
    const after = compareSchemas(pgSchema, await introspect(myDb.url));
    expect(after.differences).toEqual([{ object: 'ord.amount', kind: 'column', source: 'NULL', target: 'NOT NULL' }]);
  });
});

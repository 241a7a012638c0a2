import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresTarget } from '../../../src/connectors/postgres/index.js';
import type { TargetConnector } from '../../../src/connectors/connector.js';
import type { Column, DatabaseSchema, NeutralType, Table } from '../../../src/schema/model.js';
import type { Row, RowBatch } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

function column(name: string, type: NeutralType, nativeType: string, extra: Partial<Column> = {}): Column {
  return { name, type, nativeType, nullable: true, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null, ...extra };
}

const authors: Table = {
  schema: 'shopdb',
  name: 'authors',
  columns: [
    column('id', { kind: 'integer', bytes: 4, unsigned: true }, 'int(10) unsigned', { nullable: false, autoIncrement: 'auto_increment' }),
    column('name', { kind: 'text', maxLength: 80, fixedLength: false }, 'varchar(80)', { nullable: false }),
    column('born', { kind: 'year' }, 'year(4)'),
    column('status', { kind: 'enum', values: ['active', 'retired'], name: null }, "enum('active','retired')", { nullable: false }),
    column('genres', { kind: 'set', values: ['fiction', 'poetry', 'drama'] }, "set('fiction','poetry','drama')"),
    column('rank', { kind: 'integer', bytes: 1, unsigned: true }, 'tinyint(3) unsigned'),
    column('big', { kind: 'integer', bytes: 8, unsigned: true }, 'bigint(20) unsigned'),
    column('meta', { kind: 'json', binary: true }, 'json'),
    column('photo', { kind: 'binary', maxLength: 65535 }, 'blob'),
    column('spot', { kind: 'geometry', subtype: 'POINT' }, 'point'),
    column('name_len', { kind: 'integer', bytes: 4, unsigned: false }, 'int(11)', { generated: { expression: 'char_length(`name`)', stored: false } }),
  ],
  primaryKey: { name: 'PRIMARY', columns: ['id'] },
  uniques: [{ name: 'name', columns: ['name'], origin: 'index', predicate: null, nullsDistinct: true }],
  foreignKeys: [],
  checks: [{ name: 'authors_chk_1', expression: '`born` > 1000', columns: ['born'], origin: 'table' }],
  indexes: [
    { name: 'born_idx', definition: 'INDEX `born_idx` (`born`, `name`(10))' },
    { name: 'ft', definition: 'FULLTEXT INDEX `ft` (`name`)' },
  ],
  partitioning: null,
  comment: null,
  estimatedRows: 2,
};

const books: Table = {
  schema: 'shopdb',
  name: 'books',
  columns: [
    column('id', { kind: 'integer', bytes: 8, unsigned: true }, 'bigint(20) unsigned', { nullable: false, autoIncrement: 'auto_increment' }),
    column('author_id', { kind: 'integer', bytes: 4, unsigned: true }, 'int(10) unsigned', { nullable: false }),
    column('price', { kind: 'decimal', precision: 8, scale: 2 }, 'decimal(8,2)'),
    column('published', { kind: 'timestamp', withTimeZone: false }, 'datetime'),
    column('status', { kind: 'enum', values: ['draft', 'out'], name: null }, "enum('draft','out')"),
  ],
  primaryKey: { name: 'PRIMARY', columns: ['id'] },
  uniques: [],
  foreignKeys: [
    { name: 'books_author_fk', columns: ['author_id'], references: { schema: 'shopdb', name: 'authors', columns: ['id'] }, onDelete: 'CASCADE', onUpdate: 'NO ACTION', deferrable: false },
  ],
  checks: [],
  indexes: [],
  partitioning: null,
  comment: null,
  estimatedRows: 3,
};

const schema: DatabaseSchema = {
  dialect: 'mysql',
  serverVersion: '10.11.19-MariaDB',
  schemas: ['shopdb'],
  tables: [authors, books],
  enums: [],
  otherObjects: [],
};

let dst: TestDatabase;
let target: TargetConnector;

async function* one(columns: string[], rows: Row[]): AsyncIterable<RowBatch> {
  yield { columns, rows };
}

beforeAll(async () => {
  dst = await createPgDatabase('synth_pg_mysqlorigin');
  target = await openPostgresTarget(dst.url);
});

afterAll(async () => {
  await target?.close();
  await dst?.drop();
});

describe('a MySQL-origin schema loaded into PostgreSQL', () => {
  it('describes the type mapping, naming table and column', () => {
    const notes = target.describeMapping(schema);
    const find = (c: string) => notes.find((n) => n.table === 'shopdb.authors' && n.column === c);
    expect(find('id')).toMatchObject({ to: 'bigint', severity: 'info' });
    expect(find('born')).toMatchObject({ to: 'smallint', severity: 'info' });
    expect(find('genres')).toMatchObject({ to: 'text[]', severity: 'lossy' });
    expect(find('spot')).toMatchObject({ to: 'text', severity: 'lossy' });
    expect(find('big')).toMatchObject({ to: 'numeric(20,0)' });
    expect(find('status')?.to).toBe('authors_status_enum');
    // char_length(`name`) translates: PostgreSQL computes it (a VIRTUAL column becomes STORED).
    expect(find('name_len')).toMatchObject({ severity: 'info', note: expect.stringContaining('VIRTUAL becomes STORED') });
    expect(find('name')).toBeUndefined();
  });

  it('creates, loads, finalizes and swaps into public', async () => {
    const shadow = await target.createShadow('my1', schema);
    expect(shadow.namespaces).toEqual([{ live: 'public', shadow: 'synth_shadow_my1' }]);
    const sh = 'synth_shadow_my1';
    const types = await dst.query<{ column_name: string; data_type: string; udt_name: string }>(
      `SELECT column_name, data_type, udt_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'authors' ORDER BY ordinal_position`,
      [sh],
    );
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.udt_name]))).toEqual({
      id: 'int8', name: 'varchar', born: 'int2', status: 'authors_status_enum', genres: '_text', rank: 'int2', big: 'numeric',
      meta: 'jsonb', photo: 'bytea', spot: 'text', name_len: 'int4',
    });
    await target.load(shadow, authors, one(['id', 'name', 'born', 'status', 'genres', 'rank', 'big', 'meta', 'photo', 'spot'], [
      [1, 'Ann', 1950, 'active', ['fiction', 'drama'], 255, 18446744073709551615n, { a: 1 }, new Uint8Array([1, 2]), 'POINT(1 2)'],
      [4294967295, 'Bob', 2001, 'retired', [], 0, 0, null, null, null],
    ]));
    await target.load(shadow, books, one(['id', 'author_id', 'price', 'published', 'status'], [
      [1, 1, '9.99', '2020-01-02 03:04:05', 'out'],
      [2, 4294967295, null, null, null],
    ]));
    await target.finalize(shadow, schema);
    const cons = await dst.query<{ conname: string; contype: string }>(
      `SELECT conname, contype::text AS contype FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND contype <> 'n' ORDER BY 1`,
      [sh],
    );
    expect(cons).toEqual([
      { conname: 'authors_chk_1', contype: 'c' },
      { conname: 'authors_name', contype: 'u' },
      { conname: 'authors_pkey', contype: 'p' },
      { conname: 'books_author_fk', contype: 'f' },
      { conname: 'books_pkey', contype: 'p' },
    ]);
    const idx = await dst.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'authors' AND indexname NOT IN ('authors_pkey', 'authors_name') ORDER BY 1`,
      [sh],
    );
    expect(idx).toEqual([{ indexname: 'authors_born_idx', indexdef: `CREATE INDEX authors_born_idx ON ${sh}.authors USING btree (born, name)` }]);
    // Identity continues past the loaded keys.
    expect(await dst.query(`INSERT INTO "${sh}".authors (name, status) VALUES ('Cy', 'active') RETURNING id::text AS id`)).toEqual([{ id: '4294967296' }]);
    // The MySQL unique index became a unique constraint named per table; the backtick CHECK works.
    await expect(dst.exec(`INSERT INTO "${sh}".authors (name, status, born) VALUES ('Ann', 'active', 1990)`)).rejects.toThrow(/authors_name/);
    await expect(dst.exec(`INSERT INTO "${sh}".authors (name, status, born) VALUES ('Zed', 'active', 999)`)).rejects.toThrow(/authors_chk_1/);
    const back: Row[] = [];
    for await (const b of target.readRows(shadow, authors, { columns: ['id', 'genres', 'big', 'born', 'spot'] })) back.push(...b.rows);
    back.sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(back[0]).toEqual([1, ['fiction', 'drama'], 18446744073709551615n, 1950, 'POINT(1 2)']);
    const swapped = await target.swap(shadow, schema);
    expect(swapped.backups).toEqual([{ live: 'public', backup: 'synth_backup_public' }]);
    expect(await target.countRows(null, authors)).toBe(3);
    expect(await target.countRows(null, books)).toBe(2);
  });

  it('puts MySQL tables in the schema named by ?schema=', async () => {
    const t2 = await openPostgresTarget(`${dst.url}?schema=app`);
    try {
      const shadow = await t2.createShadow('my2', schema);
      expect(shadow.namespaces).toEqual([{ live: 'app', shadow: 'synth_shadow_my2' }]);
      await t2.finalize(shadow, schema);
      const swapped = await t2.swap(shadow, schema);
      expect(swapped.backups).toEqual([]);
      expect(await dst.query(`SELECT count(*)::int AS n FROM app.authors`)).toEqual([{ n: 0 }]);
      expect(await t2.countRows(null, authors)).toBe(0);
    } finally {
      await t2.close();
    }
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMysqlTarget } from '../../../src/connectors/mysql/index.js';
import type { Column, DatabaseSchema, NeutralType, Table } from '../../../src/schema/model.js';
import type { RowBatch } from '../../../src/schema/values.js';
import { collect, createTargetDatabase } from './helpers.js';
import type { TestDatabase } from '../../support/databases.js';

let target: TestDatabase;
beforeEach(async () => {
  target = await createTargetDatabase('synth_myxd');
});
afterEach(async () => {
  await target?.drop();
});

const c = (name: string, type: NeutralType, nativeType: string, extra: Partial<Column> = {}): Column => ({
  name, type, nativeType, nullable: true, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null, ...extra,
});
const t = (name: string, columns: Column[], extra: Partial<Table> = {}): Table => ({
  schema: 'public', name, columns, primaryKey: null, uniques: [], foreignKeys: [], checks: [], indexes: [], partitioning: null, comment: null, estimatedRows: 0, ...extra,
});

/** What the PostgreSQL introspector reports for a typical schema. */
const pgSchema: DatabaseSchema = {
  dialect: 'postgres',
  serverVersion: '15.20',
  schemas: ['public'],
  enums: [{ schema: 'public', name: 'mood', values: ['sad', 'ok', 'happy'] }],
  otherObjects: [{ schema: 'public', name: 'v_users', kind: 'view', definition: 'SELECT id FROM public.users' }],
  tables: [
    t('users', [
      c('id', { kind: 'integer', bytes: 8, unsigned: false }, 'bigint', { nullable: false, autoIncrement: 'identity-always' }),
      c('handle', { kind: 'text', maxLength: null, fixedLength: false }, 'text', { nullable: false, collation: 'C' }),
      c('profile', { kind: 'json', binary: true }, 'jsonb'),
      c('tags', { kind: 'array', element: { kind: 'text', maxLength: null, fixedLength: false }, dimensions: 1 }, 'text[]'),
      c('mood', { kind: 'enum', values: ['sad', 'ok', 'happy'], name: 'public.mood' }, 'public.mood', { default: "'ok'::public.mood" }),
      c('avatar', { kind: 'binary', maxLength: null }, 'bytea'),
      c('created', { kind: 'timestamp', withTimeZone: true }, 'timestamp with time zone', { nullable: false, default: 'now()' }),
      c('active', { kind: 'boolean' }, 'boolean', { nullable: false, default: 'true' }),
      c('token', { kind: 'uuid' }, 'uuid', { default: 'gen_random_uuid()' }),
      c('balance', { kind: 'decimal', precision: null, scale: null }, 'numeric'),
      c('span', { kind: 'interval' }, 'interval'),
      c('ip', { kind: 'network', family: 'inet' }, 'inet'),
      c('odd', { kind: 'enum', values: ['a\\b', "it's"], name: 'public.odd' }, 'public.odd'),
      c('handle_len', { kind: 'integer', bytes: 4, unsigned: false }, 'integer', { generated: { expression: 'length(handle)', stored: true } }),
    ], {
      primaryKey: { name: 'users_pkey', columns: ['id'] },
      uniques: [
        { name: 'users_handle_key', columns: ['handle'], origin: 'constraint', predicate: null, nullsDistinct: true },
        { name: 'users_token_active', columns: ['token'], origin: 'index', predicate: 'active', nullsDistinct: true },
      ],
      checks: [{ name: 'users_balance_check', expression: 'balance >= (0)::numeric', columns: ['balance'], origin: 'table' }],
      indexes: [
        { name: 'users_created_idx', definition: 'CREATE INDEX users_created_idx ON public.users USING btree (created)' },
        { name: 'users_lower_idx', definition: 'CREATE INDEX users_lower_idx ON public.users USING btree (lower(handle))' },
      ],
    }),
    t('posts', [
      c('id', { kind: 'integer', bytes: 4, unsigned: false }, 'integer', { nullable: false, autoIncrement: 'serial' }),
      c('author', { kind: 'text', maxLength: null, fixedLength: false }, 'text', { nullable: false }),
      c('body', { kind: 'text', maxLength: null, fixedLength: false }, 'text'),
    ], {
      primaryKey: { name: 'posts_pkey', columns: ['id'] },
      foreignKeys: [{ name: 'posts_author_fkey', columns: ['author'], references: { schema: 'public', name: 'users', columns: ['handle'] }, onDelete: 'CASCADE', onUpdate: 'NO ACTION', deferrable: true }],
    }),
  ],
};

const USER_COLS = ['id', 'handle', 'profile', 'tags', 'mood', 'avatar', 'created', 'active', 'token', 'balance', 'span', 'ip', 'odd'];
const USER_ROWS = [
  [1, 'ann', { a: 1, nested: { b: [true, null] } }, ['x', 'y z'], 'happy', new Uint8Array([1, 2, 3]), '2024-03-01 12:00:00.123456+00', true,
    '2b7c4c8e-6f7a-4c39-9a4f-3c1f2d9e0a11', '123456789012345678901234567890.123456789012345678901234567890', '1 day 02:00:00', '10.0.0.1/32', 'a\\b'],
  [2, 'bob', null, [], null, null, '1970-01-01 00:00:00+00', false, null, '0', null, null, "it's"],
];

describe('postgres-origin schema into MariaDB', () => {
  it('describes each mapping with severity and naming table and column', async () => {
    const tgt = await openMysqlTarget(target.url);
    try {
      const notes = tgt.describeMapping(pgSchema);
      // Tables are named schema.table, as the PostgreSQL connector names them.
      const by = (table: string, column: string) => notes.filter((n) => n.table === `public.${table}` && n.column === column);
      expect(by('users', 'profile')).toEqual([expect.objectContaining({ from: 'jsonb', to: 'JSON', severity: 'info' })]);
      expect(by('users', 'tags')).toEqual([expect.objectContaining({ from: 'text[]', to: 'JSON', severity: 'lossy' })]);
      expect(by('users', 'mood')[0]).toMatchObject({ to: "ENUM('sad', 'ok', 'happy')", severity: 'info' });
      expect(by('users', 'odd')[0]).toMatchObject({ to: "ENUM('a\\\\b', 'it''s')" });
      expect(by('users', 'avatar')).toEqual([expect.objectContaining({ from: 'bytea', to: 'LONGBLOB', severity: 'info' })]);
      expect(by('users', 'created')[0]).toMatchObject({ to: 'DATETIME(6)', severity: 'info' });
      expect(by('users', 'active')).toEqual([expect.objectContaining({ to: 'TINYINT(1)', severity: 'info' })]);
      expect(by('users', 'token')[0]).toMatchObject({ to: 'CHAR(36)', severity: 'info' });
      expect(by('users', 'balance')[0]).toMatchObject({ to: 'DECIMAL(65,30)', severity: 'lossy' });
      expect(by('users', 'span')[0]).toMatchObject({ severity: 'lossy' });
      expect(by('users', 'ip')[0]).toMatchObject({ severity: 'lossy' });
      // text in a unique key and as an FK needs VARCHAR: reported.
      expect(by('users', 'handle').map((n) => n.to)).toContain('VARCHAR(255)');
      expect(by('posts', 'author').map((n) => n.to)).toContain('VARCHAR(255)');
      // length(handle) translates (CHAR_LENGTH), so the column stays generated.
      expect(by('users', 'handle_len')[0]).toMatchObject({ severity: 'info', to: expect.stringContaining('CHAR_LENGTH') });
      // A CHECK that translates to MySQL is created, so it is no lossy mapping.
      expect(notes.some((n) => n.from.startsWith('CHECK users_balance_check'))).toBe(false);
      expect(notes.some((n) => n.from.includes('users_token_active') && n.severity === 'lossy')).toBe(true);
      expect(notes.some((n) => n.from.includes('lower(handle)'))).toBe(true);
      expect(notes.every((n) => n.severity !== 'impossible')).toBe(true);
    } finally {
      await tgt.close();
    }
  });

  it('creates, loads, finalizes and swaps the mapped schema, reading neutral values back', async () => {
    const tgt = await openMysqlTarget(target.url);
    try {
      const shadow = await tgt.createShadow('pg1', pgSchema);
      const users = pgSchema.tables[0]!;
      const posts = pgSchema.tables[1]!;
      const one = (columns: string[], rows: unknown[][]): AsyncIterable<RowBatch> => (async function* () { yield { columns, rows: rows as RowBatch['rows'] }; })();
      // Another connector instance (a resumed run) loads into the shadow: wire forms come from the real columns.
      const resumed = await openMysqlTarget(target.url);
      try {
        expect(await resumed.load(shadow, users, one(USER_COLS, USER_ROWS))).toBe(2);
      } finally {
        await resumed.close();
      }
      expect(await tgt.load(shadow, posts, one(['id', 'author', 'body'], [[1, 'ann', 'hi'], [2, 'bob', null]]))).toBe(2);
      await tgt.finalize(shadow, pgSchema);
      const cols = await target.query<{ COLUMN_NAME: string; COLUMN_TYPE: string }>(
        'SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [shadow.namespaces[0]!.shadow, 'users']);
      expect(Object.fromEntries(cols.map((x) => [x.COLUMN_NAME, x.COLUMN_TYPE]))).toMatchObject({
        id: 'bigint(20)', handle: 'varchar(255)', profile: 'longtext', tags: 'longtext', mood: "enum('sad','ok','happy')", avatar: 'longblob',
        created: 'datetime(6)', active: 'tinyint(1)', token: 'char(36)', balance: 'decimal(65,30)', span: 'varchar(64)',
      });
      const res = await tgt.swap(shadow, pgSchema);
      expect(res.notes.join('\n')).toMatch(/1 view\(s\) and 0 trigger\(s\) of the postgres source were not recreated/);
      const back = await collect(tgt.readRows(null, users, { columns: USER_COLS }));
      back.sort((a, b) => Number(a[0]) - Number(b[0]));
      // DECIMAL(65,30) prints its full scale; every other value comes back exactly as loaded.
      const expected = USER_ROWS.map((r) => [...r]);
      expected[1]![9] = '0.000000000000000000000000000000';
      expect(back).toEqual(expected);
      const fk = await target.query<{ REFERENCED_TABLE_NAME: string }>('SELECT REFERENCED_TABLE_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL', [target.name]);
      expect(fk).toEqual([{ REFERENCED_TABLE_NAME: 'users' }]);
      // serial/identity became AUTO_INCREMENT continuing after the loaded max.
      await target.exec(`INSERT INTO users (handle, created, active) VALUES ('cy', NOW(), 1)`);
      expect(await target.query(`SELECT id, mood FROM users WHERE handle = 'cy'`)).toEqual([{ id: 3, mood: 'ok' }]);
    } finally {
      await tgt.close();
    }
  });

  it('refuses a schema with an impossible mapping before writing anything', async () => {
    const tgt = await openMysqlTarget(target.url);
    try {
      const bad: DatabaseSchema = { ...pgSchema, tables: [t('odd', [c('x', { kind: 'unsupported', reason: 'pg type circle' }, 'circle')])] };
      // The source's view is announced too (not recreated: PostgreSQL SQL); the one impossible note is the column.
      expect(tgt.describeMapping(bad).filter((n) => n.severity !== 'lossy')).toEqual([expect.objectContaining({ table: 'public.odd', column: 'x', severity: 'impossible' })]);
      await expect(tgt.createShadow('bad', bad)).rejects.toMatchObject({ code: 'UNSUPPORTED_TYPE', table: 'public.odd', column: 'x' });
      expect(await tgt.listShadows()).toEqual([]);
    } finally {
      await tgt.close();
    }
  });
});

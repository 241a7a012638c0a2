import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresSource, openPostgresTarget } from '../../../src/connectors/postgres/index.js';
import type { IntegrityCheck, SourceConnector, TargetConnector } from '../../../src/connectors/connector.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import type { Row, RowBatch } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';
import { FEATURE_SQL } from './fixtures.js';

let src: TestDatabase;
let dst: TestDatabase;
let source: SourceConnector;
let target: TargetConnector;
let schema: DatabaseSchema;

const table = (name: string): Table => schema.tables.find((t) => t.name === name)!;
async function* batches(columns: string[], rows: Row[], size = 2): AsyncIterable<RowBatch> {
  for (let i = 0; i < rows.length; i += size) yield { columns, rows: rows.slice(i, i + size) };
}
async function collect(it: AsyncIterable<RowBatch>): Promise<Row[]> {
  const out: Row[] = [];
  for await (const b of it) out.push(...b.rows);
  return out;
}

beforeAll(async () => {
  src = await createPgDatabase('synth_pg_wsrc');
  dst = await createPgDatabase('synth_pg_wdst');
  await src.exec(FEATURE_SQL);
  source = await openPostgresSource(src.url);
  schema = await source.introspect();
  target = await openPostgresTarget(dst.url);
});

afterAll(async () => {
  await source?.close();
  await target?.close();
  await src?.drop();
  await dst?.drop();
});

const miscRows: Row[] = [
  [
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', { a: [1, 'two', null], 'k\t"': 'v\\n' }, ['x', { y: true }], "'fat':1 'rat':2",
    new Uint8Array([0, 9, 10, 13, 92, 255]), '1 day 02:03:04', '192.168.0.1', '10.0.0.0/8', '08:00:2b:01:02:03', '1234.56',
    '<a>x &amp; y</a>', '2024-02-29', '12:34:56.789', '12:00:00+02', '2024-01-02 03:04:05.123', 1.5, 1e-300, true,
    '-0.000000000000000000001', -32768, 9223372036854775807n, [1, null, -3], ['happy', null, 'sad'], null,
  ],
  [
    'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'just a string', null, '', new Uint8Array([]), '-3 mons', '::1', '::/0',
    'ff:ff:ff:ff:ff:ff', '-0.01', '<b/>', '1970-01-01', '00:00:00', '23:59:59-11', '1999-12-31 23:59:59', -0, -1.25, false,
    '0', 0, -5, [], [], { lower: 1, upper: 5, bounds: '[)' },
  ],
];

describe('postgres target: shadow, COPY load, finalize, validation', () => {
  it('round-trips every value kind through COPY into the shadow and back', async () => {
    const misc = table('misc');
    const shadow = await target.createShadow('rt1', { ...schema, tables: [misc] });
    try {
      expect(shadow.namespaces).toEqual([{ live: 'shop', shadow: 'synth_shadow_rt1' }]);
      const columns = misc.columns.map((c) => c.name);
      const n = await target.load(shadow, misc, batches(columns, miscRows));
      expect(n).toBe(2);
      const back = await collect(target.readRows(shadow, misc, { columns }));
      back.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      const expected = miscRows.map((r) => [...r]);
      expected[0]![11 + 2] = '12:00:00+02';
      // Values the server normalizes: cash keeps 2 decimals, -0 float prints as -0, numeric keeps its scale.
      expect(back[0]).toEqual(expected[0]!.map((v, i) => (i === 20 ? 9223372036854775807n : v)));
      expect(back[1]![0]).toBe(miscRows[1]![0]);
      expect(back[1]![1]).toBe('just a string');
      expect(back[1]![4]).toEqual(new Uint8Array([]));
      // A range goes in as its literal and comes back as the same object (the NULL one above stays NULL).
      expect(back[1]![23]).toEqual({ lower: 1, upper: 5, bounds: '[)' });
      expect(back[1]![9]).toBe('-0.01');
      expect(back[1]![21]).toEqual([]);
      expect(Object.is(back[1]![15], -0)).toBe(true);
    } finally {
      await target.dropShadow(shadow);
    }
  });

  it('round-trips nested arrays, arrays of bytea/json/timestamptz and array domains', async () => {
    await src.exec(`
      CREATE SCHEMA extra;
      CREATE DOMAIN extra.short_tags AS text[] CHECK (cardinality(VALUE) < 4);
      CREATE TABLE extra.arrays (id int PRIMARY KEY, grid int[][], blobs bytea[], docs jsonb[], stamps timestamptz[], tags extra.short_tags, words varchar(5)[]);
    `);
    const sub = await source.introspect({ schemas: ['extra'] });
    const arrays = sub.tables[0]!;
    expect(arrays.columns.find((c) => c.name === 'tags')?.type).toEqual({ kind: 'array', element: { kind: 'text', maxLength: null, fixedLength: false }, dimensions: 1 });
    const columns = arrays.columns.map((c) => c.name);
    const rows: Row[] = [
      [1, [[1, 2], [3, null]], [new Uint8Array([0, 92, 34]), null], [{ a: '"q"' }, [1, 2], 'str'], ['2024-01-01 00:00:00+00', null], ['a,b', 'c"d', 'e\\f'], ['x y', 'NULL', '']],
      [2, [], [], [], [], [], []],
      [3, null, null, null, null, null, null],
    ];
    const shadow = await target.createShadow('arr1', sub);
    try {
      expect(await target.load(shadow, arrays, batches(columns, rows))).toBe(3);
      await target.finalize(shadow, sub);
      const back = await collect(target.readRows(shadow, arrays, { columns }));
      back.sort((a, b) => Number(a[0]) - Number(b[0]));
      expect(back).toEqual(rows);
      // The domain CHECK came back after the data.
      await expect(dst.exec(`INSERT INTO synth_shadow_arr1.arrays (id, tags) VALUES (9, '{a,b,c,d}')`)).rejects.toThrow(/short_tags_check/);
    } finally {
      await target.dropShadow(shadow);
    }
  });

  it('creates shadow tables with columns and NOT NULL only, then finalize adds everything', async () => {
    const shadow = await target.createShadow('fin1', schema);
    const sh = shadow.namespaces[0]!.shadow;
    const cons = async () =>
      (await dst.query<{ conname: string }>(`SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND contype IN ('p','u','f','c') ORDER BY 1`, [sh])).map((r) => r.conname);
    expect(await cons()).toEqual([]);
    expect(await dst.query(`SELECT attnotnull FROM pg_attribute WHERE attrelid = '"${sh}".customers'::regclass AND attname = 'email'`)).toEqual([{ attnotnull: true }]);

    await target.load(shadow, table('customers'), batches(['id', 'email', 'name', 'mood', 'tags', 'created_at'], [
      [1, 'a@x', 'ann', 'happy', ['t1'], '2024-01-01 00:00:00+00'],
      [2, 'b@x', 'bob', 'sad', null, '2024-01-02 00:00:00+00'],
      [7, 'c@x', 'bob', 'ok', [], '2024-01-03 00:00:00+00'],
    ]));
    await target.load(shadow, table('orders'), batches(['id', 'customer_id', 'qty', 'price', 'note', 'flags', 'vflags'], [
      [10, 1, 2, '150.00', 'abc', '1010', '1'],
      [11, null, 1, '5.00', null, null, null],
    ]));
    await target.load(shadow, table('Order Items'), batches(['order_id', 'line', 'select', 'naïve "quoted" name'], [
      [10, 1, 'x', 1],
      [10, 2, null, null],
    ]));
    await target.load(shadow, table('item_notes'), batches(['id', 'order_id', 'line', 'body'], [
      [1, 10, 1, null],
      [2, null, null, 'b'],
    ]));
    await target.load(shadow, table('events'), batches(['id', 'at', 'kind'], [
      [1, '2023-05-01', 'a'],
      [2, '2024-05-01', 'b'],
    ]));
    // Partitions route the rows.
    expect(await dst.query(`SELECT count(*)::int AS n FROM "${sh}".events_2024`)).toEqual([{ n: 1 }]);
    // The trigger is not there yet: the NULL body stayed NULL.
    expect(await dst.query(`SELECT body FROM "${sh}".item_notes WHERE id = 1`)).toEqual([{ body: null }]);
    // Generated column computed by the database.
    expect(await dst.query(`SELECT total::text AS t FROM "${sh}".orders WHERE id = 10`)).toEqual([{ t: '300.00' }]);

    await target.finalize(shadow, schema);
    expect(await cons()).toEqual([
      'Order Items_pkey', 'bookings_pkey', 'customers_email_key', 'customers_pkey', 'events_2023_pkey', 'events_2024_pkey', 'events_pkey',
      'item_notes_pkey', 'items_order_fk', 'misc_pkey', 'misc_small_big_key', 'notes_item_fk', 'orders_customer_id_fkey', 'orders_pkey',
      'orders_price_check', 'posint_check',
    ]);
    const idx = (await dst.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY 1`, [sh])).map((r) => r.indexname);
    expect(idx).toEqual(expect.arrayContaining(['customers_created_idx', 'customers_name_active', 'events_kind_idx']));
    // Domain CHECK restored, identity ALWAYS restored, sequences past the max, trigger active.
    await expect(dst.exec(`INSERT INTO "${sh}".orders (qty, price) VALUES (0, 1)`)).rejects.toThrow(/posint_check/);
    await expect(dst.exec(`INSERT INTO "${sh}".customers (id, email) VALUES (99, 'z')`)).rejects.toThrow(/non-DEFAULT value/);
    expect(await dst.query(`INSERT INTO "${sh}".customers (email) VALUES ('new@x') RETURNING id`)).toEqual([{ id: 8 }]);
    expect(await dst.query(`INSERT INTO "${sh}".orders (qty, price) VALUES (1, 1) RETURNING id::int AS id`)).toEqual([{ id: 13 }]); // 12 went to the refused qty = 0 row
    expect(await dst.query(`INSERT INTO "${sh}".item_notes (order_id, line) VALUES (10, 2) RETURNING id, body`)).toEqual([{ id: 3, body: 'touched' }]);
    // Partial unique index: two 'bob's are fine because one is sad; a second happy 'ann' is not.
    await expect(dst.exec(`INSERT INTO "${sh}".customers (email, name, mood) VALUES ('d@x', 'ann', 'ok')`)).rejects.toThrow(/customers_name_active/);
    expect(await target.countRows(shadow, table('customers'))).toBe(4);
    expect((await target.listShadows()).map(({ runId, namespace }) => ({ runId, namespace }))).toEqual([{ runId: 'fin1', namespace: 'synth_shadow_fin1' }]);
    await target.dropShadow(shadow);
    expect(await target.listShadows()).toEqual([]);
  });

  it('streams a large load in bounded batches, reporting progress and skipping generated columns', async () => {
    const shadow = await target.createShadow('big1', schema);
    try {
      const orders = table('orders');
      const seen: number[] = [];
      async function* gen(): AsyncIterable<RowBatch> {
        for (let b = 0; b < 100; b++) {
          const rows: Row[] = [];
          for (let i = 0; i < 1000; i++) rows.push([b * 1000 + i + 1, null, 1 + (i % 5), `${i}.50`, 'total ignored']);
          yield { columns: ['id', 'customer_id', 'qty', 'price', 'total'], rows };
        }
      }
      const n = await target.load(shadow, orders, gen(), (k) => seen.push(k));
      expect(n).toBe(100_000);
      expect(seen).toHaveLength(100);
      expect(seen.at(-1)).toBe(100_000);
      expect(await target.countRows(shadow, orders)).toBe(100_000);
      const sh = shadow.namespaces[0]!.shadow;
      expect(await dst.query(`SELECT total::text AS t FROM "${sh}".orders WHERE id = 3`)).toEqual([{ t: '7.50' }]);
    } finally {
      await target.dropShadow(shadow);
    }
  });

  it('names table, column and row when a load is refused', async () => {
    const shadow = await target.createShadow('bad1', schema);
    try {
      const orders = table('orders');
      const err = await target
        .load(shadow, orders, batches(['id', 'qty', 'price'], [[1, 1, '1.00'], [2, 1, 'not a number']]))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'LOAD_FAILED', table: 'shop.orders', column: 'price' });
      expect((err as Error).message).toMatch(/row 2 of the load, column price/);
    } finally {
      await target.dropShadow(shadow);
    }
  });

  it('aborts a COPY whose batch stream fails, writing nothing and leaving the connections usable', async () => {
    const shadow = await target.createShadow('abort1', schema);
    try {
      const customers = table('customers');
      async function* failing(): AsyncIterable<RowBatch> {
        yield { columns: ['id', 'email', 'created_at'], rows: [[1, 'a', '2024-01-01']] };
        throw new Error('generator crashed');
      }
      for (let i = 0; i < 6; i++) await expect(target.load(shadow, customers, failing())).rejects.toThrow(/generator crashed/);
      expect(await target.countRows(shadow, customers)).toBe(0);
      const n = await target.load(shadow, customers, batches(['id', 'email', 'created_at'], [[1, 'a', '2024-01-01'], [2, 'b', '2024-01-01']]));
      expect(n).toBe(2);
    } finally {
      await target.dropShadow(shadow);
    }
  });

  it('applies deferred updates', async () => {
    const shadow = await target.createShadow('upd1', schema);
    try {
      await target.load(shadow, table('customers'), batches(['id', 'email', 'created_at'], [[1, 'a', '2024-01-01 00:00:00+00'], [2, 'b', '2024-01-01 00:00:00+00']]));
      await target.load(shadow, table('orders'), batches(['id', 'customer_id', 'qty', 'price'], [[1, null, 1, '1'], [2, null, 1, '1'], [3, null, 1, '1']]));
      const n = await target.update(shadow, table('orders'), (async function* () {
        yield { keyColumns: ['id'], setColumns: ['customer_id'], rows: [[1, 2], [2, 1]] };
        yield { keyColumns: ['id'], setColumns: ['customer_id'], rows: [[3, 1]] };
      })());
      expect(n).toBe(3);
      const rows = await collect(target.readRows(shadow, table('orders'), { columns: ['id', 'customer_id'] }));
      expect(rows.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([[1, 2], [2, 1], [3, 1]]);
    } finally {
      await target.dropShadow(shadow);
    }
  });

  it('counts planted violations in a shadow loaded without constraints', async () => {
    const shadow = await target.createShadow('viol1', schema);
    try {
      await target.load(shadow, table('customers'), batches(['id', 'email', 'name', 'mood', 'created_at'], [
        [1, 'a@x', 'ann', 'ok', '2024-01-01'], [2, 'a@x', 'ann', 'sad', '2024-01-01'], [3, 'a@x', 'ann', 'happy', '2024-01-01'],
        [4, 'd@x', null, 'ok', '2024-01-01'], [5, 'e@x', null, 'ok', '2024-01-01'],
      ]));
      await target.load(shadow, table('orders'), batches(['id', 'customer_id', 'qty', 'price'], [
        [1, 1, 1, '1.00'], [2, 42, 1, '-5.00'], [3, null, 1, '2.00'],
      ]));
      await target.load(shadow, table('Order Items'), batches(['order_id', 'line'], [[1, 1], [1, 2]]));
      await target.load(shadow, table('item_notes'), batches(['id', 'order_id', 'line'], [[1, 1, 1], [2, 1, 9], [3, null, 9], [4, 77, null]]));
      // NOT NULL is in the shadow table itself, so the violation is planted after the load.
      const sh = shadow.namespaces[0]!.shadow;
      await dst.exec(`ALTER TABLE "${sh}".customers ALTER COLUMN email DROP NOT NULL; UPDATE "${sh}".customers SET email = NULL WHERE id = 5`);
      const customers = table('customers');
      const orders = table('orders');
      const notes = table('item_notes');
      const checks: IntegrityCheck[] = [
        { kind: 'orphan', table: orders, foreignKey: orders.foreignKeys[0]! },
        { kind: 'orphan', table: notes, foreignKey: notes.foreignKeys[0]! },
        { kind: 'duplicate', table: customers, columns: ['email'], constraint: 'customers_email_key', nullsDistinct: true },
        { kind: 'duplicate', table: customers, columns: ['name'], constraint: 'customers_name_active', nullsDistinct: true },
        { kind: 'duplicate', table: customers, columns: ['name'], constraint: 'other', nullsDistinct: false },
        { kind: 'not-null', table: customers, column: 'email' },
        { kind: 'check', table: orders, constraint: 'orders_price_check', expression: orders.checks.find((c) => c.origin === 'table')!.expression, dialect: 'postgres' },
        { kind: 'check', table: orders, constraint: 'posint_check', expression: orders.checks.find((c) => c.origin === 'domain')!.expression, dialect: 'postgres' },
        { kind: 'check', table: orders, constraint: 'm', expression: '`price` > 0', dialect: 'mysql' },
      ];
      const res = await target.countViolations(shadow, checks);
      // The MySQL-spelled CHECK is translated to PostgreSQL (see translate-check.ts) and counted like the others.
      expect(res.map((r) => r.violations)).toEqual([1, 1, 2, 1, 3, 1, 1, 0, 1]);
      expect(res.every((r) => r.skipped === undefined)).toBe(true);
      expect(res[8]!.check).toBe(checks[8]);
    } finally {
      await target.dropShadow(shadow);
    }
  });
});

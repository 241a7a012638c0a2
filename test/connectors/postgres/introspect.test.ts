import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresSource } from '../../../src/connectors/postgres/index.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';
import { FEATURE_SQL } from './fixtures.js';

let db: TestDatabase;
let source: SourceConnector;
let schema: DatabaseSchema;

const table = (name: string): Table => {
  const t = schema.tables.find((x) => x.schema === 'shop' && x.name === name);
  if (!t) throw new Error(`no table ${name}`);
  return t;
};
const col = (t: string, c: string) => {
  const found = table(t).columns.find((x) => x.name === c);
  if (!found) throw new Error(`no column ${t}.${c}`);
  return found;
};

beforeAll(async () => {
  db = await createPgDatabase('synth_pg_introspect');
  await db.exec(FEATURE_SQL);
  await db.exec(`INSERT INTO shop.customers (email, name) SELECT 'u' || g || '@x.org', 'n' || g FROM generate_series(1, 50) g; ANALYZE shop.customers;`);
  source = await openPostgresSource(db.url);
  schema = await source.introspect();
});

afterAll(async () => {
  await source?.close();
  await db?.drop();
});

describe('postgres introspection', () => {
  it('lists non-system schemas and tables, partitions folded into their parent', () => {
    expect(schema.dialect).toBe('postgres');
    expect(schema.serverVersion).toMatch(/^\d+/);
    expect(schema.schemas).toEqual(['public', 'shop']);
    const names = schema.tables.map((t) => t.name).sort();
    expect(names).toEqual(['Order Items', 'bookings', 'customers', 'events', 'item_notes', 'misc', 'orders']);
    const events = table('events');
    expect(events.partitioning?.strategy).toBe('range');
    expect(events.partitioning?.key).toBe('at');
    expect(events.partitioning?.partitions.map((p) => p.name)).toEqual(['events_2023', 'events_2024']);
    expect(events.partitioning?.partitions[0]?.bound).toContain("FROM ('2023-01-01') TO ('2024-01-01')");
    expect(events.indexes.map((i) => i.name)).toEqual(['events_kind_idx']);
  });

  it('maps column types exactly', () => {
    expect(col('customers', 'email').type).toEqual({ kind: 'text', maxLength: 120, fixedLength: false });
    expect(col('customers', 'email').nativeType).toBe('character varying(120)');
    expect(col('customers', 'mood').type).toEqual({ kind: 'enum', values: ['sad', 'ok', 'happy'], name: 'shop.mood' });
    expect(col('customers', 'tags').type).toEqual({ kind: 'array', element: { kind: 'text', maxLength: null, fixedLength: false }, dimensions: 1 });
    expect(col('customers', 'created_at').type).toEqual({ kind: 'timestamp', withTimeZone: true });
    expect(col('orders', 'price').type).toEqual({ kind: 'decimal', precision: 10, scale: 2 });
    expect(col('orders', 'note').type).toEqual({ kind: 'text', maxLength: 3, fixedLength: true });
    expect(col('orders', 'flags').type).toEqual({ kind: 'bit', length: 4, varying: false });
    expect(col('orders', 'vflags').type).toEqual({ kind: 'bit', length: 8, varying: true });
    const kinds = Object.fromEntries(table('misc').columns.map((c) => [c.name, c.type.kind]));
    expect(kinds).toMatchObject({
      id: 'uuid', doc: 'json', docb: 'json', tsv: 'tsvector', bin: 'binary', span: 'interval', ip: 'network', net: 'network',
      mac: 'network', cash: 'money', x: 'xml', d: 'date', t: 'time', tz: 'time', ts: 'timestamp', f4: 'float', f8: 'float',
      b: 'boolean', n: 'decimal', small: 'integer', big: 'integer', ints: 'array', moods: 'array', rng: 'json',
    });
    expect(col('misc', 'docb').type).toEqual({ kind: 'json', binary: true });
    expect(col('misc', 'net').type).toEqual({ kind: 'network', family: 'cidr' });
    expect(col('misc', 'big').type).toEqual({ kind: 'integer', bytes: 8, unsigned: false });
    expect(col('misc', 'n').type).toEqual({ kind: 'decimal', precision: null, scale: null });
    expect(col('misc', 'moods').type).toEqual({ kind: 'array', element: { kind: 'enum', values: ['sad', 'ok', 'happy'], name: 'shop.mood' }, dimensions: 1 });
    expect(col('misc', 'moods').nativeType).toBe('shop.mood[]');
    expect(col('misc', 'ts').nativeType).toBe('timestamp(3) without time zone');
    expect(schema.enums).toEqual([{ schema: 'shop', name: 'mood', values: ['sad', 'ok', 'happy'] }]);
  });

  it('reads nullability, defaults, identity, serial and generated columns', () => {
    expect(col('customers', 'id').autoIncrement).toBe('identity-always');
    expect(col('customers', 'id').nullable).toBe(false);
    expect(col('customers', 'name').nullable).toBe(true);
    expect(col('customers', 'created_at').default).toBe('now()');
    expect(col('orders', 'id').autoIncrement).toBe('serial');
    // The sequence default stays (the sequence itself is an OtherObject, OWNED BY the column).
    expect(col('orders', 'id').default).toBe("nextval('shop.orders_id_seq'::regclass)");
    expect(col('item_notes', 'id').autoIncrement).toBe('serial');
    expect(col('orders', 'total').generated).toEqual({ expression: '((qty)::numeric * price)', stored: true });
    expect(col('orders', 'total').default).toBeNull();
  });

  it('models domains as their base type with the domain CHECK', () => {
    const qty = col('orders', 'qty');
    expect(qty.domain).toBe('shop.posint');
    expect(qty.nativeType).toBe('shop.posint');
    expect(qty.type).toEqual({ kind: 'integer', bytes: 4, unsigned: false });
    const domainCheck = table('orders').checks.find((c) => c.origin === 'domain');
    expect(domainCheck).toEqual({ name: 'posint_check', expression: '"qty" > 0', columns: ['qty'], origin: 'domain' });
    expect(schema.otherObjects.find((o) => o.kind === 'domain')?.definition).toBe('CREATE DOMAIN "shop"."posint" AS integer');
  });

  it('reads keys, uniques (incl. partial unique index), checks and indexes', () => {
    expect(table('customers').primaryKey).toEqual({ name: 'customers_pkey', columns: ['id'] });
    expect(table('Order Items').primaryKey).toEqual({ name: 'Order Items_pkey', columns: ['order_id', 'line'] });
    expect(table('customers').uniques).toEqual([
      { name: 'customers_email_key', columns: ['email'], origin: 'constraint', predicate: null, nullsDistinct: true },
      { name: 'customers_name_active', columns: ['name'], origin: 'index', predicate: "(mood <> 'sad'::shop.mood)", nullsDistinct: true },
    ]);
    expect(table('customers').indexes).toEqual([
      { name: 'customers_created_idx', definition: 'CREATE INDEX customers_created_idx ON shop.customers USING btree (created_at)' },
    ]);
    expect(table('misc').uniques).toEqual([
      { name: 'misc_small_big_key', columns: ['small', 'big'], origin: 'constraint', predicate: null, nullsDistinct: false },
    ]);
    // Exclusion constraints travel as definitions among the indexes.
    expect(table('bookings').indexes).toEqual([
      { name: 'no_overlap', definition: 'ALTER TABLE "shop"."bookings" ADD CONSTRAINT "no_overlap" EXCLUDE USING gist (room WITH =, during WITH &&)' },
    ]);
    const tableCheck = table('orders').checks.find((c) => c.origin === 'table');
    expect(tableCheck).toEqual({ name: 'orders_price_check', expression: "price >= (0)::numeric", columns: ['price'], origin: 'table' });
  });

  it('reads foreign keys: composite, actions, deferrable', () => {
    expect(table('item_notes').foreignKeys).toEqual([
      {
        name: 'notes_item_fk',
        columns: ['order_id', 'line'],
        references: { schema: 'shop', name: 'Order Items', columns: ['order_id', 'line'] },
        onDelete: 'SET NULL',
        onUpdate: 'CASCADE',
        deferrable: false,
      },
    ]);
    const itemsFk = table('Order Items').foreignKeys[0];
    expect(itemsFk?.deferrable).toBe(true);
    expect(itemsFk?.onDelete).toBe('NO ACTION');
    expect(table('orders').foreignKeys[0]?.onDelete).toBe('CASCADE');
  });

  it('keeps hostile identifiers intact', () => {
    expect(table('Order Items').columns.map((c) => c.name)).toEqual(['order_id', 'line', 'select', 'naïve "quoted" name']);
  });

  it('estimates rows from reltuples', () => {
    expect(table('customers').estimatedRows).toBe(50);
    expect(table('misc').estimatedRows).toBe(0);
  });

  it('lists views, materialized views, functions and triggers with definitions', () => {
    const byKind = (k: string) => schema.otherObjects.filter((o) => o.kind === k).map((o) => o.name);
    expect(byKind('view')).toEqual(['big_orders']);
    expect(byKind('materialized view')).toEqual(['order_count']);
    expect(byKind('function')).toEqual(['touch']);
    expect(byKind('trigger')).toEqual(['notes_touch', 'bookings_touch']);
    expect(schema.otherObjects.find((o) => o.name === 'bookings_touch')?.definition).toMatch(
      /;\nALTER TABLE "shop"\."bookings" DISABLE TRIGGER "bookings_touch"$/,
    );
    const view = schema.otherObjects.find((o) => o.name === 'big_orders');
    expect(view?.definition).toMatch(/^CREATE VIEW "shop"."big_orders" AS/);
    expect(view?.definition).toContain('shop.orders');
    expect(schema.otherObjects.find((o) => o.kind === 'trigger')?.table).toBe('item_notes');
  });

  it('introspects only the requested schemas', async () => {
    const onlyPublic = await source.introspect({ schemas: ['public'] });
    expect(onlyPublic.tables).toEqual([]);
    expect(onlyPublic.schemas).toEqual(['public']);
  });
});

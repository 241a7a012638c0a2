/**
 * A small shop database built on the real PostgreSQL server with generate_series: a skewed 1:N chain, a
 * self-reference, a link table with a composite PK, a nullable cycle (country ↔ city) and an all-NOT-NULL
 * cycle (store ↔ staff). `ddl(schema)` creates empty copies so tests can load generated rows back with every
 * constraint checked by PostgreSQL itself.
 */
import type { DatabaseSchema, Table } from '../../src/schema/model.js';
import { tableKey } from '../../src/schema/model.js';
import type { ChildCountHistogram, TableSample } from '../../src/generation/model.js';
import type { Row } from '../../src/schema/values.js';
import type { TestDatabase } from '../support/databases.js';
import { col, fk, int2, int4, int8, pk, readHistogram, readSample, schemaOf, table, text, uq, varchar } from './fixtures.js';

export function ddl(s: string): string {
  return `
create schema if not exists "${s}";
set search_path to "${s}";
create table region (id serial primary key, name text not null);
create table customer (
  id serial primary key, region_id int not null, code varchar(12) not null unique, score numeric(6,2),
  age int not null, tier text not null, active boolean not null, born date, created_at timestamp not null,
  referred_by int, profile jsonb, tags text[], bio text);
create table product (id int primary key, sku char(8) not null unique, price numeric(8,2) not null, kind varchar(10));
create table orders (id bigserial primary key, customer_id int not null, placed_at timestamptz not null,
  status varchar(10) not null, note text);
create table order_item (order_id bigint not null, product_id int not null, qty smallint not null, primary key (order_id, product_id));
create table country (code char(3) primary key, name text not null, capital int);
create table city (id serial primary key, name varchar(35) not null, countrycode char(3) not null);
create table store (store_id serial primary key, manager_staff_id int not null unique);
create table staff (staff_id serial primary key, store_id int not null, username varchar(16) not null);
`;
}

export function foreignKeysDdl(s: string): string {
  const d = 'deferrable initially deferred';
  return `
set search_path to "${s}";
alter table customer add constraint customer_region_fk foreign key (region_id) references region(id) ${d};
alter table customer add constraint customer_referred_by_fk foreign key (referred_by) references customer(id) ${d};
alter table orders add constraint orders_customer_fk foreign key (customer_id) references customer(id) ${d};
alter table order_item add constraint order_item_order_fk foreign key (order_id) references orders(id) ${d};
alter table order_item add constraint order_item_product_fk foreign key (product_id) references product(id) ${d};
alter table country add constraint country_capital_fk foreign key (capital) references city(id) ${d};
alter table city add constraint city_country_fk foreign key (countrycode) references country(code) ${d};
alter table store add constraint store_manager_fk foreign key (manager_staff_id) references staff(staff_id) ${d};
alter table staff add constraint staff_store_fk foreign key (store_id) references store(store_id) ${d};
`;
}

export const DATA = `
set search_path to public;
select setseed(0.42);
insert into region(name) select 'Region ' || g from generate_series(1, 5) g;
insert into customer(region_id, code, score, age, tier, active, born, created_at, referred_by, profile, tags, bio)
select 1 + floor(power(random(), 2) * 5)::int, 'C-' || lpad(g::text, 6, '0'),
  case when g % 10 = 0 then null else round((random() * 900 + 50)::numeric, 2) end,
  18 + floor(random() * 60)::int, (array['gold', 'silver', 'bronze', 'bronze'])[1 + g % 4], g % 3 <> 0,
  date '1950-01-01' + floor(random() * 20000)::int, timestamp '2020-01-01' + random() * interval '1000 days',
  case when g > 1 and g % 4 <> 0 then 1 + floor(random() * (g - 1))::int end,
  jsonb_build_object('visits', floor(random() * 100)::int, 'source', 'web'), array['a', 'b'], repeat('word ', 1 + g % 6)
from generate_series(1, 400) g;
insert into product select g, 'SK' || lpad(g::text, 6, '0'), round((random() * 100 + 1)::numeric, 2), (array['book', 'toy', null])[1 + g % 3]
from generate_series(1, 50) g;
insert into orders(customer_id, placed_at, status, note)
select c.id, timestamptz '2021-01-01 00:00:00+00' + random() * interval '700 days',
  (array['new', 'paid', 'shipped', 'paid'])[1 + floor(random() * 4)::int], null
from customer c, generate_series(1, c.id % 7) k;
insert into order_item
select o.id, s.p, 1 + floor(random() * 5)::int
from orders o, lateral (select distinct 1 + ((o.id * 7 + k * 13) % 50)::int as p from generate_series(1, 1 + (o.id % 4)::int) k) s;
insert into country(code, name) select chr(65 + g / 26 % 26) || chr(65 + g % 26) || 'X', 'Country ' || g from generate_series(0, 99) g;
insert into city(name, countrycode) select 'City ' || g, (select code from country order by code offset (g * 37 % 100) limit 1) from generate_series(1, 500) g;
update country set capital = (select min(id) from city where countrycode = code) where code < 'DZ';
insert into store(manager_staff_id) select g * 4 - 3 from generate_series(1, 10) g;
insert into staff(store_id, username) select 1 + (g - 1) / 4, 'user' || g from generate_series(1, 40) g;
`;

const ts = { kind: 'timestamp', withTimeZone: false } as const;

export const shopSchema: DatabaseSchema = schemaOf([
  table('region', [col('id', int4, { nullable: false, autoIncrement: 'serial' }), col('name', text, { nullable: false })], { primaryKey: pk('id') }),
  table(
    'customer',
    [
      col('id', int4, { nullable: false, autoIncrement: 'serial' }),
      col('region_id', int4, { nullable: false }),
      col('code', varchar(12), { nullable: false }),
      col('score', { kind: 'decimal', precision: 6, scale: 2 }),
      col('age', int4, { nullable: false }),
      col('tier', text, { nullable: false }),
      col('active', { kind: 'boolean' }, { nullable: false }),
      col('born', { kind: 'date' }),
      col('created_at', ts, { nullable: false }),
      col('referred_by', int4),
      col('profile', { kind: 'json', binary: true }),
      col('tags', { kind: 'array', element: text, dimensions: 1 }),
      col('bio', text),
    ],
    {
      primaryKey: pk('id'),
      uniques: [uq('customer_code_key', 'code')],
      foreignKeys: [fk('customer_region_fk', ['region_id'], 'region', ['id']), fk('customer_referred_by_fk', ['referred_by'], 'customer', ['id'])],
    },
  ),
  table(
    'product',
    [
      col('id', int4, { nullable: false }),
      col('sku', { kind: 'text', maxLength: 8, fixedLength: true }, { nullable: false }),
      col('price', { kind: 'decimal', precision: 8, scale: 2 }, { nullable: false }),
      col('kind', varchar(10)),
    ],
    { primaryKey: pk('id'), uniques: [uq('product_sku_key', 'sku')] },
  ),
  table(
    'orders',
    [
      col('id', int8, { nullable: false, autoIncrement: 'serial' }),
      col('customer_id', int4, { nullable: false }),
      col('placed_at', { kind: 'timestamp', withTimeZone: true }, { nullable: false }),
      col('status', varchar(10), { nullable: false }),
      col('note', text),
    ],
    { primaryKey: pk('id'), foreignKeys: [fk('orders_customer_fk', ['customer_id'], 'customer', ['id'])] },
  ),
  table(
    'order_item',
    [col('order_id', int8, { nullable: false }), col('product_id', int4, { nullable: false }), col('qty', int2, { nullable: false })],
    {
      primaryKey: pk('order_id', 'product_id'),
      foreignKeys: [fk('order_item_order_fk', ['order_id'], 'orders', ['id']), fk('order_item_product_fk', ['product_id'], 'product', ['id'])],
    },
  ),
  table(
    'country',
    [col('code', { kind: 'text', maxLength: 3, fixedLength: true }, { nullable: false }), col('name', text, { nullable: false }), col('capital', int4)],
    { primaryKey: pk('code'), foreignKeys: [fk('country_capital_fk', ['capital'], 'city', ['id'])] },
  ),
  table(
    'city',
    [col('id', int4, { nullable: false, autoIncrement: 'serial' }), col('name', varchar(35), { nullable: false }), col('countrycode', { kind: 'text', maxLength: 3, fixedLength: true }, { nullable: false })],
    { primaryKey: pk('id'), foreignKeys: [fk('city_country_fk', ['countrycode'], 'country', ['code'])] },
  ),
  table('store', [col('store_id', int4, { nullable: false, autoIncrement: 'serial' }), col('manager_staff_id', int4, { nullable: false })], {
    primaryKey: pk('store_id'),
    uniques: [uq('store_manager_staff_id_key', 'manager_staff_id')],
    foreignKeys: [fk('store_manager_fk', ['manager_staff_id'], 'staff', ['staff_id'])],
  }),
  table(
    'staff',
    [col('staff_id', int4, { nullable: false, autoIncrement: 'serial' }), col('store_id', int4, { nullable: false }), col('username', varchar(16), { nullable: false })],
    { primaryKey: pk('staff_id'), foreignKeys: [fk('staff_store_fk', ['store_id'], 'store', ['store_id'])] },
  ),
]);

export async function createShop(db: TestDatabase): Promise<void> {
  await db.exec(ddl('public'));
  await db.exec(DATA);
  await db.exec(foreignKeysDdl('public'));
}

export async function readShop(db: TestDatabase): Promise<{ samples: Map<string, TableSample>; histograms: ChildCountHistogram[] }> {
  await db.exec('set search_path to public');
  const samples = new Map<string, TableSample>();
  const histograms: ChildCountHistogram[] = [];
  for (const t of shopSchema.tables) {
    samples.set(tableKey(t), await readSample(db, t));
    for (const f of t.foreignKeys) histograms.push(await readHistogram(db, t, f.name));
  }
  return { samples, histograms };
}

/** Inserts generated batches into `schema` (same DDL, deferred FKs) in one transaction; COMMIT checks every constraint. */
export async function insertBatches(db: TestDatabase, s: string, t: Table, columns: string[], rows: Row[]): Promise<void> {
  for (let off = 0; off < rows.length; off += 500) {
    const chunk = rows.slice(off, off + 500);
    const params: unknown[] = [];
    const tuples = chunk.map((r) => `(${r.map((v) => {
      params.push(typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v) : v);
      return `$${params.length}`;
    }).join(', ')})`);
    await db.query(`insert into "${s}"."${t.name}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(', ')}`, params);
  }
}

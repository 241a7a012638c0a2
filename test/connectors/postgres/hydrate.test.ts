import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresSource, openPostgresTarget } from '../../../src/connectors/postgres/index.js';
import type { IntegrityCheck, SourceConnector, TargetConnector } from '../../../src/connectors/connector.js';
import { writableColumns, type DatabaseSchema } from '../../../src/schema/model.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';
import { FEATURE_SQL } from './fixtures.js';

const DATA = `
  INSERT INTO shop.customers (email, name, mood, tags, created_at)
    SELECT 'u' || g || '@x.org', CASE WHEN g % 7 = 0 THEN NULL ELSE 'name ' || g END, (ARRAY['sad','ok','happy'])[1 + g % 3]::shop.mood,
           CASE WHEN g % 5 = 0 THEN NULL ELSE ARRAY['t' || g, 'q"\\\\' || g] END, '2024-01-01'::timestamptz + g * interval '1 hour'
      FROM generate_series(1, 300) g;
  INSERT INTO shop.orders (customer_id, qty, price, note, flags, vflags)
    SELECT 1 + g % 300, 1 + g % 9, (g % 1000) / 7.0, CASE WHEN g % 2 = 0 THEN 'abc' END, B'1010', B'11'
      FROM generate_series(1, 1000) g;
  INSERT INTO shop."Order Items" SELECT o.id, l, E'tab\\tline\\nx', l FROM shop.orders o, generate_series(1, 3) l WHERE o.id % 2 = 0;
  INSERT INTO shop.item_notes (order_id, line, body) SELECT order_id, line, NULL FROM shop."Order Items" WHERE line = 1;
  INSERT INTO shop.misc VALUES
    ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a":1}', '{"b":[1,2]}', 'x:1', '\\x0001', '1 day', '10.0.0.1', '10.0.0.0/8', '08:00:2b:01:02:03',
     12.5, '<x/>', '2024-02-29', '10:00', '10:00+02', '2024-01-01 10:00:00.123', 1.5, 2.25, true, 1.000001, 3, 9007199254740993, '{1,2}',
     '{happy,sad}', '[1,5)');
  INSERT INTO shop.misc (id) VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12');
  INSERT INTO shop.bookings SELECT g, g % 3, tsrange('2024-01-01'::timestamp + g * interval '1 day', '2024-01-01'::timestamp + (g + 1) * interval '1 day') FROM generate_series(1, 30) g;
  INSERT INTO shop.events SELECT g, DATE '2023-06-01' + (g % 400), 'k' || (g % 4) FROM generate_series(1, 500) g;
  ANALYZE;
`;

let src: TestDatabase;
let dst: TestDatabase;
let source: SourceConnector;
let target: TargetConnector;
let schema: DatabaseSchema;

beforeAll(async () => {
  src = await createPgDatabase('synth_pg_hyd_src');
  dst = await createPgDatabase('synth_pg_hyd_dst');
  await src.exec(FEATURE_SQL);
  await src.exec(DATA);
  // The exclusion constraint needs btree_gist's operator classes in the target too.
  await dst.exec('CREATE EXTENSION btree_gist');
  source = await openPostgresSource(src.url);
  target = await openPostgresTarget(dst.url);
  schema = await source.introspect();
});

afterAll(async () => {
  await source?.close();
  await target?.close();
  await src?.drop();
  await dst?.drop();
});

describe('PG → PG copy through the connector contract', () => {
  it('copies every table exactly (checksums equal), passes every integrity check, and leaves the source unchanged', async () => {
    const before = new Map<string, string>();
    for (const t of schema.tables) before.set(t.name, await source.checksum(t));
    // Range columns are generated (as their parts) and created with their own type: nothing to announce.
    expect(target.describeMapping(schema)).toEqual([]);
    const shadow = await target.createShadow('hyd1', schema);
    let total = 0;
    for (const t of schema.tables) {
      const columns = writableColumns(t).map((c) => c.name);
      total += await target.load(shadow, t, source.readRows(t, { columns, batchSize: 97 }));
    }
    expect(total).toBe(300 + 1000 + 1500 + 500 + 2 + 500 + 30);
    await target.finalize(shadow, schema);
    const checks: IntegrityCheck[] = [];
    for (const t of schema.tables) {
      for (const fk of t.foreignKeys) checks.push({ kind: 'orphan', table: t, foreignKey: fk });
      for (const u of t.uniques) checks.push({ kind: 'duplicate', table: t, columns: u.columns, constraint: u.name, nullsDistinct: u.nullsDistinct });
      for (const c of t.checks) checks.push({ kind: 'check', table: t, constraint: c.name, expression: c.expression, dialect: 'postgres' });
      for (const c of t.columns) if (!c.nullable) checks.push({ kind: 'not-null', table: t, column: c.name });
    }
    const counts = await target.countViolations(shadow, checks);
    expect(counts.length).toBe(23);
    expect(counts.filter((c) => c.violations !== 0 || c.skipped)).toEqual([]);
    const swap = await target.swap(shadow, schema);
    expect(swap.notes.filter((n) => /not recreated/.test(n))).toEqual([]);
    const copy = await openPostgresSource(dst.url);
    try {
      for (const t of schema.tables) {
        expect(await copy.checksum(t), t.name).toBe(before.get(t.name));
        expect(await source.checksum(t), `source ${t.name}`).toBe(before.get(t.name));
      }
      // The copy introspects to the same model (row estimates aside).
      const again = await copy.introspect();
      const strip = (s: DatabaseSchema) => s.tables.map((t) => ({ ...t, estimatedRows: 0 }));
      expect(strip(again)).toEqual(strip(schema));
      expect(again.otherObjects).toEqual(schema.otherObjects);
      expect(await dst.query(`SELECT count(*)::int AS n FROM shop.big_orders`)).toEqual(await src.query(`SELECT count(*)::int AS n FROM shop.big_orders`));
    } finally {
      await copy.close();
    }
  });
});

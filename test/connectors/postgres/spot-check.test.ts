import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrityCheck, IntegrityCount } from '../../../src/connectors/connector.js';
import { openPgSession, type PgSession } from '../../../src/connectors/postgres/postgres-session.js';
import { countViolations } from '../../../src/connectors/postgres/postgres-validate.js';
import type { ForeignKey } from '../../../src/schema/model.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

/**
 * Two shadows holding the same rows in different physical order, as two parallel loads of one seed leave them
 * (schema `a` loaded in key order, `b` in a hashed order), spot-checked from 1 page on: tables of ~1 500 pages run the
 * code of a 10 000-page table, and a 500-page sample of them (the former spot check) read other rows in each.
 */
const ROWS = 60_000;
const ctx = { locate: (t: { schema: string }) => t.schema };
const fk = (schema: string, name: string, columns: string[], parent: string, parentColumns: string[]): ForeignKey => ({
  name, columns, references: { schema, name: parent, columns: parentColumns }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION', deferrable: false,
});
const checksOf = (schema: string): IntegrityCheck[] => [
  { kind: 'orphan', table: { schema, name: 'line' }, foreignKey: fk(schema, 'line_order_fk', ['order_id'], 'orders', ['id']) },
  { kind: 'orphan', table: { schema, name: 'line' }, foreignKey: fk(schema, 'line_item_fk', ['order_id', 'item'], 'item', ['order_id', 'item']) },
  { kind: 'orphan', table: { schema, name: 'loose' }, foreignKey: fk(schema, 'loose_order_fk', ['order_id'], 'orders', ['id']) },
  { kind: 'orphan', table: { schema, name: 'bad_line' }, foreignKey: fk(schema, 'bad_line_fk', ['order_id'], 'orders', ['id']) },
  { kind: 'duplicate', table: { schema, name: 'loose' }, columns: ['code'], constraint: 'loose_code_key', nullsDistinct: true },
  { kind: 'duplicate', table: { schema, name: 'loose' }, columns: ['order_id', 'item'], constraint: 'loose_pair_key', nullsDistinct: true },
  { kind: 'duplicate', table: { schema, name: 'bad_line' }, columns: ['code'], constraint: 'bad_line_code_key', nullsDistinct: true },
];
const answers = (counts: IntegrityCount[]) => counts.map(({ violations, sampled }) => ({ violations, sampled }));

describe('PostgreSQL gate: spot checks pick their rows by key', () => {
  let db: TestDatabase;
  let session: PgSession;

  beforeAll(async () => {
    db = await createPgDatabase('synth_spot_pg');
    for (const [schema, order] of [['a', 'i'], ['b', "md5(i::text)"]] as const) {
      // line: primary key (order_id, n) led by an integer; loose: no primary key (same rows); bad_line: 1 in 20
      // references no order, and every 10th code repeats its neighbour's.
      await db.exec(`
        CREATE SCHEMA ${schema};
        CREATE TABLE ${schema}.orders (id int PRIMARY KEY);
        INSERT INTO ${schema}.orders SELECT i FROM generate_series(1, ${ROWS / 4}) i ORDER BY ${order};
        CREATE TABLE ${schema}.item (order_id int, item int, PRIMARY KEY (order_id, item));
        INSERT INTO ${schema}.item SELECT 1 + (i - 1) / 4, (i - 1) % 4 FROM generate_series(1, ${ROWS}) i ORDER BY ${order};
        CREATE TABLE ${schema}.line (order_id int, n int, item int, code text, pad text, PRIMARY KEY (order_id, n));
        INSERT INTO ${schema}.line SELECT 1 + (i - 1) / 4, (i - 1) % 4, (i - 1) % 4, 'c' || i, repeat('x', 50 + i % 300)
          FROM generate_series(1, ${ROWS}) i ORDER BY ${order};
        CREATE TABLE ${schema}.loose (order_id int, item int, code text, pad text);
        INSERT INTO ${schema}.loose SELECT order_id, item, code, pad FROM ${schema}.line ORDER BY md5(code || '${schema}');
        CREATE TABLE ${schema}.bad_line (id int PRIMARY KEY, order_id int, code text, pad text);
        INSERT INTO ${schema}.bad_line SELECT i, CASE WHEN i % 20 = 0 THEN ${ROWS} + i ELSE 1 + i % ${ROWS / 4} END,
          'c' || CASE WHEN i % 10 = 0 THEN i - 1 ELSE i END, repeat('x', 50 + i % 300) FROM generate_series(1, ${ROWS}) i ORDER BY ${order};
        ANALYZE;`);
    }
    session = await openPgSession(db.url, { readOnly: false });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await db?.drop();
  });

  it('gives the same sampled rows and counts for the same rows in another physical order', async () => {
    const [pages] = await db.query<{ a: string; b: string }>(
      `SELECT (SELECT min(ctid)::text FROM a.line WHERE order_id = 5000) AS a, (SELECT min(ctid)::text FROM b.line WHERE order_id = 5000) AS b`,
    );
    expect(pages!.a).not.toBe(pages!.b);
    const a = await countViolations(session, checksOf('a'), ctx, { spotCheckMinPages: 1 });
    const b = await countViolations(session, checksOf('b'), ctx, { spotCheckMinPages: 1 });
    // All but loose's orphans: a child without a primary key keeps the page sample (next test).
    const byKey = (counts: IntegrityCount[]) => answers(counts.filter((_, i) => i !== 2));
    expect(byKey(a)).toEqual(byKey(b));
    const [line, lineItem, , badLine, looseCode, loosePair, badCode] = a;
    // By key ranges of the primary key: about 20 000 of the 60 000 rows, the same ones for both FKs.
    expect(line!.violations).toBe(0);
    expect(line!.sampled).toBeGreaterThan(15_000);
    expect(line!.sampled).toBeLessThanOrEqual(20_000);
    expect(lineItem!.sampled).toBe(line!.sampled);
    // Found by the sample, then counted in full: exact, no sample size.
    expect(badLine).toMatchObject({ violations: ROWS / 20 });
    expect(badLine!.sampled).toBeUndefined();
    expect(badCode).toMatchObject({ violations: ROWS / 10 });
    // Duplicates by a hash of the key: ~1/64 of the keys, every row holding one of them.
    expect(looseCode!.violations).toBe(0);
    expect(looseCode!.sampled).toBeGreaterThan(ROWS / 64 / 2);
    expect(looseCode!.sampled).toBeLessThan((ROWS / 64) * 2);
    expect(loosePair!.sampled).toBeGreaterThan(0);
  }, 120_000);

  it('keeps the page sample for a child without a primary key, proves a key by a unique index, counts in full below the size', async () => {
    const [, , loose] = await countViolations(session, checksOf('a'), ctx, { spotCheckMinPages: 1 });
    expect(loose!.violations).toBe(0);
    expect(loose!.sampled).toBeGreaterThan(0);
    // A unique index of the key's columns (here the primary key, built by another process) proves it: no query.
    const pk: IntegrityCheck = { kind: 'duplicate', table: { schema: 'a', name: 'line' }, columns: ['n', 'order_id'], constraint: 'line_pkey', nullsDistinct: true };
    const wider: IntegrityCheck = { ...pk, columns: ['order_id', 'n', 'code'] };
    const subset: IntegrityCheck = { ...pk, columns: ['order_id'] };
    const [byPk, byWider, notProven] = await countViolations(session, [pk, wider, subset], ctx, { spotCheckMinPages: 1 });
    expect(byPk).toEqual({ check: pk, violations: 0, byIndex: true });
    expect(byWider).toEqual({ check: wider, violations: 0, byIndex: true });
    expect(notProven!.byIndex).toBeUndefined();
    expect(notProven!.violations).toBe(ROWS - ROWS / 4);
    const full = await countViolations(session, checksOf('b'), ctx);
    expect(full.map((c) => c.sampled)).toEqual(checksOf('b').map(() => undefined));
    expect(full.map((c) => c.violations)).toEqual([0, 0, 0, ROWS / 20, 0, 0, ROWS / 10]);
  }, 120_000);
});

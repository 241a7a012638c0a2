import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlDatabase, type TestDatabase } from '../../support/databases.js';
import { openMysqlSource } from '../../../src/connectors/mysql/index.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import { collect } from './helpers.js';

let db: TestDatabase;
let src: SourceConnector;
let schema: DatabaseSchema;
const table = (name: string): Table => schema.tables.find((x) => x.name === name)!;

beforeAll(async () => {
  db = await createMysqlDatabase('synth_myread');
  await db.exec(`
    SET time_zone = '+02:00';
    CREATE TABLE v (
      id INT PRIMARY KEY, flag TINYINT(1), f4 FLOAT, big BIGINT, ubig BIGINT UNSIGNED, dec1 DECIMAL(20,6), fl DOUBLE,
      bits BIT(5), yr YEAR, dt DATETIME(6), ts TIMESTAMP(3) NULL, d DATE, t TIME,
      s SET('a','b','c'), j JSON, g POINT, bl BLOB, e ENUM('x','y'), tx TEXT, gv INT AS (id * 10) VIRTUAL
    );
    INSERT INTO v (id, flag, f4, big, ubig, dec1, fl, bits, yr, dt, ts, d, t, s, j, g, bl, e, tx) VALUES
      (1, 1, 1098581, 9007199254740993, 18446744073709551615, 12345678901234.500001, 1.25, b'00101', 2024,
       '2024-02-29 13:14:15.123456', '2024-06-01 12:00:00.250', '2024-02-29', '838:59:59', 'a,c',
       '{"k": [1, 2, {"n": null}]}', ST_GeomFromText('POINT(1 2)'), X'00FF10', 'y', 'tab\\there\\nnew'),
      (2, 0, 63.7, 42, 7, -0.5, -2.5e10, b'11111', 1901, '1000-01-01 00:00:00', NULL, '9999-12-31', '00:00:00', '',
       '"just a string"', NULL, X'', 'x', ''),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    CREATE TABLE parent (id INT PRIMARY KEY);
    CREATE TABLE child (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES parent (id));
    INSERT INTO parent VALUES (1), (2), (3), (4), (5);
    INSERT INTO child VALUES (1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (7, NULL);
    CREATE TABLE many (id INT PRIMARY KEY, x INT);
    CREATE TABLE cp (a INT, b INT, PRIMARY KEY (a, b));
    CREATE TABLE cc (id INT PRIMARY KEY, a INT, b INT, FOREIGN KEY (a, b) REFERENCES cp (a, b));
    INSERT INTO cp VALUES (1, 1), (1, 2), (2, 1);
    INSERT INTO cc VALUES (1, 1, 1), (2, 1, 1), (3, 1, 2), (4, 1, NULL), (5, NULL, 2);
  `);
  await db.exec(`SET SESSION max_recursive_iterations = 100000; INSERT INTO many WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) SELECT i, i % 7 FROM n`);
  src = await openMysqlSource(db.url);
  schema = await src.introspect();
});
afterAll(async () => {
  await src?.close();
  await db?.drop();
});

describe('mysql reader', () => {
  it('converts every type to neutral values', async () => {
    const t = table('v');
    const cols = ['id', 'flag', 'f4', 'big', 'ubig', 'dec1', 'fl', 'bits', 'yr', 'dt', 'ts', 'd', 't', 's', 'j', 'g', 'bl', 'e', 'tx', 'gv'];
    const rows = await collect(src.readRows(t, { columns: cols }));
    rows.sort((a, b) => Number(a[0]) - Number(b[0]));
    const r1 = Object.fromEntries(cols.map((c, i) => [c, rows[0]![i]]));
    expect(r1).toEqual({
      id: 1, flag: true, f4: 1098581, big: 9007199254740993n, ubig: 18446744073709551615n, dec1: '12345678901234.500001', fl: 1.25,
      bits: '00101', yr: 2024, dt: '2024-02-29 13:14:15.123456',
      // inserted at +02:00, read back as UTC
      ts: '2024-06-01 10:00:00.25+00', d: '2024-02-29', t: '838:59:59', s: ['a', 'c'],
      j: { k: [1, 2, { n: null }] }, g: 'POINT(1 2)', bl: new Uint8Array([0, 255, 16]), e: 'y', tx: 'tab\there\nnew', gv: 10,
    });
    const r2 = Object.fromEntries(cols.map((c, i) => [c, rows[1]![i]]));
    expect(r2).toMatchObject({ flag: false, f4: 63.7, big: 42, ubig: 7, dec1: '-0.500000', fl: -2.5e10, bits: '11111', yr: 1901, s: [], j: 'just a string', bl: new Uint8Array([]), tx: '' });
    expect(rows[2]!.slice(1, 19).every((v) => v === null)).toBe(true);
    expect(rows[0]![16]).toBeInstanceOf(Uint8Array);
  });

  it('streams in batches of the requested size and counts exactly', async () => {
    const sizes: number[] = [];
    for await (const b of src.readRows(table('many'), { columns: ['id', 'x'], batchSize: 1000 })) {
      expect(b.columns).toEqual(['id', 'x']);
      sizes.push(b.rows.length);
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(await src.countRows(table('many'))).toBe(2500);
  });

  it('samples deterministically with a seed', async () => {
    const a = await collect(src.readRows(table('many'), { columns: ['id'], limit: 50, seed: 7 }));
    const b = await collect(src.readRows(table('many'), { columns: ['id'], limit: 50, seed: 7 }));
    const c = await collect(src.readRows(table('many'), { columns: ['id'], limit: 50, seed: 8 }));
    expect(a).toHaveLength(50);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a.map((r) => r[0])).size).toBe(50);
  });

  it('stops cleanly when the consumer stops early', async () => {
    for await (const b of src.readRows(table('many'), { columns: ['id'], batchSize: 100 })) {
      expect(b.rows).toHaveLength(100);
      break;
    }
    expect(await src.countRows(table('many'))).toBe(2500);
  });

  it('computes the child-count histogram including parents without children', async () => {
    const child = table('child');
    const h = await src.childCountHistogram(child, child.foreignKeys[0]!);
    expect(h).toEqual([
      { children: 0, parents: 2 },
      { children: 1, parents: 1 },
      { children: 2, parents: 1 },
      { children: 3, parents: 1 },
    ]);
  });

  it('computes the histogram of a composite FK, ignoring children with a NULL key column', async () => {
    const cc = table('cc');
    expect(await src.childCountHistogram(cc, cc.foreignKeys[0]!)).toEqual([
      { children: 0, parents: 1 },
      { children: 1, parents: 1 },
      { children: 2, parents: 1 },
    ]);
  });

  it('introspects only the databases asked for', async () => {
    const other = await createMysqlDatabase('synth_myread2');
    try {
      await other.exec('CREATE TABLE elsewhere (id INT PRIMARY KEY)');
      const s = await src.introspect({ schemas: [other.name] });
      expect(s.schemas).toEqual([other.name]);
      expect(s.tables.map((t) => `${t.schema}.${t.name}`)).toEqual([`${other.name}.elsewhere`]);
      expect(await src.countRows(s.tables[0]!)).toBe(0);
    } finally {
      await other.drop();
    }
  });

  it('identifies the server and database, and checksums order-independently', async () => {
    const id = await src.identity();
    expect(id).toContain(db.name);
    expect(id.startsWith('mysql:')).toBe(true);
    const before = await src.checksum(table('many'));
    await db.exec('CREATE TABLE many2 (id INT PRIMARY KEY, x INT); INSERT INTO many2 SELECT id, x FROM many ORDER BY id DESC;');
    expect(await src.checksum({ schema: db.name, name: 'many2' })).toBe(before);
    await db.exec('UPDATE many2 SET x = x + 1 WHERE id = 5');
    expect(await src.checksum({ schema: db.name, name: 'many2' })).not.toBe(before);
  });

  it('runs in a read-only session', async () => {
    // The connector exposes no write path; prove the session itself refuses writes.
    const rows = await collect(src.readRows(table('many'), { columns: ['id'], limit: 1 }));
    expect(rows).toHaveLength(1);
    const { openSession } = await import('../../../src/connectors/mysql/mysql-session.js');
    const s = await openSession(db.url, true, 'test');
    try {
      await expect(s.withConnection(async (c) => {
        await c.query('START TRANSACTION');
        await c.query(`INSERT INTO \`${db.name}\`.many VALUES (99999, 1)`);
      })).rejects.toThrow(/READ ONLY/i);
    } finally {
      await s.close();
    }
  });
});

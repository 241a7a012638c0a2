import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresSource } from '../../../src/connectors/postgres/index.js';
import { openPgSession } from '../../../src/connectors/postgres/postgres-session.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import type { Row, RowBatch } from '../../../src/schema/values.js';
import { isSynthError } from '../../../src/errors.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let source: SourceConnector;
let schema: DatabaseSchema;

const table = (name: string): Table => schema.tables.find((t) => t.name === name)!;
async function collect(it: AsyncIterable<RowBatch>): Promise<{ batches: number; rows: Row[] }> {
  let batches = 0;
  const rows: Row[] = [];
  for await (const b of it) {
    batches++;
    rows.push(...b.rows);
  }
  return { batches, rows };
}

beforeAll(async () => {
  db = await createPgDatabase('synth_pg_read');
  await db.exec(`
    SET TimeZone = 'America/New_York';
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE TABLE vals (
      id integer PRIMARY KEY, big bigint, n numeric(30,10), f float8, r real, b boolean, t text, d date,
      ts timestamp(6), tstz timestamptz, tm time, iv interval, u uuid, j json, jb jsonb, bin bytea,
      ints integer[], txts text[], grid integer[][], m mood, cash money, ip inet, bits bit(3), tsv tsvector
    );
    INSERT INTO vals VALUES
      (1, 9007199254740993, 12345678901234567890.0123456789, 0.1, 1.5, true, E'tab\\there\\nnew "q" \\\\ back', '2024-02-29',
       '2024-01-02 03:04:05.123456', '2024-06-01 12:00:00+02', '23:59:59.5', '1 day 02:00:00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
       '{"a": [1, 2]}', '{"k": null}', '\\x00ff10', '{1,NULL,3}', '{"a b","c,d","e\\"f",NULL,"NULL"}', '{{1,2},{3,4}}', 'happy', 12.5,
       '10.0.0.1/8', B'101', 'a:1 b:2'),
      (2, 5, 1, -1e300, 0, false, '', '0001-01-01', '2000-01-01 00:00:00', '1999-12-31 23:00:00-01', '00:00:00', '-3 mons', NULL,
       'null', '[]', '\\x', '{}', '{}', NULL, 'sad', -3, '::1', B'000', '');
    INSERT INTO vals (id) VALUES (3);
    CREATE TABLE parents (a int, b int, PRIMARY KEY (a, b));
    CREATE TABLE kids (id serial PRIMARY KEY, pa int, pb int, FOREIGN KEY (pa, pb) REFERENCES parents (a, b));
    INSERT INTO parents SELECT g, g % 3 FROM generate_series(1, 10) g;
    INSERT INTO kids (pa, pb) VALUES (1, 1), (1, 1), (1, 1), (2, 2), (2, 2), (3, 0), (NULL, 1), (4, NULL);
    CREATE TABLE big AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 2000) g;
  `);
  source = await openPostgresSource(db.url);
  schema = await source.introspect();
});

afterAll(async () => {
  await source?.close();
  await db?.drop();
});

describe('postgres source reads', () => {
  it('runs on a read-only session: writes through it fail', async () => {
    const session = await openPgSession(db.url, { readOnly: true });
    try {
      await expect(session.query('CREATE TABLE nope (x int)')).rejects.toThrow(/read-only/);
      await expect(session.query('INSERT INTO parents VALUES (100, 1)')).rejects.toThrow(/read-only/);
    } finally {
      await session.close();
    }
    expect(await db.query(`SELECT count(*)::int AS n FROM parents WHERE a = 100`)).toEqual([{ n: 0 }]);
  });

  it('converts every value kind to neutral values', async () => {
    const t = table('vals');
    const columns = t.columns.map((c) => c.name);
    const { rows } = await collect(source.readRows(t, { columns }));
    const byId = new Map(rows.map((r) => [r[0], Object.fromEntries(columns.map((c, i) => [c, r[i]]))]));
    const r1 = byId.get(1)!;
    expect(r1.big).toBe(9007199254740993n);
    expect(r1.n).toBe('12345678901234567890.0123456789');
    expect(r1.f).toBe(0.1);
    expect(r1.r).toBe(1.5);
    expect(r1.b).toBe(true);
    expect(r1.t).toBe('tab\there\nnew "q" \\ back');
    expect(r1.d).toBe('2024-02-29');
    expect(r1.ts).toBe('2024-01-02 03:04:05.123456');
    expect(r1.tstz).toBe('2024-06-01 10:00:00+00');
    expect(r1.tm).toBe('23:59:59.5');
    expect(r1.iv).toBe('1 day 02:00:00');
    expect(r1.u).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(r1.j).toEqual({ a: [1, 2] });
    expect(r1.jb).toEqual({ k: null });
    expect(r1.bin).toEqual(new Uint8Array([0, 255, 16]));
    expect(r1.ints).toEqual([1, null, 3]);
    expect(r1.txts).toEqual(['a b', 'c,d', 'e"f', null, 'NULL']);
    expect(r1.grid).toEqual([[1, 2], [3, 4]]);
    expect(r1.m).toBe('happy');
    expect(r1.cash).toBe('12.50');
    expect(r1.ip).toBe('10.0.0.1/8');
    expect(r1.bits).toBe('101');
    expect(r1.tsv).toBe("'a':1 'b':2");
    const r2 = byId.get(2)!;
    expect(r2.big).toBe(5);
    expect(r2.f).toBe(-1e300);
    expect(r2.b).toBe(false);
    expect(r2.t).toBe('');
    expect(r2.tstz).toBe('2000-01-01 00:00:00+00');
    expect(r2.j).toBeNull();
    expect(r2.jb).toEqual([]);
    expect(r2.bin).toEqual(new Uint8Array([]));
    expect(r2.ints).toEqual([]);
    expect(r2.cash).toBe('-3.00');
    const r3 = byId.get(3)!;
    expect(columns.filter((c) => c !== 'id').every((c) => r3[c] === null)).toBe(true);
  });

  it('streams in batches of the requested size', async () => {
    const { batches, rows } = await collect(source.readRows(table('big'), { columns: ['id'], batchSize: 300 }));
    expect(rows).toHaveLength(2000);
    expect(batches).toBe(7);
    expect(new Set(rows.map((r) => r[0])).size).toBe(2000);
  });

  it('samples about `limit` rows, deterministically for a seed', async () => {
    const read = async (seed: number) => (await collect(source.readRows(table('big'), { columns: ['id'], limit: 50, seed }))).rows.map((r) => r[0]);
    const a = await read(7);
    const b = await read(7);
    const c = await read(8);
    expect(a).toHaveLength(50);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a).size).toBe(50);
  });

  it('draws the same seeded sample whatever the physical row order', async () => {
    await db.exec(`CREATE TABLE big_shuffled AS SELECT * FROM big ORDER BY random()`);
    const fresh = await source.introspect();
    const read = async (name: string) => {
      const t = fresh.tables.find((x) => x.name === name)!;
      const out: Row[] = [];
      for await (const b of source.readRows(t, { columns: ['id', 'h'], limit: 40, seed: 3 })) out.push(...b.rows);
      return out;
    };
    expect(await read('big_shuffled')).toEqual(await read('big'));
  });

  it('counts rows exactly', async () => {
    expect(await source.countRows({ schema: 'public', name: 'big' })).toBe(2000);
    expect(await source.countRows({ schema: 'public', name: 'kids' })).toBe(8);
  });

  it('computes the child-count histogram in SQL, zero bucket included', async () => {
    const kids = table('kids');
    const hist = await source.childCountHistogram(kids, kids.foreignKeys[0]!);
    // parents (1,1) has 3 kids, (2,2) has 2, (3,0) has 1, the other 7 parents none; NULL-keyed kids count nowhere.
    expect(hist).toEqual([
      { children: 0, parents: 7 },
      { children: 1, parents: 1 },
      { children: 2, parents: 1 },
      { children: 3, parents: 1 },
    ]);
  });

  it('checksums are order-independent, stable across reads and change with the data', async () => {
    const before = await source.checksum({ schema: 'public', name: 'vals' });
    await collect(source.readRows(table('vals'), { columns: ['id', 't'] }));
    await source.introspect();
    expect(await source.checksum({ schema: 'public', name: 'vals' })).toBe(before);
    await db.exec(`CREATE TABLE shuffled AS SELECT * FROM big ORDER BY random(); CREATE TABLE sorted AS SELECT * FROM big ORDER BY id`);
    expect(await source.checksum({ schema: 'public', name: 'shuffled' })).toBe(await source.checksum({ schema: 'public', name: 'sorted' }));
    await db.exec(`UPDATE sorted SET h = 'x' WHERE id = 5`);
    expect(await source.checksum({ schema: 'public', name: 'shuffled' })).not.toBe(await source.checksum({ schema: 'public', name: 'sorted' }));
  });

  it('reads legacy inheritance parents without their children, partitioned parents with their partitions', async () => {
    await db.exec(`
      CREATE TABLE animals (id int, name text);
      CREATE TABLE dogs (good boolean) INHERITS (animals);
      INSERT INTO animals VALUES (1, 'cat');
      INSERT INTO dogs VALUES (2, 'rex', true);
      CREATE TABLE parted (id int, at date) PARTITION BY RANGE (at);
      CREATE TABLE parted_a PARTITION OF parted FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
      INSERT INTO parted VALUES (1, '2020-05-05'), (2, '2020-06-06');
    `);
    const fresh = await source.introspect();
    const animals = fresh.tables.find((t) => t.name === 'animals')!;
    expect(await source.countRows(animals)).toBe(1);
    const rows: Row[] = [];
    for await (const b of source.readRows(animals, { columns: ['id', 'name'] })) rows.push(...b.rows);
    expect(rows).toEqual([[1, 'cat']]);
    expect(await source.countRows({ schema: 'public', name: 'parted' })).toBe(2);
    expect(fresh.tables.some((t) => t.name === 'parted_a')).toBe(false);
  });

  it('names the table when a read fails', async () => {
    const ghost = { ...table('big'), name: 'no such table' };
    const err = await (async () => {
      for await (const _ of source.readRows(ghost, { columns: ['id'] })) void _;
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INTERNAL', table: 'public.no such table' });
    await expect(source.countRows(ghost)).rejects.toMatchObject({ table: 'public.no such table' });
  });

  it('identifies the server and database', async () => {
    const id = await source.identity();
    expect(id).toMatch(new RegExp(`^postgres:.+/${db.name}$`));
    const other = await createPgDatabase('synth_pg_read_other');
    try {
      const s2 = await openPostgresSource(other.url);
      const id2 = await s2.identity();
      await s2.close();
      expect(id2).not.toBe(id);
      expect(id2.split('/')[0]).toBe(id.split('/')[0]);
    } finally {
      await other.drop();
    }
  });

  it('fails with BAD_URL / CONNECTION_FAILED without leaking the password', async () => {
    await expect(openPostgresSource('not a url')).rejects.toMatchObject({ code: 'BAD_URL' });
    await expect(openPostgresSource('mysql://root@127.0.0.1/x')).rejects.toMatchObject({ code: 'BAD_URL' });
    const err = await openPostgresSource('postgresql://postgres:s3cret@127.0.0.1:1/nope').catch((e: unknown) => e);
    expect(isSynthError(err) && err.code).toBe('CONNECTION_FAILED');
    expect(String((err as Error).message)).not.toContain('s3cret');
    expect(String((err as Error).message)).toContain('***');
  });
});

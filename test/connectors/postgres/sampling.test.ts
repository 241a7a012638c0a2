import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresSource } from '../../../src/connectors/postgres/index.js';
import { choosePgSampling } from '../../../src/connectors/postgres/postgres-read.js';
import type { ReadOptions } from '../../../src/connectors/connector.js';
import type { Table } from '../../../src/schema/model.js';
import type { Row } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

const ROWS = 200_000;
let db: TestDatabase;
let table: Table;

beforeAll(async () => {
  db = await createPgDatabase('synth_pg_sampling');
  await db.exec(`
    CREATE TABLE big (id bigint PRIMARY KEY, grp int NOT NULL, amount numeric(10,2) NOT NULL, note text);
    INSERT INTO big SELECT i, i % 97, round((i % 5000) / 7.0, 2), CASE WHEN i % 3 = 0 THEN NULL ELSE 'n' || (i % 11) END
      FROM generate_series(1, ${ROWS}) i;
    ANALYZE big;
    -- The same rows in the reverse physical order, with and without the primary key to seek.
    CREATE TABLE big_rev (id bigint PRIMARY KEY, grp int NOT NULL, amount numeric(10,2) NOT NULL, note text);
    INSERT INTO big_rev SELECT * FROM big ORDER BY id DESC;
    CREATE TABLE big_rev_unkeyed AS SELECT * FROM big_rev;
    ANALYZE big_rev; ANALYZE big_rev_unkeyed;`);
  // The INSERT's and ANALYZE's block counts reach pg_statio only when this session flushes its statistics (up to
  // 10 s after it goes idle): flush them now, or a busy server charges them to the first read measured below.
  await db.exec('SELECT pg_stat_force_next_flush()');
  for (let i = 0, last = -1; i < 100; i++) {
    const n = await blocksTouched();
    if (n > 0 && n === last) break;
    last = n;
    await new Promise((r) => setTimeout(r, 200));
  }
  const source = await openPostgresSource(db.url);
  table = (await source.introspect()).tables.find((t) => t.name === 'big')!;
  await source.close();
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

/** Blocks of `big` the server touched (hit or read), after the reading backend exited and flushed its counters. */
async function blocksTouched(): Promise<number> {
  const r = await db.query<{ n: string }>(`SELECT (coalesce(heap_blks_hit, 0) + coalesce(heap_blks_read, 0))::text AS n FROM pg_statio_user_tables WHERE relname = 'big'`);
  return Number(r[0]?.n ?? 0);
}

/** Reads through a fresh connector, closed afterwards, and returns the rows and the blocks the read touched. */
async function read(options: Omit<ReadOptions, 'columns'>): Promise<{ rows: Row[]; blocks: number }> {
  const before = await blocksTouched();
  const source = await openPostgresSource(db.url);
  const rows: Row[] = [];
  for await (const b of source.readRows(table, { columns: ['id', 'grp', 'amount', 'note'], ...options })) rows.push(...b.rows);
  await source.close();
  let after = before;
  for (let i = 0; i < 50 && after === before; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await blocksTouched();
  }
  return { rows, blocks: after - before };
}

describe('PostgreSQL sampling reads only what it keeps', () => {
  it('chooses a full read for small tables, SYSTEM for a thin slice and BERNOULLI in between', () => {
    expect(choosePgSampling(5_000, 40_000)).toBeNull();
    expect(choosePgSampling(20_000, 100_000)).toBeNull();
    expect(choosePgSampling(20_000, 6_000_000)).toEqual({ method: 'SYSTEM', percent: expect.closeTo(1.333333, 5) as unknown as number });
    expect(choosePgSampling(20_000, 250_000)).toEqual({ method: 'BERNOULLI', percent: 12 });
    expect(choosePgSampling(20_000, -1)).toBeNull();
  });

  it('a 2 000-row sample of 200 000 rows touches a fraction of the pages a full read does, the same rows for the same seed', async () => {
    const a = await read({ limit: 2_000, seed: 7, totalRows: ROWS });
    const b = await read({ limit: 2_000, seed: 7, totalRows: ROWS });
    const c = await read({ limit: 2_000, seed: 8, totalRows: ROWS });
    const full = await read({ limit: 2_000, seed: 7, totalRows: 15_000 });
    expect(a.rows).toHaveLength(2_000);
    expect(new Set(a.rows.map((r) => r[0])).size).toBe(2_000);
    expect(b.rows).toEqual(a.rows);
    expect(c.rows).not.toEqual(a.rows);
    expect(full.rows).toHaveLength(2_000);
    expect(full.blocks).toBeGreaterThan(1_000);
    expect(a.blocks).toBeLessThan(full.blocks / 5);
    // Spread over the table, not one corner of it.
    const ids = a.rows.map((r) => Number(r[0]));
    expect(Math.min(...ids)).toBeLessThan(ROWS * 0.1);
    expect(Math.max(...ids)).toBeGreaterThan(ROWS * 0.9);
    // The sample keeps the table's shape: a third of the notes are NULL.
    const nulls = a.rows.filter((r) => r[3] === null).length / a.rows.length;
    expect(nulls).toBeGreaterThan(0.25);
    expect(nulls).toBeLessThan(0.42);
  }, 60_000);

  it('uses the planner estimate without a row count, and falls back to a full read when the slice is short', async () => {
    const estimated = await read({ limit: 2_000, seed: 7 });
    expect(estimated.rows).toHaveLength(2_000);
    expect(estimated.blocks).toBeLessThan(300);
    // A row count far above the truth makes the slice too thin to hold 5 000 rows: the full read answers instead.
    const short = await read({ limit: 5_000, seed: 7, totalRows: 20_000_000 });
    expect(short.rows).toHaveLength(5_000);
    expect(new Set(short.rows.map((r) => r[0])).size).toBe(5_000);
  }, 60_000);
});

describe('PostgreSQL sampling by key (the quality report: the rows alone decide)', () => {
  it('reads seeded runs of the primary key: the same rows whatever order the table holds them in', async () => {
    const a = await read({ limit: 2_000, seed: 7, totalRows: ROWS, sampleByKey: true });
    expect(a.rows).toHaveLength(2_000);
    const ids = a.rows.map((r) => Number(r[0]));
    expect(new Set(ids).size).toBe(2_000);
    expect(a.blocks).toBeLessThan(500);
    const sorted = [...ids].sort((x, y) => x - y);
    let runs = 1;
    for (let i = 1; i < sorted.length; i++) if (sorted[i]! - sorted[i - 1]! > 1) runs++;
    expect(runs).toBeGreaterThan(80);
    expect(runs).toBeLessThanOrEqual(100);
    // Pages of the reversed copy hold other rows: a TABLESAMPLE slice would differ, the key ranges do not.
    const source = await openPostgresSource(db.url);
    try {
      const readTable = async (name: string, options: Omit<ReadOptions, 'columns'>) => {
        const rows: Row[] = [];
        for await (const b of source.readRows({ ...table, name }, { columns: ['id', 'grp', 'amount', 'note'], ...options })) rows.push(...b.rows);
        return rows;
      };
      expect(await readTable('big_rev', { limit: 2_000, seed: 7, totalRows: ROWS, sampleByKey: true })).toEqual(a.rows);
      expect(await readTable('big_rev', { limit: 2_000, seed: 8, totalRows: ROWS, sampleByKey: true })).not.toEqual(a.rows);
      expect(await readTable('big_rev', { limit: 2_000, seed: 7, totalRows: ROWS })).not.toEqual(await readTable('big', { limit: 2_000, seed: 7, totalRows: ROWS }));
      // Without a primary key to seek, every row is sorted by its seeded hash: the full read's rows, in either order.
      const unkeyed = await readTable('big_rev_unkeyed', { limit: 2_000, seed: 7, totalRows: ROWS, sampleByKey: true });
      expect(unkeyed).toEqual(await readTable('big', { limit: 2_000, seed: 7, totalRows: 15_000 }));
    } finally {
      await source.close();
    }
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMysqlSource } from '../../../src/connectors/mysql/index.js';
import { keyRangePlan, keyRangeStarts } from '../../../src/connectors/key-ranges.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import type { Table } from '../../../src/schema/model.js';
import type { Row } from '../../../src/schema/values.js';
import { createMysqlDatabase, type TestDatabase } from '../../support/databases.js';

const ROWS = 200_000;
let db: TestDatabase;
let source: SourceConnector;
let big: Table;
let keyless: Table;

beforeAll(async () => {
  db = await createMysqlDatabase('synth_my_sampling');
  // Keys with gaps (every third id missing) so ranges must make up for short ones.
  await db.exec(`
    CREATE TABLE big (id BIGINT PRIMARY KEY, grp INT NOT NULL, amount DECIMAL(10,2) NOT NULL, note VARCHAR(20) NULL);
    INSERT INTO big SELECT seq, seq % 97, ROUND((seq % 5000) / 7, 2), IF(seq % 3 = 1, NULL, CONCAT('n', seq % 11))
      FROM seq_1_to_300000 WHERE seq % 3 <> 0;
    CREATE TABLE big_unindexed AS SELECT * FROM big;
    CREATE TABLE keyless (code VARCHAR(10) PRIMARY KEY, v INT NOT NULL);
    INSERT INTO keyless SELECT CONCAT('k', seq), seq FROM seq_1_to_2000;
    CREATE TABLE loose (v INT NOT NULL, w DECIMAL(8,2), tag VARCHAR(8) NOT NULL);
    INSERT INTO loose SELECT seq % 500, IF(seq % 5 = 0, NULL, seq % 300), CONCAT('t', seq % 7) FROM seq_1_to_3000;
    CREATE TABLE loose_rev (v INT NOT NULL, w DECIMAL(8,2), tag VARCHAR(8) NOT NULL);
    INSERT INTO loose_rev SELECT * FROM loose ORDER BY v DESC, tag DESC, w DESC;`);
  source = await openMysqlSource(db.url);
  const schema = await source.introspect();
  big = schema.tables.find((t) => t.name === 'big')!;
  keyless = schema.tables.find((t) => t.name === 'keyless')!;
}, 60_000);

afterAll(async () => {
  await source?.close();
  await db?.drop();
});

async function read(table: Table, limit: number, seed: number, totalRows: number): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const b of source.readRows(table, { columns: table.columns.map((c) => c.name), limit, seed, totalRows })) rows.push(...b.rows);
  return rows;
}

describe('MySQL sampling by primary-key ranges', () => {
  it('plans key ranges only for a big table whose primary key leads with an integer', () => {
    expect(keyRangePlan(big, 2_000, ROWS)).toEqual({ column: 'id', orderBy: ['id'], limit: 2_000, ranges: 100 });
    expect(keyRangePlan(big, 2_000, 15_000)).toBeNull();
    expect(keyRangePlan(big, 50_000, ROWS)).toBeNull();
    expect(keyRangePlan(keyless, 10, ROWS)).toBeNull();
  });

  it('stratified starts: one per stratum, increasing, the same for the same seed', () => {
    const a = keyRangeStarts(1n, 1000n, 10, 7);
    expect(a).toHaveLength(10);
    a.forEach((s, i) => {
      expect(s).toBeGreaterThanOrEqual(1n + BigInt(i * 100));
      expect(s).toBeLessThan(1n + BigInt((i + 1) * 100));
    });
    expect(keyRangeStarts(1n, 1000n, 10, 7)).toEqual(a);
    expect(keyRangeStarts(1n, 1000n, 10, 8)).not.toEqual(a);
  });

  it('reads the sample as short runs of keys spread over the table, the same rows for the same seed', async () => {
    const a = await read(big, 2_000, 7, ROWS);
    expect(a).toHaveLength(2_000);
    const ids = a.map((r) => Number(r[0]));
    expect(new Set(ids).size).toBe(2_000);
    expect(await read(big, 2_000, 7, ROWS)).toEqual(a);
    expect(await read(big, 2_000, 8, ROWS)).not.toEqual(a);
    // Runs of consecutive existing keys (ids step by 1 or 2 where a multiple of 3 is missing): one per range read.
    const sorted = [...ids].sort((x, y) => x - y);
    let runs = 1;
    for (let i = 1; i < sorted.length; i++) if (sorted[i]! - sorted[i - 1]! > 2) runs++;
    expect(runs).toBeGreaterThan(80);
    expect(runs).toBeLessThanOrEqual(100);
    expect(sorted[0]!).toBeLessThan(300_000 * 0.02);
    expect(sorted.at(-1)!).toBeGreaterThan(300_000 * 0.98);
    // The rows are the table's own: a third of the notes are NULL.
    const nulls = a.filter((r) => r[3] === null).length / a.length;
    expect(nulls).toBeGreaterThan(0.4);
    expect(nulls).toBeLessThan(0.6);
  }, 60_000);

  it('a table whose primary key is not built yet (a shadow before finalize) is sampled by the full read, not by ranges', async () => {
    const rows = await read({ ...big, name: 'big_unindexed' }, 2_000, 7, ROWS);
    expect(rows).toHaveLength(2_000);
    const sorted = rows.map((r) => Number(r[0])).sort((x, y) => x - y);
    let runs = 1;
    for (let i = 1; i < sorted.length; i++) if (sorted[i]! - sorted[i - 1]! > 2) runs++;
    expect(runs).toBeGreaterThan(1_000);
  }, 60_000);

  it('a primary key that is not an integer is sampled by the full read', async () => {
    const rows = await read(keyless, 10, 3, ROWS);
    expect(rows).toHaveLength(10);
    expect(await read(keyless, 10, 3, ROWS)).toEqual(rows);
  });
});

describe('MySQL sampling by key (the quality report: the rows alone decide)', () => {
  it('a table without a primary key is sorted by a seeded hash of its rows, not numbered in scan order', async () => {
    const schema = await source.introspect();
    const loose = schema.tables.find((t) => t.name === 'loose')!;
    const sample = async (name: string, sampleByKey: boolean, seed = 3) => {
      const rows: Row[] = [];
      for await (const b of source.readRows({ ...loose, name }, { columns: ['v', 'w', 'tag'], limit: 300, seed, totalRows: 3_000, sampleByKey })) rows.push(...b.rows);
      return rows;
    };
    const a = await sample('loose', true);
    expect(a).toHaveLength(300);
    expect(await sample('loose_rev', true)).toEqual(a);
    expect(await sample('loose', true, 4)).not.toEqual(a);
    // RAND(seed) numbers the rows in the order the scan meets them.
    expect(await sample('loose_rev', false)).not.toEqual(await sample('loose', false));
  });
});

/**
 * Children counted per sampled parent on PostgreSQL: a whole sample's keys go in one query (one scan of a child whose
 * FK has no index, not one per 5 000 keys), and a run asks each question once (withChildCountCache): the sample
 * stage, the fan-out rules and the learned count heads count the children of the same parent sample.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresSource } from '../../src/connectors/postgres/index.js';
import type { SourceConnector } from '../../src/connectors/connector.js';
import { withChildCountCache } from '../../src/pipeline/sample-child-counts.js';
import type { Table } from '../../src/schema/model.js';
import type { Row } from '../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';

const PARENTS = 12_000;
let db: TestDatabase;
let child: Table;

beforeAll(async () => {
  db = await createPgDatabase('synth_ccache');
  // Parent i has i % 4 children through a two-column FK that has no index: counting is a scan of the child.
  await db.exec(`
    CREATE TABLE part (a int, b int, PRIMARY KEY (a, b));
    INSERT INTO part SELECT i, i % 7 FROM generate_series(1, ${PARENTS}) i;
    CREATE TABLE line (id serial PRIMARY KEY, a int NOT NULL, b int NOT NULL, FOREIGN KEY (a, b) REFERENCES part);
    INSERT INTO line (a, b) SELECT i, i % 7 FROM generate_series(1, ${PARENTS}) i, generate_series(1, 3) k WHERE k <= i % 4;
    ANALYZE;
    SELECT pg_stat_force_next_flush();`);
  await settled();
  const source = await openPostgresSource(db.url);
  child = (await source.introspect()).tables.find((t) => t.name === 'line')!;
  await source.close();
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

/** Sequential scans of `line` so far, as the statistics show them once the scanning backend has flushed. */
async function seqScans(): Promise<number> {
  const r = await db.query<{ n: string }>(`SELECT coalesce(seq_scan, 0)::text AS n FROM pg_stat_user_tables WHERE relname = 'line'`);
  return Number(r[0]?.n ?? 0);
}

async function settled(): Promise<number> {
  let last = -1;
  for (let i = 0; i < 50; i++) {
    const n = await seqScans();
    if (n === last) return n;
    last = n;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

/** Runs `fn` on a fresh connector (closed afterwards, which flushes its statistics) and counts its scans of `line`. */
async function scansOf<T>(fn: (source: SourceConnector) => Promise<T>): Promise<{ result: T; scans: number }> {
  const before = await settled();
  const source = await openPostgresSource(db.url);
  const result = await fn(source);
  await source.close();
  let after = before;
  for (let i = 0; i < 50 && after === before; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await seqScans();
  }
  return { result, scans: (await settled()) - before };
}

const keysOf = (ids: number[]): Row[] => ids.map((i) => [i, i % 7]);
const expected = (ids: number[]) => ids.map((i) => (i > 0 && i <= PARENTS ? Math.min(3, i % 4) : 0));

describe('child counts by key (PostgreSQL)', () => {
  it('counts 12 000 parents in one scan of an unindexed child, duplicates, missing and NULL keys included', async () => {
    const ids = Array.from({ length: PARENTS }, (_, i) => i + 1);
    const keys = [...keysOf(ids), [5, 5 % 7], [PARENTS + 1, 0], [null, 3]];
    const fk = child.foreignKeys[0]!;
    const { result, scans } = await scansOf((s) => s.countChildrenByKeys!(child, fk, keys));
    expect(result).toEqual([...expected(ids), 1, 0, 0]);
    expect(scans).toBe(1);
  }, 60_000);

  it('answers a repeated question from memory and a different one from the source', async () => {
    const fk = child.foreignKeys[0]!;
    const first = keysOf([1, 2, 3, 4, 5, 6, 7, 8]);
    const { result, scans } = await scansOf(async (s) => {
      const cached = withChildCountCache(s);
      const a = await cached.countChildrenByKeys!(child, fk, first);
      a[0] = 99; // a caller's copy: the kept answer does not change
      const again = await cached.countChildrenByKeys!(child, fk, keysOf([1, 2, 3, 4, 5, 6, 7, 8]));
      const other = await cached.countChildrenByKeys!(child, fk, keysOf([3, 4]));
      const bigints = await cached.countChildrenByKeys!(child, fk, [[3n, 3n], [4n, 4n]]);
      return { again, other, bigints, dialect: cached.dialect };
    });
    expect(result.again).toEqual(expected([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(result.other).toEqual([3, 0]);
    // 3n is not 3: another question (its key text differs), answered by the source.
    expect(result.bigints).toEqual([3, 0]);
    expect(result.dialect).toBe('postgres');
    expect(scans).toBe(3);
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrityCheck } from '../../../src/connectors/connector.js';
import { openSession, type MysqlSession } from '../../../src/connectors/mysql/mysql-session.js';
import { countViolationsIn, spotCheckDuplicates, SPOT_CHECK_MIN_ROWS } from '../../../src/connectors/mysql/mysql-validate.js';
import { createMysqlDatabase, type TestDatabase } from '../../support/databases.js';

const dup = (db: string, table: string, columns: string[], nullsDistinct = true): Extract<IntegrityCheck, { kind: 'duplicate' }> => ({
  kind: 'duplicate', table: { schema: db, name: table }, columns, constraint: `${table}_key`, nullsDistinct,
});

describe('MySQL gate: duplicates of big tables spot-checked, recounted in full when the sample finds any', () => {
  let db: TestDatabase;
  let session: MysqlSession;

  beforeAll(async () => {
    db = await createMysqlDatabase('synth_spot_my');
    // big: SPOT_CHECK_MIN_ROWS rows, clean (composite key); big_dup: every 10th id repeats; small_dup: below the size.
    await db.exec(`
      CREATE TABLE big (a INT NOT NULL, b INT NOT NULL);
      INSERT INTO big SELECT seq DIV 4, seq % 4 FROM seq_0_to_${SPOT_CHECK_MIN_ROWS + 49_999};
      CREATE TABLE big_dup (id INT NULL);
      INSERT INTO big_dup SELECT CASE WHEN seq % 10 = 0 THEN seq - 1 WHEN seq % 10 = 5 THEN NULL ELSE seq END FROM seq_1_to_${SPOT_CHECK_MIN_ROWS + 50_000};
      CREATE TABLE small_dup (id INT NULL);
      INSERT INTO small_dup VALUES (1), (1), (2), (NULL), (NULL);`);
    session = await openSession(db.url, false, 'test');
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await db?.drop();
  });

  it('samples about 20 000 keys and finds a repeated one against the whole table', async () => {
    const clean = await spotCheckDuplicates(session, db.name, dup(db.name, 'big', ['a', 'b']), SPOT_CHECK_MIN_ROWS);
    expect(clean!.violations).toBe(0);
    expect(clean!.checked).toBeGreaterThan(15_000);
    expect(clean!.checked).toBeLessThan(25_000);
    // The same seed draws the same sample.
    expect(await spotCheckDuplicates(session, db.name, dup(db.name, 'big', ['a', 'b']), SPOT_CHECK_MIN_ROWS)).toEqual(clean);
    const dirty = await spotCheckDuplicates(session, db.name, dup(db.name, 'big_dup', ['id']), SPOT_CHECK_MIN_ROWS);
    expect(dirty!.violations).toBeGreaterThan(0);
  });

  it('reports a clean big table as sampled and counts a dirty one exactly, small tables in full as before', async () => {
    const checks = [dup(db.name, 'big', ['a', 'b']), dup(db.name, 'big_dup', ['id']), dup(db.name, 'small_dup', ['id'])];
    const counts = await countViolationsIn(session, db.name, checks);
    expect(counts[0]!.violations).toBe(0);
    expect(counts[0]!.sampled).toBeGreaterThan(15_000);
    // Exact: one repeat per ten ids (ids ending in 9 appear twice), NULLs never duplicates.
    expect(counts[1]).toEqual({ check: checks[1], violations: (SPOT_CHECK_MIN_ROWS + 50_000) / 10 });
    expect(counts[2]).toEqual({ check: checks[2], violations: 1 });
  });
});

describe('MySQL gate: NOT NULL from the catalog on a strict server', () => {
  let db: TestDatabase;
  let session: MysqlSession;

  beforeAll(async () => {
    db = await createMysqlDatabase('synth_nn_my');
    // b is NOT NULL in the schema but nullable here (as a shadow of another run's schema could be): it is counted.
    await db.exec(`CREATE TABLE t (a INT NOT NULL, b INT NULL); INSERT INTO t VALUES (1, 1), (2, NULL), (3, NULL);`);
    session = await openSession(db.url, false, 'test');
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await db?.drop();
  });

  it('answers a declared NOT NULL column without a scan and counts the NULLs of a nullable one', async () => {
    const [mode] = await session.query<{ m: string }>('SELECT @@SESSION.sql_mode AS m');
    expect(mode!.m).toMatch(/STRICT_(TRANS|ALL)_TABLES/);
    const t = { schema: db.name, name: 't' };
    const counts = await countViolationsIn(session, db.name, [{ kind: 'not-null', table: t, column: 'a' }, { kind: 'not-null', table: t, column: 'b' }]);
    expect(counts.map((c) => c.violations)).toEqual([0, 2]);
  });
});

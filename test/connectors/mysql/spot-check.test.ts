import { describe, expect, it } from 'vitest';
import type { IntegrityCheck } from '../../../src/connectors/connector.js';
import { countViolationsIn, spotCheckDuplicates } from '../../../src/connectors/mysql/mysql-validate.js';
import { mysqlSessionFixture } from '../../support/mysql-connector.js';

/**
 * Tables of ROWS rows against a spot-check size of half that (the server's estimate after ANALYZE is not exact): the
 * same code as a table of SPOT_CHECK_MIN_ROWS (1 M) rows, at a tenth of the set-up and of the full recount.
 */
const ROWS = 100_000;
const MIN_ROWS = ROWS / 2;

const dup = (db: string, table: string, columns: string[], nullsDistinct = true): Extract<IntegrityCheck, { kind: 'duplicate' }> => ({
  kind: 'duplicate', table: { schema: db, name: table }, columns, constraint: `${table}_key`, nullsDistinct,
});

describe('MySQL gate: duplicates of big tables spot-checked, recounted in full when the sample finds any', () => {
  // big: ROWS rows, clean (composite key); big_dup: every 10th id repeats; small_dup: below the size. twin_a and
  // twin_b: the same rows without a primary key (1 000 ids held twice) in two physical orders, as two parallel loads
  // of one seed leave a table.
  const env = mysqlSessionFixture('synth_spot_my', `
      CREATE TABLE big (a INT NOT NULL, b INT NOT NULL);
      INSERT INTO big SELECT seq DIV 4, seq % 4 FROM seq_0_to_${ROWS - 1};
      CREATE TABLE big_dup (id INT NULL);
      INSERT INTO big_dup SELECT CASE WHEN seq % 10 = 0 THEN seq - 1 WHEN seq % 10 = 5 THEN NULL ELSE seq END FROM seq_1_to_${ROWS};
      CREATE TABLE small_dup (id INT NULL);
      INSERT INTO small_dup VALUES (1), (1), (2), (NULL), (NULL);
      CREATE TABLE twin_a (id INT NULL, code VARCHAR(20) NULL);
      INSERT INTO twin_a SELECT IF(seq % 100 = 0, seq - 1, seq), CONCAT('c', (seq - (seq % 100 = 0)) % 7) FROM seq_1_to_${ROWS} ORDER BY seq;
      CREATE TABLE twin_b LIKE twin_a;
      INSERT INTO twin_b SELECT IF(seq % 100 = 0, seq - 1, seq), CONCAT('c', (seq - (seq % 100 = 0)) % 7) FROM seq_1_to_${ROWS} ORDER BY MD5(seq);`);

  it('groups the keys hashed into 1/64 of the hash space and finds a repeated one among them', async () => {
    const { db, session } = env;
    const clean = await spotCheckDuplicates(session, db.name, dup(db.name, 'big', ['a', 'b']));
    expect(clean!.violations).toBe(0);
    expect(clean!.checked).toBeGreaterThan(ROWS / 64 * 0.8);
    expect(clean!.checked).toBeLessThan(ROWS / 64 * 1.2);
    const dirty = await spotCheckDuplicates(session, db.name, dup(db.name, 'big_dup', ['id']));
    expect(dirty!.violations).toBeGreaterThan(0);
  });

  it('picks the same keys for the same rows in another physical order', async () => {
    const { db, session } = env;
    const [first] = await session.query<{ a: number; b: number }>(
      `SELECT (SELECT id FROM ${db.name}.twin_a LIMIT 1) AS a, (SELECT id FROM ${db.name}.twin_b LIMIT 1) AS b`,
    );
    expect(first!.a).not.toBe(first!.b);
    for (const columns of [['id'], ['id', 'code']]) {
      const a = await spotCheckDuplicates(session, db.name, dup(db.name, 'twin_a', columns));
      const b = await spotCheckDuplicates(session, db.name, dup(db.name, 'twin_b', columns));
      expect(b).toEqual(a);
      // ~1/64 of the 1 000 repeated ids, each seen twice.
      expect(a!.violations).toBeGreaterThan(0);
    }
  });

  it('reports a clean big table as sampled and counts a dirty one exactly, small tables in full as before', async () => {
    const { db, session } = env;
    const checks = [dup(db.name, 'big', ['a', 'b']), dup(db.name, 'big_dup', ['id']), dup(db.name, 'small_dup', ['id'])];
    const counts = await countViolationsIn(session, db.name, checks, undefined, { spotCheckMinRows: MIN_ROWS });
    expect(counts[0]!.violations).toBe(0);
    expect(counts[0]!.sampled).toBeGreaterThan(ROWS / 64 * 0.8);
    // Exact: one repeat per ten ids (ids ending in 9 appear twice), NULLs never duplicates.
    expect(counts[1]).toEqual({ check: checks[1], violations: ROWS / 10 });
    expect(counts[2]).toEqual({ check: checks[2], violations: 1 });
  });
});

describe('MySQL gate: NOT NULL from the catalog on a strict server', () => {
  // b is NOT NULL in the schema but nullable here (as a shadow of another run's schema could be): it is counted.
  const env = mysqlSessionFixture('synth_nn_my', 'CREATE TABLE t (a INT NOT NULL, b INT NULL); INSERT INTO t VALUES (1, 1), (2, NULL), (3, NULL);');

  it('answers a declared NOT NULL column without a scan and counts the NULLs of a nullable one', async () => {
    const { db, session } = env;
    const [mode] = await session.query<{ m: string }>('SELECT @@SESSION.sql_mode AS m');
    expect(mode!.m).toMatch(/STRICT_(TRANS|ALL)_TABLES/);
    const t = { schema: db.name, name: 't' };
    const counts = await countViolationsIn(session, db.name, [{ kind: 'not-null', table: t, column: 'a' }, { kind: 'not-null', table: t, column: 'b' }]);
    expect(counts.map((c) => c.violations)).toEqual([0, 2]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrityCheck } from '../../src/connectors/connector.js';
import { openPgSession, type PgSession } from '../../src/connectors/postgres/postgres-session.js';
import { countViolations, SPOT_CHECK_MIN_PAGES } from '../../src/connectors/postgres/postgres-validate.js';
import { openSession, type MysqlSession } from '../../src/connectors/mysql/mysql-session.js';
import { countViolationsIn } from '../../src/connectors/mysql/mysql-validate.js';
import type { ForeignKey } from '../../src/schema/model.js';
import { formatIntegrityReport, type IntegrityReport } from '../../src/validation/integrity.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';

const ref = (schema: string, name: string) => ({ schema, name });
const fk = (name: string, columns: string[], parent: string, parentColumns: string[], schema = 'public', virtual = false): ForeignKey => ({
  name, columns, references: { schema, name: parent, columns: parentColumns }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION', deferrable: false, ...(virtual ? { virtual } : {}),
});

describe('PostgreSQL gate: one scan per table, catalog proofs, spot checks on big tables', () => {
  let db: TestDatabase;
  let session: PgSession;
  const ctx = { locate: (t: { schema: string }) => t.schema };

  beforeAll(async () => {
    db = await createPgDatabase('synth_gate_pg');
    // big_child is wide enough to pass the spot-check size; 1 row in 10 references no parent, 1 in 10 repeats a key.
    await db.exec(`
      CREATE TABLE t (id int, a int NOT NULL, b int, c int);
      INSERT INTO t VALUES (1, 1, NULL, 5), (2, 2, NULL, -1), (3, 3, 3, -2), (4, 4, 4, 0);
      CREATE TABLE big_parent (id int);
      INSERT INTO big_parent SELECT i FROM generate_series(1, 1000) i;
      CREATE TABLE big_child (id int NOT NULL, parent_id int, pad text NOT NULL);
      INSERT INTO big_child SELECT i, CASE WHEN i % 10 = 0 THEN 5000 ELSE 1 + i % 1000 END, repeat('x', 500)
        FROM generate_series(1, 150000) i;
      CREATE TABLE big_clean (id int NOT NULL, parent_id int, pad text NOT NULL);
      INSERT INTO big_clean SELECT i, 1 + i % 1000, repeat('x', 500) FROM generate_series(1, 150000) i;
      CREATE TABLE big_dup (id int NOT NULL, pad text NOT NULL);
      INSERT INTO big_dup SELECT CASE WHEN i % 10 = 0 THEN i - 1 ELSE i END, repeat('x', 500) FROM generate_series(1, 150000) i;`);
    session = await openPgSession(db.url, { readOnly: false });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await db?.drop();
  });

  it('counts a table\'s NOT NULL and CHECK questions together, proves declared NOT NULL from the catalog, isolates a bad CHECK', async () => {
    const checks: IntegrityCheck[] = [
      { kind: 'not-null', table: ref('public', 't'), column: 'a' },
      { kind: 'not-null', table: ref('public', 't'), column: 'b' },
      { kind: 'check', table: ref('public', 't'), constraint: 'c_pos', expression: 'c > 0', dialect: 'postgres' },
      { kind: 'check', table: ref('public', 't'), constraint: 'bad', expression: 'nosuch > 0', dialect: 'postgres' },
      { kind: 'check', table: ref('public', 't'), constraint: 'my', expression: '`c` > 0', dialect: 'mysql' },
    ];
    const counts = await countViolations(session, checks, ctx);
    expect(counts.map((c) => c.check)).toEqual(checks);
    expect(counts.map((c) => c.violations)).toEqual([0, 2, 3, 0, 0]);
    expect(counts[3]!.skipped).toMatch(/could not be evaluated/);
    expect(counts[4]!.skipped).toMatch(/mysql SQL/);
  });

  it('spot-checks a clean big table, and recounts in full when the sample finds orphans or duplicates', async () => {
    const pages = await db.query<{ n: number }>(`SELECT (pg_relation_size('big_child') / 8192)::int AS n`);
    expect(pages[0]!.n).toBeGreaterThanOrEqual(SPOT_CHECK_MIN_PAGES);
    const clean: IntegrityCheck = { kind: 'orphan', table: ref('public', 'big_clean'), foreignKey: fk('fk_clean', ['parent_id'], 'big_parent', ['id']) };
    const dirty: IntegrityCheck = { kind: 'orphan', table: ref('public', 'big_child'), foreignKey: fk('fk_child', ['parent_id'], 'big_parent', ['id']) };
    const virtualFk: IntegrityCheck = { kind: 'orphan', table: ref('public', 'big_clean'), foreignKey: fk('fk_v', ['parent_id'], 'big_parent', ['id'], 'public', true) };
    const unique: IntegrityCheck = { kind: 'duplicate', table: ref('public', 'big_clean'), columns: ['id'], constraint: 'big_clean_pkey', nullsDistinct: true };
    const dup: IntegrityCheck = { kind: 'duplicate', table: ref('public', 'big_dup'), columns: ['id'], constraint: 'big_dup_pkey', nullsDistinct: true };
    const [a, b, v, u, d] = await countViolations(session, [clean, dirty, virtualFk, unique, dup], ctx);
    expect(a).toMatchObject({ violations: 0 });
    expect(a!.sampled).toBeGreaterThan(1_000);
    expect(a!.sampled).toBeLessThan(30_000);
    expect(b).toEqual({ check: dirty, violations: 15_000 });
    // A virtual FK is never created by finalize: always counted in full.
    expect(v).toEqual({ check: virtualFk, violations: 0 });
    expect(u!.violations).toBe(0);
    expect(u!.sampled).toBeGreaterThan(1_000);
    expect(d).toEqual({ check: dup, violations: 15_000 });
  }, 120_000);

  it('the integrity report says which checks were spot-checked', () => {
    const report: IntegrityReport = {
      ok: true,
      totalViolations: 0,
      foreignKeys: [],
      tables: [{ table: 'public.big', rows: 9, orphans: 0, duplicates: 0, nullViolations: 0, checkViolations: 0, skipped: [], failures: [], spotChecked: ['unique pk (id) on 4000 sampled rows'] }],
    };
    expect(formatIntegrityReport(report)).toContain("~ public.big: spot-checked unique pk (id) on 4000 sampled rows (finalize's constraints verify every row)");
  });
});

describe('MySQL gate: one scan per table', () => {
  let db: TestDatabase;
  let session: MysqlSession;

  beforeAll(async () => {
    db = await createMysqlDatabase('synth_gate_my');
    await db.exec(`CREATE TABLE t (id INT, a INT NULL, b INT NULL, c INT NULL);
      INSERT INTO t VALUES (1, NULL, NULL, 5), (2, 2, NULL, -1), (3, 3, 3, -2), (4, 4, 4, NULL);`);
    session = await openSession(db.url, false, 'test');
  });

  afterAll(async () => {
    await session?.close();
    await db?.drop();
  });

  it('answers NOT NULL and CHECK in one statement, and one by one around a CHECK MySQL cannot evaluate', async () => {
    const table = ref(db.name, 't');
    const good: IntegrityCheck[] = [
      { kind: 'not-null', table, column: 'a' },
      { kind: 'not-null', table, column: 'b' },
      { kind: 'check', table, constraint: 'c_pos', expression: '`c` > 0', dialect: 'mysql' },
    ];
    expect((await countViolationsIn(session, db.name, good)).map((c) => c.violations)).toEqual([1, 2, 2]);
    const bad: IntegrityCheck = { kind: 'check', table, constraint: 'bad', expression: '`nosuch` > 0', dialect: 'mysql' };
    const pg: IntegrityCheck = { kind: 'check', table, constraint: 'pg', expression: 'c > 0', dialect: 'postgres' };
    const counts = await countViolationsIn(session, db.name, [...good, bad, pg]);
    expect(counts.map((c) => c.violations)).toEqual([1, 2, 2, 0, 0]);
    expect(counts[3]!.skipped).toMatch(/could not be evaluated/);
    expect(counts[4]!.skipped).toMatch(/postgres SQL/);
  });
});

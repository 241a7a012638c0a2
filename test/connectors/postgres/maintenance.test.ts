import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgSession, inTransaction, type PgSession } from '../../../src/connectors/postgres/postgres-session.js';
import { useParallelMaintenance } from '../../../src/connectors/postgres/postgres-maintenance.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let session: PgSession;

beforeAll(async () => {
  db = await createPgDatabase('synth_pg_maint');
  await db.exec(`CREATE TABLE t (id int NOT NULL, v text NOT NULL); INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 200000) i;`);
  session = await openPgSession(db.url, { readOnly: false });
});

afterAll(async () => {
  await session?.close();
  await db?.drop();
});

describe('finalize maintenance settings', () => {
  it('asks for as many index-build workers as the server allows a query, with the memory to use them, for the transaction only', async () => {
    const show = async (s: PgSession) =>
      Object.fromEntries((await s.query<{ name: string; setting: string }>(`SELECT name, setting FROM pg_settings WHERE name IN ('max_parallel_maintenance_workers', 'maintenance_work_mem', 'max_parallel_workers')`)).rows.map((r) => [r.name, Number(r.setting)]));
    const before = await show(session);
    const inside = await inTransaction(session, async (s) => {
      const got = await useParallelMaintenance(s);
      // The primary key finalize adds is built under these settings.
      await s.query('ALTER TABLE t ADD PRIMARY KEY (id)');
      return { got, now: await show(s) };
    });
    expect(inside.got.workers).toBe(before.max_parallel_workers);
    expect(inside.now.max_parallel_maintenance_workers).toBe(before.max_parallel_workers);
    expect(inside.got.memoryKb).toBeGreaterThanOrEqual(Math.max(256 * 1024, before.maintenance_work_mem!));
    expect(await show(session)).toEqual(before);
    expect(await db.query(`SELECT 1 FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'p'`)).toHaveLength(1);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresSource, openPostgresTarget } from '../../../src/connectors/postgres/index.js';
import type { TargetConnector } from '../../../src/connectors/connector.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import type { Row, RowBatch } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';
import { openPgSession } from '../../../src/connectors/postgres/postgres-session.js';
import { layoutFor } from '../../../src/connectors/postgres/postgres-ddl.js';
import { swap as swapWithTimeout } from '../../../src/connectors/postgres/postgres-shadow.js';
import type { Shadow } from '../../../src/connectors/connector.js';
import { SynthError } from '../../../src/errors.js';

const SQL = `
  CREATE SCHEMA "Sales Dept";
  CREATE TABLE "Sales Dept".accounts (id int PRIMARY KEY, name text NOT NULL);
  CREATE TABLE "Sales Dept"."select" (id serial PRIMARY KEY, account_id int NOT NULL REFERENCES "Sales Dept".accounts(id), amount numeric(8,2));
  CREATE VIEW "Sales Dept".totals AS SELECT a.name, sum(s.amount) AS total FROM "Sales Dept".accounts a JOIN "Sales Dept"."select" s ON s.account_id = a.id GROUP BY a.name;
  CREATE VIEW "Sales Dept".top_total AS SELECT max(total) AS best FROM "Sales Dept".totals;
  CREATE MATERIALIZED VIEW "Sales Dept".n_accounts AS SELECT count(*) AS n FROM "Sales Dept".accounts;
  CREATE FUNCTION "Sales Dept".account_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM "Sales Dept".accounts $$;
`;

let src: TestDatabase;
let dst: TestDatabase;
let target: TargetConnector;
let schema: DatabaseSchema;

const table = (name: string): Table => schema.tables.find((t) => t.name === name)!;
async function* one(columns: string[], rows: Row[]): AsyncIterable<RowBatch> {
  yield { columns, rows };
}

/** The connector's swap with a short lock timeout (the connector uses 30 s). */
async function swapDirect(shadow: Shadow, lockTimeoutMs: number) {
  const session = await openPgSession(dst.url, { readOnly: false });
  try {
    return await swapWithTimeout(session, shadow, layoutFor(shadow.runId, schema, 'public'), schema, [], lockTimeoutMs);
  } finally {
    await session.close();
  }
}

async function hydrate(runId: string, names: string[]): Promise<void> {
  const shadow = await target.createShadow(runId, schema);
  await target.load(shadow, table('accounts'), one(['id', 'name'], names.map((n, i) => [i + 1, n])));
  await target.load(shadow, table('select'), one(['id', 'account_id', 'amount'], names.map((_, i) => [i + 1, i + 1, `${(i + 1) * 10}.00`])));
  await target.finalize(shadow, schema);
  await target.swap(shadow, schema);
}

beforeEach(async () => {
  src = await createPgDatabase('synth_pg_swsrc');
  dst = await createPgDatabase('synth_pg_swdst');
  await src.exec(SQL);
  await dst.exec(SQL);
  await dst.exec(`INSERT INTO "Sales Dept".accounts VALUES (1, 'old'); INSERT INTO "Sales Dept"."select" (account_id, amount) VALUES (1, 5)`);
  const source = await openPostgresSource(src.url);
  schema = await source.introspect();
  await source.close();
  target = await openPostgresTarget(dst.url);
});

afterEach(async () => {
  await target?.close();
  await src?.drop();
  await dst?.drop();
});

describe('postgres swap and rollback', () => {
  it('swaps the shadow in atomically, recreating views on the new data', async () => {
    await dst.exec(`GRANT USAGE ON SCHEMA "Sales Dept" TO pg_monitor; GRANT SELECT ON "Sales Dept".accounts TO pg_monitor`);
    const shadow = await target.createShadow('swap1', schema);
    expect(shadow.namespaces).toEqual([{ live: 'Sales Dept', shadow: 'synth_shadow_swap1' }]);
    await target.load(shadow, table('accounts'), one(['id', 'name'], [[1, 'ann'], [2, 'bob']]));
    await target.load(shadow, table('select'), one(['id', 'account_id', 'amount'], [[1, 1, '10.00'], [2, 1, '5.00'], [3, 2, '7.50']]));
    await target.finalize(shadow, schema);
    const result = await target.swap(shadow, schema);
    expect(result.backups).toEqual([{ live: 'Sales Dept', backup: 'synth_backup_Sales Dept' }]);
    expect(result.notes.some((n) => /Ownership/.test(n))).toBe(true);
    expect(result.notes).toContain('2 privilege grant(s) of schema Sales Dept copied onto the new objects');
    expect(
      await dst.query(
        `SELECT has_schema_privilege('pg_monitor', 'Sales Dept', 'USAGE') AS s, has_table_privilege('pg_monitor', '"Sales Dept".accounts', 'SELECT') AS t`,
      ),
    ).toEqual([{ s: true, t: true }]);
    expect(await dst.query(`SELECT name, total::text AS total FROM "Sales Dept".totals ORDER BY name`)).toEqual([
      { name: 'ann', total: '15.00' },
      { name: 'bob', total: '7.50' },
    ]);
    expect(await dst.query(`SELECT best::text AS best FROM "Sales Dept".top_total`)).toEqual([{ best: '15.00' }]);
    expect(await dst.query(`SELECT n::int AS n FROM "Sales Dept".n_accounts`)).toEqual([{ n: 2 }]);
    expect(await dst.query(`SELECT "Sales Dept".account_count()::int AS n`)).toEqual([{ n: 2 }]);
    // The old data is in the backup, with its own views.
    expect(await dst.query(`SELECT name FROM "synth_backup_Sales Dept".accounts`)).toEqual([{ name: 'old' }]);
    expect(await dst.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'synth_shadow_%'`)).toEqual([{ n: 0 }]);
    expect(await target.countRows(null, table('accounts'))).toBe(2);
    // Backups and shadows are never introspected as user data.
    const again = await openPostgresSource(dst.url);
    expect((await again.introspect()).schemas).toEqual(['Sales Dept', 'public']);
    await again.close();
    // The serial sequence moved with the table and continues past the loaded keys.
    expect(await dst.query(`INSERT INTO "Sales Dept"."select" (account_id) VALUES (2) RETURNING id`)).toEqual([{ id: 4 }]);
  });

  it('rolls back to the previous data, and rolling back twice returns to the new data', async () => {
    await hydrate('r1', ['new1', 'new2', 'new3']);
    const names = async () => (await dst.query<{ name: string }>(`SELECT name FROM "Sales Dept".accounts ORDER BY id`)).map((r) => r.name);
    expect(await names()).toEqual(['new1', 'new2', 'new3']);
    const back = await target.rollback();
    expect(back.backups).toEqual([{ live: 'Sales Dept', backup: 'synth_backup_Sales Dept' }]);
    expect(await names()).toEqual(['old']);
    expect(await dst.query(`SELECT name FROM "Sales Dept".totals`)).toEqual([{ name: 'old' }]);
    await target.rollback();
    expect(await names()).toEqual(['new1', 'new2', 'new3']);
    expect(await dst.query(`SELECT count(*)::int AS n FROM "Sales Dept".totals`)).toEqual([{ n: 3 }]);
  });

  it('the live schema keeps its own comment through swaps and rollbacks; only backups carry synth\'s marker', async () => {
    await dst.exec(`COMMENT ON SCHEMA "Sales Dept" IS 'Sales team data'`);
    const comment = async (nsp: string) => (await dst.query<{ c: string | null }>(`SELECT obj_description(oid, 'pg_namespace') AS c FROM pg_namespace WHERE nspname = $1`, [nsp]))[0]?.c;
    await hydrate('c1', ['a']);
    expect(await comment('Sales Dept')).toBe('Sales team data');
    expect(JSON.parse((await comment('synth_backup_Sales Dept'))!)).toMatchObject({ synth: 'c1', kind: 'backup', live: 'Sales Dept', comment: 'Sales team data' });
    await hydrate('c2', ['b']);
    expect(await comment('Sales Dept')).toBe('Sales team data');
    await target.rollback();
    expect(await comment('Sales Dept')).toBe('Sales team data');
    expect(JSON.parse((await comment('synth_backup_Sales Dept'))!)).toMatchObject({ kind: 'backup', comment: 'Sales team data' });
    await target.rollback();
    expect(await comment('Sales Dept')).toBe('Sales team data');
    // A comment changed on the live schema since is what the next swap keeps.
    await dst.exec(`COMMENT ON SCHEMA "Sales Dept" IS NULL`);
    await hydrate('c3', ['c']);
    expect(await comment('Sales Dept')).toBeNull();
    expect(await dst.query(`SELECT name FROM "Sales Dept".accounts`)).toEqual([{ name: 'c' }]);
  });

  it('the live schema keeps an owner other than the connecting user (pg_database_owner of PostgreSQL 15\'s public)', async () => {
    const role = `synth swap owner ${process.pid}`;
    await dst.exec(`CREATE ROLE "${role}" NOLOGIN`).catch(() => undefined);
    await dst.exec(`ALTER SCHEMA "Sales Dept" OWNER TO "${role}"`);
    const owner = async () => (await dst.query<{ o: string }>(`SELECT nspowner::regrole::text AS o FROM pg_namespace WHERE nspname = 'Sales Dept'`))[0]?.o;
    const shadow = await target.createShadow('own1', schema);
    await target.finalize(shadow, schema);
    const result = await target.swap(shadow, schema);
    expect(result.notes).toContain(`schema Sales Dept keeps its owner "${role}"`);
    expect(await owner()).toBe(`"${role}"`);
    await target.rollback();
    expect(await owner()).toBe(`"${role}"`);
    await dst.exec(`ALTER SCHEMA "Sales Dept" OWNER TO pg_database_owner`);
    await hydrate('own2', ['a']);
    expect(await owner()).toBe('pg_database_owner');
    // The backups (owned by that role) go before the role can.
    await dst.exec(`DROP SCHEMA "synth_backup_Sales Dept" CASCADE; REASSIGN OWNED BY "${role}" TO postgres; DROP ROLE "${role}"`);
  });

  it('a second hydrate replaces the single backup', async () => {
    await hydrate('h1', ['a']);
    await hydrate('h2', ['b', 'c']);
    expect(await dst.query(`SELECT name FROM "synth_backup_Sales Dept".accounts`)).toEqual([{ name: 'a' }]);
    const backups = await dst.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'synth_backup_%'`);
    expect(backups).toHaveLength(1);
  });

  it('refuses up front what needs an object of a schema it does not copy that the target lacks; with it, the view follows', async () => {
    // A view over a table synth does not manage: the target must have that table.
    await src.exec(`CREATE TABLE public.outside (x int); CREATE VIEW "Sales Dept".uses_outside AS SELECT x FROM public.outside`);
    const source = await openPostgresSource(src.url);
    schema = await source.introspect({ schemas: ['Sales Dept'] });
    await source.close();
    const err = await target.createShadow('notes1', schema).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).message).toMatch(/table public\.outside \(used by view "Sales Dept"\.uses_outside\)/);
    expect(await dst.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'synth_shadow%'`)).toEqual([]);
    await dst.exec(`CREATE TABLE public.outside (x int)`);
    const shadow = await target.createShadow('notes1', schema);
    await target.finalize(shadow, schema);
    const result = await target.swap(shadow, schema);
    expect(result.notes.join('\n')).not.toMatch(/uses_outside was not recreated/);
    expect(await dst.query(`SELECT count(*)::int AS n FROM "Sales Dept".uses_outside`)).toEqual([{ n: 0 }]);
  });

  it('keeps extensions of a swapped schema live (they move along, and back on rollback)', async () => {
    await src.exec(`CREATE EXTENSION citext SCHEMA "Sales Dept"; ALTER TABLE "Sales Dept".accounts ADD COLUMN email "Sales Dept".citext`);
    await dst.exec(`CREATE EXTENSION citext SCHEMA "Sales Dept"`);
    const source = await openPostgresSource(src.url);
    schema = await source.introspect();
    await source.close();
    expect(table('accounts').columns.find((c) => c.name === 'email')?.type.kind).toBe('text');
    const shadow = await target.createShadow('ext1', schema);
    await target.load(shadow, table('accounts'), one(['id', 'name', 'email'], [[1, 'ann', 'Ann@X.org']]));
    await target.finalize(shadow, schema);
    const result = await target.swap(shadow, schema);
    expect(result.notes).toContain('extension citext moved along into the new Sales Dept schema');
    const where = async () => (await dst.query<{ s: string }>(`SELECT n.nspname AS s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'citext'`))[0]?.s;
    expect(await where()).toBe('Sales Dept');
    expect(await dst.query(`SELECT name FROM "Sales Dept".accounts WHERE email OPERATOR("Sales Dept".=) 'ann@x.org'::"Sales Dept".citext`)).toEqual([{ name: 'ann' }]);
    await target.rollback();
    expect(await where()).toBe('Sales Dept');
    await dst.exec(`DROP SCHEMA "synth_backup_Sales Dept" CASCADE`);
    expect(await where()).toBe('Sales Dept');
  });

  it('gives up on a lock held on the old backup with SWAP_FAILED, changing nothing', async () => {
    await hydrate('lk1', ['first']);
    const shadow = await target.createShadow('lk2', schema);
    await target.load(shadow, table('accounts'), one(['id', 'name'], [[1, 'second']]));
    await target.finalize(shadow, schema);
    const blocker = await openPgSession(dst.url, { readOnly: false });
    const pinned = await blocker.pin();
    try {
      await pinned.query('BEGIN');
      await pinned.query('LOCK TABLE "synth_backup_Sales Dept".accounts IN ACCESS SHARE MODE');
      const err = await swapDirect(shadow, 300).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'SWAP_FAILED' });
      expect(String((err as Error).message)).toMatch(/lock timeout/);
    } finally {
      await pinned.query('ROLLBACK');
      await pinned.close();
      await blocker.close();
    }
    expect(await dst.query(`SELECT name FROM "Sales Dept".accounts`)).toEqual([{ name: 'first' }]);
    expect((await target.listShadows()).map((s) => s.runId)).toEqual(['lk2']);
    await target.swap(shadow, schema);
    expect(await dst.query(`SELECT name FROM "Sales Dept".accounts`)).toEqual([{ name: 'second' }]);
  });

  it('throws NOTHING_TO_ROLLBACK when nothing was swapped', async () => {
    await expect(target.rollback()).rejects.toMatchObject({ code: 'NOTHING_TO_ROLLBACK' });
  });

  it('lists and drops shadows left by earlier runs', async () => {
    const a = await target.createShadow('left1', schema);
    await target.createShadow('left2', schema);
    const other = await openPostgresTarget(dst.url);
    try {
      expect((await other.listShadows()).map((s) => s.runId).sort()).toEqual(['left1', 'left2']);
      await other.dropShadow(a);
      expect((await other.listShadows()).map((s) => s.runId)).toEqual(['left2']);
    } finally {
      await other.close();
    }
  });

  it('keeps derived schema names within 63 bytes', async () => {
    const long = 'r'.repeat(60);
    const shadow = await target.createShadow(long, schema);
    const name = shadow.namespaces[0]!.shadow;
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(await dst.query(`SELECT nspname FROM pg_namespace WHERE nspname = $1`, [name])).toHaveLength(1);
    await target.dropShadow(shadow);
  });
});

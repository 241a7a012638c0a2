import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresSource, openPostgresTarget } from '../../../src/connectors/postgres/index.js';
import type { TargetConnector } from '../../../src/connectors/connector.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import type { Row, RowBatch } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

const SQL = `
  CREATE SCHEMA core;
  CREATE SCHEMA "Ünïcode ""Ops""";
  CREATE FUNCTION core.cents(numeric) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT ($1 * 100)::bigint $$;
  CREATE TYPE public.level AS ENUM ('lo', 'hi');
  CREATE TABLE core.users (id int PRIMARY KEY, name text, level public.level);
  COMMENT ON TABLE core.users IS 'People who log in';
  COMMENT ON COLUMN core.users.name IS 'Display name';
  CREATE TABLE "Ünïcode ""Ops""".tickets (
    id int PRIMARY KEY,
    user_id int REFERENCES core.users(id),
    price numeric(8,2),
    price_cents bigint GENERATED ALWAYS AS (core.cents(price)) STORED
  );
`;

let src: TestDatabase;
let dst: TestDatabase;
let target: TargetConnector;
let schema: DatabaseSchema;
const table = (name: string): Table => schema.tables.find((t) => t.name === name)!;
async function* one(columns: string[], rows: Row[]): AsyncIterable<RowBatch> {
  yield { columns, rows };
}

beforeAll(async () => {
  src = await createPgDatabase('synth_pg_multi_src');
  dst = await createPgDatabase('synth_pg_multi_dst');
  await src.exec(SQL);
  await dst.exec(SQL);
  await dst.exec(`CREATE SCHEMA reporting; CREATE VIEW reporting.user_names AS SELECT name FROM core.users`);
  const source = await openPostgresSource(src.url);
  schema = await source.introspect();
  await source.close();
  target = await openPostgresTarget(dst.url);
});

afterAll(async () => {
  await target?.close();
  await src?.drop();
  await dst?.drop();
});

describe('several schemas in one run', () => {
  it('creates one shadow per schema, cross-schema FKs and function-based generated columns, and swaps them together', async () => {
    const shadow = await target.createShadow('multi1', schema);
    // public holds no table but the enum core.users uses, so it is shadowed (and swapped) too.
    expect(shadow.namespaces).toEqual([
      { live: 'core', shadow: 'synth_shadow_multi1_core' },
      { live: 'Ünïcode "Ops"', shadow: 'synth_shadow_multi1_Ünïcode "Ops"' },
      { live: 'public', shadow: 'synth_shadow_multi1_public' },
    ]);
    await expect(target.createShadow('multi1', schema)).rejects.toMatchObject({ code: 'LOAD_FAILED' });
    await target.load(shadow, table('users'), one(['id', 'name', 'level'], [[1, 'ann', 'hi'], [2, 'bob', null]]));
    await target.load(shadow, table('tickets'), one(['id', 'user_id', 'price'], [[1, 2, '3.25'], [2, null, '1.00']]));
    await target.finalize(shadow, schema);
    const fk = await dst.query<{ def: string }>(
      `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND c.contype = 'f'`,
      ['synth_shadow_multi1_Ünïcode "Ops"'],
    );
    expect(fk[0]?.def).toContain('synth_shadow_multi1_core.users(id)');
    const result = await target.swap(shadow, schema);
    expect(result.backups.map((b) => b.live)).toEqual(['core', 'Ünïcode "Ops"', 'public']);
    expect(await dst.query(`SELECT level::text AS l, pg_typeof(level)::text AS t FROM core.users WHERE id = 1`)).toEqual([{ l: 'hi', t: 'level' }]);
    expect(result.notes.some((n) => n.includes('reporting.user_names') && n.includes('backup'))).toBe(true);
    // After the swap the FK and the generated column point at the new live schemas, not the backups.
    expect(await dst.query(`SELECT price_cents::int AS c FROM "Ünïcode ""Ops""".tickets ORDER BY id`)).toEqual([{ c: 325 }, { c: 100 }]);
    const live = await dst.query<{ def: string }>(
      `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND c.contype = 'f'`,
      ['Ünïcode "Ops"'],
    );
    expect(live[0]?.def).toContain('REFERENCES core.users(id)');
    const gen = await dst.query<{ expr: string }>(
      `SELECT pg_get_expr(d.adbin, d.adrelid) AS expr FROM pg_attrdef d WHERE d.adrelid = '"Ünïcode ""Ops""".tickets'::regclass`,
    );
    expect(gen[0]?.expr).toContain('core.cents');
    expect(await dst.query(`SELECT obj_description('core.users'::regclass, 'pg_class') AS c`)).toEqual([{ c: 'People who log in' }]);
    // Dropping the backups leaves the live data intact.
    await dst.exec(`DROP SCHEMA synth_backup_core CASCADE; DROP SCHEMA "synth_backup_Ünïcode ""Ops""" CASCADE; DROP SCHEMA synth_backup_public CASCADE`);
    expect(await dst.query(`SELECT count(*)::int AS n FROM core.users WHERE level IS NOT NULL`)).toEqual([{ n: 1 }]);
    expect(await dst.query(`SELECT count(*)::int AS n FROM "Ünïcode ""Ops""".tickets WHERE price_cents > 0`)).toEqual([{ n: 2 }]);
  });
});

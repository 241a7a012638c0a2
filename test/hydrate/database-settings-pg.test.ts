/**
 * The database's own settings travel with the schema (PostgreSQL `ALTER DATABASE … SET`): after the shadow, parity
 * and swap steps of a hydrate an app connecting to the target sees the source's search_path and custom settings, the
 * target's own are gone, one role's settings are reported but not carried, parity compares them, and a setting the
 * target refuses stops the run before anything is written. The steps are driven through the target connector (no
 * rows: what is under test is schema-level); the CLI run over the same code is airlines-pg.test.ts's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { carryOverNotes } from '../../src/connectors/carry-over.js';
import { openSource, openTarget } from '../../src/connectors/index.js';
import { settingValueSql, splitSettingList } from '../../src/connectors/postgres/postgres-database-settings.js';
import { SynthError } from '../../src/errors.js';
import { buildPlan } from '../../src/graph/plan.js';
import { formatPlan } from '../../src/graph/format-plan.js';
import type { DatabaseSchema } from '../../src/schema/model.js';
import { compareSchemas, shadowParity, type SchemaParity } from '../../src/validation/schema-parity.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';

let source: TestDatabase;
let target: TestDatabase;
let parity: SchemaParity;

let sourceSchema: Promise<DatabaseSchema> | undefined;
const introspectSource = () => (sourceSchema ??= introspect(source.url));

async function introspect(url: string): Promise<DatabaseSchema> {
  const s = await openSource(url);
  try {
    return await s.introspect({ schemas: ['app'] });
  } finally {
    await s.close();
  }
}

/** Database-wide settings as the server keeps them, sorted. */
async function settingsOf(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ s: string }>(
    `SELECT unnest(setconfig) AS s FROM pg_db_role_setting WHERE setrole = 0 AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows.map((r) => r.s).sort();
}

/** What an application sees: a fresh connection, which is when database settings apply. */
async function freshQuery<T>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  source = await createPgDatabase('synth_dbset');
  target = await createPgDatabase('synth_dbsetd');
  await source.exec(`
    CREATE SCHEMA app;
    CREATE TABLE app.item (id serial PRIMARY KEY, name text NOT NULL);
    -- As the airlines demo's bookings.lang(): the view reads the setting through a function.
    CREATE FUNCTION app.lang() RETURNS text LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN current_setting('app.lang', true); END $$;
    CREATE VIEW app.lang_v AS SELECT app.lang() AS lang;
    -- And directly: the literal 'app.lang' names a setting, not schema app (it stays as written in the shadow).
    CREATE VIEW app.lang_direct AS SELECT current_setting('app.lang', true) AS lang;
    ALTER DATABASE "${source.name}" SET search_path = app, public;
    ALTER DATABASE "${source.name}" SET app.lang = 'en';
    ALTER ROLE postgres IN DATABASE "${source.name}" SET work_mem = '8MB';`);
  // The target's own setting, which the source does not have: the copy drops it (and a rollback gives it back).
  await target.exec(`ALTER DATABASE "${target.name}" SET statement_timeout = '5min'; CREATE SCHEMA app`);
  const schema = await introspectSource();
  const t = await openTarget(target.url);
  try {
    const shadow = await t.createShadow('dbsettings', schema);
    await t.finalize(shadow, schema);
    parity = await shadowParity(t, shadow, schema);
    await t.swap(shadow, schema);
  } finally {
    await t.close();
  }
}, 60_000);

afterAll(async () => {
  await source?.drop();
  await target?.drop();
});

describe('database settings PostgreSQL → PostgreSQL', () => {
  it('carries the database-wide settings, drops the target’s own and not the role’s, with full parity', async () => {
    expect(parity.differences).toEqual([]);
    expect(parity.total).toBeGreaterThan(5);
    expect(await settingsOf(target)).toEqual(['app.lang=en', 'search_path=app, public']);
    expect(await settingsOf(target)).toEqual(await settingsOf(source));
    const roleRows = await target.query(`SELECT 1 FROM pg_db_role_setting WHERE setrole <> 0 AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())`);
    expect(roleRows).toEqual([]);
  });

  it('a new connection resolves unqualified names and the view reads app.lang', async () => {
    const rows = await freshQuery<{ n: string; lang: string }>(target.url, `SELECT (SELECT count(*) FROM item) AS n, lang FROM lang_v`);
    expect(rows).toEqual([{ n: '0', lang: 'en' }]);
    expect(await freshQuery<{ lang: string }>(target.url, `SELECT lang FROM lang_direct`)).toEqual([{ lang: 'en' }]);
  });

  it('parity lists a missing or different database setting', async () => {
    const src = await introspectSource();
    expect(src.databaseSettings).toEqual([
      { name: 'search_path', value: 'app, public' },
      { name: 'app.lang', value: 'en' },
      { name: 'work_mem', value: '8MB', role: 'postgres' },
    ]);
    const same = await introspect(target.url);
    expect(compareSchemas(src, same).differences).toEqual([]);
    const changed: DatabaseSchema = { ...same, databaseSettings: [{ name: 'app.lang', value: 'fr' }] };
    expect(compareSchemas(src, changed).differences).toEqual([
      { object: 'app.lang', kind: 'database setting', source: 'en', target: 'fr' },
      { object: 'search_path', kind: 'database setting', source: 'app, public', target: null },
    ]);
  });

  it('synth plan says what is set, removed and not carried; a MySQL target drops them', async () => {
    const src = await introspectSource();
    const text = formatPlan(buildPlan(src), src);
    expect(text).toContain('  search_path = app, public\n  app.lang = en\n');
    expect(text).toContain("the target's own other settings are removed");
    expect(text).toMatch(/Not carried .*\n {2}role postgres: work_mem = 8MB/);
    const dropped = carryOverNotes(src, 'mysql').filter((n) => n.table === '(database)').map((n) => n.from);
    expect(dropped).toEqual(['setting search_path = app, public', 'setting app.lang = en']);
  });

  it('a setting the target refuses stops the run at the shadow, before anything is written', async () => {
    const src = await introspectSource();
    const bad: DatabaseSchema = { ...src, databaseSettings: [...src.databaseSettings!, { name: 'no_such_setting', value: '1' }] };
    const before = await settingsOf(target);
    const t = await openTarget(target.url);
    try {
      const err = await t.createShadow('badsetting', bad).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).message).toMatch(/refuses the source database's setting no_such_setting = 1: unrecognized configuration parameter/);
      expect((err as SynthError).hint).toMatch(/RESET no_such_setting/);
    } finally {
      await t.close();
    }
    expect(await target.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE '%badsetting%'`)).toEqual([]);
    expect(await settingsOf(target)).toEqual(before);
  });

  it('a rollback gives the target its own settings back, and a second one the source’s again', async () => {
    const t = await openTarget(target.url);
    try {
      const result = await t.rollback();
      expect(result.notes.join('\n')).toMatch(/statement_timeout = 5min/);
      expect(await settingsOf(target)).toEqual(['statement_timeout=5min']);
      await t.rollback();
      expect(await settingsOf(target)).toEqual(['app.lang=en', 'search_path=app, public']);
    } finally {
      await t.close();
    }
  });
});

describe('database setting values', () => {
  it('gives list parameters back item by item, others as one literal', () => {
    expect(splitSettingList('"$user", public')).toEqual(['$user', 'public']);
    expect(splitSettingList('"a ""b""",c')).toEqual(['a "b"', 'c']);
    expect(settingValueSql('search_path', 'app, public')).toBe("'app', 'public'");
    expect(settingValueSql('search_path', '""')).toBe("''");
    expect(settingValueSql('DateStyle', 'ISO, MDY')).toBe("'ISO, MDY'");
  });
});

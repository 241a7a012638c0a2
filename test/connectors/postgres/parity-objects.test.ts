import { describe, expect, it } from 'vitest';
import { openPostgresSource } from '../../../src/connectors/postgres/index.js';
import { layoutFor, nextvalSequence, toShadowSql } from '../../../src/connectors/postgres/postgres-ddl.js';
import { rewriteSchemaRefs } from '../../../src/connectors/postgres/postgres-quote.js';
import { backupDependents, ensureExtensions, policyRoles, refuseMissingRoles } from '../../../src/connectors/postgres/postgres-recreate.js';
import { openPgSession } from '../../../src/connectors/postgres/postgres-session.js';
import { structuredLiteral } from '../../../src/connectors/postgres/postgres-values.js';
import { openTarget } from '../../../src/connectors/index.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { SynthError } from '../../../src/errors.js';
import { hydrate } from '../../../src/pipeline/index.js';
import type { DatabaseSchema, StructuredType } from '../../../src/schema/model.js';
import { createMysqlDatabase, createPgDatabase } from '../../support/databases.js';

const numeric = { kind: 'decimal', precision: null, scale: null } as const;
const text = { kind: 'text', maxLength: null, fixedLength: false } as const;

describe('PostgreSQL parity building blocks', () => {
  it('spells composite and range literals, quoting parts and ordering reversed range ends', () => {
    const geo: StructuredType = { form: 'composite', name: 'public.geocoord', attributes: [{ name: 'latitude', type: numeric }, { name: 'label', type: text }] };
    expect(structuredLiteral({ latitude: 1.5, label: 'a "b", c' }, geo)).toBe('(1.5,"a \\"b\\", c")');
    expect(structuredLiteral({ latitude: null, label: '' }, geo)).toBe('(,"")');
    const band: StructuredType = { form: 'range', name: 'public.price_range', subtype: numeric };
    expect(structuredLiteral({ lower: 9, upper: 2, bounds: '[)' }, band)).toBe('[2,9)');
    expect(structuredLiteral({ lower: null, upper: '3.5', bounds: '(]' }, band)).toBe('(,3.5]');
    expect(structuredLiteral('empty', band)).toBe('empty');
    const period: StructuredType = { form: 'range', name: 'tstzrange', subtype: { kind: 'timestamp', withTimeZone: true } };
    expect(structuredLiteral({ lower: '2022-01-02 00:00:00+00', upper: '2022-01-01 10:00:00.5+00', bounds: '[)' }, period)).toBe(
      '["2022-01-01 10:00:00.5+00","2022-01-02 00:00:00+00")',
    );
  });

  it('finds the sequence of a nextval() default, however it is qualified', () => {
    expect(nextvalSequence("nextval('public.actor_actor_id_seq'::regclass)")).toBe('public.actor_actor_id_seq');
    expect(nextvalSequence(`nextval('"My Schema"."it''s_seq"'::regclass)`)).toBe(`"My Schema"."it's_seq"`);
    expect(nextvalSequence('now()')).toBeNull();
  });

  it('leaves string literals alone unless they are cast to an object reference', () => {
    const map = new Map([['app', 'synth_shadow_r1']]);
    expect(rewriteSchemaRefs("SELECT current_setting('app.lang'::text) FROM app.item", map)).toBe(
      `SELECT current_setting('app.lang'::text) FROM "synth_shadow_r1".item`,
    );
    expect(rewriteSchemaRefs("nextval('app.item_id_seq'::regclass), 'app.english'::regconfig", map)).toBe(
      `nextval('"synth_shadow_r1".item_id_seq'::regclass), '"synth_shadow_r1".english'::regconfig`,
    );
    expect(rewriteSchemaRefs("E'it\\'s app.x' || 'a''b app.y', \"it's\".c, app.\"we'ird\"", map)).toBe(
      `E'it\\'s app.x' || 'a''b app.y', "it's".c, "synth_shadow_r1"."we'ird"`,
    );
    // A function body is rewritten as before, its literals included.
    expect(rewriteSchemaRefs("AS $f$ SELECT 'app.z' FROM app.t $f$", map)).toBe(`AS $f$ SELECT '"synth_shadow_r1".z' FROM "synth_shadow_r1".t $f$`);
  });

  it('moves names into the shadow but leaves an extension object where the extension lives', () => {
    const map = new Map([['public', 'synth_shadow_r1']]);
    const keep = new Set(['public.gin_trgm_ops', 'public.citext', 'public.%']);
    expect(rewriteSchemaRefs('CREATE INDEX i ON public.film USING gin (title public.gin_trgm_ops)', map, keep)).toBe(
      'CREATE INDEX i ON "synth_shadow_r1".film USING gin (title public.gin_trgm_ops)',
    );
    expect(rewriteSchemaRefs('a OPERATOR(public.%) b AND c OPERATOR(public.<->) d', map, keep)).toBe(
      'a OPERATOR(public.%) b AND c OPERATOR("synth_shadow_r1".<->) d',
    );
    expect(rewriteSchemaRefs('x::public.citext, y::"public"."Geo Coord"', map, keep)).toBe('x::public.citext, y::"synth_shadow_r1"."Geo Coord"');
  });

  it('keeps only extension names the source does not use for its own objects', () => {
    const table = (name: string) => ({
      schema: 'public', name, columns: [], primaryKey: null, uniques: [], foreignKeys: [], checks: [], indexes: [], partitioning: null, comment: null, estimatedRows: 0,
    });
    const schema: DatabaseSchema = {
      dialect: 'postgres', serverVersion: '15', schemas: ['public'], enums: [], tables: [table('film'), table('similarity')],
      otherObjects: [
        { schema: 'public', name: 'pg_trgm', kind: 'extension', definition: null, members: ['public.gin_trgm_ops', 'public.similarity', 'public.%', 'public.<->'] },
        { schema: 'public', name: '<->(public.geocoord,public.geocoord)', kind: 'operator', definition: null },
      ],
    };
    const layout = layoutFor('r1', schema, 'public');
    expect([...layout.keep!].sort()).toEqual(['public.%', 'public.gin_trgm_ops']);
    expect(toShadowSql('SELECT * FROM public.similarity s WHERE s.t OPERATOR(public.%) public.film.title', layout)).toBe(
      'SELECT * FROM "synth_shadow_r1".similarity s WHERE s.t OPERATOR(public.%) "synth_shadow_r1".film.title',
    );
  });

  it('refuses an extension the target server cannot install, naming it, before creating anything', async () => {
    const db = await createPgDatabase('synth_pg_ext');
    const session = await openPgSession(db.url, { readOnly: false });
    try {
      const err = await ensureExtensions(session, [
        { schema: 'public', name: 'citext', kind: 'extension', definition: 'CREATE EXTENSION IF NOT EXISTS "citext" WITH SCHEMA "public"' },
        { schema: 'ext', name: 'no_such_extension', kind: 'extension', definition: 'CREATE EXTENSION IF NOT EXISTS "no_such_extension" WITH SCHEMA "ext"' },
      ]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).message).toMatch(/no_such_extension/);
      expect((err as SynthError).message).not.toMatch(/citext/);
      expect(await db.query(`SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'`)).toEqual([]);
      expect(await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'ext'`)).toEqual([]);
      // An available one is installed where the source has it.
      const notes = await ensureExtensions(session, [{ schema: 'ext', name: 'citext', kind: 'extension', definition: 'CREATE EXTENSION IF NOT EXISTS "citext" WITH SCHEMA "ext"' }]);
      expect(notes).toEqual(['extension citext installed in schema ext of the target']);
      expect(await db.query(`SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'citext'`)).toEqual([{ nspname: 'ext' }]);
    } finally {
      await session.close();
      await db.drop();
    }
  });

  it('refuses policies for roles the target server lacks, naming role and policy', async () => {
    const policy = (roles: string) => ({
      schema: 'public', name: 'p', kind: 'policy' as const, table: 't',
      definition: `CREATE POLICY "p" ON "public"."t" AS PERMISSIVE FOR SELECT TO ${roles} USING ((id > 0))`,
    });
    expect(policyRoles(policy('PUBLIC').definition)).toEqual([]);
    expect(policyRoles(policy('postgres, "App Reader"').definition)).toEqual(['postgres', 'App Reader']);
    const db = await createPgDatabase('synth_pg_roles');
    const session = await openPgSession(db.url, { readOnly: false });
    try {
      await expect(refuseMissingRoles(session, [policy('PUBLIC'), policy('postgres')])).resolves.toBeUndefined();
      const err = await refuseMissingRoles(session, [policy('postgres, "synth no such role"')]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).message).toMatch(/synth no such role \(policy p on public\.t\)/);
      expect((err as SynthError).hint).toMatch(/CREATE ROLE "synth no such role" NOLOGIN/);
    } finally {
      await session.close();
      await db.drop();
    }
  });

  it('lists what outside a backup depends on it, and nothing of the backup itself', async () => {
    const db = await createPgDatabase('synth_pg_bdep');
    const session = await openPgSession(db.url, { readOnly: false });
    try {
      await db.exec(`CREATE SCHEMA synth_backup_app; CREATE SCHEMA other;
        CREATE TYPE synth_backup_app.mood AS ENUM ('a', 'b');
        CREATE TABLE synth_backup_app.t (id integer PRIMARY KEY, m synth_backup_app.mood);
        CREATE INDEX ON synth_backup_app.t (m);
        CREATE VIEW synth_backup_app.v AS SELECT id FROM synth_backup_app.t;
        CREATE FUNCTION synth_backup_app.f() RETURNS integer LANGUAGE sql AS 'SELECT 1';`);
      expect(await backupDependents(session, 'synth_backup_app')).toEqual([]);
      await db.exec(`CREATE VIEW other.v AS SELECT id FROM synth_backup_app.t;
        CREATE TABLE other.u (id integer REFERENCES synth_backup_app.t (id), m synth_backup_app.mood DEFAULT synth_backup_app.f()::text::synth_backup_app.mood);`);
      const found = await backupDependents(session, 'synth_backup_app');
      expect(found).toContain('view other.v');
      expect(found.some((f) => /constraint u_id_fkey on table other\.u/.test(f))).toBe(true);
      expect(found.some((f) => /column m of table other\.u/.test(f))).toBe(true);
      expect(found.some((f) => /default value for column m of table other\.u/.test(f))).toBe(true);
      expect(found.join('\n')).not.toMatch(/synth_backup_app\.v\b|index/);
    } finally {
      await session.close();
      await db.drop();
    }
  });

  it('refuses up front a column type from a schema synth does not copy and the target lacks, naming type and column', async () => {
    const src = await createPgDatabase('synth_pg_ftype');
    const dst = await createPgDatabase('synth_pg_ftyped');
    try {
      // A table's row type as a column type (here always NULL, so there is nothing to generate).
      await src.exec(`CREATE SCHEMA lib; CREATE TABLE lib.level (rank integer, label text);
        CREATE TABLE public.job (id integer PRIMARY KEY, lvl lib.level);
        INSERT INTO public.job SELECT i, NULL FROM generate_series(1, 50) i;`);
      const config = parseConfig({ source: { url: src.url }, targets: { dev: { url: dst.url } }, schemas: ['public'], quality: { enabled: false } });
      const stages: string[] = [];
      const err = await hydrate({ config, target: 'dev', emit: (e) => void (e.type === 'stage' && e.status === 'start' && stages.push(e.stage)) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).message).toMatch(/lib\.level \(used by public\.job\.lvl\)/);
      expect(stages).not.toContain('load');
      expect(await dst.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'synth_%'`)).toEqual([]);
      // Once the target has the type, the same run goes through.
      await dst.exec(`CREATE SCHEMA lib; CREATE TABLE lib.level (rank integer, label text);`);
      expect((await hydrate({ config, target: 'dev' })).status).toBe('ok');
    } finally {
      await src.drop();
      await dst.drop();
    }
  }, 120_000);

  it('refuses up front when a default or a view uses a function or table of a schema synth does not copy and the target lacks', async () => {
    const src = await createPgDatabase('synth_pg_fext');
    const dst = await createPgDatabase('synth_pg_fextd');
    try {
      const lib = `CREATE SCHEMA lib; CREATE FUNCTION lib.next_code() RETURNS text LANGUAGE sql AS $$SELECT 'c' || floor(random() * 1000)::int$$;
        CREATE TABLE lib.region (id integer PRIMARY KEY, name text);`;
      await src.exec(`${lib}
        CREATE TABLE public.job (id integer PRIMARY KEY, code text NOT NULL DEFAULT lib.next_code());
        CREATE VIEW public.regions AS SELECT name FROM lib.region;
        INSERT INTO public.job SELECT i, 'c' || i FROM generate_series(1, 50) i;`);
      const s = await openPostgresSource(src.url);
      try {
        expect((await s.introspect({ schemas: ['public'] })).requires?.map((r) => `${r.type} ${r.identity}`).sort()).toEqual(['function lib.next_code()', 'table lib.region']);
      } finally {
        await s.close();
      }
      const config = parseConfig({ source: { url: src.url }, targets: { dev: { url: dst.url } }, schemas: ['public'], quality: { enabled: false } });
      const err = await hydrate({ config, target: 'dev' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).message).toMatch(/function lib\.next_code\(\) \(used by default value for column code of table public\.job\)/);
      expect((err as SynthError).message).toMatch(/table lib\.region \(used by view public\.regions\)/);
      expect(await dst.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'synth_%'`)).toEqual([]);
      await dst.exec(lib);
      expect((await hydrate({ config, target: 'dev' })).status).toBe('ok');
    } finally {
      await src.drop();
      await dst.drop();
    }
  }, 120_000);

  it('PostgreSQL → MariaDB: a composite column becomes JSON, and synth plan --target says so up front', async () => {
    const src = await createPgDatabase('synth_pg_comp');
    const dst = await createMysqlDatabase('synth_my_comp');
    try {
      await src.exec(`CREATE TYPE geocoord AS (latitude numeric, longitude numeric);
        CREATE TABLE store (id integer PRIMARY KEY, location geocoord);
        INSERT INTO store SELECT i, ROW(40 + i % 7, -74 + i % 5)::geocoord FROM generate_series(1, 80) i;`);
      const s = await openPostgresSource(src.url);
      const t = await openTarget(dst.url);
      try {
        const notes = t.describeMapping(await s.introspect());
        expect(notes).toContainEqual(expect.objectContaining({ column: 'location', severity: 'lossy', note: expect.stringMatching(/composite type public\.geocoord is stored as a JSON object \{latitude, longitude\}/) }));
      } finally {
        await s.close();
        await t.close();
      }
      const result = await hydrate({ config: parseConfig({ source: { url: src.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false } }), target: 'dev' });
      expect(result.status).toBe('ok');
      const rows = await dst.query<{ lat: string | null }>(`SELECT JSON_VALUE(location, '$.latitude') AS lat FROM store WHERE location IS NOT NULL`);
      expect(rows.length).toBeGreaterThan(40);
      for (const r of rows) expect(Number(r.lat)).toBeGreaterThanOrEqual(39);
    } finally {
      await src.drop();
      await dst.drop();
    }
  }, 120_000);
});

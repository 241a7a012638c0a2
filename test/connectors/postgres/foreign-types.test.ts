import { describe, expect, it } from 'vitest';
import { openPostgresSource } from '../../../src/connectors/postgres/index.js';
import { layoutFor } from '../../../src/connectors/postgres/postgres-ddl.js';
import { foreignTypeNeeds, foreignTypesUsed, refuseStrandedTypeNeeds } from '../../../src/connectors/postgres/postgres-foreign-types.js';
import { backupDependents } from '../../../src/connectors/postgres/postgres-recreate.js';
import { openPgSession } from '../../../src/connectors/postgres/postgres-session.js';
import { SynthError } from '../../../src/errors.js';
import { createPgDatabase } from '../../support/databases.js';

const FIXTURE = `
  CREATE SCHEMA kinds; CREATE SCHEMA lib; CREATE SCHEMA moods; CREATE SCHEMA unused;
  CREATE FUNCTION lib.half(a float8, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS 'SELECT (a - b) / 2';
  CREATE FUNCTION kinds.small(v integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT v < 1000';
  CREATE DOMAIN kinds.positive AS integer CHECK (VALUE > 0);
  CREATE DOMAIN kinds.capped AS integer CHECK (kinds.small(VALUE));
  CREATE TYPE moods.tone AS ENUM ('low', 'high');
  CREATE TYPE kinds.inner_pair AS (a kinds.positive, b text, c moods.tone);
  CREATE TYPE kinds.outer_pair AS (p kinds.inner_pair, n integer);
  CREATE TYPE kinds.span AS RANGE (subtype = float8, subtype_diff = lib.half);
  CREATE DOMAIN unused.nothing AS text;
  CREATE TABLE public.t (id serial PRIMARY KEY, o kinds.outer_pair[], s kinds.span, c kinds.capped);
`;

describe('PostgreSQL types from schemas outside `schemas`', () => {
  it('finds the types copied columns use, through arrays and nested composites, and what those types need', async () => {
    const db = await createPgDatabase('synth_pg_ftypes');
    const session = await openPgSession(db.url, { readOnly: false });
    try {
      await db.exec(FIXTURE);
      const oids = (await db.query<{ oid: number }>(`SELECT 'public.t'::regclass::oid::int AS oid`)).map((r) => r.oid);
      const used = await foreignTypesUsed(session, ['public'], oids);
      const names = (await db.query<{ n: string }>(`SELECT format_type(o, NULL) AS n FROM unnest($1::oid[]) o ORDER BY 1`, [used])).map((r) => r.n);
      expect(names).toEqual(['kinds.capped', 'kinds.inner_pair', 'kinds.outer_pair', 'kinds.positive', 'kinds.span', 'moods.tone']);
      // Copying `kinds` too leaves only the enum of `moods` outside.
      const rest = await foreignTypesUsed(session, ['public', 'kinds'], oids);
      expect((await db.query<{ n: string }>(`SELECT format_type(o, NULL) AS n FROM unnest($1::oid[]) o`, [rest])).map((r) => r.n)).toEqual(['moods.tone']);

      const needs = await foreignTypeNeeds(session, ['public'], oids);
      expect(needs.map((n) => `${n.type} ${n.identity} ← ${n.usedBy}`)).toEqual([
        'function kinds.small(integer) ← type kinds.capped',
        'function lib.half(double precision,double precision) ← type kinds.span',
      ]);
    } finally {
      await session.close();
      await db.drop();
    }
  }, 60_000);

  it('refuses a type whose schema is shadowed for its types only when it needs more of that schema', async () => {
    const db = await createPgDatabase('synth_pg_fstrand');
    try {
      await db.exec(FIXTURE);
      const source = await openPostgresSource(db.url);
      const schema = await source.introspect({ schemas: ['public'] }).finally(() => source.close());
      // The types travel: their schemas get a shadow; `unused` does not.
      expect(schema.enums.map((e) => `${e.schema}.${e.name}`)).toEqual(['moods.tone']);
      const layout = layoutFor('r1', schema, 'public');
      expect([...layout.live.keys()].sort()).toEqual(['kinds', 'moods', 'public']);
      expect(schema.otherObjects.filter((o) => o.schema === 'kinds').map((o) => `${o.kind} ${o.name}`).sort()).toEqual([
        'composite type inner_pair', 'composite type outer_pair', 'domain capped', 'domain positive', 'range type span',
      ]);
      let err: unknown = null;
      try {
        refuseStrandedTypeNeeds(schema, layout);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).message).toMatch(/type kinds\.capped \(of column public\.t\.c\) needs function kinds\.small\(integer\)/);
      // lib is not replaced by the swap: the target must have lib.half, which refuseMissingExternals checks instead.
      expect((err as SynthError).message).not.toMatch(/lib\.half/);
      expect((err as SynthError).hint).toMatch(/Add kinds to `schemas`/);

      const whole = await openPostgresSource(db.url);
      const both = await whole.introspect({ schemas: ['public', 'kinds'] }).finally(() => whole.close());
      expect(() => refuseStrandedTypeNeeds(both, layoutFor('r2', both, 'public'))).not.toThrow();
    } finally {
      await db.drop();
    }
  }, 60_000);

  it('does not count what lies in another backup the same swap replaces', async () => {
    const db = await createPgDatabase('synth_pg_fbackups');
    const session = await openPgSession(db.url, { readOnly: false });
    try {
      await db.exec(`CREATE SCHEMA synth_backup_kinds; CREATE SCHEMA synth_backup_public;
        CREATE DOMAIN synth_backup_kinds.positive AS integer;
        CREATE TABLE synth_backup_public.t (id integer, n synth_backup_kinds.positive);`);
      expect(await backupDependents(session, 'synth_backup_kinds')).toEqual(['column n of table synth_backup_public.t']);
      expect(await backupDependents(session, 'synth_backup_kinds', ['synth_backup_kinds', 'synth_backup_public'])).toEqual([]);
    } finally {
      await session.close();
      await db.drop();
    }
  }, 60_000);
});

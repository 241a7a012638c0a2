import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { SynthError } from '../../src/errors.js';
import { hydrate } from '../../src/hydrate.js';
import { pgHydrationFixture, type TestDatabase } from '../support/databases.js';
import { PARITY_PG, PARITY_PG_INSERTS } from '../support/torture-pg-parity.js';

const env = pgHydrationFixture('synth_parity_', PARITY_PG);

const config = () =>
  parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, quality: { enabled: false }, outDir: env.outDir });

/**
 * `pg_dump --schema-only` as a sorted list of statements, without what legitimately differs: SQL comments, SET
 * lines, synth's own schemas and the marker synth writes into the live schema's comment.
 */
export function dumpSchema(db: TestDatabase): string[] {
  const text = execFileSync('pg_dump', ['--schema-only', '--no-owner', '--no-privileges', '--exclude-schema=synth_*', db.url], { encoding: 'utf8' });
  const statements: string[] = [];
  let current: string[] = [];
  let dollar: string | null = null;
  for (const line of text.split('\n')) {
    if (dollar === null && (line.startsWith('--') || line.startsWith('\\') || line.trim() === '' || /^SET /.test(line) || /^SELECT pg_catalog\.set_config/.test(line))) continue;
    current.push(line);
    for (const tag of line.match(/\$[A-Za-z_]*\$/g) ?? []) dollar = dollar === null ? tag : dollar === tag ? null : dollar;
    if (dollar === null && line.trimEnd().endsWith(';')) {
      statements.push(current.join('\n'));
      current = [];
    }
  }
  return statements.filter((s) => !/^COMMENT ON SCHEMA public IS/.test(s)).sort();
}

describe('PostgreSQL → PostgreSQL schema parity (pagila-like fixture)', () => {
  it('the target schema is the source schema: pg_dump --schema-only of both is the same', async () => {
    const result = await hydrate({ config: config(), target: 'dev' });
    expect(result.status).toBe('ok');
    const source = dumpSchema(env.source);
    const target = dumpSchema(env.target);
    expect(target.filter((s) => !source.includes(s)), 'only in the target').toEqual([]);
    expect(source.filter((s) => !target.includes(s)), 'only in the source').toEqual([]);
    // The fixture really has the objects the comparison is about.
    const all = source.join('\n');
    for (const needle of ['CREATE AGGREGATE public.group_concat', 'CREATE OPERATOR public.<->', 'CREATE CAST (public.mpaa_rating AS integer)',
      'CREATE TYPE public.geocoord AS', 'CREATE TYPE public.price_range AS RANGE', 'CREATE POLICY store_visible', 'ENABLE ROW LEVEL SECURITY',
      "nextval('public.actor_actor_id_seq'::regclass)", 'CREATE UNIQUE INDEX rental_by_store_store_id', 'CREATE EXTENSION IF NOT EXISTS citext',
      'USING gin (title public.gin_trgm_ops)', 'USING brin (payment_date)', 'EXCLUDE USING btree', "COMMENT ON FUNCTION public.last_updated()"]) {
      expect(all, needle).toContain(needle);
    }
  }, 180_000);

  it('an application INSERT without a key succeeds in every table', async () => {
    for (const [table, sql] of Object.entries(PARITY_PG_INSERTS)) {
      await expect(env.target.exec(sql), table).resolves.toBeUndefined();
    }
    // The free-standing sequence continues after the generated keys instead of starting at 1 again.
    const [actor] = await env.target.query<{ n: number; max: number }>(`SELECT count(*)::int AS n, max(actor_id)::int AS max FROM actor`);
    expect(actor!.max).toBeGreaterThanOrEqual(actor!.n);
    const [seq] = await env.target.query<{ start: string; inc: string }>(
      `SELECT seqstart::text AS start, seqincrement::text AS inc FROM pg_sequence WHERE seqrelid = 'public.film_film_id_seq'::regclass`,
    );
    expect(seq).toEqual({ start: '1000', inc: '5' });
  });

  it('keeps microseconds, numeric scale, time zones, composite and range values', async () => {
    const [ts] = await env.target.query<{ n: number; micro: number; tz: string }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE (extract(microseconds FROM payment_date)::bigint % 1000) <> 0)::int AS micro,
              format_type(atttypid, atttypmod) AS tz
         FROM payment, pg_attribute WHERE attrelid = 'public.payment'::regclass AND attname = 'payment_date' GROUP BY 3`,
    );
    expect(ts!.tz).toBe('timestamp with time zone');
    // Every source value has microseconds; generated ones keep that precision (not rounded to milliseconds).
    expect(ts!.micro / ts!.n).toBeGreaterThan(0.9);
    const [amount] = await env.target.query<{ bad: number }>(`SELECT count(*) FILTER (WHERE scale(amount) <> 2)::int AS bad FROM payment`);
    expect(amount!.bad).toBe(0);
    const [store] = await env.target.query<{ n: number; located: number; lat: number }>(
      `SELECT count(*)::int AS n, count(location)::int AS located, avg((location).latitude)::float AS lat FROM store`,
    );
    expect(store!.located).toBeGreaterThan(store!.n / 2);
    expect(store!.lat).toBeGreaterThan(39);
    expect(store!.lat).toBeLessThan(49);
    const [rental] = await env.target.query<{ n: number; ordered: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE isempty(rental_period) OR lower(rental_period) <= upper(rental_period))::int AS ordered FROM rental`,
    );
    expect(rental!.n).toBeGreaterThan(0);
    expect(rental!.ordered).toBe(rental!.n);
    // The view over the recreated aggregate works on the new data.
    const [info] = await env.target.query<{ n: number }>(`SELECT count(film_info)::int AS n FROM actor_info`);
    expect(info!.n).toBeGreaterThan(0);
  });

  it('a second hydrate replaces the backup and drops nothing outside it', async () => {
    await env.target.exec(`CREATE SCHEMA other; CREATE TABLE other.keep (id integer); CREATE FUNCTION other.f() RETURNS integer LANGUAGE sql AS 'SELECT 1';
      CREATE VIEW other.live_actors AS SELECT count(*) AS n FROM public.actor;`);
    const before = await env.target.query(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'other' ORDER BY 1`);
    const result = await hydrate({ config: config(), target: 'dev' });
    expect(result.status).toBe('ok');
    expect(await env.target.query(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'other' ORDER BY 1`)).toEqual(before);
    expect(await env.target.query(`SELECT other.f() AS f`)).toEqual([{ f: 1 }]);
    // The view followed the replaced tables into the backup; it is named rather than dropped by the next run.
    await env.target.exec(`DROP VIEW other.live_actors`);
  }, 180_000);

  it('refuses before writing anything when an object outside the backup depends on it, and names it', async () => {
    await env.target.exec(`CREATE VIEW other.old_actors AS SELECT actor_id FROM synth_backup_public.actor`);
    const live = await env.target.query(`SELECT md5(string_agg(a::text, ',' ORDER BY actor_id)) AS sum FROM public.actor a`);
    const stages: string[] = [];
    const err = await hydrate({ config: config(), target: 'dev', emit: (e) => void (e.type === 'stage' && e.status === 'start' && stages.push(e.stage)) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).message).toMatch(/view other\.old_actors/);
    expect((err as SynthError).hint).toMatch(/Nothing was written/);
    expect(stages).not.toContain('load');
    expect(await env.target.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'synth_shadow%'`)).toEqual([]);
    expect(await env.target.query(`SELECT md5(string_agg(a::text, ',' ORDER BY actor_id)) AS sum FROM public.actor a`)).toEqual(live);
    expect(await env.target.query(`SELECT count(*)::int AS n FROM other.old_actors`)).toHaveLength(1);
  }, 180_000);
});

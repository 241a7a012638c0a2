import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { SynthError } from '../../src/errors.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';

// Only `public` is copied, but its columns use an enum and a domain kept in `kinds`: that schema gets a shadow of
// its own, which the parity check must map back to `kinds` rather than report as objects only in the target.
const FIXTURE = `
  CREATE SCHEMA kinds;
  CREATE TYPE kinds.mood AS ENUM ('calm', 'busy', 'gone');
  CREATE TABLE public.person (id serial PRIMARY KEY, mood kinds.mood NOT NULL, tags kinds.mood[], age integer);
  INSERT INTO public.person (mood, tags, age) SELECT (ARRAY['calm','busy','gone'])[1 + g % 3]::kinds.mood, ARRAY['calm']::kinds.mood[], 1 + g % 80 FROM generate_series(1, 60) g;
`;

const env = pgHydrationFixture('synth_ptypes_', FIXTURE);

describe('PostgreSQL schema parity with types in a schema that is not copied', () => {
  it('an enum from another schema is not reported as differences', async () => {
    const config = parseConfig({
      source: { url: env.source.url },
      targets: { dev: { url: env.target.url } },
      schemas: ['public'],
      quality: { enabled: false },
      outDir: env.outDir,
    });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.parity?.differences ?? ["no parity"]).toEqual([]);
    // The types arrived in the target under their own schema, and the copied column uses them.
    const [row] = await env.target.query<{ t: string }>(`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'public.person'::regclass AND attname = 'mood'`);
    expect(row!.t).toBe('kinds.mood');
    await env.target.exec(`INSERT INTO public.person (mood, age) VALUES ('calm', 3)`);
  }, 120_000);
});

// A domain, a composite and a range type kept in `shapes`, which is not copied; the composite uses the domain and
// another domain from a third schema, so the types must come along in dependency order, across schemas.
const SHAPES = `
  CREATE SCHEMA shapes;
  CREATE SCHEMA codes;
  CREATE DOMAIN codes.code AS text CHECK (length(VALUE) = 3);
  CREATE DOMAIN shapes.positive AS integer CHECK (VALUE > 0);
  CREATE TYPE codes.tone AS ENUM ('low', 'high');
  CREATE TYPE shapes.pair AS (lo shapes.positive, label codes.code, tone codes.tone);
  CREATE TYPE shapes.span AS RANGE (subtype = float8);
  CREATE TABLE public.item (
    id serial PRIMARY KEY, n shapes.positive NOT NULL, ns shapes.positive[], p shapes.pair, r shapes.span, c codes.code
  );
  INSERT INTO public.item (n, ns, p, r, c)
    SELECT 1 + g % 50, ARRAY[1 + g % 7, 2 + g % 5], ROW(1 + g % 9, 'k' || lpad((g % 100)::text, 2, '0'), (ARRAY['low', 'high'])[1 + g % 2])::shapes.pair,
           shapes.span(g::float8, g + 1.5), 'c' || lpad((g % 100)::text, 2, '0')
      FROM generate_series(1, 80) g;
`;

describe('PostgreSQL domains, composite and range types from a schema that is not copied', () => {
  const shapes = pgHydrationFixture('synth_pshapes_', SHAPES);
  const config = () =>
    parseConfig({
      source: { url: shapes.source.url },
      targets: { dev: { url: shapes.target.url } },
      schemas: ['public'],
      quality: { enabled: false },
      outDir: shapes.outDir,
    });

  async function expectValidCopy(): Promise<void> {
    const types = await shapes.target.query<{ attname: string; t: string }>(
      `SELECT attname, format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'public.item'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    );
    expect(Object.fromEntries(types.map((r) => [r.attname, r.t]))).toEqual({
      id: 'integer', n: 'shapes.positive', ns: 'shapes.positive[]', p: 'shapes.pair', r: 'shapes.span', c: 'codes.code',
    });
    const [count] = await shapes.target.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.item`);
    expect(count!.n).toBeGreaterThan(0);
    // The domains' CHECKs hold on the generated data and still guard the copy.
    const [bad] = await shapes.target.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.item WHERE n <= 0 OR 0 >= ANY (ns) OR length(c) <> 3 OR (p).lo <= 0 OR length((p).label) <> 3`,
    );
    expect(bad!.n).toBe(0);
    await expect(shapes.target.exec(`INSERT INTO public.item (n) VALUES (0)`)).rejects.toThrow(/positive/);
    await expect(shapes.target.exec(`INSERT INTO public.item (n, c) VALUES (1, 'toolong')`)).rejects.toThrow(/code/);
    // Inside an array or the composite too: those CHECKs are created with their domains.
    await expect(shapes.target.exec(`INSERT INTO public.item (n, ns) VALUES (1, ARRAY[2, 0])`)).rejects.toThrow(/positive/);
    await expect(shapes.target.exec(`INSERT INTO public.item (n, p) VALUES (1, ROW(0, 'abc', 'low'))`)).rejects.toThrow(/positive/);
    await expect(shapes.target.exec(`INSERT INTO public.item (n, p) VALUES (1, ROW(1, 'toolong', 'low'))`)).rejects.toThrow(/code/);
    await shapes.target.exec(`INSERT INTO public.item (n, p, r, c) VALUES (4, ROW(2, 'abc', 'high'), '[1.5,3)', 'xyz')`);
  }

  it('are recreated in their own schema, with 100 % parity and valid data', async () => {
    const result = await hydrate({ config: config(), target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.parity?.differences ?? ['no parity']).toEqual([]);
    await expectValidCopy();
  }, 180_000);

  it('a second hydrate replaces them again', async () => {
    const result = await hydrate({ config: config(), target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.parity?.differences ?? ['no parity']).toEqual([]);
    // The row the first test added went with the replaced tables.
    const [row] = await shapes.target.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.item WHERE c = 'xyz'`);
    expect(row!.n).toBe(0);
    await expectValidCopy();
  }, 180_000);

  it('a third hydrate drops the first backups of both schemas', async () => {
    const result = await hydrate({ config: config(), target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.parity?.differences ?? ['no parity']).toEqual([]);
    await expectValidCopy();
  }, 180_000);
});

// A range type and a domain of a schema that is not copied, using functions of that schema: the functions would stay
// behind when the schema's shadow replaces it, so the run is refused before anything is written.
const STRANDED = `
  CREATE SCHEMA measures;
  CREATE FUNCTION measures.diff(a float8, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS 'SELECT a - b';
  CREATE FUNCTION measures.above(v integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT v > 0';
  CREATE TYPE measures.band AS RANGE (subtype = float8, subtype_diff = measures.diff);
  CREATE DOMAIN measures.pairs AS integer CHECK (measures.above(VALUE));
  CREATE TABLE public.reading (id serial PRIMARY KEY, b measures.band, q measures.pairs);
  INSERT INTO public.reading (b, q) SELECT measures.band(g, g + 2), 2 * g FROM generate_series(1, 40) g;
`;

describe('PostgreSQL types from a schema that is not copied, using functions of that schema', () => {
  const stranded = pgHydrationFixture('synth_pstrand_', STRANDED);

  it('are refused before anything is written, naming the type, the column and the fix', async () => {
    const config = parseConfig({
      source: { url: stranded.source.url },
      targets: { dev: { url: stranded.target.url } },
      schemas: ['public'],
      quality: { enabled: false },
      outDir: stranded.outDir,
    });
    const stages: string[] = [];
    const err = await hydrate({ config, target: 'dev', emit: (e) => void (e.type === 'stage' && e.status === 'start' && stages.push(e.stage)) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    const message = (err as SynthError).message;
    expect(message).toMatch(/type measures\.band \(of column public\.reading\.b\) needs function measures\.diff\(double precision,double precision\)/);
    expect(message).toMatch(/type measures\.pairs \(of column public\.reading\.q\) needs function measures\.above\(integer\)/);
    expect((err as SynthError).hint).toMatch(/Nothing was written\. Add measures to `schemas`/);
    expect(stages).not.toContain('load');
    expect(await stranded.target.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'synth_%' OR nspname = 'measures'`)).toEqual([]);
    expect(await stranded.target.query(`SELECT relname FROM pg_class WHERE relname = 'reading'`)).toEqual([]);
  }, 180_000);

  it('are copied once their schema is in `schemas`', async () => {
    const config = parseConfig({
      source: { url: stranded.source.url },
      targets: { dev: { url: stranded.target.url } },
      schemas: ['public', 'measures'],
      quality: { enabled: false },
      outDir: stranded.outDir,
    });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.parity?.differences ?? ['no parity']).toEqual([]);
    const [bad] = await stranded.target.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.reading WHERE q <= 0`);
    expect(bad!.n).toBe(0);
    await expect(stranded.target.exec(`INSERT INTO public.reading (q) VALUES (-3)`)).rejects.toThrow(/pairs/);
  }, 180_000);
});

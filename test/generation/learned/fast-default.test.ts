/**
 * The learned model as the default: its batched sampler draws the same tokens as a prefix pass per column and
 * is fast; it generates every column type the baseline does (columns it cannot encode fall back to the baseline);
 * the copy filters run on every run by default, judged on the columns that vary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { openSource } from '../../../src/connectors/index.js';
import { hydrate } from '../../../src/pipeline/index.js';
import { describeColumns } from '../../../src/generation/metadata.js';
import type { Rng, Row, TableSample } from '../../../src/generation/model.js';
import { initCompute, learnedFactoryForFitModels, seededRng } from '../../../src/generation/learned/index.js';
import { oneHot } from '../../../src/generation/learned/layout.js';
import { MadeSampler } from '../../../src/generation/learned/made-sampler.js';
import { decodesConformed } from '../../../src/generation/learned/output-conform.js';
import { findTable, type Table } from '../../../src/schema/model.js';
import type { Value } from '../../../src/schema/values.js';
import { conformValue } from '../../../src/generation/conform.js';
import { createPgDatabase, pgHydrationFixture, type TestDatabase } from '../../support/databases.js';

// Ten attribute columns with structure: segment ~ region, channel ~ segment, price ~ segment and quantity,
// shipped after ordered.
const TEN_COLUMNS = `
SELECT setseed(0.17);
CREATE TABLE sale (
  id int PRIMARY KEY, region text NOT NULL, segment text NOT NULL, channel text NOT NULL, status text NOT NULL,
  priority int NOT NULL, quantity int NOT NULL, price numeric(10,2) NOT NULL, discount float8 NOT NULL,
  ordered date NOT NULL, shipped timestamp NOT NULL);
INSERT INTO sale
SELECT g, r, s, CASE WHEN s = 'enterprise' THEN 'sales' WHEN random() < 0.7 THEN 'web' ELSE 'store' END,
       (ARRAY['open','shipped','returned','closed'])[1 + (random() * 3)::int], p, q,
       round(((CASE WHEN s = 'enterprise' THEN 900 ELSE 90 END) * (0.5 + random()) * sqrt(q))::numeric, 2),
       round((CASE WHEN s = 'enterprise' THEN 0.1 + random() * 0.2 ELSE random() * 0.1 END)::numeric, 3)::float8,
       d, d + (1 + (random() * p * 3)::int) * interval '1 day' + (random() * 86400)::int * interval '1 second'
FROM (
  SELECT g, r, CASE WHEN random() < (CASE WHEN r = 'north' THEN 0.7 ELSE 0.2 END) THEN 'enterprise'
                    WHEN random() < 0.5 THEN 'smb' ELSE 'consumer' END AS s,
         1 + (random() * 4)::int AS p, 1 + floor(-ln(1 - random()) * 6)::int AS q,
         date '2019-01-01' + (random() * 1500)::int AS d
  FROM (SELECT g, (ARRAY['north','south','east','west','central'])[1 + (random() * 4)::int] AS r FROM generate_series(1, 20000) g) x
) y;`;

describe('batched learned sampling on a 10-column PostgreSQL table', () => {
  let db: TestDatabase;
  let table: Table;
  let sample: TableSample;

  beforeAll(async () => {
    await initCompute();
    db = await createPgDatabase('synth_fast');
    await db.exec(TEN_COLUMNS);
    const source = await openSource(db.url);
    try {
      const schema = await source.introspect();
      table = findTable(schema, { schema: 'public', name: 'sale' })!;
      const rows: Row[] = [];
      let columns: string[] = [];
      for await (const b of source.readRows(table, { columns: table.columns.map((c) => c.name) })) {
        columns = b.columns;
        rows.push(...b.rows);
      }
      sample = { table: { schema: 'public', name: 'sale' }, totalRows: rows.length, columns, rows };
      expect(columns).toHaveLength(11);
      expect(rows).toHaveLength(20_000);
    } finally {
      await source.close();
    }
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  const fit = (options: Record<string, number>) =>
    learnedFactoryForFitModels({ seed: 3, ...options })(table, sample, describeColumns(table, sample), null);

  it('draws exactly the tokens a prefix pass per column draws, with the same random numbers', async () => {
    const model = await fit({ maxSteps: 150, hiddenSize: 48 });
    const { layout, network } = model.learned;
    const rows = 1500;
    const w = layout.width;
    const count = layout.outputs.length;
    const reference = new Int32Array(rows * w).fill(-1);
    const fast = new Int32Array(rows * w).fill(-1);
    const all = Int32Array.from({ length: rows }, (_, i) => i);
    const rng: Rng = seededRng(11);
    for (let c = 0; c < count; c++) {
      const size = layout.outputs[c]!.size;
      const logits = network!.logitsFor(oneHot(layout.inputs, reference, w, all), rows, c);
      for (let r = 0; r < rows; r++) {
        let max = -Infinity;
        for (let k = 0; k < size; k++) max = Math.max(max, logits[r * size + k]!);
        const p = Array.from({ length: size }, (_, k) => Math.exp(logits[r * size + k]! - max));
        let u = rng.next() * p.reduce((a, b) => a + b, 0);
        let pick = size - 1;
        for (let k = 0; k < size; k++) if ((u -= p[k]!) < 0) ((pick = k), (k = size));
        reference[r * w + layout.outputs[c]!.token] = pick;
      }
    }
    const sampler = new MadeSampler(network!, layout.inputs, layout.outputs);
    sampler.sample(fast, w, rows, count, seededRng(11));
    sampler.dispose();
    expect(count).toBeGreaterThanOrEqual(10);
    let same = 0;
    for (let i = 0; i < fast.length; i++) if (fast[i] === reference[i]) same++;
    expect(same).toBe(fast.length);
    model.learned.dispose();
  }, 120_000);

  it('composed rows are the learned rows conformed to their columns, cell by cell (remembered conforms change nothing)', async () => {
    const model = await fit({ maxSteps: 60 });
    const n = 6000;
    const composed = model.sample(n, null, seededRng(8));
    const learned = model.learned.sample(n, null, seededRng(8).fork('learned'));
    const cols = model.columns.map((c) => table.columns.find((t) => t.name === c)!);
    expect(composed).toHaveLength(n);
    for (let r = 0; r < n; r++) {
      const want = model.columns.map((c, j) => conformValue((learned[r]![model.learned.columns.indexOf(c)] ?? null) as Value, cols[j]!));
      expect(composed[r]).toEqual(want);
    }
    // Timestamps without fractions, numeric(10,2) prices and integer quantities leave the decoder conformed.
    for (const c of ['shipped', 'price', 'quantity']) {
      const enc = model.learned.encoders[model.learned.columns.indexOf(c)]!;
      expect(decodesConformed(table.columns.find((t) => t.name === c)!, enc), c).toBe(true);
    }
    // Same seed, same rows (the conform memory filled by the first call changes nothing).
    expect(model.sample(n, null, seededRng(8))).toEqual(composed);
    model.learned.dispose();
  }, 120_000);

  it('generates ≥ 50k rows per CPU second at the default network size (the bench reports the real figure)', async () => {
    // Sampling cost does not depend on how long the network trained; a short fit keeps the test quick.
    const model = await fit({ maxSteps: 100 });
    expect(model.learned.columns).toHaveLength(10);
    const rng = seededRng(5);
    model.sample(4096, null, rng);
    const before = process.cpuUsage();
    let rows = 0;
    for (let i = 0; i < 10; i++) rows += model.learned.sample(10_000, null, rng).length;
    const used = process.cpuUsage(before);
    const rate = rows / ((used.user + used.system) / 1e6);
    expect(rows).toBe(100_000);
    // ~130k on an idle core at the table-sized default width; the margin absorbs a loaded machine.
    expect(rate).toBeGreaterThan(50_000);
    model.learned.dispose();
  }, 180_000);
});

// Every column type the baseline generates; the learned model encodes the numerics, datetimes and categories and
// leaves arrays, json, free text, binary and network types to the baseline's column generators (PostGIS geometry
// is not installed on the test server; MariaDB's geometry goes the same way, through the baseline).
const ALL_TYPES = `
SELECT setseed(0.3);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE thing (
  id serial PRIMARY KEY, small smallint NOT NULL, big bigint, amount numeric(12,3), ratio real, score float8,
  flag boolean, feeling mood, born date, seen timestamp, seen_tz timestamptz, at_time time, span interval,
  code varchar(8), note text, uid uuid, doc jsonb, tags text[], nums int[], blob bytea, ip inet,
  yr int);
INSERT INTO thing (small, big, amount, ratio, score, flag, feeling, born, seen, seen_tz, at_time, span, code, note,
                   uid, doc, tags, nums, blob, ip, yr)
SELECT (g % 300)::smallint, g * 1000003::bigint, round((random() * 1000)::numeric, 3), random()::real, random() * 50,
       g % 3 = 0, (ARRAY['sad','ok','happy'])[1 + g % 3]::mood, date '2000-01-01' + g % 4000,
       timestamp '2020-01-01' + g * interval '37 minutes', timestamptz '2020-01-01 00:00+00' + g * interval '41 minutes',
       time '08:00' + (g % 600) * interval '1 minute', (g % 90) * interval '1 hour', 'C' || (g % 25),
       'note number ' || g || ' about ' || md5(g::text), md5(g::text)::uuid,
       jsonb_build_object('k', g % 7, 'tags', jsonb_build_array('a', g % 3)), ARRAY['x' || g % 4, 'y'],
       ARRAY[g % 10, g % 7], decode(md5(g::text), 'hex'), ('10.0.' || g % 200 || '.' || g % 250)::inet,
       1990 + g % 30
FROM generate_series(1, 1500) g;`;

describe('the learned model (now the default) on every column type', () => {
  const env = pgHydrationFixture('synth_types', ALL_TYPES);

  it('hydrates a table of every type with zero violations; every column keeps its kind of value', async () => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: env.outDir });
    expect(config.model).toBe('learned');
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const [row] = await env.target.query<Record<string, string>>(`
      SELECT count(*) AS n, count(DISTINCT small) AS small, count(DISTINCT feeling) AS feeling, count(DISTINCT born) AS born,
             count(*) FILTER (WHERE jsonb_typeof(doc) = 'object') AS doc, count(*) FILTER (WHERE array_length(tags, 1) >= 1) AS tags,
             count(*) FILTER (WHERE array_length(nums, 1) >= 1) AS nums,
             count(*) FILTER (WHERE ip IS NOT NULL) AS ip, count(*) FILTER (WHERE length(blob) > 0) AS blob,
             count(*) FILTER (WHERE note LIKE '% %') AS note, count(DISTINCT uid) AS uid, min(seen)::text AS seen_min,
             max(seen)::text AS seen_max, count(*) FILTER (WHERE span IS NOT NULL) AS span
      FROM public.thing`);
    expect(Number(row!.n)).toBe(1500);
    expect(Number(row!.small)).toBeGreaterThan(50);
    expect(Number(row!.feeling)).toBe(3);
    expect(Number(row!.born)).toBeGreaterThan(300);
    for (const c of ['doc', 'tags', 'nums', 'ip', 'blob', 'note', 'span']) expect(Number(row![c]), c).toBeGreaterThan(1400);
    expect(Number(row!.uid)).toBe(1500);
    expect((row!.seen_min ?? '') >= '2020-01-01').toBe(true);
    expect((row!.seen_max ?? '~') <= '2020-02-09').toBe(true);

    // Which columns the network encodes and which fall back to the baseline's generators.
    const source = await openSource(env.source.url);
    try {
      const t = findTable(await source.introspect(), { schema: 'public', name: 'thing' })!;
      const rows: Row[] = [];
      let columns: string[] = [];
      for await (const b of source.readRows(t, { columns: t.columns.map((c) => c.name) })) {
        columns = b.columns;
        rows.push(...b.rows);
      }
      const sample: TableSample = { table: { schema: 'public', name: 'thing' }, totalRows: rows.length, columns, rows };
      const model = await learnedFactoryForFitModels({ seed: 1, maxSteps: 20 })(t, sample, describeColumns(t, sample), null);
      for (const c of ['small', 'amount', 'score', 'flag', 'feeling', 'born', 'seen', 'code', 'yr']) expect(model.learned.columns, c).toContain(c);
      for (const c of ['doc', 'tags', 'nums', 'blob', 'ip', 'note', 'uid']) expect(model.learned.columns, c).not.toContain(c);
      const drawn = model.sample(200, null, seededRng(2));
      const at = (c: string): number => model.columns.indexOf(c);
      expect(drawn.every((r) => Array.isArray(r[at('tags')]) && typeof r[at('doc')] === 'object' && typeof r[at('feeling')] === 'string')).toBe(true);
      model.learned.dispose();
    } finally {
      await source.close();
    }
  }, 240_000);
});

describe('copy filters on by default', () => {
  // 4 colours × 3 sizes × 50 weights: 600 combinations in 2000 rows, so independent draws copy many rows; each item
  // names its owner's email, so its rows are someone's and the filters guard them (filter-scope.ts). The
  // batch table's only attribute is a constant load timestamp: no row can be told from another, so none is a copy.
  const env = pgHydrationFixture(
    'synth_defilt',
    `CREATE TABLE item (id serial PRIMARY KEY, owner_email text NOT NULL, color text NOT NULL, size text NOT NULL, weight int NOT NULL CHECK (weight > 0));
     INSERT INTO item (owner_email, color, size, weight)
     SELECT 'owner' || g || '@example-shop.org', (ARRAY['red','green','blue','black'])[1 + g % 4], (ARRAY['S','M','L'])[1 + (g / 4) % 3], 10 * (1 + (g * 7) % 50)
     FROM generate_series(1, 2000) g;
     CREATE TABLE batch (id serial PRIMARY KEY, loaded_at timestamp NOT NULL);
     INSERT INTO batch (loaded_at) SELECT timestamp '2024-03-01 02:00:00' FROM generate_series(1, 800);`,
  );

  it('a default run replays no real row: NewRowSynthesis 1.0 where independent draws copy rows; a constant column copies nothing', async () => {
    const base = { source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: env.outDir, quality: { sampleRows: 2000 } };
    const off = await hydrate({ config: parseConfig({ ...base, filters: { enabled: false } }), target: 'dev' });
    expect(off.privacy).toBeUndefined();
    expect(off.quality!.diagnostics.newRowSynthesis!).toBeLessThan(0.9);

    const config = parseConfig(base);
    expect(config.filters.enabled).toBe(true);
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const item = result.privacy!.filters['public.item']!;
    expect(item.exactCopies + item.nearCopies).toBeGreaterThan(100);
    expect(item.unresolved).toBe(0);
    const perTable = result.quality!.diagnostics.details.filter((d) => d.metric === 'NewRowSynthesis' && d.table === 'item');
    expect(perTable.length === 0 || perTable.every((d) => d.score === 1)).toBe(true);
    expect(result.quality!.diagnostics.newRowSynthesis).toBe(1);
    // The constant table: nothing flagged, nothing regenerated, and its rows are all there.
    const batch = result.privacy!.filters['public.batch'];
    expect(batch === undefined || batch.exactCopies + batch.nearCopies + batch.regenerated === 0).toBe(true);
    const [n] = await env.target.query<{ n: string; d: string }>(`SELECT count(*) AS n, count(DISTINCT loaded_at) AS d FROM public.batch`);
    expect(Number(n!.n)).toBe(800);
    expect(Number(n!.d)).toBe(1);
  }, 240_000);
});

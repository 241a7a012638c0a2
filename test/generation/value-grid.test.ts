import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { parseEpoch } from '../../src/generation/conform.js';
import { decimalsOf, snapValue, valueGrid, type ValueGrid } from '../../src/generation/value-grid.js';
import { hydrate } from '../../src/pipeline/index.js';
import type { Column, NeutralType, Table } from '../../src/schema/model.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { rulesConfig, rulesConfigInput, trainedUnder, type ModelKind } from '../support/app-rules.js';
import { modelSetFromArtifact, modelSetToArtifact } from '../../src/generation/fit.js';
import { createRng } from '../../src/generation/rng.js';

function column(name: string, type: NeutralType): Column {
  return { name, type, nativeType: type.kind, nullable: true, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null };
}

function table(columns: Column[], unique: string[] = []): Table {
  return { schema: 'public', name: 't', columns, primaryKey: null, uniques: unique.length ? [{ name: 'u', columns: unique }] : [], foreignKeys: [] } as unknown as Table;
}

const stamp = column('at', { kind: 'timestamp', withTimeZone: false } as NeutralType);
const dbl = column('x', { kind: 'float', bytes: 8 } as NeutralType);
const days = Array.from({ length: 40 }, (_, i) => `2021-0${1 + (i % 9)}-${String(10 + i % 18)} 00:00:00`);

describe('value grid: learned from the sample', () => {
  it('finds the coarsest unit of timestamps and the decimals of floats', () => {
    expect(valueGrid(table([stamp]), stamp, 'datetime', days)).toMatchObject({ unit: 'day' });
    expect(valueGrid(table([stamp]), stamp, 'datetime', days.map((d, i) => d.replace('00:00:00', `0${i % 10}:${10 + i}:00`)))).toMatchObject({ unit: 'minute' });
    expect(valueGrid(table([stamp]), stamp, 'datetime', days.map((d, i) => d.replace('00:00:00', `00:00:${10 + i}`)))).toMatchObject({ unit: 'second' });
    expect(valueGrid(table([stamp]), stamp, 'datetime', days.map((d, i) => `${d}.${100 + i}`))).toBeNull();
    const tenths = Array.from({ length: 40 }, (_, i) => (i * 7.3) % 50);
    const rounded = tenths.map((x) => Math.round(x * 10) / 10);
    expect(valueGrid(table([dbl]), dbl, 'numerical', rounded)).toEqual({ decimals: 1, lo: Math.min(...rounded), hi: Math.max(...rounded) });
    // Continuous values (more than 6 decimals) have no grid; neither have a UNIQUE column nor a few distinct values.
    expect(valueGrid(table([dbl]), dbl, 'numerical', tenths.map((x) => x + 1 / 3))).toBeNull();
    expect(valueGrid(table([stamp], ['at']), stamp, 'datetime', days)).toBeNull();
    expect(valueGrid(table([dbl]), dbl, 'numerical', rounded.map((x) => x % 2))).toBeNull();
    // Unscaled numeric text: trailing zeros are no precision.
    expect(decimalsOf('1.50')).toBe(1);
    expect(decimalsOf('12')).toBe(0);
    expect(decimalsOf(1e-9)).toBeNull();
  });

  it('snaps monotonically and never out of the sampled range from inside it', () => {
    const day: ValueGrid = { unit: 'day', lo: parseEpoch('2021-01-01')!, hi: parseEpoch('2021-12-31')! };
    expect(snapValue('2021-03-04 13:12:11', stamp, day)).toBe('2021-03-05 00:00:00');
    expect(snapValue('2021-03-04 11:12:11', stamp, day)).toBe('2021-03-04 00:00:00');
    // Outside the range a value moves toward it: a CHECK bound every sampled value keeps is kept.
    expect(snapValue('2021-12-31 13:00:00', stamp, day)).toBe('2021-12-31 00:00:00');
    expect(snapValue('2020-12-31 01:00:00', stamp, day)).toBe('2021-01-01 00:00:00');
    const tenth: ValueGrid = { decimals: 1, lo: 0, hi: 10 };
    expect(snapValue(1.8811862, dbl, tenth)).toBe(1.9);
    expect(snapValue(10.04, dbl, tenth)).toBe(10);
    expect(snapValue(-0.04, dbl, tenth)).toBe(0);
    expect(snapValue('3.14159', column('n', { kind: 'decimal', precision: null, scale: null } as NeutralType), tenth)).toBe('3.1');
    const xs = Array.from({ length: 500 }, (_, i) => -1 + i * 0.0247);
    const snapped = xs.map((x) => snapValue(x, dbl, tenth) as number);
    for (let i = 1; i < xs.length; i++) expect(snapped[i]!).toBeGreaterThanOrEqual(snapped[i - 1]!);
  });
});

/** Rows a store writes: midnight-only order dates, ship dates 0–9 days later, a 1-decimal double, a real in 0–5. */
const ROWS = 300;

function onGrid(rows: Array<{ ordered: string; shipped: string; rating: number | string; weight: number | string }>) {
  const off = { ordered: 0, shipped: 0, rating: 0, weight: 0, order: 0 };
  for (const r of rows) {
    if (!String(r.ordered).endsWith('00:00:00')) off.ordered++;
    if (!String(r.shipped).endsWith('00:00:00')) off.shipped++;
    if (decimalsOf(String(r.rating))! > 1) off.rating++;
    if (decimalsOf(String(r.weight))! > 1) off.weight++;
    if (String(r.shipped) < String(r.ordered)) off.order++;
  }
  return off;
}

const clean = { ordered: 0, shipped: 0, rating: 0, weight: 0, order: 0 };

describe('value grid: hydrated rows sit on the source grid', () => {
  const envs: Array<{ source: TestDatabase; target: TestDatabase; outDir: string }> = [];
  afterAll(async () => {
    for (const e of envs) {
      await e.source.drop();
      await e.target.drop();
      rmSync(e.outDir, { recursive: true, force: true });
    }
  });

  const pg = {} as { source: TestDatabase; target: TestDatabase; outDir: string };
  const my = {} as { source: TestDatabase; target: TestDatabase; outDir: string };
  beforeAll(async () => {
    pg.source = await createPgDatabase('h9_grid_src');
    pg.target = await createPgDatabase('h9_grid_dst');
    pg.outDir = mkdtempSync(join(tmpdir(), 'h9-grid-'));
    envs.push(pg);
    await pg.source.exec(`
      CREATE TABLE shop (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE purchase (
        id int PRIMARY KEY, shop_id int NOT NULL REFERENCES shop, ordered timestamp NOT NULL, shipped timestamp NOT NULL,
        rating double precision NOT NULL, weight real NOT NULL CHECK (weight >= 0 AND weight <= 5),
        CHECK (shipped >= ordered)
      );
      INSERT INTO shop SELECT g, 'shop ' || g FROM generate_series(1, 30) g;
      INSERT INTO purchase SELECT g, 1 + g % 30, TIMESTAMP '2022-01-01' + make_interval(days => (g * 37) % 300),
          TIMESTAMP '2022-01-01' + make_interval(days => (g * 37) % 300 + g % 10),
          round(((g * 0.61) % 9 + 1)::numeric, 1)::float8, round(((g * 0.37) % 5)::numeric, 1)::real
        FROM generate_series(1, ${ROWS}) g;
    `);
    my.source = await createMysqlDatabase('h9_grid_msrc');
    my.target = await createMysqlDatabase('h9_grid_mdst');
    my.outDir = mkdtempSync(join(tmpdir(), 'h9-grid-my-'));
    envs.push(my);
    await my.source.exec(`
      CREATE TABLE shop (id int PRIMARY KEY, name varchar(40) NOT NULL) ENGINE=InnoDB;
      CREATE TABLE purchase (
        id int PRIMARY KEY, shop_id int NOT NULL, ordered datetime NOT NULL, shipped datetime NOT NULL,
        rating double NOT NULL, weight double NOT NULL CHECK (weight >= 0 AND weight <= 5),
        CONSTRAINT purchase_shop FOREIGN KEY (shop_id) REFERENCES shop (id), CHECK (shipped >= ordered)
      ) ENGINE=InnoDB;
      INSERT INTO shop SELECT seq, CONCAT('shop ', seq) FROM seq_1_to_30;
      INSERT INTO purchase SELECT seq, 1 + seq % 30, TIMESTAMP '2022-01-01 00:00:00' + INTERVAL (seq * 37) % 300 DAY,
          TIMESTAMP '2022-01-01 00:00:00' + INTERVAL ((seq * 37) % 300 + seq % 10) DAY,
          ROUND((seq * 0.61) % 9 + 1, 1), ROUND((seq * 0.37) % 5, 1)
        FROM seq_1_to_${ROWS};
    `);
  }, 60_000);

  const cases: Array<[string, ModelKind, () => typeof pg]> = [
    ['PostgreSQL', 'baseline', () => pg],
    ['PostgreSQL', 'learned', () => pg],
    ['MariaDB', 'baseline', () => my],
    ['MariaDB', 'learned', () => my],
  ];
  it.each(cases)('%s → itself (%s model): every generated value on the grid, 0 violations', async (_name, model, envOf) => {
    const env = envOf();
    const config = parseConfig({ ...rulesConfigInput(env, model, { referenceMaxRows: 0, epochs: 3, quality: false }) });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const rows = await env.target.query<{ ordered: string; shipped: string; rating: number; weight: number }>(
      `SELECT ${env === pg ? 'ordered::text AS ordered, shipped::text AS shipped, rating::text AS rating, weight::text AS weight' : 'ordered, shipped, CAST(rating AS CHAR) AS rating, CAST(weight AS CHAR) AS weight'} FROM purchase`,
    );
    expect(rows.length).toBe(ROWS);
    expect(onGrid(rows)).toEqual(clean);
    // Not a copy of a handful of values: the columns still vary.
    expect(new Set(rows.map((r) => r.ordered)).size).toBeGreaterThan(20);
    expect(new Set(rows.map((r) => r.rating)).size).toBeGreaterThan(20);
  }, 180_000);

  it('a stored model set keeps the grids (they travel in the metadata): a reloaded baseline draws on them', async () => {
    const { schema, models } = await trainedUnder(rulesConfig(pg, 'baseline', { referenceMaxRows: 0, epochs: 1, quality: false }));
    const stored = modelSetToArtifact(models);
    const meta = stored.tables.find((t) => t.table.name === 'purchase')!.meta;
    expect(meta.filter((m) => m.grid).map((m) => [m.column, m.grid && ('unit' in m.grid ? m.grid.unit : m.grid.decimals)])).toEqual([
      ['ordered', 'day'],
      ['shipped', 'day'],
      ['rating', 1],
      ['weight', 1],
    ]);
    const reloaded = modelSetFromArtifact(JSON.parse(JSON.stringify(stored)), schema);
    const model = reloaded.tables.get('public.purchase')!.model;
    // weight is a real: its value is the float nearest 0.3 (0.30000001192…), which the database stores as 0.3.
    const asStored = (c: string, v: unknown) => (c === 'weight' ? Number(Number(v).toPrecision(6)) : v);
    const rows = model.sample(200, null, createRng(7, 'grid')).map((r) => Object.fromEntries(model.columns.map((c, i) => [c, asStored(c, r[i])])));
    expect(onGrid(rows as never)).toEqual({ ...clean, order: expect.any(Number) });
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { fitBaseline, baselineFromArtifact } from '../../src/generation/baseline/baseline-model.js';
import { columnDrawer, drawSpec, type ColumnSpec } from '../../src/generation/baseline/column-spec.js';
import { conformValue, utc } from '../../src/generation/conform.js';
import { describeColumns } from '../../src/generation/metadata.js';
import { createRng } from '../../src/generation/rng.js';
import { findColumn, findTable, type Column } from '../../src/schema/model.js';
import type { Row, Value } from '../../src/schema/values.js';
import type { TableSample } from '../../src/generation/model.js';
import { isSynthError } from '../../src/errors.js';
import { col, readSample, table, text, varchar } from './fixtures.js';
import { createShop, shopSchema } from './shop.js';

let db: TestDatabase;
let customer: TableSample;
const customerTable = findTable(shopSchema, { schema: 'public', name: 'customer' })!;

beforeAll(async () => {
  db = await createPgDatabase('synth_baseline');
  await createShop(db);
  // A wider numeric/text table straight from generate_series, for marginals on a few thousand rows.
  await db.exec(`
    select setseed(0.1);
    create table measure as
    select g as id, (random() * random() * 1000)::numeric(10,3) as amount, (50 + 10 * sqrt(-2 * ln(random())) * cos(2 * pi() * random()))::float8 as weight,
      md5(g::text) as token, case when random() < 0.2 then null else (array['red','green','blue'])[1 + floor(random() * 3)::int] end as color
    from generate_series(1, 4000) g;`);
  customer = await readSample(db, customerTable);
});
afterAll(async () => {
  await db?.drop();
});

const columnOf = (cols: string[], rows: Row[], name: string): Value[] => rows.map((r) => r[cols.indexOf(name)] as Value);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))]!;
};

describe('describeColumns', () => {
  it('assigns roles from keys, types and cardinality', () => {
    const roles = Object.fromEntries(describeColumns(customerTable, customer).map((m) => [m.column, m.role]));
    expect(roles).toMatchObject({
      id: 'primary-key',
      region_id: 'foreign-key',
      referred_by: 'foreign-key',
      code: 'unique',
      score: 'numerical',
      age: 'numerical',
      tier: 'categorical',
      active: 'boolean',
      born: 'datetime',
      created_at: 'datetime',
      profile: 'structured',
      tags: 'constant', // always ['a','b'] in the source
    });
  });
});

describe('baseline model', () => {
  it('reproduces numeric, categorical, boolean and datetime marginals of the customer sample', () => {
    const meta = describeColumns(customerTable, customer);
    const model = fitBaseline(customerTable, customer, meta);
    expect(model.columns).not.toContain('id');
    expect(model.columns).not.toContain('code');
    const rows = model.sample(4000, null, createRng(1));
    const cols = model.columns;
    const srcAge = columnOf(customer.columns, customer.rows, 'age') as number[];
    const genAge = columnOf(cols, rows, 'age') as number[];
    expect(genAge.every((x) => Number.isInteger(x))).toBe(true);
    expect(Math.abs(mean(genAge) - mean(srcAge))).toBeLessThan(1.5);
    for (const q of [0.1, 0.5, 0.9]) expect(Math.abs(quantile(genAge, q) - quantile(srcAge, q))).toBeLessThanOrEqual(3);

    const genScore = columnOf(cols, rows, 'score');
    const nullShare = genScore.filter((v) => v === null).length / genScore.length;
    expect(Math.abs(nullShare - 0.1)).toBeLessThan(0.03);
    expect((genScore.filter((v) => v !== null) as string[]).every((s) => /^\d{1,4}\.\d{2}$/.test(s))).toBe(true);

    const tiers = columnOf(cols, rows, 'tier');
    expect(Math.abs(tiers.filter((t) => t === 'bronze').length / tiers.length - 0.5)).toBeLessThan(0.04);
    expect(new Set(tiers)).toEqual(new Set(['gold', 'silver', 'bronze']));
    const active = columnOf(cols, rows, 'active');
    expect(Math.abs(active.filter((a) => a === true).length / active.length - 2 / 3)).toBeLessThan(0.04);

    const born = columnOf(cols, rows, 'born').filter((v) => v !== null) as string[];
    expect(born.every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d))).toBe(true);
    const years = born.map((d) => Number(d.slice(0, 4)));
    expect(Math.min(...years)).toBeGreaterThanOrEqual(1950);
    expect(Math.max(...years)).toBeLessThanOrEqual(2004);
    const created = columnOf(cols, rows, 'created_at') as string[];
    expect(created.every((d) => /^202[0-2]-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(d))).toBe(true);

    const profiles = columnOf(cols, rows, 'profile') as Array<Record<string, unknown>>;
    expect(profiles.every((p) => p !== null && typeof p.visits === 'number' && typeof p.source === 'string')).toBe(true);
    const tags = columnOf(cols, rows, 'tags') as unknown[][];
    expect(tags.every((t) => Array.isArray(t) && t.length >= 1 && t.length <= 3)).toBe(true);
  });

  it('keeps continuous marginals and scale of a larger generate_series table, without copying high-cardinality text', async () => {
    const t = table('measure', [
      col('id', { kind: 'integer', bytes: 4, unsigned: false }),
      col('amount', { kind: 'decimal', precision: 10, scale: 3 }),
      col('weight', { kind: 'float', bytes: 8 }),
      col('token', text),
      col('color', text),
    ]);
    const sample = await readSample(db, t);
    const model = fitBaseline(t, sample, describeColumns(t, sample));
    const rows = model.sample(20000, null, createRng(2));
    const srcAmount = (columnOf(sample.columns, sample.rows, 'amount') as string[]).map(Number);
    const genAmountStr = columnOf(model.columns, rows, 'amount') as string[];
    expect(genAmountStr.every((s) => /^\d+\.\d{3}$/.test(s))).toBe(true);
    const genAmount = genAmountStr.map(Number);
    expect(Math.abs(mean(genAmount) - mean(srcAmount)) / mean(srcAmount)).toBeLessThan(0.05);
    for (const q of [0.25, 0.5, 0.75, 0.95]) expect(Math.abs(quantile(genAmount, q) - quantile(srcAmount, q))).toBeLessThan(20);
    // continuous: far more distinct values than quantile points
    expect(new Set(genAmount).size).toBeGreaterThan(5000);
    const genWeight = columnOf(model.columns, rows, 'weight') as number[];
    const srcWeight = columnOf(sample.columns, sample.rows, 'weight') as number[];
    expect(Math.abs(mean(genWeight) - mean(srcWeight))).toBeLessThan(0.6);
    const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
    expect(Math.abs(sd(genWeight) - sd(srcWeight))).toBeLessThan(1);
    const colors = columnOf(model.columns, rows, 'color');
    expect(Math.abs(colors.filter((c) => c === null).length / colors.length - 0.2)).toBeLessThan(0.03);
    const srcTokens = new Set(columnOf(sample.columns, sample.rows, 'token'));
    const genTokens = columnOf(model.columns, rows, 'token') as string[];
    expect(genTokens.every((x) => x.length === 32)).toBe(true);
    expect(genTokens.filter((x) => srcTokens.has(x))).toEqual([]);
    // the artifact carries no raw high-cardinality values
    const json = JSON.stringify(model.toJSON());
    expect([...srcTokens].slice(0, 50).some((x) => json.includes(String(x)))).toBe(false);
  });

  it('round-trips through its artifact and draws the same rows', () => {
    const meta = describeColumns(customerTable, customer);
    const model = fitBaseline(customerTable, customer, meta);
    const again = baselineFromArtifact(JSON.parse(JSON.stringify(model.toJSON())), customerTable);
    expect(again.sample(300, null, createRng(4))).toEqual(model.sample(300, null, createRng(4)));
  });

  it('draws per column what conform makes of the spec drawn (categories, dates, numbers, text), with the same draws', () => {
    const meta = describeColumns(customerTable, customer);
    const model = fitBaseline(customerTable, customer, meta);
    const specs = model.toJSON().columns;
    const date = col('d', { kind: 'date' }, { nullable: false });
    const extra: Array<[ColumnSpec, Column]> = [
      [{ type: 'epoch', unit: 'date', quantiles: [utc(1, 0, 1), Date.UTC(2000, 5, 1), Date.UTC(9999, 11, 31)], fraction: false, withTimeZone: false }, date],
      [{ type: 'epoch', unit: 'date', quantiles: [Number.NaN, Number.NaN], fraction: false, withTimeZone: false }, date],
      [{ type: 'categorical', values: ['a', 'toolong', null], weights: [1, 2, 3] }, col('t', varchar(3), { nullable: false })],
      [{ type: 'categorical', values: [{ k: 1 }], weights: [1] }, col('j', { kind: 'json', binary: true }, { nullable: true })],
    ];
    const cases = [...specs.map((s): [ColumnSpec, Column] => [s.spec, findColumn(customerTable, s.column)!]), ...extra];
    expect(cases.some(([s]) => s.type === 'categorical') && cases.some(([s]) => s.type === 'numeric')).toBe(true);
    for (const [spec, column] of cases) {
      const draw = columnDrawer(spec, column);
      const [a, b] = [createRng(9, column.name), createRng(9, column.name)];
      for (let i = 0; i < 200; i++) expect(draw(a)).toEqual(conformValue(drawSpec(spec, b), column));
      expect(a.next()).toBe(b.next());
    }
  });

  it('keeps the number of decimals of the sample for unconstrained numeric', () => {
    const t = table('x', [col('v', { kind: 'decimal', precision: null, scale: null })]);
    const sample: TableSample = { table: t, totalRows: 4, columns: ['v'], rows: [['1.5'], ['2.25'], ['10.125'], ['3']] };
    const rows = fitBaseline(t, sample, describeColumns(t, sample)).sample(200, null, createRng(1));
    for (const [v] of rows) {
      expect(v).toMatch(/^\d+\.\d{3}$/);
      expect(Number(v)).toBeGreaterThanOrEqual(1.5);
      expect(Number(v)).toBeLessThanOrEqual(10.125);
    }
  });

  it('replays the character-class shape of code-like text (postcodes, phones) with fresh characters', () => {
    const t = table('addr', [col('postcode', varchar(10)), col('phone', varchar(24))]);
    const rows = Array.from({ length: 60 }, (_, i) => [
      i % 3 === 0 ? `${String(10000 + i * 37)}` : `T${i % 10}P ${(i * 7) % 10}K${i % 9}`,
      `+1 (${400 + i}) ${200 + i}-${1000 + i * 3}`,
    ]);
    const sample: TableSample = { table: t, totalRows: 60, columns: ['postcode', 'phone'], rows };
    const gen = fitBaseline(t, sample, describeColumns(t, sample)).sample(500, null, createRng(5));
    const post = gen.map((r) => r[0] as string);
    for (const p of post) expect(p).toMatch(/^(\d{5}|[A-Z]\d[A-Z] \d[A-Z]\d)$/);
    const fiveDigit = post.filter((p) => /^\d{5}$/.test(p)).length / post.length;
    expect(Math.abs(fiveDigit - 1 / 3)).toBeLessThan(0.07);
    for (const r of gen) expect(r[1]).toMatch(/^\+\d \(\d{3}\) \d{3}-\d{4}$/);
    const real = new Set(rows.map((r) => r[1]));
    expect(gen.filter((r) => real.has(r[1] as string)).length).toBeLessThan(5);
  });

  it('refuses an unsupported column type naming table and column', () => {
    const t = table('odd', [col('thing', { kind: 'unsupported', reason: 'custom base type' }, { nativeType: 'ext.thing' })]);
    const sample: TableSample = { table: t, totalRows: 1, columns: ['thing'], rows: [['x']] };
    try {
      fitBaseline(t, sample, describeColumns(t, sample));
      expect.unreachable();
    } catch (e) {
      expect(isSynthError(e) && e.code).toBe('UNSUPPORTED_TYPE');
      expect((e as Error).message).toContain('public.odd.thing');
      expect(isSynthError(e) && e.hint).toMatch(/tables: \{ 'public\.odd': \{ skip: true \} \}/);
    }
  });
});

/**
 * The learned model against a correlated fixture built in a real PostgreSQL database: item.amount depends on
 * the parent category, item.country on item.city, and a customer's number of items on its segment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';
import type { Column, NeutralType, Table } from '../../../src/schema/model.js';
import type { ColumnMeta, Row, TableSample } from '../../../src/generation/model.js';
import {
  computeBackendName,
  createLearnedFactory,
  learnedFromArtifact,
  seededRng,
  type LearnedModel,
  type LearnedOptions,
} from '../../../src/generation/learned/index.js';

const CITIES: Array<[string, string]> = [
  ['Paris', 'FR'],
  ['Lyon', 'FR'],
  ['Berlin', 'DE'],
  ['Munich', 'DE'],
  ['Rome', 'IT'],
  ['Milan', 'IT'],
  ['Madrid', 'ES'],
  ['Seville', 'ES'],
];
const BASE: Record<string, number> = { books: 10, games: 50, tools: 200 };
const FK_CUSTOMER = 'item_customer_id_fkey';

function col(name: string, type: NeutralType): Column {
  return { name, type, nativeType: type.kind, nullable: true, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null };
}
const int4: NeutralType = { kind: 'integer', bytes: 4, unsigned: false };
const text: NeutralType = { kind: 'text', maxLength: null, fixedLength: false };

function table(name: string, columns: Column[]): Table {
  return {
    schema: 'public',
    name,
    columns,
    primaryKey: { name: `${name}_pkey`, columns: ['id'] },
    uniques: [],
    foreignKeys: [],
    checks: [],
    indexes: [],
    partitioning: null,
    comment: null,
    estimatedRows: 0,
  };
}
const itemTable = table('item', [
  col('id', int4),
  col('category_id', int4),
  col('customer_id', int4),
  col('amount', { kind: 'decimal', precision: 10, scale: 2 }),
  col('city', text),
  col('country', text),
]);
const customerTable = table('customer', [col('id', int4), col('segment', text), col('age', int4)]);
const meta = (t: string, roles: Record<string, ColumnMeta['role']>): ColumnMeta[] =>
  Object.entries(roles).map(([column, role]) => ({ table: { schema: 'public', name: t }, column, role }));

const small: Partial<LearnedOptions> = { hiddenSize: 64, epochs: 40, batchSize: 128, learningRate: 3e-3, patience: 6 };

let db: TestDatabase;
let itemSample: TableSample;
let itemParents: { columns: string[]; rows: Row[] };
let customerSample: TableSample;
let customerCounts: number[];

beforeAll(async () => {
  db = await createPgDatabase('synth_learned');
  await db.exec(`
    SELECT setseed(0.42);
    CREATE TABLE category (id int PRIMARY KEY, name text NOT NULL, base numeric(10,2) NOT NULL);
    INSERT INTO category VALUES (1, 'books', 10), (2, 'games', 50), (3, 'tools', 200);
    CREATE TABLE customer (id int PRIMARY KEY, segment text NOT NULL, age int NOT NULL);
    INSERT INTO customer SELECT g, CASE WHEN g % 4 = 0 THEN 'vip' ELSE 'regular' END, 18 + (random() * 60)::int
      FROM generate_series(1, 600) g;
    CREATE TABLE city (name text PRIMARY KEY, country text NOT NULL);
    INSERT INTO city VALUES ${CITIES.map(([c, k]) => `('${c}', '${k}')`).join(', ')};
    CREATE TABLE item (
      id serial PRIMARY KEY,
      category_id int NOT NULL REFERENCES category,
      customer_id int NOT NULL CONSTRAINT ${FK_CUSTOMER} REFERENCES customer,
      amount numeric(10,2) NOT NULL,
      city text NOT NULL,
      country text NOT NULL
    );
    -- vip customers have 6..10 items, regular ones 0..2.
    INSERT INTO item (category_id, customer_id, amount, city, country)
    SELECT cat.id, c.id, round((cat.base * (0.9 + random() * 0.2))::numeric, 2), ci.name, ci.country
    FROM customer c
    CROSS JOIN LATERAL generate_series(1, CASE WHEN c.segment = 'vip' THEN 6 + (c.id * 7 % 5) ELSE c.id * 13 % 3 END) k
    CROSS JOIN LATERAL (SELECT * FROM category WHERE id = 1 + ((c.id * 31 + k * 17) % 3)) cat
    CROSS JOIN LATERAL (SELECT * FROM city ORDER BY md5(c.id::text || k::text || city.name) LIMIT 1) ci;
  `);
  const items = await db.query<{ id: number; category_id: number; customer_id: number; amount: string; city: string; country: string; name: string }>(
    `SELECT i.*, c.name FROM item i JOIN category c ON c.id = i.category_id ORDER BY i.id`,
  );
  itemSample = {
    table: { schema: 'public', name: 'item' },
    totalRows: items.length,
    columns: ['id', 'category_id', 'customer_id', 'amount', 'city', 'country'],
    rows: items.map((r) => [r.id, r.category_id, r.customer_id, r.amount, r.city, r.country]),
  };
  itemParents = { columns: ['name'], rows: items.map((r) => [r.name]) };
  const customers = await db.query<{ id: number; segment: string; age: number; n: string }>(
    `SELECT c.*, (SELECT count(*) FROM item i WHERE i.customer_id = c.id) AS n FROM customer c ORDER BY c.id`,
  );
  customerSample = {
    table: { schema: 'public', name: 'customer' },
    totalRows: customers.length,
    columns: ['id', 'segment', 'age'],
    rows: customers.map((r) => [r.id, r.segment, r.age]),
  };
  customerCounts = customers.map((r) => Number(r.n));
});

afterAll(async () => {
  await db?.drop();
});

const fitItem = (seed: number): Promise<LearnedModel> =>
  createLearnedFactory(small)({
    table: itemTable,
    sample: itemSample,
    meta: meta('item', { id: 'primary-key', category_id: 'foreign-key', customer_id: 'foreign-key', amount: 'numerical', city: 'categorical', country: 'categorical' }),
    attributeColumns: ['amount', 'city', 'country'],
    parentSample: itemParents,
    seed,
    options: {},
  });

/** Per-category mean amount and the share of rows whose country is the city's country. */
function fidelity(rows: Row[], parents: Row[], columns: string[]): { means: Record<string, number>; consistent: number } {
  const a = columns.indexOf('amount');
  const ci = columns.indexOf('city');
  const co = columns.indexOf('country');
  const sums: Record<string, [number, number]> = {};
  let ok = 0;
  rows.forEach((r, i) => {
    const cat = parents[i]![0] as string;
    const s = (sums[cat] ??= [0, 0]);
    s[0] += Number(r[a]);
    s[1]++;
    if (CITIES.some(([c, k]) => c === r[ci] && k === r[co])) ok++;
  });
  return { means: Object.fromEntries(Object.entries(sums).map(([k, [s, n]]) => [k, s / n])), consistent: ok / rows.length };
}

function conditionalMeansRecovered(means: Record<string, number>): boolean {
  return Object.entries(BASE).every(([cat, base]) => Math.abs((means[cat] ?? NaN) - base) / base < 0.15);
}

describe('learned model on a correlated PostgreSQL fixture', () => {
  let model: LearnedModel;
  const contexts: Row[] = Object.keys(BASE).flatMap((cat) => Array.from({ length: 600 }, () => [cat]));

  beforeAll(async () => {
    model = await fitItem(11);
  });

  it('recovers the parent → child dependency and the in-table city → country dependency', () => {
    expect(model.columns).toEqual(['amount', 'city', 'country']);
    expect(model.contextColumns).toEqual(['name']);
    const rows = model.sample(contexts.length, contexts, seededRng(5));
    const f = fidelity(rows, contexts, model.columns);
    expect(conditionalMeansRecovered(f.means), JSON.stringify(f.means)).toBe(true);
    expect(f.consistent).toBeGreaterThan(0.93);
    for (const r of rows) expect(String(r[0])).toMatch(/^\d+\.\d{2}$/);
  });

  it('a per-column independent sampler (baseline-like) fails the same checks', () => {
    const rng = seededRng(6);
    const cols = [3, 4, 5];
    const rows = contexts.map(() => cols.map((c) => itemSample.rows[rng.int(itemSample.rows.length)]![c]!));
    const f = fidelity(rows, contexts, ['amount', 'city', 'country']);
    expect(conditionalMeansRecovered(f.means)).toBe(false);
    expect(f.consistent).toBeLessThan(0.5);
  });

  it('same seed → same weights and same samples; the artifact round-trips without raw rows', async () => {
    const again = await fitItem(11);
    const a = model.toJSON();
    const b = again.toJSON();
    expect(b.weights).toEqual(a.weights);
    const ctx = contexts.slice(0, 200);
    expect(again.sample(200, ctx, seededRng(9))).toEqual(model.sample(200, ctx, seededRng(9)));
    const restored = await learnedFromArtifact(JSON.parse(JSON.stringify(a)));
    expect(restored.sample(200, ctx, seededRng(9))).toEqual(model.sample(200, ctx, seededRng(9)));
    const json = JSON.stringify(a);
    expect(json).not.toContain('"id"');
    expect(json).not.toMatch(/customer_id|category_id/);
    again.dispose();
    restored.dispose();
    const damaged = JSON.parse(JSON.stringify(a));
    damaged.weights[0] = damaged.weights[0].slice(0, 12);
    await expect(learnedFromArtifact(damaged)).rejects.toThrow(/weights that do not fit/);
    await expect(learnedFromArtifact({ ...a, kind: 'baseline' })).rejects.toThrow(/not a learned model/);
  });

  it('parent metadata limits the context to modelled roles; a model with nothing to predict takes no context', async () => {
    const parentMeta: ColumnMeta[] = [{ table: { schema: 'public', name: 'category' }, column: 'name', role: 'pii' }];
    const m = await createLearnedFactory(small)({
      table: itemTable,
      sample: itemSample,
      meta: meta('item', { amount: 'numerical', city: 'categorical', country: 'categorical' }),
      attributeColumns: ['amount'],
      parentSample: { ...itemParents, meta: parentMeta },
      seed: 1,
      options: { epochs: 1 },
    });
    expect(m.contextColumns).toEqual([]);
    m.dispose();
    const none = await createLearnedFactory(small)({
      table: itemTable,
      sample: itemSample,
      meta: meta('item', { city: 'text' }),
      attributeColumns: ['city'],
      parentSample: itemParents,
      seed: 1,
      options: {},
    });
    expect(none.columns).toEqual([]);
    expect(none.contextColumns).toEqual([]);
    expect(none.sample(3, null, seededRng(1))).toEqual([[], [], []]);
  });

  it('a different seed gives different weights', async () => {
    const other = await fitItem(12);
    expect(other.toJSON().weights).not.toEqual(model.toJSON().weights);
    other.dispose();
  });
});

describe('child-count head', () => {
  it('predicted child counts follow the parent segment', async () => {
    const model = await createLearnedFactory(small)({
      table: customerTable,
      sample: customerSample,
      meta: meta('customer', { id: 'primary-key', segment: 'categorical', age: 'numerical' }),
      attributeColumns: ['segment', 'age'],
      childCounts: [{ foreignKey: FK_CUSTOMER, childTable: { schema: 'public', name: 'item' }, counts: customerCounts }],
      seed: 3,
      options: {},
    });
    const vip: Row[] = Array.from({ length: 500 }, () => ['vip', 40]);
    const regular: Row[] = Array.from({ length: 500 }, () => ['regular', 40]);
    const rng = seededRng(4);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const vipCounts = model.predictChildCounts(vip, FK_CUSTOMER, rng);
    const regularCounts = model.predictChildCounts(regular, FK_CUSTOMER, rng);
    expect(vipCounts.every((c) => Number.isInteger(c) && c >= 0)).toBe(true);
    // Truth: vip 6..10 (mean 8), regular 0..2 (mean 1).
    expect(mean(vipCounts)).toBeGreaterThan(6.5);
    expect(mean(vipCounts)).toBeLessThan(9.5);
    expect(mean(regularCounts)).toBeGreaterThan(0.5);
    expect(mean(regularCounts)).toBeLessThan(1.5);
    // Sampling rows + counts together: generated vip rows get more children than regular ones.
    const rows = model.sample(1000, null, seededRng(8));
    const counts = model.predictChildCounts(rows, FK_CUSTOMER, seededRng(9));
    const byVip = rows.map((r, i) => [r[0] === 'vip', counts[i]!] as const);
    expect(mean(byVip.filter(([v]) => v).map(([, c]) => c))).toBeGreaterThan(mean(byVip.filter(([v]) => !v).map(([, c]) => c)) + 4);
    expect(() => model.predictChildCounts(vip, 'nope', rng)).toThrow(/no child-count head/);
    expect(['wasm', 'cpu']).toContain(computeBackendName());
    model.dispose();
  });

  it('counts of the rows just sampled come from the sampling pass and agree with a fresh pass over the same rows', async () => {
    const model = await createLearnedFactory(small)({
      table: customerTable,
      sample: customerSample,
      meta: meta('customer', { id: 'primary-key', segment: 'categorical', age: 'numerical' }),
      attributeColumns: ['segment', 'age'],
      childCounts: [{ foreignKey: FK_CUSTOMER, childTable: { schema: 'public', name: 'item' }, counts: customerCounts }],
      seed: 3,
      options: {},
    });
    const rows = model.sample(6000, null, seededRng(8));
    const fromPass = model.predictChildCounts(rows, FK_CUSTOMER, seededRng(9));
    // A copy of the rows is not the array the last pass returned: its counts take a pass of their own.
    const fresh = model.predictChildCounts(rows.map((r) => [...r]), FK_CUSTOMER, seededRng(9));
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const byVip = (counts: number[], vip: boolean) => mean(counts.filter((_, i) => (rows[i]![0] === 'vip') === vip));
    expect(Math.abs(byVip(fromPass, true) - byVip(fresh, true))).toBeLessThan(0.5);
    expect(Math.abs(byVip(fromPass, false) - byVip(fresh, false))).toBeLessThan(0.3);
    // Same seed, same rows and counts.
    const again = model.sample(6000, null, seededRng(8));
    expect(again).toEqual(rows);
    expect(model.predictChildCounts(again, FK_CUSTOMER, seededRng(9))).toEqual(fromPass);
    model.dispose();
  });
});

import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/connectors/index.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import { readEntitySamples, sampleChildCountHistogram } from '../../../src/pipeline/sample-entities.js';
import { SynthError } from '../../../src/errors.js';
import { createRng } from '../../../src/generation/index.js';
import type { TableSample } from '../../../src/generation/model.js';
import { dpBatchSampler, planDpSgd } from '../../../src/generation/privacy/dp-sgd.js';
import {
  ContributionBound,
  valuesKey,
  childCountSensitivity,
  contributionBound,
  entityOwnership,
  histogramFromSamples,
  ownershipFk,
  resolveEntityTable,
} from '../../../src/generation/privacy/entity-ownership.js';
import { dpCategoryVocabulary, dpCount } from '../../../src/generation/privacy/mechanisms.js';
import { dpChildCountHistogram } from '../../../src/generation/privacy/dp-keys.js';
import { PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';
import { buildPlan } from '../../../src/graph/plan.js';
import { readSample } from '../../../src/pipeline/index.js';
import { findTable, type DatabaseSchema } from '../../../src/schema/model.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let source: SourceConnector;
let schema: DatabaseSchema;

// customer ← orders ← order_line → product; customer.referred_by is a self-reference; employee (staff) is
// referenced by customer; audit references orders through a second path. Customer 1 has 50 orders.
const FIXTURE = `
CREATE TABLE employee (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE customer (id int PRIMARY KEY, rep int REFERENCES employee(id), referred_by int REFERENCES customer(id), tier text NOT NULL);
CREATE TABLE product (id int PRIMARY KEY, price int NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer(id), total int NOT NULL);
CREATE TABLE order_line (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders(id), product_id int NOT NULL REFERENCES product(id), qty int NOT NULL);
CREATE TABLE audit (id int PRIMARY KEY, product_id int NOT NULL REFERENCES product(id), order_id int REFERENCES orders(id));
INSERT INTO employee SELECT g, 'e' || g FROM generate_series(1, 3) g;
INSERT INTO customer SELECT g, 1 + g % 3, CASE WHEN g > 1 THEN g - 1 END, (ARRAY['a','b'])[1 + g % 2] FROM generate_series(1, 30) g;
INSERT INTO product SELECT g, g * 10 FROM generate_series(1, 5) g;
INSERT INTO orders SELECT g, CASE WHEN g <= 50 THEN 1 ELSE 2 + g % 29 END, g FROM generate_series(1, 110) g;
INSERT INTO order_line SELECT g, 1 + g % 110, 1 + g % 5, 1 + g % 3 FROM generate_series(1, 330) g;
INSERT INTO audit SELECT g, 1 + g % 5, CASE WHEN g % 2 = 0 THEN g END FROM generate_series(1, 20) g;
`;

beforeAll(async () => {
  db = await createPgDatabase('synth_entity_unit');
  await db.exec(FIXTURE);
  source = await openSource(db.url);
  schema = await source.introspect();
});
afterAll(async () => {
  await source?.close();
  await db?.drop();
});

describe('entityOwnership', () => {
  it('owns what reaches the entity table through FKs, never through a self-reference, and nothing above it', () => {
    const o = entityOwnership(schema, buildPlan(schema), 'customer', 16, (t) => (t.name === 'order_line' ? 40 : undefined));
    const names = o.owned.map((x) => x.table.name);
    expect([...names].sort()).toEqual(['audit', 'customer', 'order_line', 'orders']);
    expect(names[0]).toBe('customer');
    // Every owned table comes after the parent it is owned through.
    for (const x of o.owned.slice(1)) expect(names.indexOf(x.parent!.name)).toBeLessThan(names.indexOf(x.table.name));
    const via = Object.fromEntries(o.owned.map((x) => [x.table.name, x.via?.columns ?? null]));
    expect(via).toEqual({ customer: null, orders: ['customer_id'], order_line: ['order_id'], audit: ['order_id'] });
    const t = (name: string) => findTable(schema, { schema: 'public', name })!;
    expect(contributionBound(o, t('customer'))).toBe(1);
    expect(contributionBound(o, t('orders'))).toBe(16);
    expect(contributionBound(o, t('order_line'))).toBe(40);
    expect(contributionBound(o, t('product'))).toBe(1);
    expect(contributionBound(o, t('employee'))).toBe(1);
    expect(contributionBound(null, t('orders'))).toBe(1);
    expect(ownershipFk(o, t('customer'))).toBeNull();
    // Ownership FK: an entity's children leave with their parents (one bin per parent row).
    const fkOf = (table: string, column: string) => t(table).foreignKeys.find((f) => f.columns[0] === column)!;
    expect(childCountSensitivity(o, t('orders'), fkOf('orders', 'customer_id'))).toBe(1);
    expect(childCountSensitivity(o, t('order_line'), fkOf('order_line', 'order_id'))).toBe(16);
    // Another FK: each of the entity's 40 lines moves a product between two bins.
    expect(childCountSensitivity(o, t('order_line'), fkOf('order_line', 'product_id'))).toBe(80);
    expect(childCountSensitivity(o, t('customer'), fkOf('customer', 'rep'))).toBe(2);
    expect(childCountSensitivity(null, t('orders'), fkOf('orders', 'customer_id'))).toBe(2);
    // A self-referencing row is a child and a parent at once.
    expect(childCountSensitivity(null, t('customer'), fkOf('customer', 'referred_by'))).toBe(3);
    expect(childCountSensitivity(o, t('customer'), fkOf('customer', 'referred_by'))).toBe(3);
    // Counted on the bounded samples: every FK touching an owned table below the entity table.
    expect(histogramFromSamples(o, t('orders'), fkOf('orders', 'customer_id'))).toBe(true);
    expect(histogramFromSamples(o, t('order_line'), fkOf('order_line', 'product_id'))).toBe(true);
    expect(histogramFromSamples(o, t('customer'), fkOf('customer', 'rep'))).toBe(false);
    expect(histogramFromSamples(null, t('orders'), fkOf('orders', 'customer_id'))).toBe(false);
  });

  it('names the tables when the entity table is missing or ambiguous', () => {
    expect(resolveEntityTable(schema, 'public.customer').name).toBe('customer');
    try {
      resolveEntityTable(schema, 'client');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SynthError);
      expect((e as SynthError).code).toBe('CONFIG_INVALID');
      expect((e as SynthError).hint).toContain('customer');
      expect((e as SynthError).path).toBe('privacy.entity');
    }
    const twice: DatabaseSchema = { ...schema, tables: [...schema.tables, { ...findTable(schema, { schema: 'public', name: 'customer' })!, schema: 'crm' }] };
    expect(() => resolveEntityTable(twice, 'customer')).toThrow(/names 2 tables/);
  });
});

/** The indices of `rows` a ContributionBound keeps, ascending. */
function boundContributions(rows: ReadonlyArray<Array<string | number>>, entityOf: ArrayLike<number>, max: number, salt: string): number[] {
  const bound = new ContributionBound(max, salt);
  rows.forEach((r, i) => bound.add(r, entityOf[i]!));
  return bound.kept().map((k) => k.i);
}

describe('ContributionBound over whole families', () => {
  const rows = Array.from({ length: 60 }, (_, i) => [i, i % 7]);
  const entityOf = Int32Array.from(rows, (_r, i) => (i < 40 ? 0 : 1 + (i % 3)));

  it('keeps at most the bound per entity, and what an entity keeps depends on its own rows only', () => {
    const kept = boundContributions(rows, entityOf, 5, 'salt');
    const perEntity = new Map<number, number>();
    for (const i of kept) perEntity.set(entityOf[i]!, (perEntity.get(entityOf[i]!) ?? 0) + 1);
    expect(perEntity.get(0)).toBe(5);
    for (const e of [1, 2, 3]) expect(perEntity.get(e)).toBeLessThanOrEqual(5);
    // Without entities 1-3 (or reading the rows in another order), entity 0 keeps the same rows.
    const alone = boundContributions(rows.slice(0, 40).reverse(), entityOf.slice(0, 40), 5, 'salt').map((i) => rows.slice(0, 40).reverse()[i]![0]);
    expect(alone.sort()).toEqual(kept.filter((i) => entityOf[i] === 0).map((i) => rows[i]![0]).sort());
    // Another secret picks other rows.
    expect(boundContributions(rows, entityOf, 5, 'other').filter((i) => entityOf[i] === 0)).not.toEqual(kept.filter((i) => entityOf[i] === 0));
  });
});

describe('ContributionBound', () => {
  it('streams a huge family and keeps the same rows as ranking all of it at once', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => [i, `v${i % 97}`]);
    const bound = new ContributionBound(7, 'salt');
    for (const r of rows) bound.add(r, 3);
    bound.add([1, 'x'], -1);
    const streamed = bound.kept();
    expect(bound.offered).toBe(20_001);
    expect(streamed.map((k) => k.entity)).toEqual(Array(7).fill(3));
    const rank = (r: (string | number)[]) => createHmac('sha256', 'salt').update(valuesKey(r)).digest('hex');
    const direct = [...rows].sort((a, b) => (rank(a) < rank(b) ? -1 : 1)).slice(0, 7).map((r) => r[0]).sort((a, b) => Number(a) - Number(b));
    expect(streamed.map((k) => k.row[0])).toEqual(direct);
  });
});

describe('readEntitySamples', () => {
  it('reads every owned row of the sampled customers by key, tags its customer, bounds each customer', async () => {
    const plan = buildPlan(schema);
    const o = entityOwnership(schema, plan, 'customer', 10);
    const samples = new Map<string, TableSample>();
    for (const name of ['customer', 'product']) {
      const t = findTable(schema, { schema: 'public', name })!;
      samples.set(`public.${name}`, await readSample(source, t, name === 'customer' ? 12 : 1000, 7));
    }
    const read = await readEntitySamples(source, schema, o, samples, { sampleRows: 1000, rng: createRng(1) });
    const customers = samples.get('public.customer')!;
    expect(customers.rows.length).toBe(12);
    expect(read.entities).toBe(12);
    const customerIds = customers.rows.map((r) => r[0] as number);
    const orders = samples.get('public.orders')!;
    const orderEntity = read.info.get('public.orders')!.entityOf;
    // Every order belongs to a sampled customer, and is tagged with that customer's sample row.
    orders.rows.forEach((r, i) => expect(customerIds[orderEntity[i]!]).toBe(r[orders.columns.indexOf('customer_id')]));
    const perCustomer = new Map<number, number>();
    for (const e of orderEntity) perCustomer.set(e, (perCustomer.get(e) ?? 0) + 1);
    expect(Math.max(...perCustomer.values())).toBeLessThanOrEqual(10);
    // All orders of the sampled customers were read; only customer 1's 50 were cut to 10.
    const all = await db.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE customer_id = ANY($1)`, [customerIds]);
    const info = read.info.get('public.orders')!;
    expect(info.readRows).toBe(Number(all[0]!.n));
    expect(info.keptRows).toBe(orders.rows.length);
    expect(info.readRows - info.keptRows).toBe(customerIds.includes(1) ? 40 : 0);
    // Lines hang under the kept orders and carry their order's customer.
    const lines = samples.get('public.order_line')!;
    const lineEntity = read.info.get('public.order_line')!.entityOf;
    const orderCustomer = new Map(orders.rows.map((r, i) => [r[0] as number, orderEntity[i]!]));
    lines.rows.forEach((r, i) => expect(orderCustomer.get(r[lines.columns.indexOf('order_id')] as number)).toBe(lineEntity[i]));

    // Histograms on the bounded samples: orders per sampled customer; lines per product over all 5 products.
    const perOrder = sampleChildCountHistogram(o, orders, findTable(schema, { schema: 'public', name: 'orders' })!.foreignKeys[0]!, customers);
    expect(perOrder.counts.reduce((n, e) => n + e.parents, 0)).toBe(12);
    expect(perOrder.counts.reduce((n, e) => n + e.parents * e.children, 0)).toBe(orders.rows.length);
    const productFk = findTable(schema, { schema: 'public', name: 'order_line' })!.foreignKeys.find((f) => f.columns[0] === 'product_id')!;
    const perProduct = sampleChildCountHistogram(o, lines, productFk, samples.get('public.product')!);
    expect(perProduct.counts.reduce((n, e) => n + e.parents, 0)).toBe(5);
    expect(perProduct.counts.reduce((n, e) => n + e.parents * e.children, 0)).toBe(lines.rows.length);
  });
});

describe('mechanisms with a contribution bound', () => {
  it('scale count noise with the rows one unit holds', () => {
    const rng = SecureRandom.seededForTests('contribution');
    const sd = (m: number) => {
      const xs = Array.from({ length: 4000 }, () => dpCount(0, { epsilon: 1 }, { ledger: new PrivacyLedger(), rng, label: 'c', contribution: m }));
      return Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
    };
    // Laplace(b) has sd b·√2: b = 1 at row level, 8 for a unit of 8 rows.
    expect(sd(1)).toBeGreaterThan(1.2);
    expect(sd(1)).toBeLessThan(1.65);
    expect(sd(8)).toBeGreaterThan(10);
    expect(sd(8)).toBeLessThan(12.8);
  });

  it('never release a value only one unit holds, even in all of its rows', () => {
    const rng = SecureRandom.seededForTests('vocab');
    const values = [...Array.from({ length: 2000 }, () => 'common'), ...Array.from({ length: 30 }, () => 'secret')];
    let rowLevel = 0;
    let unitLevel = 0;
    for (let i = 0; i < 200; i++) {
      const v1 = dpCategoryVocabulary(values, { epsilon: 1 }, { ledger: new PrivacyLedger(), rng, label: 'v' }, { delta: 1e-6 });
      const v20 = dpCategoryVocabulary(values, { epsilon: 1 }, { ledger: new PrivacyLedger(), rng, label: 'v', contribution: 30 }, { delta: 1e-6 });
      if (v1.some((e) => e.value === 'secret')) rowLevel++;
      if (v20.some((e) => e.value === 'secret')) unitLevel++;
      expect(v20.some((e) => e.value === 'common')).toBe(true);
    }
    expect(rowLevel).toBe(200);
    expect(unitLevel).toBe(0);
  });
});

describe('dpChildCountHistogram under a public family bound', () => {
  it('never releases a family larger than the bound, however loud the noise', () => {
    const rng = SecureRandom.seededForTests('families');
    const h = { child: { schema: 'public', name: 'orders' }, foreignKey: 'fk', counts: [{ children: 2, parents: 300 }, { children: 8, parents: 40 }] };
    let unbounded = 0;
    for (let i = 0; i < 300; i++) {
      const bounded = dpChildCountHistogram(h, 0.05, { ledger: new PrivacyLedger(), rng, label: 'h' }, 8, 8);
      for (const e of bounded.counts) expect(e.children).toBeLessThanOrEqual(8);
      const free = dpChildCountHistogram(h, 0.05, { ledger: new PrivacyLedger(), rng, label: 'h' }, 8);
      if (free.counts.some((e) => e.children > 8)) unbounded++;
    }
    // Without the bound, noise alone invents giant families now and then (what the bound is for).
    expect(unbounded).toBeGreaterThan(0);
  });

  it('invents a large family in at most about 5 % of releases (union-bound threshold on the power-of-two bins)', () => {
    const rng = SecureRandom.seededForTests('large-families');
    const h = { child: { schema: 'public', name: 'orders' }, foreignKey: 'fk', counts: [{ children: 1, parents: 500 }, { children: 3, parents: 200 }] };
    let invented = 0;
    const trials = 2000;
    for (let i = 0; i < trials; i++) {
      const released = dpChildCountHistogram(h, 0.5, { ledger: new PrivacyLedger(), rng, label: 'h' });
      if (released.counts.some((e) => e.children > 16)) invented++;
    }
    expect(invented / trials).toBeLessThan(0.07);
  });
});

describe('dpBatchSampler with groups', () => {
  it('draws whole entities, each with probability q', () => {
    const groups = Int32Array.from({ length: 300 }, (_, i) => Math.floor(i / 3));
    const plan = planDpSgd({ epsilon: 5, delta: 1e-5, datasetSize: 300, batchSize: 30, epochs: 20 });
    const sampler = dpBatchSampler({ plan, rng: SecureRandom.seededForTests('groups'), groups });
    const hits = new Array<number>(100).fill(0);
    let lots = 0;
    for (let epoch = 0; lots < plan.steps; epoch++) {
      for (const lot of sampler({ rows: 300, batchSize: 30, epoch })) {
        lots++;
        const seen = new Map<number, number>();
        for (const r of lot) seen.set(groups[r]!, (seen.get(groups[r]!) ?? 0) + 1);
        for (const [g, n] of seen) {
          expect(n).toBe(3);
          hits[g]!++;
        }
      }
    }
    expect(sampler.stepsTaken).toBe(plan.steps);
    const mean = hits.reduce((a, b) => a + b, 0) / hits.length;
    expect(mean / plan.steps).toBeGreaterThan(plan.q * 0.85);
    expect(mean / plan.steps).toBeLessThan(plan.q * 1.15);
  });
});

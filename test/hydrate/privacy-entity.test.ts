import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { SynthError } from '../../src/errors.js';
import { hydrate } from '../../src/pipeline/index.js';
import { createMysqlDatabase, createPgDatabase, pgHydrationFixture } from '../support/databases.js';

// 1500 customers with 3 orders each (notes from a small shared vocabulary), order lines under the orders, a
// product list no customer owns, one "whale" customer whose 400 orders all carry the same secret note, and a
// canary: one customer whose 100 orders carry another.
const WHALE_SECRET = 'WHALE-SECRET-7731';
const CANARY = 'CANARY-100-5521';
const FIXTURE = `
CREATE TABLE customer (id serial PRIMARY KEY, segment text NOT NULL, joined date NOT NULL);
CREATE TABLE product (id serial PRIMARY KEY, price numeric(8,2) NOT NULL);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customer(id),
  amount numeric(10,2) NOT NULL CHECK (amount >= 0),
  note text
);
CREATE TABLE order_line (
  id serial PRIMARY KEY,
  order_id int NOT NULL REFERENCES orders(id),
  product_id int NOT NULL REFERENCES product(id),
  qty int NOT NULL CHECK (qty > 0)
);
INSERT INTO customer (segment, joined)
SELECT (ARRAY['retail','retail','business'])[1 + g % 3], DATE '2018-01-01' + (g % 1500) FROM generate_series(1, 1500) g;
INSERT INTO product (price) SELECT round((5 + g * 1.7)::numeric, 2) FROM generate_series(1, 40) g;
INSERT INTO orders (customer_id, amount, note)
SELECT 1 + g % 1500, round(((g % 89) * 2.5)::numeric, 2), (ARRAY['gift','express','standard',NULL])[1 + g % 4]
FROM generate_series(0, 4499) g;
INSERT INTO orders (customer_id, amount, note) SELECT 77, 99.5, '${WHALE_SECRET}' FROM generate_series(1, 400);
INSERT INTO orders (customer_id, amount, note) SELECT 78, 12.5, '${CANARY}' FROM generate_series(1, 100);
INSERT INTO order_line (order_id, product_id, qty)
SELECT o.id, 1 + (o.id * 7 + k) % 40, 1 + (o.id + k) % 5 FROM orders o, generate_series(1, 2) k;
`;

const env = pgHydrationFixture('synth_ent', FIXTURE);

function config(privacy: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: env.outDir, quality: { enabled: false }, privacy: { delta: 1e-6, ...privacy }, ...extra });
}

async function secretRows(): Promise<number> {
  const r = await env.target.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE note = '${WHALE_SECRET}'`);
  return Number(r[0]!.n);
}

describe("hydrate with privacy.unit 'entity'", () => {
  it('row level releases what one customer repeats in 400 rows; the entity unit bounds the customer and never does', async () => {
    // The accounting is under test, not the model: DP-SGD of the learned default (per-example gradients) took over
    // a minute for these two runs; the DP baseline releases through the same vocabulary thresholds and bounds.
    const baseline = { model: 'baseline' };
    // Independent DP statistics (mst: false): MST at row level caps each customer's orders in its tree, which would
    // hide the whale for a reason other than the unit.
    const row = await hydrate({ config: config({ epsilon: 20, mst: false }, baseline), target: 'dev' });
    expect(row.status).toBe('ok');
    // 400 identical rows are a legitimate release under row-level DP: the vocabulary threshold is ~10 rows here.
    expect(await secretRows()).toBeGreaterThan(50);

    const entity = await hydrate({ config: config({ epsilon: 20, unit: 'entity', entity: 'customer', maxRowsPerEntity: 8, mst: false }, baseline), target: 'dev' });
    expect(entity.status).toBe('ok');
    expect(entity.integrity.totalViolations).toBe(0);
    const p = entity.privacy!;
    expect(p.unit).toBe('entity');
    expect(p.entity).toEqual({ table: 'public.customer', maxRowsPerEntity: 8, owned: ['public.customer', 'public.orders', 'public.order_line'] });
    expect(p.epsilon).toBeLessThanOrEqual(20);
    for (const t of p.tables) expect(t.epsilon).toBeLessThanOrEqual(t.budget.epsilon + 1e-9);
    const bound = Object.fromEntries(p.tables.map((t) => [t.table, t.contribution]));
    expect(bound).toEqual({ 'public.customer': 1, 'public.product': 1, 'public.orders': 8, 'public.order_line': 8 });
    // The whale keeps at most 8 rows, far below the threshold a unit of 8 rows must clear.
    expect(await secretRows()).toBe(0);
    // What many customers share is still released, and no generated customer has the whale's family.
    const notes = await env.target.query<{ note: string }>('SELECT DISTINCT note FROM orders WHERE note IS NOT NULL');
    expect(notes.map((n) => n.note).sort()).toEqual(expect.arrayContaining(['express', 'gift', 'standard']));
    const biggest = await env.target.query<{ n: string }>('SELECT max(c) AS n FROM (SELECT count(*) AS c FROM orders GROUP BY customer_id) x');
    expect(Number(biggest[0]!.n)).toBeLessThan(100);
    // Row counts of owned tables follow their families: about 3 orders per customer, 2 lines per order.
    const counts = Object.fromEntries([...entity.rowCounts].map(([k, v]) => [k, v]));
    expect(counts['public.orders']! / counts['public.customer']!).toBeGreaterThan(2);
    expect(counts['public.orders']! / counts['public.customer']!).toBeLessThan(4);
    expect(counts['public.order_line']! / counts['public.orders']!).toBeGreaterThan(1.5);
    expect(counts['public.order_line']! / counts['public.orders']!).toBeLessThan(2.5);
  }, 120_000);

  it('a canary repeated 100× under one customer is never replayed at ε = 10 with the default model and mechanism', async () => {
    // ε = 10 is the loosest setting the guarantee is stated for: every vocabulary threshold only rises as ε falls.
    // No model, mechanism or bound is configured: the learned default, MST where a table qualifies, 32 rows per entity.
    const r = await hydrate({ config: config({ epsilon: 10, unit: 'entity', entity: 'customer' }), target: 'dev' });
    expect(r.status).toBe('ok');
    expect(r.integrity.totalViolations).toBe(0);
    expect(r.privacy!.epsilon).toBeLessThanOrEqual(10);
    const leaked = await env.target.query<{ canary: string; whale: string; notes: string }>(
      `SELECT count(*) FILTER (WHERE note = '${CANARY}') AS canary, count(*) FILTER (WHERE note = '${WHALE_SECRET}') AS whale,
              count(note) AS notes FROM orders`,
    );
    expect(Number(leaked[0]!.canary)).toBe(0);
    expect(Number(leaked[0]!.whale)).toBe(0);
    // The column is generated, not dropped (at 32 rows per entity its values are text of the DP profile).
    expect(Number(leaked[0]!.notes)).toBeGreaterThan(1000);
  }, 180_000);

  it('trains the learned model with lots drawn by entity', async () => {
    const result = await hydrate({
      config: config({ epsilon: 4, unit: 'entity', entity: 'public.customer' }, { model: 'learned', training: { epochs: 2, hidden: 32 }, tables: { order_line: { maxRowsPerEntity: 12 } } }),
      target: 'dev',
    });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const p = result.privacy!;
    expect(p.epsilon).toBeLessThanOrEqual(4);
    const lines = p.tables.find((t) => t.table === 'public.order_line')!;
    expect(lines.contribution).toBe(12);
    expect(p.tables.find((t) => t.table === 'public.orders')!.contribution).toBe(32);
    for (const t of p.tables.filter((x) => x.model === 'learned')) {
      expect(t.dpSgd!.steps).toBeGreaterThan(0);
      expect(t.dpSgd!.steps).toBeLessThanOrEqual(t.dpSgd!.plannedSteps);
    }
  }, 180_000);

  it('refuses an entity unit without a table, and an entity table the source does not have', async () => {
    expect(() => config({ epsilon: 1, unit: 'entity' })).toThrow(/privacy\.entity/);
    const err = await hydrate({ config: config({ epsilon: 1, unit: 'entity', entity: 'clients' }), target: 'dev' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).code).toBe('CONFIG_INVALID');
    expect((err as SynthError).message).toContain("'clients' is not a table");
    expect((err as SynthError).hint).toContain('customer');
  }, 60_000);
});

describe("privacy.unit 'entity' from a MariaDB source", () => {
  it('reads each entity by key through the MySQL connector and hydrates PostgreSQL', async () => {
    const src = await createMysqlDatabase('synth_entmy');
    const dst = await createPgDatabase('synth_entmydst');
    try {
      await src.exec(`
        CREATE TABLE customer (id int PRIMARY KEY, segment varchar(10) NOT NULL);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, amount decimal(8,2) NOT NULL, note varchar(30),
          FOREIGN KEY (customer_id) REFERENCES customer(id));`);
      const customers = Array.from({ length: 600 }, (_, i) => `(${i + 1}, '${i % 3 === 0 ? 'business' : 'retail'}')`).join(',');
      await src.exec(`INSERT INTO customer VALUES ${customers}`);
      const orders = Array.from({ length: 2000 }, (_, i) => `(${i + 1}, ${1 + (i % 600)}, ${(i % 90) + 0.5}, '${['gift', 'express', 'standard'][i % 3]}')`);
      const whale = Array.from({ length: 200 }, (_, i) => `(${2001 + i}, 5, 10.5, '${WHALE_SECRET}')`);
      await src.exec(`INSERT INTO orders VALUES ${[...orders, ...whale].join(',')}`);
      const config = parseConfig({
        // The entity read and bounds are under test, not the model (the learned model's entity lots have their own test).
        model: 'baseline',
        source: { url: src.url },
        targets: { dev: { url: dst.url } },
        outDir: env.outDir,
        quality: { enabled: false },
        privacy: { epsilon: 20, delta: 1e-6, unit: 'entity', entity: 'customer', maxRowsPerEntity: 6 },
      });
      const r = await hydrate({ config, target: 'dev' });
      expect(r.status).toBe('ok');
      expect(r.integrity.totalViolations).toBe(0);
      expect(r.privacy!.entity!.owned).toHaveLength(2);
      expect(r.privacy!.tables.find((t) => t.table.endsWith('.orders'))!.contribution).toBe(6);
      const leaked = await dst.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE note = '${WHALE_SECRET}'`);
      expect(Number(leaked[0]!.n)).toBe(0);
      const perCustomer = await dst.query<{ n: string }>('SELECT max(c) AS n FROM (SELECT count(*) AS c FROM orders GROUP BY customer_id) x');
      expect(Number(perCustomer[0]!.n)).toBeLessThanOrEqual(6);
    } finally {
      await src.drop();
      await dst.drop();
    }
  }, 120_000);
});

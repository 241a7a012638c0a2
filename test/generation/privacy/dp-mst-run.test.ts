import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { modelSetFromArtifact, modelSetToArtifact } from '../../../src/generation/artifact.js';
import { createRng } from '../../../src/generation/rng.js';
import { mstCharges, sampleMstGiven } from '../../../src/generation/privacy/dp-mst.js';
import { mstChoice, MstAttributeModel, rhoForEpsilon } from '../../../src/generation/privacy/dp-mst-model.js';
import { PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import { hydrate } from '../../../src/pipeline/index.js';
import { runCli } from '../../support/cli.js';
import { pgHydrationFixture } from '../../support/databases.js';

// 4000 customers whose region follows their segment 90 % of the time and whose spend band follows the segment too;
// 8000 orders. Independent marginals lose both dependencies; MST's tree keeps them.
const FIXTURE = `
SELECT setseed(0.31);
CREATE TABLE customer (
  id serial PRIMARY KEY,
  segment text NOT NULL CHECK (segment IN ('retail', 'business', 'public')),
  region text NOT NULL CHECK (region IN ('north', 'south', 'east')),
  spend integer NOT NULL,
  active boolean NOT NULL
);
INSERT INTO customer (segment, region, spend, active)
SELECT s, CASE WHEN u < 0.9 THEN (ARRAY['north','south','east'])[k] ELSE (ARRAY['north','south','east'])[1 + (k % 3)] END,
       (k * 1000 + floor(v * 900))::int, k <> 3
FROM (SELECT (ARRAY['retail','business','public'])[1 + g % 3] AS s, 1 + g % 3 AS k, random() AS u, random() AS v
      FROM generate_series(1, 4000) g) x;
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customer(id),
  amount integer NOT NULL
);
INSERT INTO orders (customer_id, amount) SELECT 1 + (g * 13) % 4000, g % 200 FROM generate_series(1, 8000) g;
`;

const env = pgHydrationFixture('synth_dpmst_run', FIXTURE);
const MATCH = `SELECT avg(CASE WHEN (segment, region) IN (('retail','north'),('business','south'),('public','east')) THEN 1 ELSE 0 END)::float AS m,
  avg(CASE WHEN (segment = 'retail' AND spend < 2000) OR (segment = 'business' AND spend >= 2000 AND spend < 3000) OR (segment = 'public' AND spend >= 3000) THEN 1 ELSE 0 END)::float AS s
  FROM customer`;

async function run(mst: 'auto' | false) {
  const config = parseConfig({
    source: { url: env.source.url },
    targets: { dev: { url: env.target.url } },
    model: 'baseline',
    privacy: { epsilon: 3, delta: 1e-6, mst },
    filters: { enabled: false },
    outDir: env.outDir,
    quality: { sampleRows: 2000 },
  });
  const result = await hydrate({ config, target: 'dev' });
  const [q] = await env.target.query<{ m: number; s: number }>(MATCH);
  return { result, match: Number(q!.m), spendBand: Number(q!.s) };
}

describe('MST under privacy in a run', () => {
  it('chooses MST for the correlated table, charges it to the run ledger, 0 violations, keeps the dependency the independent path loses', async () => {
    process.env.SYNTH_PII_KEY = 'test-key-0123456789';
    const [source] = await env.source.query<{ m: number; s: number }>(MATCH);
    expect(Number(source!.m)).toBeGreaterThan(0.85);
    expect(Number(source!.s)).toBe(1);

    const mst = await run('auto');
    expect(mst.result.status).toBe('ok');
    expect(mst.result.integrity.totalViolations).toBe(0);
    const p = mst.result.privacy!;
    expect(p.epsilon).toBeLessThanOrEqual(3);
    const customer = p.tables.find((t) => t.table === 'public.customer')!;
    expect(customer.model).toBe('mst');
    expect(customer.mst?.chosen).toBe(true);
    // 4 attributes and the family-size column of its orders.
    expect(customer.mst?.reason).toMatch(/^MST: 5 columns, 4000 rows/);
    expect(customer.epsilon).toBeLessThanOrEqual(customer.budget.epsilon + 1e-9);
    const mstLabels = customer.mechanisms.filter((m) => m.label.includes('MST'));
    expect(mstLabels.map((m) => m.label).sort()).toEqual(['public.customer MST 1-way', 'public.customer MST 2-way', 'public.customer MST selection']);
    for (const m of mstLabels) expect(m.epsilon).toBeGreaterThan(0);
    // orders' one attribute column forms a tree with its customer's four (row level: families capped).
    expect(p.tables.find((t) => t.table === 'public.orders')!.mst?.reason).toMatch(/^MST: 5 columns, 8000 rows/);

    const independent = await run(false);
    expect(independent.result.status).toBe('ok');
    expect(independent.result.privacy!.tables.find((t) => t.table === 'public.customer')!.model).toBe('baseline');
    // Independent draws match segment and region about a third of the time; MST keeps most of the 90 %.
    expect(independent.match).toBeLessThan(0.45);
    expect(mst.match).toBeGreaterThan(0.7);
    expect(mst.spendBand).toBeGreaterThan(independent.spendBand + 0.3);
  }, 240_000);

  it('synth plan shows each table\'s choice with its figures', async () => {
    const path = join(env.outDir, 'synth.mst.config.json');
    writeFileSync(path, JSON.stringify({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, model: 'baseline', privacy: { epsilon: 3, mst: 'auto' } }));
    const r = await runCli(['plan', '--config', path, '--no-json'], { env: { SYNTH_PII_KEY: 'test-key-0123456789' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Attribute models under privacy (privacy.mst: 'auto'):");
    expect(r.stdout).toMatch(/public\.customer: MST: 5 columns, 4000 rows, ε share 1\.500 \(MST ρ [0-9.]+\): 2-way noise σ [0-9.]+ rows = [0-9.]+ % of the rows/);
    expect(r.stdout).toMatch(/public\.orders: MST: 5 columns, 8000 rows/);
  }, 120_000);
});

// Entity unit: each order's channel follows its customer's segment (b2b for business, web or store for retail).
const SHOP = `
SELECT setseed(0.5);
CREATE TABLE customer (id serial PRIMARY KEY, segment text NOT NULL CHECK (segment IN ('business', 'retail')), tier int NOT NULL);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customer(id),
  channel text NOT NULL CHECK (channel IN ('b2b', 'web', 'store')), qty int NOT NULL);
INSERT INTO customer (segment, tier) SELECT CASE WHEN g % 3 = 0 THEN 'business' ELSE 'retail' END, g % 4 FROM generate_series(1, 4000) g;
INSERT INTO orders (customer_id, channel, qty)
SELECT c.id, CASE WHEN c.segment = 'business' THEN 'b2b' WHEN random() < 0.6 THEN 'web' ELSE 'store' END, 1 + floor(random() * 5)::int
FROM customer c, generate_series(1, 3) k;
`;
const shop = pgHydrationFixture('synth_dpmst_entity', SHOP);
const B2B = `SELECT avg(CASE WHEN (c.segment = 'business') = (o.channel = 'b2b') THEN 1 ELSE 0 END)::float AS m FROM orders o JOIN customer c ON c.id = o.customer_id`;

describe('MST under the entity unit', () => {
  it("joins the owning customer's coded columns to the orders' tree and draws each order given its customer", async () => {
    process.env.SYNTH_PII_KEY = 'test-key-0123456789';
    const [source] = await shop.source.query<{ m: number }>(B2B);
    expect(Number(source!.m)).toBe(1);
    const config = parseConfig({
      source: { url: shop.source.url },
      targets: { dev: { url: shop.target.url } },
      model: 'baseline',
      privacy: { epsilon: 3, delta: 1e-6, unit: 'entity', entity: 'customer', maxRowsPerEntity: 3, mst: 'auto' },
      filters: { enabled: false },
      outDir: shop.outDir,
      quality: { sampleRows: 2000 },
    });
    const r = await hydrate({ config, target: 'dev' });
    expect(r.status).toBe('ok');
    expect(r.integrity.totalViolations).toBe(0);
    const orders = r.privacy!.tables.find((t) => t.table === 'public.orders')!;
    expect(orders.model).toBe('mst');
    // channel and qty of its own, segment and tier of the customer.
    expect(orders.mst?.reason).toMatch(/^MST: 4 columns/);
    expect(orders.contribution).toBe(3);
    expect(r.privacy!.epsilon).toBeLessThanOrEqual(3);
    const [out] = await shop.target.query<{ m: number }>(B2B);
    // Without the customer as context a drawn channel agrees with the drawn segment about half the time.
    expect(Number(out!.m)).toBeGreaterThan(0.8);
  }, 240_000);
});

describe('MST pieces', () => {
  it('sampleMstGiven draws each row given its evidence, down and up the tree', () => {
    // a → b → c, each copying its parent; evidence on the leaf c must reach the root a.
    const copy = [[1, 0], [0, 1]];
    const model = { columns: [{ name: 'a', size: 2 }, { name: 'b', size: 2 }, { name: 'c', size: 2 }], order: [0, 1, 2], parent: [-1, 0, 1], marginals: [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], conditionals: [[], copy, copy] };
    const rng = createRng(3);
    const given = Array.from({ length: 200 }, (_, i) => [i % 2]);
    const rows = sampleMstGiven(model, [2], given, rng);
    rows.forEach((row, i) => expect(row).toEqual([i % 2, i % 2, i % 2]));
    // No evidence (-1): drawn from the tree, both values appear.
    const free = sampleMstGiven(model, [2], Array.from({ length: 200 }, () => [-1]), rng);
    expect(new Set(free.map((r) => r[0])).size).toBe(2);
  });

  it('mstChoice: MST with enough rows per unit of noise, independent marginals otherwise', () => {
    const big = mstChoice(5, 4000, 1.5, 5e-7);
    expect(big.mst).toBe(true);
    expect(big.reason).toMatch(/^MST: 5 columns, 4000 rows, ε share 1\.500/);
    expect(mstChoice(5, 60, 1.5, 5e-7).mst).toBe(false);
    expect(mstChoice(1, 4000, 1.5, 5e-7).reason).toMatch(/^independent marginals: 1 column/);
    // Under the entity unit the noise in rows grows with the bound.
    expect(mstChoice(5, 4000, 1.5, 5e-7, 64).mst).toBe(false);
  });

  it('rhoForEpsilon inverts the zCDP conversion; the ledger charges of MST at that ρ spend a reference ε within it', () => {
    const rho = rhoForEpsilon(1, 1e-6);
    expect(rho + 2 * Math.sqrt(rho * Math.log(1e6))).toBeCloseTo(1, 10);
    const ledger = new PrivacyLedger();
    for (const c of mstCharges(4, rho)) ledger.charge('t MST', c);
    const spent = ledger.spent(1e-6).epsilon;
    // Reference: MST at ρ is ρ-zCDP (RDP αρ at every order); its (ε, δ) by the Canonne–Kamath–Steinke conversion
    // on a fine grid of orders is 0.83715, tighter than ρ + 2√(ρ ln 1/δ) = 1.
    let reference = Infinity;
    for (let a = 1.01; a < 2000; a += 0.01) reference = Math.min(reference, a * rho + Math.log((a - 1) / a) - (Math.log(1e-6) + Math.log(a)) / (a - 1));
    expect(reference).toBeCloseTo(0.83715, 4);
    expect(spent).toBeLessThanOrEqual(1);
    expect(Math.abs(spent - reference)).toBeLessThan(5e-4);
  });

  it('an MST model survives the model artifact: the reloaded model draws the same rows', () => {
    const table = {
      schema: 'public',
      name: 't',
      columns: [
        { name: 'a', type: { kind: 'enum' as const, values: ['x', 'y'] }, nullable: false, nativeType: 'text' },
        { name: 'b', type: { kind: 'boolean' as const }, nullable: false, nativeType: 'boolean' },
      ],
      primaryKey: null,
      uniques: [],
      foreignKeys: [],
      checks: [],
      indexes: [],
    } as unknown as Parameters<typeof modelSetFromArtifact>[1]['tables'][number];
    const model = new MstAttributeModel(
      table,
      ['a', 'b'],
      { columns: [{ name: 'a', size: 2 }, { name: 'b', size: 2 }], order: [0, 1], parent: [-1, 0], marginals: [[0.5, 0.5], [0.5, 0.5]], conditionals: [[], [[1, 0], [0, 1]]] },
      [
        { type: 'category', column: 'a', hasNull: false, categories: [{ v: 'x' }, { v: 'y' }], other: null },
        { type: 'category', column: 'b', hasNull: false, categories: [{ v: true }, { v: false }], other: null },
      ],
      [],
    );
    const set = { seed: 1, tables: new Map([['public.t', { table: { schema: 'public', name: 't' }, meta: [], model, sourceRows: 10, histograms: [], keyStats: { table: { schema: 'public', name: 't' }, columns: [] }, fkNullRates: {} }]]) };
    const json = JSON.parse(JSON.stringify(modelSetToArtifact(set as unknown as Parameters<typeof modelSetToArtifact>[0])));
    const back = modelSetFromArtifact(json, { tables: [table] } as unknown as Parameters<typeof modelSetFromArtifact>[1]).tables.get('public.t')!.model;
    expect(back.kind).toBe('mst');
    const rows = back.sample(200, null, createRng(7));
    expect(rows).toEqual(model.sample(200, null, createRng(7)));
    // The tree's conditional is deterministic here: a = x ⇔ b = true.
    for (const [a, b] of rows) expect(a === 'x').toBe(b === true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { buildPlan } from '../../src/graph/plan.js';
import { fitModels, type LearnedFactory } from '../../src/generation/fit.js';
import { modelSetFromArtifact, modelSetToArtifact } from '../../src/generation/artifact.js';
import { createGeneration } from '../../src/generation/generate.js';
import type { AttributeModel, ModelArtifact, Rng } from '../../src/generation/model.js';
import { findTable, tableKey, type Table, type TableRef } from '../../src/schema/model.js';
import type { Row } from '../../src/schema/values.js';
import { isSynthError } from '../../src/errors.js';
import { col, int4, pk, readSample, schemaOf, table, text } from './fixtures.js';
import { createShop, readShop, shopSchema } from './shop.js';

let db: TestDatabase;
let data: Awaited<ReturnType<typeof readShop>>;
const plan = buildPlan(shopSchema);

beforeAll(async () => {
  db = await createPgDatabase('synth_generate');
  await createShop(db);
  data = await readShop(db);
});
afterAll(async () => {
  await db?.drop();
});

async function dump(gen: ReturnType<typeof createGeneration>): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const s of plan.steps) {
    const rows: Row[] = [];
    for await (const b of gen.rows(s.table)) rows.push(...b.rows);
    out[tableKey(s.table)] = rows;
  }
  return out;
}

describe('createGeneration', () => {
  it('is deterministic: same seed and models give identical rows; another seed differs', async () => {
    const models = await fitModels(shopSchema, plan, data.samples, data.histograms, { seed: 3 });
    const a = await dump(createGeneration(shopSchema, plan, models, { scale: 1, seed: 3, batchSize: 100 }));
    const b = await dump(createGeneration(shopSchema, plan, models, { scale: 1, seed: 3, batchSize: 100 }));
    expect(b).toEqual(a);
    const c = await dump(createGeneration(shopSchema, plan, models, { scale: 1, seed: 4, batchSize: 100 }));
    expect(c['public.customer']).not.toEqual(a['public.customer']);
  });

  it('plans row counts from scale and per-table scale, and streams batches no larger than batchSize', async () => {
    const models = await fitModels(shopSchema, plan, data.samples, data.histograms, { seed: 3 });
    const gen = createGeneration(shopSchema, plan, models, { scale: 0.5, seed: 3, batchSize: 64, tableScale: (t) => (t.name === 'product' ? 2 : 1) });
    expect(gen.rowCounts.get('public.customer')).toBe(200);
    expect(gen.rowCounts.get('public.product')).toBe(50);
    const sizes: number[] = [];
    const cust = findTable(shopSchema, { schema: 'public', name: 'customer' })!;
    for await (const b of gen.rows(cust)) {
      expect(b.columns).toEqual(cust.columns.map((c) => c.name));
      sizes.push(b.rows.length);
    }
    expect(sizes).toEqual([64, 64, 64, 8]);
  });

  it('round-trips the model set through its JSON artifact with identical output', async () => {
    const models = await fitModels(shopSchema, plan, data.samples, data.histograms, { seed: 8 });
    const json = JSON.parse(JSON.stringify(modelSetToArtifact(models)));
    const restored = modelSetFromArtifact(json, shopSchema);
    const a = await dump(createGeneration(shopSchema, plan, models, { scale: 1, seed: 8 }));
    const b = await dump(createGeneration(shopSchema, plan, restored, { scale: 1, seed: 8 }));
    expect(b).toEqual(a);
    // no raw customer codes (unique, high-cardinality) in the artifact
    expect(JSON.stringify(json)).not.toContain('C-000123');
    expect(() => modelSetFromArtifact({ format: 'nope' }, shopSchema)).toThrow(/synth model set/);
  });

  it('leaves generated columns to the database', async () => {
    const t = table('gcol', [col('id', int4, { nullable: false }), col('name', text), col('upper_name', text, { generated: { expression: 'upper(name)', stored: true } })], {
      primaryKey: pk('id'),
    });
    const s = schemaOf([t]);
    await db.exec(`create table gcol (id int primary key, name text, upper_name text generated always as (upper(name)) stored);
      insert into gcol(id, name) select g, 'n' || g from generate_series(1, 30) g;`);
    const sample = await readSample(db, t);
    const p = buildPlan(s);
    const models = await fitModels(s, p, new Map([['public.gcol', sample]]), [], { seed: 1 });
    const gen = createGeneration(s, p, models, { scale: 1, seed: 1 });
    for await (const b of gen.rows(t)) {
      expect(b.columns).toEqual(['id', 'name']);
      expect(b.rows[0]).toHaveLength(2);
    }
  });

  it('calls the learned factory for learned tables and feeds the primary parent rows as context', async () => {
    const seen: Array<{ table: string; parent: string | null }> = [];
    const contexts: Row[] = [];
    const learned: LearnedFactory = (t: Table, sample, meta, parentSample) => {
      seen.push({ table: t.name, parent: parentSample ? parentSample.table.name : null });
      expect(meta.length).toBe(t.columns.length);
      expect(sample.rows.length).toBeGreaterThan(0);
      const model: AttributeModel = {
        kind: 'learned',
        table: { schema: t.schema, name: t.name },
        columns: ['placed_at', 'status', 'note'],
        contextColumns: ['tier'],
        sample(n: number, context: Row[] | null, rng: Rng): Row[] {
          expect(context).not.toBeNull();
          contexts.push(...context!);
          return Array.from({ length: n }, (_, i) => ['2022-01-01 00:00:00+00', String(context![i]![0]).slice(0, 10), `r${rng.int(9)}`]);
        },
        toJSON: (): ModelArtifact => ({ kind: 'learned', table: { schema: t.schema, name: t.name }, version: 1 }),
      };
      return model;
    };
    const modelFor = (t: TableRef) => (t.name === 'orders' ? 'learned' : 'baseline');
    const models = await fitModels(shopSchema, plan, data.samples, data.histograms, { seed: 2, modelFor, learned });
    expect(seen).toEqual([{ table: 'orders', parent: 'customer' }]);
    const gen = createGeneration(shopSchema, plan, models, { scale: 1, seed: 2, batchSize: 500 });
    const all = await dump(gen);
    const customers = all['public.customer']!;
    const cust = findTable(shopSchema, { schema: 'public', name: 'customer' })!;
    const tierOf = new Map(customers.map((r) => [r[0], r[cust.columns.findIndex((c) => c.name === 'tier')]]));
    const orders = all['public.orders']!;
    expect(orders.length).toBeGreaterThan(0);
    // status was produced from the context: it must equal the tier of the referenced customer
    for (const o of orders) expect(o[3]).toBe(tierOf.get(o[1]));
    expect(contexts.length).toBe(orders.length);

    // Without a loader, a learned artifact is refused clearly; with one, it loads.
    const art = JSON.parse(JSON.stringify(modelSetToArtifact(models)));
    try {
      modelSetFromArtifact(art, shopSchema);
      expect.unreachable();
    } catch (e) {
      expect(isSynthError(e) && e.code).toBe('MODEL_NOT_FOUND');
      expect((e as Error).message).toContain('public.orders');
    }
    const restored = modelSetFromArtifact(art, shopSchema, { learnedFromArtifact: (_a, t) => models.tables.get(tableKey(t))!.model });
    expect(restored.tables.get('public.orders')!.model.kind).toBe('learned');
  });
});

/**
 * The learned model plugged into the generation framework (fitModels → createGeneration) on the shop database
 * built in a real PostgreSQL server: PostgreSQL must accept every generated row, and a stored model set must
 * reload and generate the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';
import { buildPlan } from '../../../src/graph/plan.js';
import { fitModels, MIN_LEARNED_ROWS, type ModelSet } from '../../../src/generation/fit.js';
import { modelSetFromArtifact, modelSetToArtifact } from '../../../src/generation/artifact.js';
import { createGeneration } from '../../../src/generation/generate.js';
import { findTable, tableKey } from '../../../src/schema/model.js';
import type { Row } from '../../../src/schema/values.js';
import {
  alignParent,
  ComposedLearnedModel,
  initCompute,
  learnedFactoryForFitModels,
  learnedFromArtifactForTable,
} from '../../../src/generation/learned/index.js';
import { createShop, ddl, foreignKeysDdl, insertBatches, readShop, shopSchema } from '../shop.js';

let db: TestDatabase;
let data: Awaited<ReturnType<typeof readShop>>;
let models: ModelSet;
const plan = buildPlan(shopSchema);

async function collect(set: ModelSet, name: string, seed: number): Promise<{ columns: string[]; rows: Row[] }> {
  const gen = createGeneration(shopSchema, plan, set, { scale: 1, seed, batchSize: 256 });
  const rows: Row[] = [];
  let columns: string[] = [];
  for (const step of plan.steps) {
    const t = findTable(shopSchema, step.table)!;
    for await (const b of gen.rows(t)) {
      if (t.name !== name) continue;
      columns = b.columns;
      rows.push(...b.rows);
    }
  }
  return { columns, rows };
}

beforeAll(async () => {
  await initCompute();
  db = await createPgDatabase('synth_learned_fw');
  await createShop(db);
  data = await readShop(db);
  models = await fitModels(shopSchema, plan, data.samples, data.histograms, {
    seed: 3,
    modelFor: () => 'learned',
    learned: learnedFactoryForFitModels({ seed: 3, hiddenSize: 32, epochs: 8, batchSize: 128, schema: shopSchema }),
  });
});
afterAll(async () => {
  await db?.drop();
});

describe('learned models inside the generation framework', () => {
  it('give a table with fewer sample rows than MIN_LEARNED_ROWS the baseline (a network would copy its rows)', () => {
    const region = data.samples.get('public.region')!;
    expect(region.rows.length).toBeGreaterThan(0);
    expect(region.rows.length).toBeLessThan(MIN_LEARNED_ROWS);
    expect(models.tables.get('public.region')!.model).not.toBeInstanceOf(ComposedLearnedModel);
    expect(models.tables.get('public.region')!.model.kind).toBe('baseline');
    expect(data.samples.get('public.customer')!.rows.length).toBeGreaterThanOrEqual(MIN_LEARNED_ROWS);
    expect(models.tables.get('public.customer')!.model).toBeInstanceOf(ComposedLearnedModel);
  });

  it('cover every attribute column (baseline for structured values) and condition on the primary parent', () => {
    const customer = models.tables.get('public.customer')!.model;
    expect(customer).toBeInstanceOf(ComposedLearnedModel);
    expect(customer.columns).toEqual(['score', 'age', 'tier', 'active', 'born', 'created_at', 'profile', 'tags', 'bio']);
    const learned = (customer as ComposedLearnedModel).learned.columns;
    expect(learned).toEqual(expect.arrayContaining(['score', 'age', 'tier', 'active', 'born', 'created_at']));
    // Structured values (json, arrays) stay with the baseline; bio has 6 distinct values, so it is categorical.
    expect(learned).not.toContain('profile');
    expect(learned).not.toContain('tags');
    const orders = models.tables.get('public.orders')!.model;
    const step = plan.steps.find((s) => s.table.name === 'orders')!;
    expect(step.primaryParent).toBe('orders_customer_fk');
    expect(orders.contextColumns.length).toBeGreaterThan(0);
    // Parent roles decide: keys, unique codes and structured values are not context.
    expect(orders.contextColumns).toEqual(expect.arrayContaining(['tier', 'age']));
    for (const c of ['id', 'code', 'region_id', 'profile', 'tags']) expect(orders.contextColumns).not.toContain(c);
  });

  it('PostgreSQL accepts every generated row (types, NOT NULL, PK, UNIQUE, FK)', async () => {
    const gen = createGeneration(shopSchema, plan, models, { scale: 1, seed: 3, batchSize: 256 });
    await db.exec(ddl('gen'));
    await db.exec(foreignKeysDdl('gen'));
    await db.exec('begin');
    for (const step of plan.steps) {
      const t = findTable(shopSchema, step.table)!;
      const rows: Row[] = [];
      let columns: string[] = [];
      for await (const b of gen.rows(t)) {
        columns = b.columns;
        rows.push(...b.rows);
      }
      expect(rows.length).toBe(gen.rowCounts.get(tableKey(t)));
      await insertBatches(db, 'gen', t, columns, rows);
    }
    for (const step of plan.steps) {
      for await (const u of gen.deferredUpdates(step.table)) {
        for (const r of u.rows) {
          const k = u.keyColumns.length;
          const set = u.setColumns.map((c, i) => `"${c}" = $${k + i + 1}`).join(', ');
          const where = u.keyColumns.map((c, i) => `"${c}" = $${i + 1}`).join(' and ');
          await db.query(`update gen."${step.table.name}" set ${set} where ${where}`, r as unknown[]);
        }
      }
    }
    await db.exec('commit');
    const tiers = await db.query<{ tier: string; n: number }>(`select tier, count(*)::int n from gen.customer group by tier order by tier`);
    expect(tiers.map((t) => t.tier)).toEqual(['bronze', 'gold', 'silver']);
  });

  it('a stored model set reloads (synchronous loader) and generates the same rows', async () => {
    const json = JSON.parse(JSON.stringify(modelSetToArtifact(models)));
    const reloaded = modelSetFromArtifact(json, shopSchema, { learnedFromArtifact: learnedFromArtifactForTable });
    const a = await collect(models, 'orders', 9);
    const b = await collect(reloaded, 'orders', 9);
    expect(b.columns).toEqual(a.columns);
    expect(b.rows.length).toBeGreaterThan(100);
    expect(b.rows).toEqual(a.rows);
  });
});

describe('alignParent', () => {
  it('pairs each child row with its parent row through the FK; NULL FKs and parents outside the sample give null', () => {
    const customer = findTable(shopSchema, { schema: 'public', name: 'customer' })!;
    const orders = findTable(shopSchema, { schema: 'public', name: 'orders' })!;
    const fk = orders.foreignKeys[0]!;
    const parent = { table: { schema: 'public', name: 'customer' }, totalRows: 2, columns: ['id', 'tier', 'age'], rows: [[1, 'gold', 30], [2, 'bronze', 50]] };
    const child = {
      table: { schema: 'public', name: 'orders' },
      totalRows: 4,
      columns: ['id', 'customer_id', 'status'],
      rows: [[10, 2, 'paid'], [11, 1, 'new'], [12, 99, 'paid'], [13, null, 'new']],
    };
    const aligned = alignParent(orders, child, parent, fk);
    expect(customer.primaryKey?.columns).toEqual(['id']);
    expect(aligned.columns).toEqual(['tier', 'age']);
    expect(aligned.rows).toEqual([['bronze', 50], ['gold', 30], null, null]);
  });
});

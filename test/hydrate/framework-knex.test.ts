import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';

// An application's own migrations, run by knex itself on the source: the hydrated target must look migrated to it.
// Five, each deployed in its own batch as an application's history grows: the history then has a migration_time per
// row, which the reference-data heuristic alone reads as facts (and synthesizes, so knex would re-run everything).
const MIGRATIONS: Record<string, string> = {
  '20240101000000_customers.cjs': `
exports.up = (knex) => knex.schema.createTable('customer', (t) => { t.increments('id'); t.string('name').notNullable(); t.string('city'); });
exports.down = (knex) => knex.schema.dropTable('customer');`,
  '20240201000000_orders.cjs': `
exports.up = (knex) => knex.schema.createTable('orders', (t) => { t.increments('id'); t.integer('customer_id').notNullable().references('customer.id'); t.decimal('amount', 8, 2).notNullable(); });
exports.down = (knex) => knex.schema.dropTable('orders');`,
  ...Object.fromEntries(
    [3, 4, 5].map((m) => [
      `202403${String(m).padStart(2, '0')}000000_order_field_${m}.cjs`,
      `
exports.up = (knex) => knex.schema.alterTable('orders', (t) => { t.string('field_${m}'); });
exports.down = (knex) => knex.schema.alterTable('orders', (t) => { t.dropColumn('field_${m}'); });`,
    ]),
  ),
};

let source: TestDatabase;
let target: TestDatabase;
let dir: string;
let outDir: string;
const knexOf = (url: string): Knex => knexFactory({ client: 'pg', connection: url, migrations: { directory: dir, loadExtensions: ['.cjs'] } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'synth-knex-'));
  outDir = mkdtempSync(join(tmpdir(), 'synth-knex-out-'));
  for (const [name, body] of Object.entries(MIGRATIONS)) writeFileSync(join(dir, name), body);
  source = await createPgDatabase('synth_fwknex_src');
  target = await createPgDatabase('synth_fwknex_dst');
  const k = knexOf(source.url);
  try {
    for (let i = 0; i < Object.keys(MIGRATIONS).length; i++) await k.migrate.up();
  } finally {
    await k.destroy();
  }
  await source.exec(`
    INSERT INTO customer (name, city) SELECT 'customer ' || g, (ARRAY['Oslo','Lima','Pune'])[1 + g % 3] FROM generate_series(1, 60) g;
    INSERT INTO orders (customer_id, amount, field_3) SELECT 1 + g % 60, (g % 40) * 2.5, CASE WHEN g % 4 = 0 THEN 'gift' END FROM generate_series(1, 200) g;`);
});
afterAll(async () => {
  await source?.drop();
  await target?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('framework tables: knex migrations survive a hydrate', () => {
  it('copies knex_migrations as is, so knex finds nothing to run on the target', async () => {
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, outDir, quality: { enabled: false }, model: 'baseline' });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const k = knexOf(target.url);
    try {
      expect(await k.migrate.status()).toBe(0);
      const [, ran] = (await k.migrate.latest()) as [number, string[]];
      expect(ran).toEqual([]);
      expect(await k.migrate.currentVersion()).toBe('20240305000000');
    } finally {
      await k.destroy();
    }
    const history = 'SELECT id, name, batch, migration_time FROM knex_migrations ORDER BY id';
    expect(await target.query(history)).toEqual(await source.query(history));
    expect(await target.query('SELECT * FROM knex_migrations_lock')).toEqual(await source.query('SELECT * FROM knex_migrations_lock'));
    const [orders] = await target.query<{ n: string }>('SELECT count(*) AS n FROM orders');
    expect(Number(orders!.n)).toBe(200);
  });
});

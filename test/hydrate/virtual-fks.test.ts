import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource, openTarget } from '../../src/connectors/index.js';
import { withRelations } from '../../src/graph/virtual-fks.js';
import { hydrate, type HydrateResult } from '../../src/pipeline/index.js';
import { integrityChecks } from '../../src/validation/integrity.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { LOOSE_SHOP_MYSQL, LOOSE_SHOP_PG, LOOSE_SHOP_RELATIONS, LOOSE_SHOP_TABLES } from '../support/loose-shop.js';

interface Relation {
  child: string;
  columns: string[];
  parent: string;
  keys: string[];
}

const RELATIONS: Relation[] = [
  { child: 'orders', columns: ['customer_id'], parent: 'customers', keys: ['id'] },
  { child: 'order_items', columns: ['order_id'], parent: 'orders', keys: ['id'] },
  { child: 'order_items', columns: ['product_id'], parent: 'products', keys: ['product_id'] },
  { child: 'shipments', columns: ['order_id', 'line_no'], parent: 'order_items', keys: ['order_id', 'line_no'] },
];

async function scalar(db: TestDatabase, sql: string): Promise<number> {
  const [row] = await db.query<Record<string, unknown>>(sql);
  return Number(Object.values(row!)[0]);
}

/** Child rows whose values match no parent row, counted by a plain anti-join (independent of the gate). */
function orphansSql(r: Relation): string {
  const on = r.columns.map((c, i) => `p.${r.keys[i]} = c.${c}`).join(' AND ');
  return `SELECT count(*) AS n FROM ${r.child} c WHERE NOT EXISTS (SELECT 1 FROM ${r.parent} p WHERE ${on})`;
}

/** Share of parents without children and the mean children per parent. */
async function childCounts(db: TestDatabase, r: Relation): Promise<{ childless: number; mean: number }> {
  const on = r.columns.map((c, i) => `p.${r.keys[i]} = c.${c}`).join(' AND ');
  const parents = await scalar(db, `SELECT count(*) AS n FROM ${r.parent}`);
  const childless = await scalar(db, `SELECT count(*) AS n FROM ${r.parent} p WHERE NOT EXISTS (SELECT 1 FROM ${r.child} c WHERE ${on})`);
  const children = await scalar(db, `SELECT count(*) AS n FROM ${r.child}`);
  return { childless: childless / parents, mean: children / parents };
}

const setups = {
  postgres: { create: createPgDatabase, fixture: LOOSE_SHOP_PG, fkCount: "SELECT count(*) AS n FROM information_schema.table_constraints WHERE constraint_type = 'FOREIGN KEY' AND table_schema = 'public'" },
  mysql: { create: createMysqlDatabase, fixture: LOOSE_SHOP_MYSQL, fkCount: "SELECT count(*) AS n FROM information_schema.table_constraints WHERE constraint_type = 'FOREIGN KEY' AND table_schema = DATABASE()" },
};

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`hydrate a constraint-less ${dialect} shop with declared relations`, () => {
    const setup = setups[dialect];
    let source: TestDatabase;
    let target: TestDatabase;
    let outDir: string;
    let result: HydrateResult;

    beforeAll(async () => {
      source = await setup.create('synth_vfk_src');
      target = await setup.create('synth_vfk_dst');
      await source.exec(setup.fixture);
      outDir = mkdtempSync(join(tmpdir(), 'synth-vfk-'));
      const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, relations: LOOSE_SHOP_RELATIONS, outDir });
      result = await hydrate({ config, target: 'dev' });
    }, 180_000);
    afterAll(async () => {
      await source?.drop();
      await target?.drop();
      if (outDir) rmSync(outDir, { recursive: true, force: true });
    });

    it('passes the gate with every declared relation checked and no orphan', async () => {
      expect(result.status, JSON.stringify(result.integrity.tables.filter((t) => t.failures.length > 0))).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      for (const r of RELATIONS) expect(await scalar(target, orphansSql(r)), `${r.child}.(${r.columns.join(', ')})`).toBe(0);
      for (const t of LOOSE_SHOP_TABLES) expect(await scalar(target, `SELECT count(*) AS n FROM ${t}`), t).toBe(await scalar(source, `SELECT count(*) AS n FROM ${t}`));
    });

    it('keeps the target schema as the source declares it: no FOREIGN KEY constraint is created', async () => {
      expect(await scalar(source, setup.fkCount)).toBe(0);
      expect(await scalar(target, setup.fkCount)).toBe(0);
    });

    it('follows the source child counts through the declared relations', async () => {
      for (const r of RELATIONS.slice(0, 3)) {
        const real = await childCounts(source, r);
        const synthetic = await childCounts(target, r);
        expect(Math.abs(synthetic.childless - real.childless), `${r.child} → ${r.parent} childless`).toBeLessThan(0.1);
        expect(Math.abs(synthetic.mean - real.mean) / real.mean, `${r.child} → ${r.parent} mean`).toBeLessThan(0.1);
      }
      // Many customers never ordered in the source (the comparison above is not a trivial one).
      expect((await childCounts(source, RELATIONS[0]!)).childless).toBeGreaterThan(0.3);
    });

    it('makes the gate count orphans of a virtual FK', async () => {
      // The gate's own orphan question, asked of a database that has orphans (the target after breaking one row).
      await target.exec('UPDATE orders SET customer_id = 99999 WHERE id = (SELECT min_id FROM (SELECT min(id) AS min_id FROM orders) m)');
      const connector = await openTarget(target.url);
      const reader = await openSource(source.url);
      try {
        const schema = withRelations(await reader.introspect(), LOOSE_SHOP_RELATIONS);
        const live = dialect === 'postgres' ? 'public' : target.name;
        const counts = await connector.countViolations({ runId: 'live', namespaces: [{ live, shadow: live }] }, integrityChecks(schema).filter((c) => c.kind === 'orphan'));
        const byName = Object.fromEntries(counts.map((c) => [c.check.kind === 'orphan' ? c.check.foreignKey.name : '', c.violations]));
        expect(byName['virtual_orders_customer_id']).toBe(1);
        expect(byName['virtual_shipments_order_id_line_no']).toBe(0);
      } finally {
        await connector.close();
        await reader.close();
      }
    });
  });
}

describe('learned models through declared relations (PostgreSQL)', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let outDir: string;

  beforeAll(async () => {
    source = await createPgDatabase('synth_vfkl_src');
    target = await createPgDatabase('synth_vfkl_dst');
    await source.exec(LOOSE_SHOP_PG);
    outDir = mkdtempSync(join(tmpdir(), 'synth-vfkl-'));
  });
  afterAll(async () => {
    await source?.drop();
    await target?.drop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('conditions learned children on their virtual parents and leaves no orphan', async () => {
    const config = parseConfig({
      source: { url: source.url },
      targets: { dev: { url: target.url } },
      relations: LOOSE_SHOP_RELATIONS,
      tables: { orders: { model: 'learned' }, order_items: { model: 'learned' } },
      training: { epochs: 3 },
      outDir,
    });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.foreignKeys.filter((f) => f.foreignKey.startsWith('virtual_'))).toHaveLength(4);
    for (const r of RELATIONS) expect(await scalar(target, orphansSql(r)), `${r.child}.(${r.columns.join(', ')})`).toBe(0);
  }, 180_000);
});

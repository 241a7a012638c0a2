import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import type { SourceConnector } from '../../src/connectors/connector.js';
import { SynthError } from '../../src/errors.js';
import { buildPlan } from '../../src/graph/plan.js';
import { formatPlan } from '../../src/graph/format-plan.js';
import { formatSuggestions, namingScore, singular, suggestRelations } from '../../src/graph/relation-suggestions.js';
import { parseRelation, physicalSchema, withRelations, type RelationConfig } from '../../src/graph/virtual-fks.js';
import { integrityChecks } from '../../src/validation/integrity.js';
import type { DatabaseSchema } from '../../src/schema/model.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { runCli } from '../support/cli.js';
import { LOOSE_SHOP_MYSQL, LOOSE_SHOP_PG, LOOSE_SHOP_RELATIONS } from '../support/loose-shop.js';

function thrown(f: () => unknown): SynthError {
  try {
    f();
  } catch (e) {
    if (e instanceof SynthError) return e;
    throw e;
  }
  throw new Error('expected a SynthError');
}

describe('relation parsing', () => {
  it('reads single, schema-qualified, composite and object endpoints', () => {
    expect(parseRelation({ from: 'orders.customer_id', to: 'customers.id' })).toMatchObject({
      from: { table: 'orders', columns: ['customer_id'] },
      to: { table: 'customers', columns: ['id'] },
      label: 'orders.customer_id → customers.id',
    });
    expect(parseRelation({ from: 'sales.shipments.(order_id, line_no)', to: { table: 'order_items', columns: ['order_id', 'line_no'] } })).toMatchObject({
      from: { table: 'sales.shipments', columns: ['order_id', 'line_no'] },
      to: { table: 'order_items', columns: ['order_id', 'line_no'] },
      label: 'sales.shipments.(order_id, line_no) → order_items.(order_id, line_no)',
    });
  });

  it('refuses a malformed endpoint in the config with its path', () => {
    const e = thrown(() => parseConfig({ source: { url: 'postgresql://x/db' }, targets: { dev: { url: 'postgresql://x/dev' } }, relations: [{ from: 'orders', to: 'customers.id' }] }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('relations[0].from');
    expect(e.message).toContain("table.(col1, col2)");
  });

  it('names singulars and naming matches', () => {
    expect(singular('customers')).toBe('customer');
    expect(singular('categories')).toBe('category');
    expect(singular('addresses')).toBe('address');
    expect(namingScore('customer_id', 'customers', 'id')).toBe(1);
    expect(namingScore('countrycode', 'country', 'code')).toBe(0.9);
    expect(namingScore('product_id', 'products', 'product_id')).toBe(1);
    expect(namingScore('placed', 'customers', 'id')).toBe(0);
  });
});

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`virtual FKs on a constraint-less ${dialect} source`, () => {
    let db: TestDatabase;
    let source: SourceConnector;
    let schema: DatabaseSchema;

    beforeAll(async () => {
      db = dialect === 'postgres' ? await createPgDatabase('synth_vfk') : await createMysqlDatabase('synth_vfk');
      await db.exec(dialect === 'postgres' ? LOOSE_SHOP_PG : LOOSE_SHOP_MYSQL);
      source = await openSource(db.url);
      schema = await source.introspect();
    }, 60_000);
    afterAll(async () => {
      await source?.close();
      await db?.drop();
    });

    it('has no declared foreign keys (the premise)', () => {
      expect(schema.tables.flatMap((t) => t.foreignKeys)).toEqual([]);
    });

    it('suggests the relations the names and values show, with a confidence', async () => {
      const all = await suggestRelations(source, schema, { minConfidence: 0 });
      const by = (from: string) => all.find((s) => s.from === from);
      expect(by('orders.customer_id')).toMatchObject({ to: 'customers.id', inclusion: 1 });
      expect(by('orders.customer_id')!.confidence).toBe(1);
      expect(by('order_items.product_id')).toMatchObject({ to: 'products.product_id', confidence: 1 });
      expect(by('order_items.order_id')).toMatchObject({ to: 'orders.id', confidence: 1 });
      expect(by('shipments.order_id')).toMatchObject({ to: 'orders.id', confidence: 1 });
      // Named for coupons, but most of its values are no coupon: low confidence, left out by default.
      const coupon = by('orders.coupon_id')!;
      expect(coupon.to).toBe('coupons.coupon_id');
      expect(coupon.inclusion!).toBeLessThan(0.3);
      expect(coupon.confidence).toBeLessThan(0.3);
      // Named for products, but text against an integer key: never suggested.
      expect(by('reviews.product_id')).toBeUndefined();
      const shown = await suggestRelations(source, schema);
      expect(shown.map((s) => s.from)).not.toContain('orders.coupon_id');
      expect(shown[0]!.confidence).toBeGreaterThanOrEqual(shown.at(-1)!.confidence);
      expect(formatSuggestions(shown)).toContain("{ from: 'orders.customer_id', to: 'customers.id' }  confidence 1.00");
    });

    it('turns declared relations (a composite one too) into virtual FKs the plan and the gate use, but not the DDL', () => {
      const withVirtual = withRelations(schema, LOOSE_SHOP_RELATIONS);
      const shipments = withVirtual.tables.find((t) => t.name === 'shipments')!;
      expect(shipments.foreignKeys).toEqual([
        expect.objectContaining({ columns: ['order_id', 'line_no'], references: expect.objectContaining({ name: 'order_items', columns: ['order_id', 'line_no'] }), virtual: true }),
      ]);
      // The introspected schema is left as the database declares it.
      expect(schema.tables.find((t) => t.name === 'shipments')!.foreignKeys).toEqual([]);
      const plan = buildPlan(withVirtual);
      const order = plan.steps.map((s) => s.table.name);
      expect(order.indexOf('customers')).toBeLessThan(order.indexOf('orders'));
      expect(order.indexOf('orders')).toBeLessThan(order.indexOf('order_items'));
      expect(order.indexOf('order_items')).toBeLessThan(order.indexOf('shipments'));
      expect(plan.steps.find((s) => s.table.name === 'orders')!.primaryParent).toBe('virtual_orders_customer_id');
      expect(formatPlan(plan, withVirtual)).toContain('[virtual: from `relations`, no constraint]');
      const orphanChecks = integrityChecks(withVirtual).filter((c) => c.kind === 'orphan');
      expect(orphanChecks).toHaveLength(4);
      expect(physicalSchema(withVirtual).tables.flatMap((t) => t.foreignKeys)).toEqual([]);
    });

    it('refuses bad relations with an error naming the relation and the fix', () => {
      const err = (relations: RelationConfig[]) => thrown(() => withRelations(schema, relations));
      const unknownTable = err([{ from: 'order.customer_id', to: 'customers.id' }]);
      expect(unknownTable.code).toBe('CONFIG_INVALID');
      expect(unknownTable.path).toBe('relations.0');
      expect(unknownTable.message).toContain('relations[0] (order.customer_id → customers.id): there is no table "order"');
      expect(unknownTable.hint).toContain('orders');

      const unknownColumn = err([LOOSE_SHOP_RELATIONS[0]!, { from: 'orders.cust_id', to: 'customers.id' }]);
      expect(unknownColumn.message).toContain('relations[1]');
      expect(unknownColumn.message).toContain('has no column "cust_id"');
      expect(unknownColumn.hint).toContain('customer_id');
      expect(unknownColumn.column).toBe('cust_id');

      const mismatch = err([{ from: 'reviews.product_id', to: 'products.product_id' }]);
      expect(mismatch.message).toContain('cannot reference');
      expect(mismatch.message).toContain('the types differ');
      expect(mismatch.hint).toContain('same kind');

      const notKey = err([{ from: 'shipments.order_id', to: 'order_items.order_id' }]);
      expect(notKey.message).toContain('is not the primary key or a UNIQUE key of');
      expect(notKey.hint).toContain('(order_id, line_no)');

      const arity = err([{ from: 'shipments.(order_id, line_no)', to: 'order_items.order_id' }]);
      expect(arity.message).toContain('2 column(s) reference 1 column(s)');

      const twice = err([LOOSE_SHOP_RELATIONS[0]!, { ...LOOSE_SHOP_RELATIONS[0]!, name: 'again' }]);
      expect(twice.message).toContain('relations[1]');
      expect(twice.hint).toContain('Remove this entry');
    });
  });
}

describe('synth plan on a constraint-less source', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createPgDatabase('synth_vfk_cli');
    await db.exec(LOOSE_SHOP_PG);
    dir = mkdtempSync(join(tmpdir(), 'synth-vfk-cli-'));
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const config = (relations: RelationConfig[]): string => {
    const path = join(dir, `synth-${relations.length}-${Math.random().toString(36).slice(2)}.config.json`);
    writeFileSync(path, JSON.stringify({ source: { url: db.url }, targets: { dev: { url: `${db.url}_never` } }, relations }));
    return path;
  };

  it('marks declared relations virtual and suggests the undeclared ones with a confidence', async () => {
    const r = await runCli(['plan', '--config', config([LOOSE_SHOP_RELATIONS[0]!]), '--no-json'], { env: {} });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/public\.customers via virtual_orders_customer_id\(customer_id\) \[virtual: from `relations`, no constraint\]/);
    expect(r.stdout).toContain('Suggested relations');
    expect(r.stdout).toContain("{ from: 'order_items.product_id', to: 'products.product_id' }  confidence 1.00");
    // Declared already: not suggested again.
    expect(r.stdout).not.toContain("{ from: 'orders.customer_id'");
  }, 60_000);

  it('refuses a bad relation with exit code 2, naming the relation and the fix', async () => {
    const r = await runCli(['plan', '--config', config([{ from: 'orders.customer_id', to: 'customers.name' }]), '--no-json'], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toContain('relations[0] (orders.customer_id → customers.name)');
    expect(r.stderr + r.stdout).toContain('Pair columns of the same kind');
  }, 60_000);
});

describe('relation suggestions in a source of two schemas', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createPgDatabase('synth_vfk_schemas');
    await db.exec(`
      CREATE SCHEMA hr;
      CREATE TABLE hr.employee (employee_id int PRIMARY KEY, name text);
      INSERT INTO hr.employee SELECT i, 'e' || i FROM generate_series(1, 20) i;
      CREATE TABLE public.employees (employee_id int PRIMARY KEY, badge text);
      INSERT INTO public.employees SELECT i, 'b' || i FROM generate_series(1, 5) i;`);
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('names each table with its schema (from, to and the reason), and the config takes the names back', async () => {
    const source = await openSource(db.url);
    let shown;
    let schema: DatabaseSchema;
    try {
      schema = await source.introspect();
      shown = await suggestRelations(source, schema);
    } finally {
      await source.close();
    }
    // Every employees key is among hr's: suggested; a quarter of hr's are public's: left out.
    expect(shown.map(({ from, to }) => ({ from, to }))).toEqual([{ from: 'public.employees.employee_id', to: 'hr.employee.employee_id' }]);
    expect(shown[0]!.reason).toBe('public.employees.employee_id is named for hr.employee.employee_id; 100.0 % of 5 sampled values found among its keys');
    expect(withRelations(schema, [{ from: shown[0]!.from, to: shown[0]!.to }]).tables.find((t) => t.name === 'employees')!.foreignKeys).toHaveLength(1);
  }, 60_000);
});

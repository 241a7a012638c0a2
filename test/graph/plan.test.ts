import { describe, expect, it } from 'vitest';
import { buildFkGraph, stronglyConnected } from '../../src/graph/fk-graph.js';
import { buildPlan } from '../../src/graph/plan.js';
import { formatPlan } from '../../src/graph/format-plan.js';
import { tableKey } from '../../src/schema/model.js';
import { col, fk, int4, pk, schemaOf, table, text, varchar } from '../generation/fixtures.js';

const chain = schemaOf([
  table('order_line', [col('id', int4, { nullable: false }), col('order_id', int4, { nullable: false })], {
    primaryKey: pk('id'),
    foreignKeys: [fk('order_line_order_fk', ['order_id'], 'orders', ['id'])],
  }),
  table('customer', [col('id', int4, { nullable: false })], { primaryKey: pk('id') }),
  table('orders', [col('id', int4, { nullable: false }), col('customer_id', int4, { nullable: false })], {
    primaryKey: pk('id'),
    foreignKeys: [fk('orders_customer_fk', ['customer_id'], 'customer', ['id'])],
  }),
]);

// world: country.capital (nullable) ↔ city.countrycode (NOT NULL)
const world = schemaOf([
  table('country', [col('code', { kind: 'text', maxLength: 3, fixedLength: true }, { nullable: false }), col('capital', int4)], {
    primaryKey: pk('code'),
    foreignKeys: [fk('country_capital_fkey', ['capital'], 'city', ['id'])],
  }),
  table('city', [col('id', int4, { nullable: false }), col('countrycode', varchar(3), { nullable: false })], {
    primaryKey: pk('id'),
    foreignKeys: [fk('city_countrycode_fkey', ['countrycode'], 'country', ['code'])],
  }),
  table('countrylanguage', [col('countrycode', varchar(3), { nullable: false }), col('language', text, { nullable: false })], {
    primaryKey: pk('countrycode', 'language'),
    foreignKeys: [fk('countrylanguage_countrycode_fkey', ['countrycode'], 'country', ['code'])],
  }),
]);

// sakila-like: store.manager_staff_id NOT NULL ↔ staff.store_id NOT NULL
const sakila = schemaOf([
  table('store', [col('store_id', int4, { nullable: false }), col('manager_staff_id', int4, { nullable: false }), col('address_id', int4, { nullable: false })], {
    primaryKey: pk('store_id'),
    foreignKeys: [fk('store_manager_fk', ['manager_staff_id'], 'staff', ['staff_id']), fk('store_address_fk', ['address_id'], 'address', ['address_id'])],
  }),
  table('staff', [col('staff_id', int4, { nullable: false }), col('store_id', int4, { nullable: false }), col('address_id', int4, { nullable: false })], {
    primaryKey: pk('staff_id'),
    foreignKeys: [fk('staff_store_fk', ['store_id'], 'store', ['store_id']), fk('staff_address_fk', ['address_id'], 'address', ['address_id'])],
  }),
  table('address', [col('address_id', int4, { nullable: false })], { primaryKey: pk('address_id') }),
]);

const employees = schemaOf([
  table('employee', [col('id', int4, { nullable: false }), col('reports_to', int4)], {
    primaryKey: pk('id'),
    foreignKeys: [fk('employee_reports_to_fkey', ['reports_to'], 'employee', ['id'])],
  }),
  table('customer', [col('id', int4, { nullable: false }), col('support_rep_id', int4)], {
    primaryKey: pk('id'),
    foreignKeys: [fk('customer_support_rep_fkey', ['support_rep_id'], 'employee', ['id'])],
  }),
]);

const names = (plan: ReturnType<typeof buildPlan>) => plan.steps.map((s) => s.table.name);

describe('buildFkGraph', () => {
  it('has one edge per FK including self-references, parent → child', () => {
    const g = buildFkGraph(employees);
    expect(g.nodeCount()).toBe(2);
    expect(g.edgeCount()).toBe(2);
    expect(g.outEdges('public.employee')!.map((e) => e.w).sort()).toEqual(['public.customer', 'public.employee']);
  });
  it('finds the strongly connected components of a cycle', () => {
    const sccs = stronglyConnected(buildFkGraph(world)).filter((c) => c.length > 1);
    expect(sccs).toEqual([['public.city', 'public.country']]);
  });
});

describe('buildPlan', () => {
  it('orders a simple chain parents first with levels', () => {
    const plan = buildPlan(chain);
    expect(names(plan)).toEqual(['customer', 'orders', 'order_line']);
    expect(plan.steps.map((s) => s.level)).toEqual([0, 1, 2]);
    expect(plan.steps[2]!.primaryParent).toBe('order_line_order_fk');
    expect(plan.cycles).toEqual([]);
    expect(plan.deferred).toEqual([]);
  });

  it('breaks a nullable cycle at the nullable FK with null-then-update', () => {
    const plan = buildPlan(world);
    expect(plan.cycles.map((c) => c.map(tableKey))).toEqual([['public.city', 'public.country']]);
    expect(plan.deferred).toHaveLength(1);
    expect(plan.deferred[0]).toMatchObject({ table: { name: 'country' }, foreignKey: 'country_capital_fkey', strategy: 'null-then-update' });
    expect(names(plan)).toEqual(['country', 'city', 'countrylanguage']);
    const country = plan.steps.find((s) => s.table.name === 'country')!;
    expect(country.primaryParent).toBeNull();
    expect(country.deferred.map((d) => d.foreignKey)).toEqual(['country_capital_fkey']);
    expect(plan.steps.find((s) => s.table.name === 'city')!.primaryParent).toBe('city_countrycode_fkey');
  });

  it('breaks an all-NOT-NULL cycle with constraint-after-load, still a topological order', () => {
    const plan = buildPlan(sakila);
    expect(plan.deferred).toHaveLength(1);
    expect(plan.deferred[0]!.strategy).toBe('constraint-after-load');
    const order = names(plan);
    expect(order[0]).toBe('address');
    const d = plan.deferred[0]!;
    // The child of the deferred FK may come before its parent; the other FK of the cycle must be respected.
    const other = d.table.name === 'store' ? { child: 'staff', parent: 'store' } : { child: 'store', parent: 'staff' };
    expect(order.indexOf(other.parent)).toBeLessThan(order.indexOf(other.child));
  });

  it('lists self-references without deferring them', () => {
    const plan = buildPlan(employees);
    expect(names(plan)).toEqual(['employee', 'customer']);
    const emp = plan.steps[0]!;
    expect(emp.selfReferences).toEqual(['employee_reports_to_fkey']);
    expect(emp.deferred).toEqual([]);
    expect(emp.primaryParent).toBeNull();
    expect(plan.deferred).toEqual([]);
    expect(plan.cycles).toEqual([]);
  });

  it('prefers a NOT NULL FK as primary parent and is deterministic', () => {
    const s = schemaOf([
      table('a', [col('id', int4, { nullable: false })], { primaryKey: pk('id') }),
      table('b', [col('id', int4, { nullable: false })], { primaryKey: pk('id') }),
      table('c', [col('id', int4, { nullable: false }), col('a_id', int4), col('b_id', int4, { nullable: false })], {
        primaryKey: pk('id'),
        foreignKeys: [fk('c_a', ['a_id'], 'a', ['id']), fk('c_b', ['b_id'], 'b', ['id'])],
      }),
    ]);
    const p1 = buildPlan(s);
    expect(p1.steps.find((x) => x.table.name === 'c')!.primaryParent).toBe('c_b');
    expect(names(p1)).toEqual(['a', 'b', 'c']);
    expect(p1.steps.map((x) => x.level)).toEqual([0, 0, 1]);
    expect(JSON.stringify(buildPlan(schemaOf([...s.tables].reverse())))).toBe(JSON.stringify(p1));
  });
});

describe('formatPlan', () => {
  it('renders steps, levels, parents, cycles and self-references', () => {
    const text1 = formatPlan(buildPlan(world), world);
    expect(text1).toContain('1. public.country  [level 0]');
    expect(text1).toContain('public.city via country_capital_fkey(capital) (deferred: null-then-update)');
    expect(text1).toContain('rows need: public.country loaded first');
    expect(text1).toMatch(/Cycles:\n {2}1\. public\.city ↔ public\.country: broken at public\.country\.country_capital_fkey \(null-then-update\)/);
    const text2 = formatPlan(buildPlan(employees), employees);
    expect(text2).toContain('self-reference: employee_reports_to_fkey(reports_to)');
    expect(text2).toContain('public.employee via customer_support_rep_fkey(support_rep_id) (primary parent)');
  });
});

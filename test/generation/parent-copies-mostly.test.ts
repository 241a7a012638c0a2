import { describe, expect, it } from 'vitest';
import { createCopyEnforcer, detectParentCopies, type ParentCopyRule } from '../../src/generation/parent-copies.js';
import { describeMostlyCopies, mostlyCopyDraw, withMostlyCopies } from '../../src/generation/parent-copies-mostly.js';
import { RetainedColumns } from '../../src/generation/retained-columns.js';
import { createRng } from '../../src/generation/rng.js';
import type { Row } from '../../src/schema/values.js';
import { NORTHWIND_SHIP_TO, northwindShipTo } from '../fixtures/northwind-ship-to.js';
import { col, fk, pk, table, varchar } from './fixtures.js';

const customers = table('customers', ['customer_id', 'company_name', 'address', 'city', 'region', 'postal_code', 'country'].map((n) => col(n, varchar(60), { nullable: n !== 'customer_id' })), { primaryKey: pk('customer_id') });
const orders = table(
  'orders',
  [col('order_id', { kind: 'integer', bytes: 4, unsigned: false }, { nullable: false }), ...['customer_id', 'ship_name', 'ship_address', 'ship_city', 'ship_region', 'ship_postal_code', 'ship_country'].map((n) => col(n, varchar(60))), col('freight', { kind: 'decimal', precision: 10, scale: 2 })],
  { primaryKey: pk('order_id'), foreignKeys: [fk('fk_orders_customers', ['customer_id'], 'customers', ['customer_id'])] },
);
const FK = 'fk_orders_customers';

/** detectParentCopies then withMostlyCopies, as learn-parent-rules.ts runs them, on orders and their customers' rows. */
function learn(rows: Row[], parentRows: Array<Row | null>, options = {}): ParentCopyRule[] {
  const sample = { columns: orders.columns.map((c) => c.name), rows };
  const parents = [{ foreignKey: FK, columns: customers.columns.map((c) => c.name), rows: parentRows }];
  const tables = new Map([[FK, customers]]);
  return withMostlyCopies(orders, sample, parents, tables, detectParentCopies(orders, sample, parents, tables), options);
}

function northwind(): ParentCopyRule[] {
  const { customers: cs, orders: os } = northwindShipTo();
  const byId = new Map(cs.map((c) => [c[0], c]));
  return learn(os, os.map((o) => byId.get(o[1]!) ?? null));
}

/**
 * 60 customers with 5 orders each; ship_name is the customer's name on the first `share` of the orders, `value` on
 * the others. `name`: the customers' names.
 */
function shareSample(share: number, value: (i: number, parent: Row) => string = (i) => `other ${i}`, name: (c: number) => string = (c) => `Company ${c}`): { rows: Row[]; parents: Row[] } {
  const cs: Row[] = Array.from({ length: 60 }, (_, c) => [`C${c}`, name(c), `${c} Road`, `Town ${c}`, null, `${10000 + c}`, c % 2 ? 'France' : 'Spain']);
  const rows: Row[] = [];
  const parents: Row[] = [];
  for (let i = 0; i < 300; i++) {
    const c = cs[i % 60]!;
    rows.push([i + 1, c[0]!, i / 300 < share ? c[1]! : value(i, c), null, null, null, null, null, '1.00']);
    parents.push(c);
  }
  return { rows, parents };
}

describe('withMostlyCopies', () => {
  it("learns northwind's ship-to columns: the name on its own, the street, city, region and postal code as one group", () => {
    const rules = northwind();
    const line = (r: ParentCopyRule) => `${r.column}=${r.parentColumn}${r.mostly ? ` ${(r.mostly.share * NORTHWIND_SHIP_TO.orders).toFixed(0)}/${r.support} [${r.mostly.group.join(' ')}]` : ''}`;
    expect(rules.map(line)).toEqual([
      // Equal on every order: the exact rule (parent-copies.ts).
      'ship_country=country',
      `ship_name=company_name ${NORTHWIND_SHIP_TO.name}/830 [ship_name]`,
      ...['ship_address=address', 'ship_city=city', 'ship_region=region', 'ship_postal_code=postal_code'].map((s) => `${s} ${NORTHWIND_SHIP_TO.wholeAddress}/830 [ship_address ship_city ship_region ship_postal_code]`),
    ]);
    // The region, equal wherever both are set, was an exact copy that kept a drawn region under a region-less customer:
    // in the group it copies NULLs too.
    const region = rules.find((r) => r.column === 'ship_region')!;
    expect(region.nulls).toBe(true);
    expect(region.mostly!.own).toBeCloseTo(NORTHWIND_SHIP_TO.region / 830, 6);
    expect(rules.find((r) => r.column === 'ship_postal_code')!.mostly!.own).toBeCloseTo(NORTHWIND_SHIP_TO.postal / 830, 6);
    // Made-up addresses never agree by chance: the copy rate is the share.
    expect(rules.find((r) => r.column === 'ship_address')!.mostly!.rate).toBeCloseTo(777 / 830, 3);
    expect(rules[1]!.parents).toBe(89);
  });

  it('keeps the exact rule of a column whose NULLs differ when it deviates with no other column', () => {
    const { customers: cs, orders: os } = northwindShipTo();
    const byId = new Map(cs.map((c) => [c[0], c]));
    // Every order ships to the customer's address except for the 13 regions set under a region-less customer.
    const fixed = os.map((o) => {
      const c = byId.get(o[1]!)!;
      return [o[0]!, o[1]!, c[1]!, c[2]!, c[3]!, o[5]!, c[5]!, c[6]!, o[8]!];
    });
    const rules = learn(fixed, fixed.map((o) => byId.get(o[1]!)!));
    expect(rules.filter((r) => r.mostly)).toEqual([]);
    expect(rules.find((r) => r.column === 'ship_region')).toMatchObject({ parentColumn: 'region', nulls: false });
  });

  it('needs the share (0.6) and more agreement than chance gives', () => {
    const at = (share: number) => {
      const s = shareSample(share);
      return learn(s.rows, s.parents).filter((r) => r.column === 'ship_name');
    };
    expect(at(0.55)).toEqual([]);
    expect(at(0.65).map((r) => [r.mostly!.share, r.mostly!.group])).toEqual([[0.65, ['ship_name']]]);
    expect(at(1).map((r) => r.mostly)).toEqual([undefined]);
    // Two columns of three values (A on 85 %), independent, agree on ~73 % of rows by chance alone: no copy.
    const rng = createRng(3);
    const flag = () => {
      const u = rng.next();
      return u < 0.85 ? 'A' : u < 0.925 ? 'B' : 'C';
    };
    const chance = shareSample(0, () => flag(), () => flag());
    const agree = chance.rows.filter((r, i) => r[2] === chance.parents[i]![1]).length / 300;
    expect(agree).toBeGreaterThan(0.65);
    expect(learn(chance.rows, chance.parents).filter((r) => r.column === 'ship_name')).toEqual([]);
  });

  it('corrects the copy rate for the rows that agree by chance', () => {
    // Copied on 70 % of rows; the others draw one of two names of which one is the parent's on half of them.
    const s = shareSample(0.7, (i, parent) => (i % 2 ? String(parent[1]) : `other ${i}`));
    const [rule] = learn(s.rows, s.parents).filter((r) => r.column === 'ship_name');
    expect(rule!.mostly!.share).toBeCloseTo(0.85, 6);
    expect(rule!.mostly!.chance).toBeGreaterThan(0);
    expect(rule!.mostly!.rate).toBeCloseTo((0.85 - rule!.mostly!.chance) / (1 - rule!.mostly!.chance), 9);
  });
});

describe('mostlyCopyDraw with createCopyEnforcer', () => {
  const rules = northwind().filter((r) => r.mostly);
  const names = orders.columns.map((c) => c.name);
  const parent = new RetainedColumns(['company_name', 'address', 'city', 'region', 'postal_code']);
  parent.push(['Acme', '1 Main St', 'Springfield', null, '12345'], [0, 1, 2, 3, 4]);
  parent.seal();
  const N = 20_000;
  const fresh = (start: number, n: number): Row[] => Array.from({ length: n }, (_, i) => [start + i, 'C0', 'drawn', 'drawn st', 'drawn city', 'XX', '99999', 'Spain', '1.00']);
  const enforce = (seed: number) => createCopyEnforcer(orders, names, rules, () => ({ parentOf: () => 0, parent }), mostlyCopyDraw(seed, 'public.orders'))!;

  it("copies a row's whole group or none of it, NULLs included, at the learned rate", () => {
    const rows = fresh(0, N);
    enforce(7)(rows, 0);
    const copied = rows.filter((r) => r[3] === '1 Main St');
    const share = rules.find((r) => r.column === 'ship_address')!.mostly!.rate;
    expect(Math.abs(copied.length / N - share)).toBeLessThan(0.01);
    expect(copied.every((r) => r[4] === 'Springfield' && r[5] === null && r[6] === '12345')).toBe(true);
    expect(rows.filter((r) => r[3] !== '1 Main St').every((r) => r[4] === 'drawn city' && r[5] === 'XX' && r[6] === '99999')).toBe(true);
    // The name draws on its own.
    const named = rows.filter((r) => r[2] === 'Acme').length / N;
    expect(Math.abs(named - NORTHWIND_SHIP_TO.name / 830)).toBeLessThan(0.01);
    const both = rows.filter((r) => r[2] === 'Acme' && r[3] === '1 Main St').length / N;
    expect(Math.abs(both - named * (copied.length / N))).toBeLessThan(0.01);
  });

  it('decides each row by its index: windows drawn apart (load workers) give the same rows; another seed others', () => {
    const whole = fresh(0, 4_000);
    enforce(7)(whole, 0);
    const windows: Row[][] = [];
    for (const start of [3_000, 0, 1_000, 2_000]) {
      const w = fresh(start, 1_000);
      enforce(7)(w, start);
      windows[start / 1_000] = w;
    }
    expect(windows.flat()).toEqual(whole);
    const other = fresh(0, 4_000);
    enforce(8)(other, 0);
    expect(other).not.toEqual(whole);
  });
});

describe('describeMostlyCopies', () => {
  it('lists a group once, with its share and each column alone', () => {
    expect(describeMostlyCopies(northwind(), () => 'customers')).toEqual([
      'public.orders.ship_name ← customers.company_name on 95.9 % of rows through fk_orders_customers (830 rows, 89 parents; copied on 95.8 %, the others agree by chance 1.0 %)',
      'public.orders.ship_address ← customers.address on 93.6 % of rows, with ship_city ← city, ship_region ← region, ship_postal_code ← postal_code (one draw a row for all 4; alone 94.2 %, 98.4 %, 98.4 %, 94.9 %) through fk_orders_customers (830 rows, 89 parents)',
    ]);
  });
});

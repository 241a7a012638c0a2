import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { SourceConnector } from '../../src/connectors/connector.js';
import { createConditionalNullEnforcer, describeConditionalNull, detectConditionalNulls } from '../../src/generation/conditional-nulls.js';
import { formatDataRules } from '../../src/generation/data-rules.js';
import { learnDataRules } from '../../src/pipeline/learn-rules.js';
import { createRng } from '../../src/generation/rng.js';
import type { Row } from '../../src/schema/values.js';
import { col, int4, pk, schemaOf, table, text, varchar } from './fixtures.js';

const ts = { kind: 'timestamp' as const, withTimeZone: true };
const orders = table(
  'orders',
  [col('id', int4, { nullable: false }), col('status', varchar(20), { nullable: false }), col('vip', { kind: 'boolean' }, { nullable: false }), col('shipped_at', ts), col('cancelled_at', ts), col('note', text)],
  { primaryKey: pk('id') },
);
const columns = orders.columns.map((c) => c.name);
/** An order's status and the counts of a shop's 150 orders: shipped_at set once it ships, cancelled_at once cancelled. */
const STATUSES: Array<[string, number]> = [['pending', 40], ['paid', 30], ['shipped', 35], ['delivered', 30], ['cancelled', 15]];
const at = (i: number) => `2024-03-${String(1 + (i % 28)).padStart(2, '0')} 10:${String(i % 60).padStart(2, '0')}:00+00`;

function shop(): Row[] {
  const rows: Row[] = [];
  for (const [status, n] of STATUSES) {
    for (let k = 0; k < n; k++) {
      const i = rows.length;
      const shipped = status === 'shipped' || status === 'delivered';
      // vip: false exactly on the unshipped orders' even rows, i.e. unrelated to the dates; note NULL on a third.
      rows.push([i + 1, status, i % 2 === 0, shipped ? at(i) : null, status === 'cancelled' ? at(i + 3) : null, i % 3 === 0 ? null : 'gift']);
    }
  }
  return rows;
}
const sampleOf = (rows: Row[]) => ({ table: { schema: 'public', name: 'orders' }, totalRows: rows.length, columns, rows });

describe('detectConditionalNulls', () => {
  it('learns the columns a status makes NULL, each with its values, and nothing for a column NULL at random', () => {
    const rules = detectConditionalNulls(orders, sampleOf(shop()));
    expect(rules.map(describeConditionalNull)).toEqual([
      'public.orders.shipped_at is NULL exactly when status ∈ {pending, paid, cancelled} (not NULL for {shipped, delivered}; all 150 sampled rows)',
      'public.orders.cancelled_at is NULL exactly when status ∈ {pending, shipped, delivered, paid} (not NULL for {cancelled}; all 150 sampled rows)',
    ]);
  });

  it('learns nothing from a coincidence: one disagreeing row, a two-valued column, too few rows per value, an excluded column', () => {
    const broken = shop();
    broken[0]![3] = at(0); // one pending order with a ship date
    expect(detectConditionalNulls(orders, sampleOf(broken)).map((r) => r.column)).toEqual(['cancelled_at']);
    // vip is a two-valued category whose split matches a column's NULLs: chance on a sample, not a rule.
    const twoValued = shop().map((r) => [r[0]!, r[1]!, r[3] !== null, r[3]!, r[4]!, r[5]!] as Row);
    expect(detectConditionalNulls(orders, sampleOf(twoValued), new Set(['status']))).toEqual([]);
    // 12 orders: every status agrees, but no value has the 5 rows that make it evidence.
    expect(detectConditionalNulls(orders, sampleOf(shop().filter((_r, i) => i % 13 === 0)))).toEqual([]);
    expect(detectConditionalNulls(orders, sampleOf(shop()), new Set(['status']))).toEqual([]);
  });
});

describe('createConditionalNullEnforcer', () => {
  const rules = detectConditionalNulls(orders, sampleOf(shop()));

  it('makes every row agree with its status, keeps the statuses and fills from the batch’s own values', () => {
    const rng = createRng(7, 'rows');
    const statuses = STATUSES.map(([s]) => s);
    // A model's rows: status and NULLs drawn independently.
    const rows: Row[] = Array.from({ length: 400 }, (_, i) => [i + 1, statuses[rng.int(5)]!, true, rng.next() < 0.5 ? at(i) : null, rng.next() < 0.2 ? at(i + 1) : null, null]);
    const before = rows.map((r) => r[1]);
    const drawn = new Set(rows.flatMap((r) => [r[3], r[4]]).filter((v) => v !== null));
    const enforce = createConditionalNullEnforcer(columns, rules)!;
    const disagree = (r: Row) => (r[3] !== null) !== (r[1] === 'shipped' || r[1] === 'delivered') || (r[4] !== null) !== (r[1] === 'cancelled');
    expect(rows.filter(disagree).length).toBeGreaterThan(150);
    expect(enforce(rows, createRng(1, 'b0'))).toBeGreaterThan(150);
    expect(rows.filter(disagree)).toEqual([]);
    expect(rows.map((r) => r[1])).toEqual(before);
    for (const r of rows) for (const v of [r[3], r[4]]) if (v !== null) expect(drawn.has(v)).toBe(true);
  });

  it('redraws a status it never saw, or one it cannot fill for, from the statuses that agree with the row’s NULLs', () => {
    const rows: Row[] = [[1, 'refunded', true, null, at(1), null], [2, 'refunded', true, at(2), null, null]];
    createConditionalNullEnforcer(columns, rules)!(rows, createRng(1, 'b0'));
    expect(rows.map((r) => r[1])).toEqual(['cancelled', expect.stringMatching(/^(shipped|delivered)$/)]);
    // A batch whose model drew no ship date at all has none to fill with: its shipped orders become unshipped ones.
    const none: Row[] = [[1, 'shipped', true, null, null, null], [2, 'delivered', true, null, null, null]];
    createConditionalNullEnforcer(columns, rules)!(none, createRng(1, 'b1'));
    expect(none.map((r) => r[1])).toEqual([expect.stringMatching(/^(pending|paid)$/), expect.stringMatching(/^(pending|paid)$/)]);
  });

  it('is null for a table without the columns', () => {
    expect(createConditionalNullEnforcer(['id', 'status'], rules)).toBeNull();
  });
});

describe('learnDataRules', () => {
  const url = 'postgresql://postgres@127.0.0.1:5432/unused';
  const learn = (privacy: object | false) =>
    // No FK, nothing to read by key: the rules come from the sample alone, so no connection is opened.
    learnDataRules({} as SourceConnector, schemaOf([orders]), new Map([['public.orders', sampleOf(shop())]]), [], parseConfig({ source: { url }, targets: { dev: { url } }, privacy }));

  it('learns the conditional NULLs and synth plan lists them; under privacy none (they would be published unaccounted)', async () => {
    const rules = await learn(false);
    expect(rules.conditionalNulls?.map((r) => r.column)).toEqual(['shipped_at', 'cancelled_at']);
    expect(formatDataRules(rules, schemaOf([orders]))).toContain('Conditional NULLs');
    expect(formatDataRules(rules, schemaOf([orders]))).toContain('  public.orders.shipped_at is NULL exactly when status ∈ {pending, paid, cancelled}');
    expect((await learn({ epsilon: 3, delta: 1e-6 })).conditionalNulls).toBeUndefined();
  });
});

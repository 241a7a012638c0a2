import { describe, expect, it } from 'vitest';
import { aggregatesPossible, detectParentAggregates, describeAggregate, type ChildShareRule, type ParentSumRule } from '../../src/generation/parent-aggregates.js';
import { columnLimit, resolveAggregates } from '../../src/pipeline/derive-aggregates.js';
import { NO_DATA_RULES } from '../../src/generation/data-rules.js';
import type { DatabaseSchema, NeutralType } from '../../src/schema/model.js';
import type { Row } from '../../src/schema/values.js';
import { col, fk, int4, table } from './fixtures.js';

const money: NeutralType = { kind: 'decimal', precision: 10, scale: 2 };
const real: NeutralType = { kind: 'float', bytes: 4 };

const invoice = table('invoice', [col('id', int4), col('discount', money), col('total', money, { nullable: false })], { primaryKey: { name: 'pk', columns: ['id'] } });
const line = table('line', [col('id', int4), col('invoice_id', int4), col('price', money), col('qty', int4)], {
  primaryKey: { name: 'pk', columns: ['id'] },
  foreignKeys: [fk('line_invoice_fk', ['invoice_id'], 'invoice', ['id'])],
});
const country = table('country', [col('code', { kind: 'text', maxLength: 3, fixedLength: true })], { primaryKey: { name: 'pk', columns: ['code'] } });
const language = table('language', [col('code', { kind: 'text', maxLength: 3, fixedLength: true }), col('lang', { kind: 'text', maxLength: null, fixedLength: false }), col('pct', real), col('speakers', int4)], {
  primaryKey: { name: 'pk', columns: ['code', 'lang'] },
  foreignKeys: [fk('language_country_fk', ['code'], 'country', ['code'])],
});

/** 60 invoices (every sixth without lines, total 0), 1–4 lines of price × qty; discount unrelated. */
function invoices() {
  const parents: Row[] = [];
  const children: Row[] = [];
  let id = 1;
  for (let i = 1; i <= 60; i++) {
    const n = i % 6 === 0 ? 0 : 1 + (i % 4);
    let total = 0;
    for (let k = 0; k < n; k++) {
      const price = [0.99, 1.99, 4.99][(i + k) % 3]!;
      const qty = 1 + ((i * k) % 3);
      total += price * qty;
      children.push([id++, i, price.toFixed(2), qty]);
    }
    parents.push([i, ((i * 37) % 1000 / 100).toFixed(2), total.toFixed(2)]);
  }
  return { parents: { columns: ['id', 'discount', 'total'], rows: parents }, children: { columns: ['id', 'invoice_id', 'price', 'qty'], rows: children } };
}

/** 50 countries of 1–4 languages; on 30 the percentages add up to exactly 100, on the rest to less. */
function languages(over = 0) {
  const parents: Row[] = [];
  const children: Row[] = [];
  for (let c = 0; c < 50; c++) {
    const code = `C${String(c).padStart(2, '0')}`;
    parents.push([code]);
    const n = 1 + (c % 4);
    const whole = (c < 30 ? 100 : 40 + c) + (c < over ? 30 : 0);
    for (let k = 0; k < n; k++) children.push([code, `L${k}`, k === n - 1 ? whole - Math.floor(whole / n) * (n - 1) : Math.floor(whole / n), 1000 * (k + 1) + 7 * c]);
  }
  return { parents: { columns: ['code'], rows: parents }, children: { columns: ['code', 'lang', 'pct', 'speakers'], rows: children } };
}

describe('parent aggregate detection', () => {
  it('finds total = Σ price × qty with 0 for childless invoices, and not the unrelated discount', () => {
    const { parents, children } = invoices();
    const rules = detectParentAggregates(invoice, parents, line, line.foreignKeys[0]!, children);
    const sums = rules.filter((r): r is ParentSumRule => r.kind === 'sum');
    expect(sums).toEqual([{ kind: 'sum', parent: { schema: 'public', name: 'invoice' }, column: 'total', child: { schema: 'public', name: 'line' }, foreignKey: 'line_invoice_fk', terms: ['price', 'qty'], empty: 'zero', support: 50 }]);
    expect(describeAggregate(sums[0]!, 'invoice')).toBe('public.invoice.total = Σ line.price × qty (through line_invoice_fk; 0 without children; held on 50 sampled parents)');
    // Prices and quantities are no shares of a bound.
    expect(rules.filter((r) => r.kind === 'share')).toEqual([]);
  });

  it('needs every parent: one total off by a cent is no rule; a column another rule writes is left alone', () => {
    const { parents, children } = invoices();
    const off = parents.rows.map((r, i) => (i === 7 ? [r[0]!, r[1]!, (Number(r[2]) + 0.01).toFixed(2)] : r));
    expect(detectParentAggregates(invoice, { ...parents, rows: off }, line, line.foreignKeys[0]!, children)).toEqual([]);
    expect(detectParentAggregates(invoice, parents, line, line.foreignKeys[0]!, children, { excluded: new Set(['total']) })).toEqual([]);
    // Too few parents with children for the default support.
    expect(detectParentAggregates(invoice, { ...parents, rows: parents.rows.slice(0, 12) }, line, line.foreignKeys[0]!, children)).toEqual([]);
  });

  it('a childless parent that holds NULL, or mixed values, is learned as such', () => {
    const nullable = table('invoice', [col('id', int4), col('discount', money), col('total', money)], { primaryKey: { name: 'pk', columns: ['id'] } });
    const { parents, children } = invoices();
    const withNull = parents.rows.map((r) => (Number(r[0]) % 6 === 0 ? [r[0]!, r[1]!, null] : r));
    expect((detectParentAggregates(nullable, { ...parents, rows: withNull }, line, line.foreignKeys[0]!, children)[0] as ParentSumRule).empty).toBe('null');
    const mixed = parents.rows.map((r) => (Number(r[0]) % 12 === 0 ? [r[0]!, r[1]!, '5.00'] : r));
    expect((detectParentAggregates(nullable, { ...parents, rows: mixed }, line, line.foreignKeys[0]!, children)[0] as ParentSumRule).empty).toBe('keep');
  });

  it('finds percentages bounded by 100 per country (with a rare slip over it), not a count column', () => {
    const { parents, children } = languages();
    const rules = detectParentAggregates(country, parents, language, language.foreignKeys[0]!, children);
    expect(rules).toEqual([{ kind: 'share', child: { schema: 'public', name: 'language' }, foreignKey: 'language_country_fk', column: 'pct', bound: 100, decimals: 0, support: 50 }]);
    expect(describeAggregate(rules[0]!, 'country')).toContain('Σ public.language.pct ≤ 100 per country');
    const slipped = { ...children, rows: children.rows.map((r, i) => (i === 3 ? [r[0]!, r[1]!, Number(r[2]) + 0.5, r[3]!] : r)) };
    expect((detectParentAggregates(country, parents, language, language.foreignKeys[0]!, slipped)[0] as ChildShareRule).bound).toBe(100);
    // Sums far over the bound on several parents: no share.
    const over = languages(5);
    expect(detectParentAggregates(country, over.parents, language, language.foreignKeys[0]!, over.children)).toEqual([]);
  });

  it('a child column another rule sets is no share, but still a sum term (a sum reads it, does not change it)', () => {
    const l = languages();
    expect(detectParentAggregates(country, l.parents, language, language.foreignKeys[0]!, l.children, { fixedChildren: new Set(['pct']) })).toEqual([]);
    const { parents, children } = invoices();
    const rules = detectParentAggregates(invoice, parents, line, line.foreignKeys[0]!, children, { fixedChildren: new Set(['price', 'qty']) });
    expect(rules.map((r) => r.kind)).toEqual(['sum']);
  });

  it('a bound nobody comes near is no rule (shares only when tight)', () => {
    const { parents, children } = languages();
    const loose = { ...children, rows: children.rows.map((r) => [r[0]!, r[1]!, Number(r[2]) / 2, r[3]!]) };
    expect(detectParentAggregates(country, parents, language, language.foreignKeys[0]!, loose)).toEqual([]);
  });
});

describe('aggregatesPossible (which FKs are worth a read by key)', () => {
  it('reads when the totals match or a bound is within reach, not otherwise', () => {
    const { parents, children } = invoices();
    const p = { ...parents, totalRows: parents.rows.length };
    const c = { ...children, totalRows: children.rows.length };
    expect(aggregatesPossible(invoice, p, line, c, 50)).toBe(true);
    // Lines standing for four times as many (a sample of a quarter): Σ price × qty is far from the totals and a
    // price's per-invoice sum far over any bound a price comes near.
    const prices = { columns: ['id', 'invoice_id', 'price'], rows: children.rows.map((r) => r.slice(0, 3)), totalRows: 4 * children.rows.length };
    expect(aggregatesPossible(invoice, p, line, prices, 50, new Set(['discount']))).toBe(false);
    expect(aggregatesPossible(invoice, p, line, { ...c, totalRows: 4 * c.totalRows }, 50, new Set(['discount']))).toBe(false);
    const l = languages();
    const lc = { ...l.children, totalRows: l.children.rows.length };
    expect(aggregatesPossible(country, { ...l.parents, totalRows: 50 }, language, lc, 50)).toBe(true);
    // Ten times the countries with children: a mean of ~9 % per country is far under the bound.
    expect(aggregatesPossible(country, { ...l.parents, totalRows: 500 }, language, lc, 500)).toBe(false);
  });
});

describe('derive stage helpers', () => {
  it('columnLimit: numeric(10,2) holds |v| ≤ 99999999.99, integers their width, floats anything', () => {
    expect(columnLimit(col('t', money))).toEqual({ min: -99999999.99, max: 99999999.99 });
    expect(columnLimit(col('t', { kind: 'integer', bytes: 2, unsigned: false }))).toEqual({ min: -32768, max: 32767 });
    expect(columnLimit(col('t', { kind: 'integer', bytes: 1, unsigned: true }))).toEqual({ min: 0, max: 255 });
    expect(columnLimit(col('t', real))).toBeNull();
  });

  it('resolveAggregates: shares apart, sums deepest parent first, rules on missing columns dropped', () => {
    const customer = table('customer', [col('id', int4), col('spent', money)], { primaryKey: { name: 'pk', columns: ['id'] } });
    const inv = table('invoice', [col('id', int4), col('customer_id', int4), col('total', money)], { primaryKey: { name: 'pk', columns: ['id'] }, foreignKeys: [fk('inv_cust', ['customer_id'], 'customer', ['id'])] });
    const schema: DatabaseSchema = { dialect: 'postgres', tables: [customer, inv, line, country, language], otherObjects: [] } as unknown as DatabaseSchema;
    const ref = (name: string) => ({ schema: 'public', name });
    const rules = {
      ...NO_DATA_RULES,
      aggregates: [
        { kind: 'sum' as const, parent: ref('customer'), column: 'spent', child: ref('invoice'), foreignKey: 'inv_cust', terms: ['total'], empty: 'zero' as const, support: 30 },
        { kind: 'sum' as const, parent: ref('invoice'), column: 'total', child: ref('line'), foreignKey: 'line_invoice_fk', terms: ['price', 'qty'], empty: 'zero' as const, support: 30 },
        { kind: 'sum' as const, parent: ref('invoice'), column: 'gone', child: ref('line'), foreignKey: 'line_invoice_fk', terms: ['price'], empty: 'zero' as const, support: 30 },
        { kind: 'share' as const, child: ref('language'), foreignKey: 'language_country_fk', column: 'pct', bound: 100, decimals: 1, support: 30 },
      ],
    };
    const { shares, sums } = resolveAggregates(schema, rules);
    expect(shares.map((s) => [s.child.name, s.column, s.bound, s.decimals])).toEqual([['language', 'pct', 100, 1]]);
    expect(sums.map((s) => `${s.parent.name}.${s.column.name}`)).toEqual(['invoice.total', 'customer.spent']);
    expect(sums[0]!.decimals).toBe(2);
    expect(resolveAggregates(schema, NO_DATA_RULES)).toEqual({ shares: [], sums: [] });
  });
});

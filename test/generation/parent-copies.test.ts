import { describe, expect, it } from 'vitest';
import { copiedParentColumns, copyCompatible, createCopyEnforcer, describeParentCopy, detectParentCopies, type ParentCopyRule } from '../../src/generation/parent-copies.js';
import { RetainedColumns } from '../../src/generation/retained-columns.js';
import type { Row } from '../../src/schema/values.js';
import { col, fk, int4, pk, table, text, varchar } from './fixtures.js';

const dec = (scale: number) => ({ kind: 'decimal' as const, precision: 10, scale });
const customer = table('customer', [col('id', int4, { nullable: false }), col('country', varchar(40)), col('state', varchar(40)), col('vip', { kind: 'boolean' })], { primaryKey: pk('id') });
const invoice = table(
  'invoice',
  [col('id', int4, { nullable: false }), col('customer_id', int4, { nullable: false }), col('billing_country', varchar(40)), col('billing_state', varchar(40)), col('vip', { kind: 'boolean' }), col('note', text), col('price', dec(2))],
  { primaryKey: pk('id'), foreignKeys: [fk('invoice_customer_fkey', ['customer_id'], 'customer', ['id'])] },
);

const COUNTRIES = ['USA', 'Canada', 'Brazil', 'France', 'Germany', 'India', 'Chile', 'Norway'];
const STATES = ['CA', 'QC', 'SP', null];

/** 60 customers, each with 3 invoices that bill its country and state; `note` equals the country on `share` of them. */
function samples(share: number) {
  const parents: Row[] = Array.from({ length: 60 }, (_, i) => [i + 1, COUNTRIES[i % 8]!, STATES[i % 4]!, i % 2 === 0]);
  const rows: Row[] = [];
  const aligned: Array<Row | null> = [];
  for (let i = 0; i < 180; i++) {
    const p = parents[i % 60]!;
    rows.push([i + 1, p[0]!, p[1]!, p[2]!, i % 3 === 0, i / 180 < share ? p[1]! : 'elsewhere', '1.00']);
    aligned.push(p);
  }
  return { sample: { columns: invoice.columns.map((c) => c.name), rows }, parents: [{ foreignKey: 'invoice_customer_fkey', columns: customer.columns.map((c) => c.name), rows: aligned }] };
}

const detect = (share: number) => {
  const s = samples(share);
  return detectParentCopies(invoice, s.sample, s.parents, new Map([['invoice_customer_fkey', customer]]));
};

describe('detectParentCopies', () => {
  it('finds columns equal to the parent on every row, NULLs copied where they go together', () => {
    const rules = detect(0);
    expect(rules.map((r) => `${r.column}=${r.parentColumn}${r.nulls ? ' nulls' : ''} ${r.support}/${r.parents}`).sort()).toEqual(['billing_country=country 180/60', 'billing_state=state nulls 135/45']);
  });

  it('keeps no rule for a column equal to its parent on ~70 % of rows, nor for an unrelated flag', () => {
    expect(detect(0.7).map((r) => r.column)).not.toContain('note');
    expect(detect(1).map((r) => r.column)).toContain('note');
    expect(detect(1).map((r) => r.column)).not.toContain('vip');
  });

  it('needs more agreeing parents than chance explains, and enough rows', () => {
    const s = samples(0);
    // 3 customers, 2 invoices each: countries of 8 agree by chance on 3 parents far more often than one in a million.
    const few = { sample: { ...s.sample, rows: s.sample.rows.slice(0, 3).flatMap((r) => [r, r]) }, parents: [{ ...s.parents[0]!, rows: s.parents[0]!.rows.slice(0, 3).flatMap((r) => [r, r]) }] };
    expect(detectParentCopies(invoice, few.sample, few.parents, new Map([['invoice_customer_fkey', customer]]))).toEqual([]);
    expect(detectParentCopies(invoice, s.sample, s.parents, new Map([['invoice_customer_fkey', customer]]), { minSupport: 1000 })).toEqual([]);
  });
});

describe('copyCompatible', () => {
  it('accepts what the child holds unchanged and refuses what its conform would cut', () => {
    expect(copyCompatible(col('a', varchar(40)), col('b', varchar(40)))).toBe(true);
    expect(copyCompatible(col('a', varchar(10)), col('b', varchar(40)))).toBe(false);
    expect(copyCompatible(col('a', dec(2)), col('b', dec(2)))).toBe(true);
    expect(copyCompatible(col('a', dec(2)), col('b', dec(4)))).toBe(false);
    expect(copyCompatible(col('a', int4), col('b', dec(2)))).toBe(false);
    expect(copyCompatible(col('a', { kind: 'timestamp', withTimeZone: false }), col('b', { kind: 'date' }))).toBe(true);
    expect(copyCompatible(col('a', { kind: 'date' }), col('b', { kind: 'timestamp', withTimeZone: false }))).toBe(false);
  });
});

describe('createCopyEnforcer', () => {
  it("writes the parent row's generated value, conformed, and a NULL only where the rule copies NULLs", () => {
    const parent = new RetainedColumns(['country', 'state']);
    parent.push(['Peru', null], [0, 1]);
    parent.push(['Japan', 'Osaka'], [0, 1]);
    parent.seal();
    const rules: ParentCopyRule[] = [
      { table: { schema: 'public', name: 'invoice' }, column: 'billing_country', foreignKey: 'invoice_customer_fkey', parentColumn: 'country', support: 180, parents: 60, nulls: false },
      { table: { schema: 'public', name: 'invoice' }, column: 'billing_state', foreignKey: 'invoice_customer_fkey', parentColumn: 'state', support: 135, parents: 45, nulls: true },
    ];
    const names = invoice.columns.map((c) => c.name);
    const parentOf = [1, 0, -1];
    const apply = createCopyEnforcer(invoice, names, rules, () => ({ parentOf: (i) => parentOf[i] ?? -1, parent }))!;
    const rows: Row[] = [
      [1, 2, 'x', 'y', true, 'n', '1.00'],
      [2, 1, 'x', 'y', true, 'n', '1.00'],
      [3, null, 'x', 'y', true, 'n', '1.00'],
    ];
    apply(rows, 0);
    expect(rows.map((r) => [r[2], r[3]])).toEqual([['Japan', 'Osaka'], ['Peru', null], ['x', 'y']]);
    expect(createCopyEnforcer(invoice, names, rules, () => null)).toBeNull();
  });
});

describe('copiedParentColumns and describeParentCopy', () => {
  it("name the parent's columns a child's copies read, and the rule with its support", () => {
    const rules = detect(0);
    expect(copiedParentColumns(rules, 'public.invoice', () => 'public.customer')).toEqual(new Map([['public.customer', expect.arrayContaining(['country', 'state'])]]));
    expect(copiedParentColumns(rules, 'public.customer', () => 'public.customer').size).toBe(0);
    expect(describeParentCopy(rules.find((r) => r.column === 'billing_state')!, 'customer')).toBe('public.invoice.billing_state = customer.state through invoice_customer_fkey (135 rows, 45 parents, NULL with it)');
  });
});

import { describe, expect, it } from 'vitest';
import { describeColumns, MIN_CATEGORY_COUNT } from '../../src/generation/metadata.js';
import { fitBaseline } from '../../src/generation/baseline/baseline-model.js';
import { fitEncoder } from '../../src/generation/learned/encoders.js';
import { seededRng } from '../../src/generation/learned/seeded-rng.js';
import { createRng } from '../../src/generation/rng.js';
import type { TableSample } from '../../src/generation/model.js';
import type { Row, Value } from '../../src/schema/values.js';
import { CHINOOK_COUNTRIES } from '../fixtures/chinook-countries.js';
import { col, int4, pk, table, text } from './fixtures.js';

const countries = CHINOOK_COUNTRIES.flatMap(([c, n]) => Array.from({ length: n }, () => c));
const frequent = new Set(CHINOOK_COUNTRIES.filter(([, n]) => n >= MIN_CATEGORY_COUNT).map(([c]) => c));
const firstNames = ['Luís', 'Leonie', 'François', 'Bjørn', 'František', 'Helena', 'Astrid', 'Daan', 'Kara', 'Eduardo', 'Alexandre', 'Roberto', 'Fernanda', 'Mark', 'Jennifer'];

const customer = table(
  'customer',
  [col('id', int4), col('first_name', text), col('email', text), col('country', text), col('city', text), col('support_rep', int4), col('credit', { kind: 'decimal', precision: 10, scale: 2 })],
  { primaryKey: pk('id') },
);
const customerSample: TableSample = {
  table: { schema: 'public', name: 'customer' },
  totalRows: 59,
  columns: customer.columns.map((c) => c.name),
  rows: countries.map((country, i): Row => [i + 1, firstNames[i % firstNames.length]! + (i >= 15 ? String(i) : ''), `user${i}@example.com`, country, `City ${i}`, 3 + (i % 3), 100 + ((i * 37) % 59) * 1.37]),
};

const line = table('invoice_line', [col('id', int4), col('unit_price', { kind: 'decimal', precision: 10, scale: 2 }), col('discount', { kind: 'float', bytes: 4 })], { primaryKey: pk('id') });
const lineSample: TableSample = {
  table: { schema: 'public', name: 'invoice_line' },
  totalRows: 200,
  columns: ['id', 'unit_price', 'discount'],
  // 0.5 once: off the menu, so never emitted.
  rows: Array.from({ length: 200 }, (_, i): Row => [i + 1, i % 10 === 0 ? '1.99' : '0.99', i === 7 ? 0.5 : [0, 0, 0, 0.05, 0.1, 0.15, 0.2, 0.25][i % 8]!]),
};

const roles = (t: typeof customer, s: TableSample) => Object.fromEntries(describeColumns(t, s).map((m) => [m.column, m.role]));

describe('category roles from repeated values', () => {
  it('a small table’s repeating text is a category; mostly unique names, emails and cities stay text', () => {
    expect(roles(customer, customerSample)).toMatchObject({ country: 'categorical', first_name: 'text', email: 'text', city: 'text', credit: 'numerical' });
  });

  it('a personal column whose values repeat (a demo’s last names) stays text: its repeats are no menu to copy', () => {
    const names = ['Smith', 'Jones', 'Brown', 'Taylor', 'Wilson', 'Davies', 'Evans', 'Thomas', 'Johnson', 'Roberts', 'Walker', 'Wright', 'Hughes', 'Green', 'Hall', 'Wood', 'Clarke', 'Jackson', 'Harris', 'Lewis', 'Martin', 'White', 'Young'];
    const people = table('person', [col('id', int4), col('last_name', text)], { primaryKey: pk('id') });
    const sample: TableSample = { table: { schema: 'public', name: 'person' }, totalRows: 120, columns: ['id', 'last_name'], rows: Array.from({ length: 120 }, (_, i): Row => [i + 1, names[(i * 7) % names.length]!]) };
    expect(roles(people, sample)).toMatchObject({ last_name: 'categorical' });
    expect(roles(people, { ...sample, piiKinds: { last_name: 'last-name' } })).toMatchObject({ last_name: 'text' });
  });

  it('a decimal or float with a small menu is a category, a spread of values stays numerical', () => {
    expect(roles(line, lineSample)).toMatchObject({ unit_price: 'categorical', discount: 'categorical' });
    const few = { ...lineSample, rows: lineSample.rows.slice(0, 12) };
    expect(roles(line, few)).toMatchObject({ unit_price: 'numerical' }); // too few rows to call it a menu
  });

  it('the baseline never emits a category value seen fewer than MIN_CATEGORY_COUNT times', () => {
    const model = fitBaseline(customer, customerSample, describeColumns(customer, customerSample));
    const rows = model.sample(2000, null, createRng(3));
    const i = model.columns.indexOf('country');
    const drawn = new Set(rows.map((r) => r[i] as string));
    expect([...drawn].every((c) => frequent.has(c))).toBe(true);
    expect(drawn.size).toBe(frequent.size);
    const lineModel = fitBaseline(line, lineSample, describeColumns(line, lineSample));
    const lines = lineModel.sample(2000, null, createRng(4));
    const [p, d] = [lineModel.columns.indexOf('unit_price'), lineModel.columns.indexOf('discount')];
    expect(new Set(lines.map((r) => String(r[p])))).toEqual(new Set(['0.99', '1.99']));
    expect([...new Set(lines.map((r) => Number(r[d])))].sort()).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25].map(Math.fround)); // real: single precision
  });

  it('the learned encoder folds rare values into a token that decodes to frequent ones', () => {
    const meta = describeColumns(customer, customerSample).find((m) => m.column === 'country')!;
    const enc = fitEncoder(customer.columns[3]!, meta, countries as Value[])!;
    const rng = seededRng(5);
    const decoded = new Set<Value>();
    for (let t = 0; t < enc.vocabSize; t++) for (let k = 0; k < 50; k++) decoded.add(enc.decode(t, rng));
    decoded.delete(null);
    expect([...decoded].every((c) => frequent.has(c as string))).toBe(true);
    expect(decoded.size).toBe(frequent.size);
    expect(JSON.stringify(enc.toJSON())).not.toContain('Hungary');
  });

  it('a column the PII scan found personal keeps its fakes when its values merely repeat', () => {
    const cities = Array.from({ length: 300 }, (_, i) => `Town ${i % 100}`); // 100 towns, each 3 times
    const t = table('person', [col('id', int4), col('town', text)], { primaryKey: pk('id') });
    const sample: TableSample = { table: { schema: 'public', name: 'person' }, totalRows: 300, columns: ['id', 'town'], rows: cities.map((c, i): Row => [i + 1, c]) };
    expect(roles(t, sample)).toMatchObject({ town: 'categorical' });
    const plain = fitBaseline(t, sample, describeColumns(t, sample)).sample(200, null, createRng(6));
    expect(plain.every((r) => String(r[0]).startsWith('Town '))).toBe(true);
    const personal = fitBaseline(t, { ...sample, piiKinds: { town: 'city' } }, describeColumns(t, sample)).sample(200, null, createRng(6));
    expect(personal.some((r) => String(r[0]).startsWith('Town '))).toBe(false);
  });

  it('past the learned encoder’s own tokens, rare rows still spread over all frequent values', () => {
    // 45 values seen 10 times (5 past the 40 tokens) and 200 values seen once.
    const values: Value[] = [...Array.from({ length: 450 }, (_, i) => `v${i % 45}`), ...Array.from({ length: 200 }, (_, i) => `rare${i}`)];
    const enc = fitEncoder(col('c', text), { table: { schema: 'public', name: 't' }, column: 'c', role: 'categorical' }, values)!;
    const other = enc.encode('rare7');
    const rng = seededRng(9);
    const drawn = Array.from({ length: 4000 }, () => enc.decode(other, rng) as string);
    expect(drawn.every((v) => /^v\d+$/.test(v))).toBe(true);
    // The 5 values past the tokens own 50 of the other token's 250 rows; the rest spreads over the 40 with tokens.
    expect(drawn.filter((v) => enc.encode(v) !== other).length / drawn.length).toBeGreaterThan(0.6);
  });
});

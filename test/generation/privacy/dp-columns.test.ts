import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/connectors/index.js';
import { checkedLiterals, checkedRange, columnCharges, dpColumnSpec, encoderFromSpec, tokenPriors } from '../../../src/generation/privacy/dp-columns.js';
import { PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';
import type { Table } from '../../../src/schema/model.js';
import type { Value } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let table: Table;
let ranged: Table;

beforeAll(async () => {
  db = await createPgDatabase('synth_dpcols');
  await db.exec(`CREATE TABLE t (
    id int PRIMARY KEY,
    a text CHECK (a IN ('x', 'y')),
    b text CHECK ((b = 'north') OR (b = 'south')),
    c text CHECK (char_length(c) > 2),
    n numeric(8,2),
    d date NOT NULL
  );
  CREATE TABLE r (
    id int PRIMARY KEY,
    p numeric(8,2) NOT NULL CHECK (p > 0),
    q int CHECK (q BETWEEN 1 AND 99),
    s int NOT NULL CHECK (0 <= s AND s < 10)
  )`);
  const source = await openSource(db.url);
  const schema = await source.introspect({});
  table = schema.tables.find((t) => t.name === 't')!;
  ranged = schema.tables.find((t) => t.name === 'r')!;
  await source.close();
});
afterAll(async () => {
  await db?.drop();
});

describe('DP column statistics', () => {
  it('CHECK lists of literals are public values; other checks are not', () => {
    expect(checkedLiterals(table, 'a')?.sort()).toEqual(['x', 'y']);
    expect(checkedLiterals(table, 'b')?.sort()).toEqual(['north', 'south']);
    expect(checkedLiterals(table, 'c')).toBeNull();
    expect(checkedLiterals(table, 'n')).toBeNull();
  });

  it('each column spends at most its planned charges (RDP at every order)', () => {
    const rng = SecureRandom.seededForTests('dp-columns');
    const values: Record<string, Value[]> = {
      a: Array.from({ length: 500 }, (_, i) => (i % 2 ? 'x' : 'y')),
      b: Array.from({ length: 500 }, (_, i) => (i % 3 ? 'north' : null)),
      c: Array.from({ length: 500 }, (_, i) => `value-${i % 7}`),
      n: Array.from({ length: 500 }, (_, i) => (i * 3.25).toFixed(2)),
      d: Array.from({ length: 500 }, (_, i) => `2020-01-${String(1 + (i % 28)).padStart(2, '0')}`),
    };
    for (const column of table.columns.filter((c) => c.name !== 'id')) {
      const actual = new PrivacyLedger();
      const spec = dpColumnSpec({ table, column, values: values[column.name]!, epsilon: 0.5, delta: 1e-8, sampleSize: 500, ctx: { ledger: actual, rng } });
      const planned = new PrivacyLedger();
      for (const c of columnCharges(table, column, 0.5, 1e-8, false)) planned.charge(column.name, c);
      expect(actual.spent(1e-6).epsilon, column.name).toBeLessThanOrEqual(planned.spent(1e-6).epsilon + 1e-12);
      if (column.name === 'a') expect(spec.spec).toMatchObject({ type: 'categorical' });
      if (column.name === 'a' && spec.spec.type === 'categorical') expect([...spec.spec.values].sort()).toEqual(['x', 'y']);
    }
  });

  it('CHECK bounds on numbers are public: quantiles stay inside them, and a NOT NULL column too small for its budget gets a value the CHECK accepts', () => {
    expect(checkedRange(ranged, 'p')).toEqual({ lower: { value: 0, strict: true } });
    expect(checkedRange(ranged, 'q')).toEqual({ lower: { value: 1, strict: false }, upper: { value: 99, strict: false } });
    expect(checkedRange(ranged, 's')).toEqual({ lower: { value: 0, strict: false }, upper: { value: 10, strict: true } });
    const rng = SecureRandom.seededForTests('dp-columns');
    const col = (n: string) => ranged.columns.find((c) => c.name === n)!;
    // Three rows at a tiny ε: the bounds are never found, the fallback must still satisfy p > 0.
    const tiny = dpColumnSpec({ table: ranged, column: col('p'), values: ['5.00', '6.00', '7.00'], epsilon: 0.01, delta: 1e-8, sampleSize: 3, ctx: { ledger: new PrivacyLedger(), rng } });
    expect(tiny.spec).toEqual({ type: 'numeric', quantiles: [0.01], integer: false });
    const many = dpColumnSpec({ table: ranged, column: col('s'), values: Array.from({ length: 5000 }, (_, i) => i % 10), epsilon: 2, delta: 1e-8, sampleSize: 5000, ctx: { ledger: new PrivacyLedger(), rng } });
    expect(many.spec.type).toBe('numeric');
    if (many.spec.type === 'numeric') for (const x of many.spec.quantiles) expect(x >= 0 && x <= 9).toBe(true);
  });

  it('names a column whose budget located none of its values (onFallback), and only then', () => {
    const rng = SecureRandom.seededForTests('dp-fallback');
    const told: string[] = [];
    const onFallback = (what: string) => told.push(what);
    const n = table.columns.find((c) => c.name === 'n')!;
    const c = table.columns.find((x) => x.name === 'c')!;
    const prices = Array.from({ length: 200 }, (_, i) => (3 + ((i * 37) % 120)).toFixed(2));
    const words = Array.from({ length: 200 }, (_, i) => ['book', 'tool', 'food', 'toy'][i % 4]!);
    // 200 rows at ε 0.01: neither the bounds nor a vocabulary entry clear their thresholds (both columns are nullable:
    // the noisy NULL share moves the row figure).
    dpColumnSpec({ table, column: n, values: prices, epsilon: 0.01, delta: 1e-8, sampleSize: 200, ctx: { ledger: new PrivacyLedger(), rng }, onFallback });
    dpColumnSpec({ table, column: c, values: words, epsilon: 0.01, delta: 1e-8, sampleSize: 200, ctx: { ledger: new PrivacyLedger(), rng }, onFallback });
    expect(told).toHaveLength(2);
    expect(told[0]).toMatch(/^n: its DP bounds located no value at ε 0\.008\d* over ~\d+ rows, generated as NULL$/);
    expect(told[1]).toMatch(/^c: no value cleared the vocabulary threshold at ε 0\.004\d* over ~\d+ rows, generated as text of its DP length and character profile$/);
    // The same columns at a generous ε: located, nothing told.
    told.length = 0;
    dpColumnSpec({ table, column: n, values: prices, epsilon: 20, delta: 1e-8, sampleSize: 200, ctx: { ledger: new PrivacyLedger(), rng }, onFallback });
    const cat = dpColumnSpec({ table, column: c, values: words, epsilon: 20, delta: 1e-8, sampleSize: 200, ctx: { ledger: new PrivacyLedger(), rng }, onFallback });
    expect(cat.spec.type).toBe('categorical');
    expect(told).toEqual([]);
  });

  it('a small numeric column gives its bounds most of its budget: 200 prices at ε 0.2 are located, within the plan', () => {
    const rng = SecureRandom.seededForTests('dp-small-bounds');
    const n = table.columns.find((c) => c.name === 'n')!;
    const prices = Array.from({ length: 200 }, (_, i) => (3 + ((i * 37) % 120)).toFixed(2));
    let located = 0;
    for (let run = 0; run < 20; run++) {
      const actual = new PrivacyLedger();
      const spec = dpColumnSpec({ table, column: n, values: prices, epsilon: 0.2, delta: 1e-8, sampleSize: 200, ctx: { ledger: actual, rng } });
      const planned = new PrivacyLedger();
      for (const c of columnCharges(table, n, 0.2, 1e-8, false)) planned.charge('n', c);
      expect(actual.spent(1e-6).epsilon).toBeLessThanOrEqual(planned.spent(1e-6).epsilon + 1e-12);
      if (spec.spec.type === 'numeric' && spec.spec.quantiles.length > 1) located++;
    }
    // With 30 % on the bounds (ε 0.048: a threshold of ~150 rows per log-scale bin) 2 of 20 were located.
    expect(located).toBeGreaterThanOrEqual(16);
  });

  it('token priors for the learned model come from the DP spec and match the encoder vocabulary', () => {
    const rng = SecureRandom.seededForTests('dp-columns');
    const col = table.columns.find((c) => c.name === 'b')!;
    const spec = dpColumnSpec({ table, column: col, values: Array.from({ length: 600 }, (_, i) => (i % 3 === 0 ? null : i % 3 === 1 ? 'north' : 'south')), epsilon: 2, delta: 1e-8, sampleSize: 600, ctx: { ledger: new PrivacyLedger(), rng } });
    const enc = encoderFromSpec(col, spec)!;
    const priors = tokenPriors(col, spec)!;
    expect(priors.length).toBe(enc.vocabSize);
    expect(priors.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    // NULL is about a third of the rows and is token 0.
    expect(priors[0]).toBeGreaterThan(0.2);
    expect(priors[0]).toBeLessThan(0.45);
  });
});

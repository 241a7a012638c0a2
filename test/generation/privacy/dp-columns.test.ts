import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/connectors/index.js';
import { checkedLiterals, columnCharges, dpColumnSpec } from '../../../src/generation/privacy/dp-columns.js';
import { PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';
import type { Table } from '../../../src/schema/model.js';
import type { Value } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let table: Table;

beforeAll(async () => {
  db = await createPgDatabase('synth_dpcols');
  await db.exec(`CREATE TABLE t (
    id int PRIMARY KEY,
    a text CHECK (a IN ('x', 'y')),
    b text CHECK ((b = 'north') OR (b = 'south')),
    c text CHECK (char_length(c) > 2),
    n numeric(8,2),
    d date NOT NULL
  )`);
  const source = await openSource(db.url);
  table = (await source.introspect({})).tables.find((t) => t.name === 't')!;
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
    const rng = SecureRandom.secure();
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
});

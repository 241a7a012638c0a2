import { describe, expect, it } from 'vitest';
import { consistentRoles, createRoleEnforcer, describeParentRole, detectParentRoles, mayHoldRole, roleForeignKeys, type ParentRoleRule } from '../../src/generation/parent-roles.js';
import type { Row } from '../../src/schema/values.js';
import { col, int4, pk, table, varchar } from './fixtures.js';

const employee = table('employee', [col('id', int4, { nullable: false }), col('name', varchar(40)), col('title', varchar(30)), col('city', varchar(40)), col('country', varchar(40))], { primaryKey: pk('id') });
const names = employee.columns.map((c) => c.name);
// Chinook's 8 employees: 3 'Sales Support Agent's (ids 3–5) have all the customers; 5 live in Calgary, 3 of them the agents.
const TITLES = ['General Manager', 'Sales Manager', 'Sales Support Agent', 'Sales Support Agent', 'Sales Support Agent', 'IT Manager', 'IT Staff', 'IT Staff'];
const CITIES = ['Edmonton', 'Calgary', 'Calgary', 'Calgary', 'Calgary', 'Calgary', 'Lethbridge', 'Lethbridge'];
const rows: Row[] = TITLES.map((t, i) => [i + 1, `E${i}`, t, CITIES[i]!, 'Canada']);
const sample = { columns: names, rows };
const customers = { schema: 'public', name: 'customer' };
const counts = [0, 0, 20, 20, 19, 0, 0, 0];

describe('detectParentRoles', () => {
  it("finds the agents' title, not a city shared by chance, a country every row has, nor a personal column", () => {
    const rules = detectParentRoles(employee, sample, counts, customers, 'customer_support_rep_fkey', new Set(['name']));
    expect(rules.map((r) => [r.column, r.value, r.referenced, r.unreferenced, r.unreferencedWithValue])).toEqual([['title', 'Sales Support Agent', 3, 5, 0]]);
    expect(rules[0]!.chance).toBeCloseTo(1 / 56, 6);
  });

  it('needs three referenced parents, some unreferenced ones, and a value that chance does not explain', () => {
    expect(detectParentRoles(employee, sample, [0, 0, 20, 20, 0, 0, 0, 0], customers, 'fk')).toEqual([]);
    expect(detectParentRoles(employee, sample, [1, 1, 1, 1, 1, 1, 1, 1], customers, 'fk')).toEqual([]);
    expect(detectParentRoles(employee, sample, counts, customers, 'fk', new Set(), { maxChance: 0.01 })).toEqual([]);
    // Reps in two titles: no one value.
    expect(detectParentRoles(employee, sample, [0, 0, 20, 20, 19, 0, 4, 0], customers, 'fk').map((r) => r.column)).toEqual([]);
  });
});

describe('mayHoldRole', () => {
  it('asks for a value on about the referenced share of the rows before any child is counted', () => {
    // 3 of 8 referenced: the 3 agents' title (and Calgary's 5) are common enough; with a personal title, only the city.
    expect(mayHoldRole(employee, sample, 3 / 8)).toBe(true);
    expect(mayHoldRole(employee, sample, 3 / 8, new Set(['title', 'city', 'country']))).toBe(false);
    // Every value of a column spread over its rows: no role for a FK that references most of them.
    const spread = { columns: names, rows: rows.map((r, i) => [r[0]!, r[1]!, `T${i}`, `C${i}`, null]) };
    expect(mayHoldRole(employee, spread, 0.9)).toBe(false);
  });
});

describe('consistentRoles and roleForeignKeys', () => {
  const rule = (value: string, fk: string): ParentRoleRule => ({ table: { schema: 'public', name: 'employee' }, column: 'title', value, child: customers, foreignKey: fk, referenced: 3, unreferenced: 5, unreferencedWithValue: 0, chance: 0.02 });
  it('keeps the first value of a column when two FKs disagree, and names the FKs roles read', () => {
    const kept = consistentRoles([rule('Agent', 'a'), rule('Manager', 'b'), rule('Agent', 'c')]);
    expect(kept.map((r) => r.foreignKey)).toEqual(['a', 'c']);
    expect(roleForeignKeys(kept)).toEqual(new Set(['public.customer.a', 'public.customer.c']));
    expect(roleForeignKeys(undefined).size).toBe(0);
  });
});

describe('createRoleEnforcer', () => {
  it('gives the value to exactly the generated parents that get a child', () => {
    const [rule] = detectParentRoles(employee, sample, counts, customers, 'customer_support_rep_fkey');
    const childParents = [4, 4, 9, -1, 2, 9];
    const apply = createRoleEnforcer(employee, names, 10, [rule!], () => ({ rows: childParents.length, parentOf: (i) => childParents[i] ?? -1 }))!;
    const batch: Row[] = Array.from({ length: 10 }, (_, i) => [i + 1, `E${i}`, 'IT Staff', 'Calgary', 'Canada']);
    apply(batch.slice(0, 5), 0);
    apply(batch.slice(5), 5);
    // apply writes in place: rows 2, 4 and 9 of the table.
    expect(batch.map((r) => r[2])).toEqual(['IT Staff', 'IT Staff', 'IT Staff', 'IT Staff', 'IT Staff', 'IT Staff', 'IT Staff', 'IT Staff', 'IT Staff', 'IT Staff'].map((t, i) => ([2, 4, 9].includes(i) ? 'Sales Support Agent' : t)));
    expect(createRoleEnforcer(employee, names, 10, [rule!], () => null)).toBeNull();
  });

  it('describes the rule with its reason', () => {
    const [rule] = detectParentRoles(employee, sample, counts, customers, 'customer_support_rep_fkey');
    expect(describeParentRole(rule!)).toBe('public.employee.title = "Sales Support Agent" on every row public.customer references through customer_support_rep_fkey (3 of 8 sampled rows; 0 of the other 5 have it; chance 1.8 %)');
  });
});

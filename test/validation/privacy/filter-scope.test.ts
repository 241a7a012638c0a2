/**
 * Which tables the copy filters guard (filter-scope.ts), on the shapes of the sample databases: northwind's customers
 * (names, phones: personal), their orders and order lines (linked), its products (a product name is no one's); world's
 * countrylanguage under country (no personal column anywhere: left alone).
 */
import { describe, expect, it } from 'vitest';
import type { PiiKind } from '../../../src/generation/privacy/pii-config.js';
import type { DatabaseSchema } from '../../../src/schema/model.js';
import { decideFilterScopes, describeScope, personalColumns, type ScopeInput } from '../../../src/validation/privacy/filter-scope.js';

/** Tables with their foreign keys' parents (all the decision reads of a schema). */
function schemaOf(tables: Record<string, string[]>): DatabaseSchema {
  return {
    tables: Object.entries(tables).map(([name, parents]) => ({
      schema: 'public',
      name,
      foreignKeys: parents.map((p, i) => ({ name: `${name}_fk${i}`, columns: [`${p}_id`], references: { schema: 'public', name: p, columns: ['id'] } })),
    })),
  } as unknown as DatabaseSchema;
}

const kinds = (k: Record<string, PiiKind>) => ({ piiKinds: k });

describe('decideFilterScopes', () => {
  const schema = schemaOf({
    // Listed children first: the decision must not depend on the order of the tables.
    shipment: ['order_details'],
    order_details: ['orders', 'products'],
    orders: ['customers', 'employees', 'shippers'],
    customers: [],
    employees: ['employees'],
    shippers: [],
    products: ['categories'],
    categories: [],
    countrylanguage: ['country'],
    country: [],
    city: ['country'],
  });
  const scopes = decideFilterScopes(
    schema,
    new Map<string, ScopeInput>([
      ['public.customers', kinds({ company_name: 'company-name', contact_name: 'person-name', phone: 'phone', city: 'city' })],
      ['public.employees', kinds({ last_name: 'last-name', birth_date: 'date-of-birth' })],
      ['public.products', kinds({ product_name: 'product-name' })],
      ['public.orders', kinds({ ship_city: 'city' })],
      ['public.order_details', {}],
      ['public.shipment', {}],
      ['public.categories', {}],
      ['public.countrylanguage', {}],
      ['public.country', {}],
      ['public.city', {}],
    ]),
  );

  it('guards personal tables and the tables that reference them, directly or through others', () => {
    expect(scopes.get('public.customers')).toEqual({ guarded: true, personal: ['city', 'company_name', 'contact_name', 'phone'] });
    expect(scopes.get('public.orders')).toEqual({ guarded: true, personal: ['ship_city'] });
    expect(scopes.get('public.order_details')).toEqual({ guarded: true, linkedTo: 'public.orders' });
    // Through a table of no personal column of its own: the person is the one its parent reaches.
    expect(scopes.get('public.shipment')).toEqual({ guarded: true, linkedTo: 'public.orders' });
    expect(describeScope('public.shipment', scopes.get('public.shipment')!)).toBe('public.shipment reaches public.orders through foreign keys, and that table holds personal columns');
  });

  it('leaves reference data alone: a product name is no one, nor is a country or its languages', () => {
    expect(scopes.get('public.products')).toEqual({ guarded: false });
    expect(scopes.get('public.categories')).toEqual({ guarded: false });
    expect(scopes.get('public.countrylanguage')).toEqual({ guarded: false });
    expect(scopes.get('public.city')).toEqual({ guarded: false });
  });

  it('a self-reference does not make a table personal; a configured transform does', () => {
    const s = decideFilterScopes(schemaOf({ node: ['node'], leaf: ['node'] }), new Map<string, ScopeInput>([['public.node', {}], ['public.leaf', {}]]));
    expect(s.get('public.node')!.guarded).toBe(false);
    expect(personalColumns({ piiKinds: { title: 'product-name' }, transformed: ['notes'] })).toEqual(['notes']);
    const t = decideFilterScopes(schemaOf({ node: ['node'], leaf: ['node'] }), new Map<string, ScopeInput>([['public.node', { transformed: ['notes'] }], ['public.leaf', {}]]));
    expect(t.get('public.leaf')).toEqual({ guarded: true, linkedTo: 'public.node' });
  });
});

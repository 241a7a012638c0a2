/**
 * Company and product names that read as names: a northwind-like source (customers, shippers, suppliers, products,
 * orders shipping to a company name), written from memory, hydrated on real PostgreSQL. No lorem words or random
 * letters in those columns, no source company name anywhere in the output (ship_name included), the same rows on
 * a rerun; TPC-H-like code names (`Supplier#000000001`) and a recipient column of people's names are left alone.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import type { TableSample } from '../../src/generation/model.js';
import { detectPii } from '../../src/generation/privacy/pii-detect.js';
import { freshFake, transformValue } from '../../src/generation/privacy/pii-transform.js';
import { businessNameRule, fakeCompanyName, fakeProductName, hasLegalForm, readsAsNames } from '../../src/generation/privacy/name-fakes.js';
import { createRng } from '../../src/generation/rng.js';
import { hydrate, introspectAndPlan } from '../../src/pipeline/index.js';
import { rulesConfigInput } from '../support/app-rules.js';
import { pgHydrationFixture } from '../support/databases.js';

const COMPANIES = [
  'Alfreds Futterkiste', 'Ana Trujillo Emparedados y helados', 'Antonio Moreno Taquería', 'Around the Horn', 'Berglunds snabbköp',
  'Blauer See Delikatessen', 'Blondesddsl père et fils', 'Bólido Comidas preparadas', "Bon app'", 'Bottom-Dollar Markets',
  "B's Beverages", 'Cactus Comidas para llevar', 'Centro comercial Moctezuma', 'Chop-suey Chinese', 'Comércio Mineiro',
  'Consolidated Holdings', 'Drachenblut Delikatessen', 'Du monde entier', 'Eastern Connection', 'Ernst Handel',
  'Familia Arquibaldo', 'Folies gourmandes', 'Folk och fä HB', 'Frankenversand', 'France restauration', 'Franchi S.p.A.',
  'Furia Bacalhau e Frutos do Mar', 'Galería del gastrónomo', 'Godos Cocina Típica', 'Gourmet Lanchonetes', 'Great Lakes Food Market',
  'Hanari Carnes', 'HILARION-Abastos', 'Hungry Coyote Import Store', 'Island Trading', 'Königlich Essen', 'La corne d\'abondance',
  'La maison d\'Asie', 'Laughing Bacchus Wine Cellars', 'Lazy K Kountry Store', 'Lehmanns Marktstand', "Let's Stop N Shop",
  'LILA-Supermercado', 'Magazzini Alimentari Riuniti', 'Maison Dewey', 'Morgenstern Gesundkost', 'North/South', 'Océano Atlántico Ltda.',
  'Old World Delicatessen', 'Ottilies Käseladen', 'Paris spécialités', 'Pericles Comidas clásicas', 'Piccolo und mehr', 'Princesa Isabel Vinhos',
  'Que Delícia', 'Queen Cozinha', 'QUICK-Stop', 'Rancho grande', 'Rattlesnake Canyon Grocery', 'Reggiani Caseifici', 'Ricardo Adocicados',
];
const SHIPPERS = ['Speedy Express', 'United Package', 'Federal Shipping'];
const SUPPLIERS = [
  'Exotic Liquids', 'New Orleans Cajun Delights', "Grandma Kelly's Homestead", 'Tokyo Traders', "Cooperativa de Quesos 'Las Cabras'",
  "Mayumi's", 'Pavlova, Ltd.', 'Specialty Biscuits, Ltd.', 'PB Knäckebröd AB', 'Refrescos Americanas LTDA', 'Heli Süßwaren GmbH & Co. KG',
  'Plutzer Lebensmittelgroßmärkte AG', 'Nord-Ost-Fisch Handelsgesellschaft mbH', 'Formaggi Fortini s.r.l.', 'Norske Meierier',
  'Bigfoot Breweries', 'Svensk Sjöföda AB', 'Aux joyeux ecclésiastiques', 'New England Seafood Cannery', 'Leka Trading',
];
const PRODUCTS = [
  'Chai', 'Chang', 'Aniseed Syrup', "Chef Anton's Cajun Seasoning", "Chef Anton's Gumbo Mix", "Grandma's Boysenberry Spread",
  "Uncle Bob's Organic Dried Pears", 'Northwoods Cranberry Sauce', 'Mishi Kobe Niku', 'Ikura', 'Queso Cabrales', 'Queso Manchego La Pastora',
  'Konbu', 'Tofu', 'Genen Shouyu', 'Pavlova', 'Alice Mutton', 'Carnarvon Tigers', 'Teatime Chocolate Biscuits', "Sir Rodney's Marmalade",
  "Sir Rodney's Scones", "Gustaf's Knäckebröd", 'Tunnbröd', 'Guaraná Fantástica', 'NuNuCa Nuß-Nougat-Creme', 'Gumbär Gummibärchen',
  'Schoggi Schokolade', 'Rössle Sauerkraut', 'Thüringer Rostbratwurst', 'Nord-Ost Matjeshering', 'Gorgonzola Telino', 'Mascarpone Fabioli',
  'Geitost', 'Sasquatch Ale', 'Steeleye Stout', 'Inlagd Sill', 'Gravad lax', 'Côte de Blaye', 'Chartreuse verte', 'Boston Crab Meat',
];
const PEOPLE = ['Maria Anderson', 'Thomas Hardy', 'Christina Miller', 'Hanna Brown', 'Laurence Taylor', 'Elizabeth Lincoln', 'Victoria Johnson', 'Patricia Simpson'];

const q = (v: string) => `'${v.replace(/'/g, "''")}'`;

function fixtureSql(): string {
  const customers = COMPANIES.map((c, i) => `('C${String(i).padStart(4, '0')}', ${q(c)}, ${q(PEOPLE[i % PEOPLE.length]!)})`);
  const suppliers = SUPPLIERS.map((s, i) => `(${i + 1}, ${q(s)})`);
  const products = PRODUCTS.map((p, i) => `(${i + 1}, ${q(p)}, ${1 + (i % SUPPLIERS.length)}, ${(5 + ((i * 37) % 90)).toFixed(2)})`);
  // Most orders ship to their customer's own company name, some to another one (as in northwind), so ship_name is a
  // repeated text of real company names rather than a copy of the parent's column.
  const orders = Array.from({ length: 400 }, (_, i) => {
    const c = (i * 7) % COMPANIES.length;
    const ship = i % 9 === 0 ? COMPANIES[(c + 5) % COMPANIES.length]! : COMPANIES[c]!;
    return `(${10248 + i}, 'C${String(c).padStart(4, '0')}', ${1 + (i % 3)}, ${q(ship)}, ${q(PEOPLE[(i * 3) % PEOPLE.length]!)}, ${((i * 13) % 200) + 0.5})`;
  });
  const parts = Array.from({ length: 60 }, (_, i) => `(${i + 1}, 'Supplier#${String(i + 1).padStart(9, '0')}', 'Customer#${String(i + 1).padStart(9, '0')}')`);
  return `
    CREATE TABLE customers (customer_id varchar(5) PRIMARY KEY, company_name varchar(40) NOT NULL, contact_name varchar(30));
    CREATE TABLE shippers (shipper_id smallint PRIMARY KEY, company_name varchar(40) NOT NULL, phone varchar(24));
    CREATE TABLE suppliers (supplier_id smallint PRIMARY KEY, company_name varchar(40) NOT NULL);
    CREATE TABLE products (product_id smallint PRIMARY KEY, product_name varchar(40) NOT NULL,
      supplier_id smallint REFERENCES suppliers, unit_price numeric(10,2));
    CREATE TABLE orders (order_id smallint PRIMARY KEY, customer_id varchar(5) REFERENCES customers,
      ship_via smallint REFERENCES shippers, ship_name varchar(40), deliver_to_name varchar(40), freight numeric(10,2));
    CREATE TABLE catalog_items (item_id smallint PRIMARY KEY, product_name varchar(40) NOT NULL);
    CREATE TABLE order_lines (line_id integer PRIMARY KEY, order_id smallint NOT NULL REFERENCES orders,
      item_id smallint NOT NULL REFERENCES catalog_items, quantity integer NOT NULL);
    CREATE TABLE tpch_names (id integer PRIMARY KEY, s_name varchar(25) NOT NULL, c_name varchar(25) NOT NULL);
    INSERT INTO customers VALUES ${customers.join(',\n')};
    INSERT INTO shippers VALUES (1, 'Speedy Express', '(503) 555-9831'), (2, 'United Package', '(503) 555-3199'), (3, 'Federal Shipping', '(503) 555-9931');
    INSERT INTO suppliers VALUES ${suppliers.join(',\n')};
    INSERT INTO products VALUES ${products.join(',\n')};
    INSERT INTO orders VALUES ${orders.join(',\n')};
    INSERT INTO tpch_names VALUES ${parts.join(',\n')};
    INSERT INTO catalog_items SELECT i, (ARRAY[${PRODUCTS.map(q).join(', ')}])[i] FROM generate_series(1, 20) i;
    INSERT INTO order_lines SELECT g, 10248 + (g * 7) % 400, 1 + g % 20, 1 + g % 9 FROM generate_series(1, 600) g;`;
}

const env = pgHydrationFixture('h11_biz', fixtureSql());

const LOREM = /\b(lorem|ipsum|dolor|amet|consectetur|adipiscing|eiusmod|tempor|incididunt|labore|dolore|magna|aliqua|veniam|nostrud|ullamco|laboris|aliquip|commodo|consequat|reprehenderit|voluptate|cillum|fugiat|pariatur|excepteur|occaecat|cupidatat|proident|deserunt|mollit|laborum)\b/i;

describe('business name fakes', () => {
  it('read company and product names from the column and table names, not codes or people', async () => {
    const config = parseConfig(rulesConfigInput(env, 'baseline', { referenceMaxRows: 0, epochs: 1, quality: false }));
    const source = await openSource(config.source.url);
    try {
      const { schema } = await introspectAndPlan(source, config);
      const kinds: Record<string, string> = {};
      for (const table of schema.tables) {
        const rows = await env.source.query<Record<string, unknown>>(`SELECT * FROM ${table.name}`);
        const columns = table.columns.map((c) => c.name);
        const sample: TableSample = { table: { schema: table.schema, name: table.name }, totalRows: rows.length, columns, rows: rows.map((r) => columns.map((c) => (r[c] ?? null) as string | number | null)) };
        for (const f of detectPii(table, sample)) kinds[`${table.name}.${f.column}`] = f.kind;
      }
      expect(kinds).toMatchObject({
        'customers.company_name': 'company-name',
        'shippers.company_name': 'company-name',
        'suppliers.company_name': 'company-name',
        'products.product_name': 'product-name',
        'orders.ship_name': 'company-name',
        // A recipient column holding people's names stays a person's name.
        'orders.deliver_to_name': 'person-name',
      });
      // Codes in a name column (TPC-H's c_name, s_name) are no names to fake.
      expect(kinds['tpch_names.s_name']).toBeUndefined();
      expect(kinds['tpch_names.c_name']).toBeUndefined();
    } finally {
      await source.close();
    }
    expect(businessNameRule('suppliers', 'name')?.kind).toBe('company-name');
    expect(businessNameRule('products', 'name')?.kind).toBe('product-name');
    expect(businessNameRule('customers', 'company_id')).toBeNull();
    expect(readsAsNames(['Supplier#000000001', 'Supplier#000000002'])).toBe(false);
    expect(SUPPLIERS.filter(hasLegalForm)).toEqual(['Pavlova, Ltd.', 'Specialty Biscuits, Ltd.', 'PB Knäckebröd AB', 'Refrescos Americanas LTDA', 'Heli Süßwaren GmbH & Co. KG', 'Plutzer Lebensmittelgroßmärkte AG', 'Nord-Ost-Fisch Handelsgesellschaft mbH', 'Formaggi Fortini s.r.l.', 'Svensk Sjöföda AB']);
  }, 60_000);

  it('fit the column by whole words, deterministically per key and seed', () => {
    const longest = (list: readonly unknown[]) => list[list.length - 1];
    expect(fakeCompanyName(longest as never, 12).length).toBeLessThanOrEqual(12);
    expect(fakeProductName(longest as never, 10)).not.toMatch(/\s$/);
    const a = transformValue('company-name', 'Lazy K Kountry Store', 'k1');
    expect(a).toBe(transformValue('company-name', 'Lazy K Kountry Store', 'k1'));
    expect(a).not.toBe('Lazy K Kountry Store');
    const draw = (seed: number) => Array.from({ length: 50 }, ((rng) => () => freshFake('product-name', rng))(createRng(seed)));
    expect(draw(7)).toEqual(draw(7));
    expect(new Set(draw(7)).size).toBeGreaterThan(40);
  });

  it('hydrate plausible names, none of them a source company name, the same on a rerun', async () => {
    const config = parseConfig(rulesConfigInput(env, 'baseline', { referenceMaxRows: 0, epochs: 1, quality: false }));
    const read = async () => ({
      customers: (await env.target.query<{ v: string }>('SELECT company_name AS v FROM customers ORDER BY customer_id')).map((r) => r.v),
      shippers: (await env.target.query<{ v: string }>('SELECT company_name AS v FROM shippers ORDER BY shipper_id')).map((r) => r.v),
      suppliers: (await env.target.query<{ v: string }>('SELECT company_name AS v FROM suppliers ORDER BY supplier_id')).map((r) => r.v),
      products: (await env.target.query<{ v: string }>('SELECT product_name AS v FROM products ORDER BY product_id')).map((r) => r.v),
      ships: (await env.target.query<{ v: string | null }>('SELECT ship_name AS v FROM orders ORDER BY order_id')).map((r) => r.v),
      tpch: (await env.target.query<{ v: string }>('SELECT s_name AS v FROM tpch_names ORDER BY id')).map((r) => r.v),
    });
    const first = await hydrate({ config, target: 'dev' });
    expect(first.status).toBe('ok');
    expect(first.integrity.totalViolations).toBe(0);
    const out = await read();
    const real = new Set([...COMPANIES, ...SHIPPERS, ...SUPPLIERS].map((s) => s.toLowerCase()));
    const companyLike = /^[\p{Lu}][\p{L}' -]+(?:(?: - |, | and | )[\p{Lu}][\p{L}' -]*)*$/u;
    for (const [name, values] of Object.entries({ customers: out.customers, shippers: out.shippers, suppliers: out.suppliers, ships: out.ships })) {
      const set = (values as Array<string | null>).filter((v): v is string => v !== null);
      expect(set.length, name).toBeGreaterThan(0);
      expect(set.filter((v) => real.has(v.toLowerCase())), name).toEqual([]);
      expect(set.filter((v) => LOREM.test(v)), name).toEqual([]);
      expect(set.filter((v) => !companyLike.test(v)), name).toEqual([]);
    }
    expect(out.ships.length).toBe(400);
    // "Adjective Material Product": three capitalised words, none of them lorem or a source product.
    expect(out.products.filter((v) => !/^[A-Z][a-z]+ [A-Z][a-z]+ [A-Z][a-z]+$/.test(v))).toEqual([]);
    expect(out.products.filter((v) => PRODUCTS.includes(v))).toEqual([]);
    // The code column keeps its text model (no company name there).
    expect(out.tpch.every((v) => !/ (LLC|Inc|Group|and Sons)$| - |, /.test(v))).toBe(true);

    const again = await hydrate({ config, target: 'dev' });
    expect(again.status).toBe('ok');
    expect(await read()).toEqual(out);
  }, 120_000);

  it('leave a product catalogue that is reference data as it is, and still fake company names', async () => {
    const config = parseConfig(rulesConfigInput(env, 'baseline', { referenceMaxRows: 5000, epochs: 1, quality: false }));
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const items = (await env.target.query<{ v: string }>('SELECT product_name AS v FROM catalog_items ORDER BY item_id')).map((r) => r.v);
    expect(items).toEqual(PRODUCTS.slice(0, 20));
    // A shipper's company name makes it personal: not copied, faked.
    const shippers = (await env.target.query<{ v: string }>('SELECT company_name AS v FROM shippers')).map((r) => r.v);
    expect(shippers.filter((v) => SHIPPERS.includes(v))).toEqual([]);
  }, 120_000);
});

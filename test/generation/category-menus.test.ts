import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { MIN_CATEGORY_COUNT } from '../../src/generation/metadata.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';
import { CHINOOK_COUNTRIES } from '../fixtures/chinook-countries.js';

// What hydrating chinook and northwind showed: a 59-customer table's countries came out as random tokens, 0.99/1.99
// unit prices as 1.01/1.97 and a `real` discount of 0 as 1e-09. Countries seen once must not come out at all.
const FIXTURE = `
CREATE TABLE customer (id serial PRIMARY KEY, first_name text NOT NULL, email text NOT NULL, country text NOT NULL);
INSERT INTO customer (first_name, email, country)
  SELECT 'Name' || left(md5(c || k), 6), 'user' || left(md5(c || k), 8) || '@example.com', c
  FROM (VALUES ${CHINOOK_COUNTRIES.map(([c, n]) => `('${c}', ${n})`).join(', ')}) v(c, n), generate_series(1, n) k ORDER BY md5(c || k);
CREATE TABLE invoice_line (id serial PRIMARY KEY, customer_id integer NOT NULL REFERENCES customer(id), unit_price numeric(10,2) NOT NULL, quantity integer NOT NULL, discount real NOT NULL);
INSERT INTO invoice_line (customer_id, unit_price, quantity, discount)
  SELECT 1 + g % 59, CASE WHEN g % 17 = 0 THEN 1.99 ELSE 0.99 END, 1 + g % 3, (ARRAY[0, 0, 0, 0.05, 0.1, 0.15, 0.2, 0.25, 0, 0.1, 0.05])[1 + (g * 7) % 11]
  FROM generate_series(1, 2240) g;
`;

const env = pgHydrationFixture('synth_catmenu', FIXTURE);

describe('categories stay categories (chinook / northwind)', () => {
  for (const model of ['learned', 'baseline'] as const) {
    it(`${model}: only countries seen ≥ ${MIN_CATEGORY_COUNT} times, prices and discounts on the source's menu`, async () => {
      const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, model, seed: 1, outDir: env.outDir });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      // Every invoice line repeats a source line on its (all categorical) attributes: the copy filters must not drop them.
      const counts = await env.target.query<{ c: string; l: string }>('SELECT (SELECT count(*) FROM customer) AS c, (SELECT count(*) FROM invoice_line) AS l');
      expect(counts[0]).toEqual({ c: '59', l: '2240' });
      const frequent = CHINOOK_COUNTRIES.filter(([, n]) => n >= MIN_CATEGORY_COUNT).map(([c]) => c);
      const countries = await env.target.query<{ country: string }>('SELECT DISTINCT country FROM customer');
      expect(countries.length).toBeGreaterThan(1);
      for (const { country } of countries) expect(frequent).toContain(country);
      const prices = await env.target.query<{ p: string }>('SELECT DISTINCT unit_price::text AS p FROM invoice_line ORDER BY 1');
      expect(prices.map((r) => r.p)).toEqual(['0.99', '1.99']);
      const discounts = await env.target.query<{ d: string }>('SELECT DISTINCT discount::text AS d FROM invoice_line ORDER BY 1');
      const menu = await env.source.query<{ d: string }>('SELECT DISTINCT discount::text AS d FROM invoice_line');
      for (const { d } of discounts) expect(menu.map((r) => r.d)).toContain(d);
      // Same seed, same rows.
      const digest = async () =>
        env.target.query<{ h: string }>(
          "SELECT md5((SELECT string_agg(country, ',' ORDER BY id) FROM customer) || (SELECT string_agg(unit_price || '/' || discount, ',' ORDER BY id) FROM invoice_line)) AS h",
        );
      const first = await digest();
      expect((await hydrate({ config, target: 'dev' })).status).toBe('ok');
      expect(await digest()).toEqual(first);
    }, 120_000);
  }
});

/**
 * The copy filters guard the rows that describe someone and leave reference data alone (filter-scope.ts), on one
 * cheap baseline hydrate: a world-like country_language (booleans and percentages on a 0.1 grid, no personal column)
 * passes as generated and the report says why; a customer table (an email: personal) whose compared columns are two
 * categories still ends with no row that matches a real customer, the last copies having one category changed.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { formatFilterCounts } from '../../src/validation/privacy/privacy-report.js';
import { pgHydrationFixture } from '../support/databases.js';

const FIXTURE = `
CREATE TABLE country (code char(3) PRIMARY KEY, name text NOT NULL);
INSERT INTO country SELECT 'C' || lpad(g::text, 2, '0'), 'Land ' || g FROM generate_series(1, 60) g;
CREATE TABLE country_language (
  country_code char(3) NOT NULL REFERENCES country, language text NOT NULL, is_official boolean NOT NULL, percentage real NOT NULL,
  PRIMARY KEY (country_code, language));
INSERT INTO country_language
SELECT 'C' || lpad(g::text, 2, '0'), l.lang, (g + l.i) % 3 = 0, ((g * 37 + l.i * 11) % 1000) / 10.0
FROM generate_series(1, 60) g CROSS JOIN (VALUES (1, 'English'), (2, 'Spanish'), (3, 'Arabic'), (4, 'Hindi'), (5, 'French')) l(i, lang);
-- 3 titles x 5 segments allow 15 rows; the customers hold 6 of them.
CREATE TABLE customer (id serial PRIMARY KEY, email text NOT NULL, title text NOT NULL, segment text NOT NULL);
INSERT INTO customer (email, title, segment)
SELECT 'client' || g || '@example-shop.org', t.title, CASE WHEN g % 2 = 0 THEN t.a ELSE t.b END
FROM generate_series(1, 240) g
JOIN (VALUES (0, 'Owner', 'retail', 'wholesale'), (1, 'Sales Manager', 'online', 'export'), (2, 'Buyer', 'public', 'retail')) t(k, title, a, b) ON t.k = g % 3;
`;

const env = pgHydrationFixture('synth_h5scope', FIXTURE);

describe('copy filters scoped to the rows that describe someone', () => {
  it('leave country_language as generated and say why; no customer row matches a real one', async () => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: env.outDir, model: 'baseline', seed: 5 });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const filters = result.privacy!.filters;

    const lang = filters['public.country_language']!;
    expect(lang).toMatchObject({ unguarded: true, total: 300, kept: 300, regenerated: 0, exactCopies: 0, nearCopies: 0 });
    expect(lang.variety!.columns).toEqual(['is_official', 'percentage']);
    const line = formatFilterCounts(result.privacy!, result.quality);
    expect(line).toMatch(
      /Privacy filters left alone \(no one's rows\): public\.country_language 300 rows as generated: it holds no personal column and references no table that does, and \(is_official, percentage\) allow only \d+ distinct rows \(2 × \d+ values; the source holds \d+\), so a match singles out no one; the quality report's \d+ of 300 rows matching a source row are matches on these columns, not copies of anyone/,
    );

    // The guarantee where rows are someone's: redraws fix most copies, a changed category the rest.
    const customer = filters['public.customer']!;
    expect(customer.exactCopies).toBeGreaterThan(50);
    expect(customer.recategorized).toBeGreaterThan(0);
    expect(customer.unresolved).toBe(0);
    const nrs = result.quality!.diagnostics.details.find((d) => d.metric === 'NewRowSynthesis' && d.table === 'customer')!;
    expect(nrs.checkedRows).toBe(240);
    expect(nrs.newRows).toBe(240);
    expect(line).toMatch(/public\.customer \d+ \(exact \d+, near 0, outliers 0, \d+ with one category changed\)/);
  }, 120_000);
});

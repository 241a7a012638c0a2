import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { generatedRowCount, rowCountError, smallTableWarning, SMALL_TABLE_RELATIVE_ERROR } from '../../src/generation/privacy/dp-row-counts.js';
import { COUNT_MAX_SHARE, COUNT_RELATIVE_ERROR, countEpsilon } from '../../src/generation/privacy/dp-budget.js';
import { pgHydrationFixture } from '../support/databases.js';
import { runCli } from '../support/cli.js';

// A geography database: a 5-row continent lookup under 200 countries, 3 000 cities and their languages.
const FIXTURE = `
CREATE TABLE continent (id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO continent VALUES (1, 'Africa'), (2, 'Americas'), (3, 'Asia'), (4, 'Europe'), (5, 'Oceania');
CREATE TABLE country (id serial PRIMARY KEY, continent_id integer NOT NULL REFERENCES continent(id), name text NOT NULL, population bigint NOT NULL);
INSERT INTO country (continent_id, name, population) SELECT 1 + g % 5, 'Country ' || g, 100000 + g * 7919 FROM generate_series(1, 200) g;
CREATE TABLE city (id serial PRIMARY KEY, country_id integer NOT NULL REFERENCES country(id), name text NOT NULL, population integer NOT NULL);
INSERT INTO city (country_id, name, population) SELECT 1 + g % 200, 'City ' || g, 1000 + (g * 31) % 90000 FROM generate_series(1, 3000) g;
CREATE TABLE language (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO language (name) SELECT 'Lang ' || g FROM generate_series(1, 40) g;
CREATE TABLE country_language (country_id integer NOT NULL REFERENCES country(id), language_id integer NOT NULL REFERENCES language(id), official boolean NOT NULL, PRIMARY KEY (country_id, language_id));
INSERT INTO country_language SELECT c, 1 + (c * 7 + k) % 40, k = 0 FROM generate_series(1, 200) c, generate_series(0, 2) k;
`;

const env = pgHydrationFixture('synth_dpsmall', FIXTURE);

function config(extra: Record<string, unknown> = {}) {
  return {
    source: { url: env.source.url },
    targets: { dev: { url: env.target.url } },
    model: 'baseline',
    privacy: { epsilon: 3 },
    outDir: env.outDir,
    quality: { enabled: false },
    ...extra,
  };
}

describe('tables too small for their noise under privacy', () => {
  it('rowCountError and generatedRowCount: Laplace expected error m/ε, and a count never drawn below it', () => {
    const e = rowCountError('public.continent', 5, 0.2);
    expect(e.expectedError).toBeCloseTo(5);
    expect(e.relativeError).toBeCloseTo(1);
    expect(e.small).toBe(true);
    expect(rowCountError('public.city', 3000, 0.2).small).toBe(false);
    expect(rowCountError('public.owned', 100, 0.5, 4).expectedError).toBeCloseTo(8);
    expect(generatedRowCount(-3, 5)).toBe(5);
    expect(generatedRowCount(1, 4.2)).toBe(5);
    expect(generatedRowCount(2980, 5)).toBe(2980);
    expect(smallTableWarning(e, 2, 3)).toContain("tables.continent.mode: 'copy'");
    expect(smallTableWarning(e, 2, 3)).toContain('noisy row count (2) is off by ±5.0 rows');
  });

  it('countEpsilon buys a small table an accurate count out of its statistics budget, up to COUNT_MAX_SHARE', () => {
    // A 200-row product with 3 units (count, category, price) and 0.15 of statistics budget: an even split gives
    // the count ε 0.05, off by ±20 rows (10 %) on average; the count takes what holds it to 1.5 % (ε 0.33 > 40 %: capped).
    const capped = countEpsilon(0.15, 3, 200, 1);
    expect(capped.count).toBeCloseTo(0.15 * COUNT_MAX_SHARE);
    expect(capped.count + 2 * capped.unit).toBeCloseTo(0.15);
    // With a larger budget it gets exactly what it needs, and the rest stays with the other units.
    const enough = countEpsilon(0.9, 3, 200, 1);
    expect(1 / enough.count).toBeCloseTo(COUNT_RELATIVE_ERROR * 200);
    expect(enough.count + 2 * enough.unit).toBeCloseTo(0.9);
    expect(rowCountError('public.product', 200, enough.count).small).toBe(false);
    // A large table needs no more than its even share; the entity unit's m rows scale the need.
    const large = countEpsilon(0.15, 3, 20_000, 1);
    expect(large.count).toBeCloseTo(0.05);
    expect(large.unit).toBeCloseTo(0.05);
    expect(countEpsilon(1, 3, 200, 4).count).toBeCloseTo(1 * COUNT_MAX_SHARE);
    expect(countEpsilon(1, 3, 200, 1).count).toBeCloseTo(1 / 3);
    // Unflagged means a 10 % miss is rarer than 1 in 200, and a count that meets its target is not flagged.
    expect(Math.exp(-0.1 / SMALL_TABLE_RELATIVE_ERROR)).toBeCloseTo(0.005, 6);
    expect(COUNT_RELATIVE_ERROR).toBeLessThan(SMALL_TABLE_RELATIVE_ERROR);
    // A 200-row count at the capped ε is named: its error passes what a 10 % check tolerates.
    expect(rowCountError('public.product', 200, capped.count).relativeError).toBeGreaterThan(SMALL_TABLE_RELATIVE_ERROR);
  });

  it('synth plan shows each table’s expected row-count error at this ε and flags the 5-row continent', async () => {
    const path = join(env.outDir, 'synth.config.json');
    writeFileSync(path, JSON.stringify(config()));
    const r = await runCli(['plan', '--config', path, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { privacy: { rowCounts: Array<{ table: string; rows: number; expectedError: number; relativeError: number; small: boolean }> } };
    const byTable = new Map(result.privacy.rowCounts.map((e) => [e.table, e]));
    expect([...byTable.keys()].sort()).toEqual(['public.city', 'public.continent', 'public.country', 'public.country_language', 'public.language']);
    const continent = byTable.get('public.continent')!;
    expect(continent.rows).toBe(5);
    expect(continent.small).toBe(true);
    expect(continent.expectedError).toBeGreaterThan(1.25);
    expect(byTable.get('public.city')!.small).toBe(false);
    const text = await runCli(['plan', '--config', path, '--no-json']);
    expect(text.stdout).toMatch(/Privacy \(ε=3\): expected error of each table's noisy row count/);
    expect(text.stdout).toMatch(/public\.continent\s+5 rows\s+±\d+\.\d rows .* too small for its noise/);
  }, 120_000);

  it('hydrate warns with the table and its expected error, and never collapses the count below the noise scale', async () => {
    const warnings: Array<{ message: string; table?: string }> = [];
    const result = await hydrate({ config: parseConfig(config()), target: 'dev', emit: (e) => void (e.type === 'warning' && warnings.push(e)) });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const t = result.privacy!.tables.find((x) => x.table === 'public.continent')!;
    expect(t.rowCount!.small).toBe(true);
    expect(t.rowCount!.generated).toBeGreaterThanOrEqual(Math.ceil(t.rowCount!.expectedError));
    expect(t.rowCount!.generated).toBeGreaterThanOrEqual(2);
    const warning = warnings.find((w) => w.table === 'public.continent');
    expect(warning?.message).toMatch(/public\.continent: 5 rows sampled; its noisy row count \(-?\d+\) is off by ±\d+\.\d rows on average at ε=3/);
    const counted = await env.target.query<{ n: string }>('SELECT count(*) AS n FROM continent');
    expect(Number(counted[0]!.n)).toBe(t.rowCount!.generated);
    // Big tables are not named.
    expect(warnings.some((w) => w.table === 'public.city')).toBe(false);
  }, 180_000);

  it("tables.continent.mode: 'copy' copies the lookup as is: 5 rows, no warning, no ε spent on it", async () => {
    const warnings: Array<{ message: string; table?: string }> = [];
    const result = await hydrate({ config: parseConfig(config({ tables: { continent: { mode: 'copy' } } })), target: 'dev', emit: (e) => void (e.type === 'warning' && warnings.push(e)) });
    expect(result.status).toBe('ok');
    const names = await env.target.query<{ name: string }>('SELECT name FROM continent ORDER BY id');
    expect(names.map((r) => r.name)).toEqual(['Africa', 'Americas', 'Asia', 'Europe', 'Oceania']);
    expect(warnings.some((w) => w.table === 'public.continent')).toBe(false);
    expect(result.privacy!.tables.some((x) => x.table === 'public.continent')).toBe(false);
  }, 180_000);
});

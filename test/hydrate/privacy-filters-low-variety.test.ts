/**
 * The CLI's "Privacy filters" line on a table whose compared columns take few values (a status table): every row
 * those values allow exists in the source, so each generated row matches one. That is unavoidable and no leak, and
 * the line says so instead of counting "unresolved" copies. (The flags belong to orders of buyers, whose email makes
 * them personal: the filters guard the table; filter-scope.ts.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPrivacyResult, formatFilterCounts } from '../../src/validation/privacy/privacy-report.js';
import { runCli } from '../support/cli.js';
import { pgHydrationFixture } from '../support/databases.js';

const FIXTURE = `
CREATE TABLE orders (id serial PRIMARY KEY, email text NOT NULL, total numeric(8,2) NOT NULL, placed date NOT NULL);
INSERT INTO orders (email, total, placed) SELECT 'buyer' || g || '@example-shop.org', 10 + (g * 37) % 500 + g / 100.0, DATE '2020-01-01' + g FROM generate_series(1, 6000) g;
CREATE TABLE order_flag (id serial PRIMARY KEY, order_id int NOT NULL REFERENCES orders, status text NOT NULL, express boolean NOT NULL);
INSERT INTO order_flag (order_id, status, express) SELECT 1 + g % 6000, (ARRAY['new','paid','shipped'])[1 + g % 3], g % 2 = 0 FROM generate_series(1, 150) g;
`;

const env = pgHydrationFixture('synth_h5lowv', FIXTURE);

describe('the Privacy filters line on a low-variety table', () => {
  it('synth hydrate says the matches are unavoidable, not unresolved copies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-h5-lowv-'));
    const config = join(dir, 'synth.config.json');
    writeFileSync(config, JSON.stringify({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: join(dir, 'out'), model: 'baseline' }));
    const cli = await runCli(['hydrate', '--target', 'dev', '--config', config, '--no-json']);
    expect(cli.code, cli.stderr + cli.stdout.slice(-2000)).toBe(0);
    // Progress and info lines go to stderr; stdout keeps the one-line result.
    const line = /Privacy filters regenerated:.*/.exec(cli.stderr)?.[0];
    expect(line).toMatch(
      /public\.order_flag 150 \(exact \d+, near \d+, outliers 0, 150 left as drawn: \(status, express\) allow only 6 distinct rows \(3 × 2 values\) and the source holds all of them, so the quality report finds 150 of 150 checked rows matching a source row, as any generated rows would; unavoidable, and no leak\)/,
    );
    expect(line).not.toMatch(/order_flag[^;]*unresolved/);
  }, 180_000);

  it('a table with many possible rows keeps the plain count', () => {
    const f = { total: 10, kept: 8, exactCopies: 2, nearCopies: 0, outliers: 0, regenerated: 2, unresolved: 2 };
    const many = { columns: ['a', 'b'], values: [50, 100], possible: 5000, inSource: 120 };
    expect(formatFilterCounts(buildPrivacyResult(null, [], { 'public.t': { ...f, variety: many } }))).toBe('Privacy filters regenerated: public.t 2 (exact 2, near 0, outliers 0, 2 unresolved)');
    expect(formatFilterCounts(buildPrivacyResult(null, [], { 'public.t': f }))).toBe('Privacy filters regenerated: public.t 2 (exact 2, near 0, outliers 0, 2 unresolved)');
    const few = { columns: ['a'], values: [10], possible: 10, inSource: 9 };
    expect(formatFilterCounts(buildPrivacyResult(null, [], { 'public.t': { ...f, variety: few } }))).toMatch(/2 left as drawn: \(a\) allow only 10 distinct rows \(10 values\) and the source holds 9 of them, so any generated row matches one; unavoidable/);
  });
});

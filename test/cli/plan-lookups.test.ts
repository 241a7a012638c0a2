import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { runCli } from '../support/cli.js';
import { COUNTRY_LANGUAGES } from '../fixtures/lookup-values.js';

// synth plan lists the looked-up values the fit decides from the training sample: world's languages keyed beside
// their country (a vocabulary), an invoice number a sequence hands out (distinct: an identifier) and a batch number
// from a sequence that repeats (an attribute, with the count that says so).
const dir = mkdtempSync(join(tmpdir(), 'synth-cli-planlookups-'));
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
let source: TestDatabase;

function writeConfig(name: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ source: { url: source.url }, targets: { dev: { url: source.url } }, quality: { enabled: false }, outDir: join(dir, 'out'), ...extra }));
  return path;
}

type Lookup = { kind: string; table: { name: string }; column: string; identifier?: boolean; decidedBy?: string; values?: number; distinct?: number; shared?: number; rows?: number; singleParent?: number };
const rulesOf = (stdout: string) => (JSON.parse(stdout.trim().split('\n').at(-1)!) as { rules: { lookups: Lookup[]; parentCopies: Array<{ column: string }>; parentRoles: unknown[] } }).rules;
const lookupsOf = (stdout: string) => rulesOf(stdout).lookups;

beforeAll(async () => {
  source = await createPgDatabase('synth_cliplanlookups');
  const languages = Object.entries(COUNTRY_LANGUAGES).flatMap(([c, ls]) => ls.map((l) => `(${q(c)}, ${q(l)})`));
  await source.exec(`
    CREATE TABLE country (code char(3) PRIMARY KEY, name text NOT NULL);
    INSERT INTO country VALUES ${Object.keys(COUNTRY_LANGUAGES).map((c) => `(${q(c)}, 'Country ' || ${q(c)})`).join(', ')};
    CREATE TABLE countrylanguage (countrycode char(3) NOT NULL REFERENCES country, language text NOT NULL, PRIMARY KEY (countrycode, language));
    INSERT INTO countrylanguage VALUES ${languages.join(', ')};
    -- A column copied from the parent, so --json shows that rule too.
    ALTER TABLE countrylanguage ADD COLUMN country_name text;
    UPDATE countrylanguage l SET country_name = c.name FROM country c WHERE c.code = l.countrycode;
    CREATE SEQUENCE invoice_no_seq START 10001;
    CREATE SEQUENCE batch_no_seq;
    CREATE TABLE invoice (id serial PRIMARY KEY, invoice_no bigint NOT NULL DEFAULT nextval('invoice_no_seq'),
      batch_no bigint DEFAULT nextval('batch_no_seq'), amount numeric(10,2) NOT NULL);
    INSERT INTO invoice (invoice_no, batch_no, amount) SELECT 10000 + 3 * g, 1 + g / 10, g % 97 FROM generate_series(1, 120) g;`);
});
afterAll(async () => {
  await source?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('synth plan: looked-up values', () => {
  it('lists the vocabulary, the sequence identifier and the repeating sequence column, each with its reason', async () => {
    const r = await runCli(['plan', '--config', writeConfig('plain'), '--no-json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf('Looked-up values')).split('\n\n')[0]!.split('\n');
    expect(section[0]).toMatch(/^Looked-up values \(.*decided when the models are fitted\):$/);
    expect(section.slice(1)).toEqual([
      "  vocabulary  public.countrylanguage.language: keyed beside country (countrylanguage_countrycode_fkey), 105 of 163 sampled rows hold a value another country holds: each country's rows draw distinct values of the 85; the 58 held by one country only are drawn too",
      "  identifier  public.invoice.invoice_no: DEFAULT nextval('public.invoice_no_seq'::regclass), no UNIQUE, all 120 sampled values distinct: generated distinct, the sequence set past it",
      "  attribute   public.invoice.batch_no: DEFAULT nextval('public.batch_no_seq'::regclass), no UNIQUE, but 13 distinct of 120 sampled values: drawn by the model like any attribute",
    ]);

    const json = await runCli(['plan', '--config', writeConfig('plain'), '--json']);
    expect(json.code).toBe(0);
    const lookups = lookupsOf(json.stdout);
    expect(lookups.map((l) => [l.kind, l.table.name, l.column, l.identifier ?? null])).toEqual([
      ['vocabulary', 'countrylanguage', 'language', null],
      ['sequence', 'invoice', 'invoice_no', true],
      ['sequence', 'invoice', 'batch_no', false],
    ]);
    expect(lookups[0]).toMatchObject({ values: 85, singleParent: 58, rows: 163, shared: 105 });
    expect(lookups[2]).toMatchObject({ decidedBy: 'sample', values: 120, distinct: 13 });
    // The other data rules the text lists are in --json too.
    expect(rulesOf(json.stdout).parentCopies.map((c) => c.column)).toEqual(['country_name']);
    expect(rulesOf(json.stdout).parentRoles).toEqual([]);
  }, 60_000);

  it('under privacy: no vocabulary, every sequence column an identifier by its default alone', async () => {
    const r = await runCli(['plan', '--config', writeConfig('dp', { privacy: { epsilon: 3, delta: 1e-6 } }), '--json']);
    expect(r.code).toBe(0);
    const lookups = lookupsOf(r.stdout);
    expect(lookups.map((l) => [l.kind, l.column, l.identifier, l.decidedBy])).toEqual([
      ['sequence', 'invoice_no', true, 'schema'],
      ['sequence', 'batch_no', true, 'schema'],
    ]);
    // Nothing about the values is published under privacy.
    expect(lookups.every((l) => l.values === undefined && l.distinct === undefined)).toBe(true);
    const text = await runCli(['plan', '--config', writeConfig('dp', { privacy: { epsilon: 3, delta: 1e-6 } }), '--no-json']);
    expect(text.stdout).toContain("identifier  public.invoice.batch_no: DEFAULT nextval('public.batch_no_seq'::regclass), no UNIQUE: an identifier by its default under privacy (nothing read)");
  }, 60_000);
});

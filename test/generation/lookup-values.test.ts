import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import type { TableSample } from '../../src/generation/model.js';
import { keptLookupRules } from '../../src/generation/lookup-rules.js';
import { copiedTables, type ReferenceDecision } from '../../src/generation/reference-tables.js';
import { hydrate, introspectAndPlan, learnDataRules, readSample } from '../../src/pipeline/index.js';
import { tableKey } from '../../src/schema/model.js';
import { createMysqlDatabase, pgHydrationFixture, type TestDatabase } from '../support/databases.js';
import { trainedUnder } from '../support/app-rules.js';
import { COUNTRY_LANGUAGES, US_STATES } from '../fixtures/lookup-values.js';

// What hydrating northwind and world showed: us_states (a lookup nothing points at) came out as random strings,
// world's languages (keyed beside their country) as random strings, and an invoice number a sequence hands out, with
// no UNIQUE on it, repeated.
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const STATES = US_STATES.map(([n, a, r], i) => `(${i + 1}, ${q(n)}, ${q(a)}, ${q(r)})`).join(', ');
const LANGUAGES = Object.entries(COUNTRY_LANGUAGES)
  .flatMap(([c, langs]) => langs.map((l, k) => `(${q(c)}, ${q(l)}, ${k === 0}, ${(((c.charCodeAt(0) * 31 + k * 17) % 900) / 10).toFixed(1)})`))
  .join(', ');
const COUNTRIES = Object.keys(COUNTRY_LANGUAGES).map((c, i) => `(${q(c)}, ${1_000_000 + i * 7_919_000})`).join(', ');

const PG_FIXTURE = `
  SELECT setseed(0.17);
  CREATE TABLE us_states (state_id smallint PRIMARY KEY, state_name varchar(100), state_abbr varchar(2), state_region varchar(50));
  INSERT INTO us_states VALUES ${STATES};
  -- A small real business table nothing points at: personal, so never copied.
  CREATE TABLE staff (id int PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, email text NOT NULL, title text NOT NULL);
  INSERT INTO staff SELECT i, (ARRAY['Nancy','Andrew','Janet','Margaret','Steven','Michael','Robert','Laura','Anne','David'])[1 + i % 10],
    (ARRAY['Davolio','Fuller','Leverling','Peacock','Buchanan','Suyama','King','Callahan','Dodsworth','Smith'])[1 + (i * 3) % 10],
    'staff' || i || '@northwind.example', (ARRAY['Sales Representative','Sales Manager','Inside Sales Coordinator'])[1 + i % 3]
    FROM generate_series(1, 30) i;
  -- Standalone, not personal, but free text: facts, not a lookup.
  CREATE TABLE release_note (id int PRIMARY KEY, body text NOT NULL);
  INSERT INTO release_note SELECT i, 'Fixed a crash when the monthly report ran on an empty month, build ' || i FROM generate_series(1, 25) i;
  CREATE TABLE country (code char(3) PRIMARY KEY, population int NOT NULL);
  INSERT INTO country VALUES ${COUNTRIES};
  CREATE TABLE countrylanguage (countrycode char(3) NOT NULL REFERENCES country, language text NOT NULL, isofficial boolean NOT NULL,
    percentage real NOT NULL, PRIMARY KEY (countrycode, language));
  INSERT INTO countrylanguage VALUES ${LANGUAGES};
  CREATE SEQUENCE invoice_no_seq START 10001;
  CREATE SEQUENCE batch_no_seq;
  CREATE TABLE invoice (id serial PRIMARY KEY, invoice_no bigint NOT NULL DEFAULT nextval('invoice_no_seq'),
    batch_no bigint DEFAULT nextval('batch_no_seq'), amount numeric(10,2) NOT NULL);
  INSERT INTO invoice (invoice_no, batch_no, amount) SELECT 10000 + 3 * g + g % 2, 1 + g / 10, round((random() * 500)::numeric, 2) FROM generate_series(1, 412) g;
  SELECT setval('invoice_no_seq', 12000), setval('batch_no_seq', 50);
  -- One attribute beside the number: the copy filters nudge near copies, which must not move the number.
  CREATE SEQUENCE receipt_no_seq;
  CREATE TABLE receipt (id serial PRIMARY KEY, receipt_no int NOT NULL DEFAULT nextval('receipt_no_seq'), amount numeric(10,2) NOT NULL);
  INSERT INTO receipt (receipt_no, amount) SELECT 10000 + 3 * g + g % 2, round((random() * 500)::numeric, 2) FROM generate_series(1, 412) g;
  SELECT setval('receipt_no_seq', 12000);
`;

const env = pgHydrationFixture('synth_lookup', PG_FIXTURE);
const ALL_LANGUAGES = new Set(Object.values(COUNTRY_LANGUAGES).flat());
const SEEN_ONCE = [...ALL_LANGUAGES].filter((l) => Object.values(COUNTRY_LANGUAGES).filter((ls) => ls.includes(l)).length === 1);

function config(model: 'baseline' | 'learned', extra: Record<string, unknown> = {}) {
  return parseConfig({
    source: { url: env.source.url },
    targets: { dev: { url: env.target.url } },
    model,
    outDir: env.outDir,
    quality: { enabled: false },
    ...(model === 'learned' ? { training: { epochs: 3 } } : {}),
    ...extra,
  });
}

async function decisions(extra: Record<string, unknown> = {}): Promise<ReferenceDecision[]> {
  const c = config('baseline', extra);
  const source = await openSource(env.source.url);
  try {
    const { schema } = await introspectAndPlan(source, c);
    const samples = new Map<string, TableSample>();
    for (const t of schema.tables) samples.set(tableKey(t), await readSample(source, t, 20_000, 1));
    return (await learnDataRules(source, schema, samples, [], c)).reference;
  } finally {
    await source.close();
  }
}

const reason = (d: ReferenceDecision[], name: string) => d.find((x) => x.table.name === name)?.reason ?? '';
const copied = (d: ReferenceDecision[]) => [...copiedTables(d)].map((k) => k.replace('public.', '')).sort();
const rowsOf = async (db: TestDatabase, sql: string) => (await db.query<{ r: string }>(sql)).map((x) => x.r);

/** What an application would look up and rely on, checked on a hydrated target against the source. */
async function expectReceiptsDistinct(target: TestDatabase): Promise<void> {
  const [r] = await target.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT receipt_no) AS d FROM receipt');
  expect(r).toEqual({ n: '412', d: '412' });
}

async function expectLookupsKept(source: TestDatabase, target: TestDatabase, dialect: 'pg' | 'mysql' = 'pg'): Promise<void> {
  const states = 'SELECT concat_ws(\'|\', state_id, state_name, state_abbr, state_region) AS r FROM us_states ORDER BY state_id';
  expect(await rowsOf(target, states)).toEqual(await rowsOf(source, states));
  // Staff is personal: synthesized, no real e-mail in it.
  expect((await rowsOf(target, 'SELECT email AS r FROM staff')).some((e) => e.endsWith('@northwind.example'))).toBe(false);
  const languages = await rowsOf(target, 'SELECT language AS r FROM countrylanguage');
  expect(languages.length).toBe(163);
  expect(languages.filter((l) => !ALL_LANGUAGES.has(l))).toEqual([]);
  // Values seen once are drawn too: a language is no person.
  expect(languages.filter((l) => SEEN_ONCE.includes(l)).length).toBeGreaterThan(0);
  const [pairs] = await target.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT countrycode, language) AS d FROM countrylanguage'.replace('countrycode, language)', dialect === 'pg' ? '(countrycode, language))' : 'countrycode, language)'));
  expect(String(pairs!.d)).toBe(String(pairs!.n));
  const [inv] = await target.query<{ n: string; d: string; max: string }>('SELECT count(*) AS n, count(DISTINCT invoice_no) AS d, max(invoice_no) AS max FROM invoice');
  expect([String(inv!.n), String(inv!.d)]).toEqual(['412', '412']);
  // The application's next invoice gets a number no generated row holds.
  const [next] = await target.query<{ v: string }>(dialect === 'pg' ? "SELECT nextval('invoice_no_seq') AS v" : 'SELECT nextval(invoice_no_seq) AS v');
  expect(BigInt(next!.v)).toBeGreaterThan(BigInt(inv!.max));
}

describe('values an application looks up (northwind us_states, world countrylanguage, a sequence-numbered invoice)', () => {
  it('copies a standalone lookup, says why a personal or free-text standalone table is synthesized', async () => {
    const d = await decisions();
    expect(copied(d)).toEqual(['country', 'us_states']);
    expect(reason(d, 'us_states')).toBe('reference data: 51 rows (≤ 5000), stands alone (no FK in or out), labels state_name, state_abbr, no personal columns');
    expect(reason(d, 'staff')).toMatch(/^30 rows, stands alone \(no FK in or out\), but personal column\(s\) .*email/);
    expect(reason(d, 'release_note')).toBe('25 rows, stands alone (no FK in or out), no personal columns, but body holds free text, not labels: not a lookup');
    // A fact table nothing points at but with FKs out is no candidate.
    expect(d.some((x) => x.table.name === 'countrylanguage')).toBe(false);
    const declared = await decisions({ tables: { us_states: { mode: 'synthesize' }, release_note: { mode: 'copy' } } });
    expect(copied(declared)).toEqual(['country', 'release_note']);
    expect(reason(declared, 'us_states')).toBe('declared `mode: synthesize`');
    const privacy = await decisions({ privacy: { epsilon: 3, delta: 1e-6 } });
    expect(copied(privacy)).toEqual([]);
    expect(reason(privacy, 'us_states')).toMatch(/^looks like reference data \(51 rows, stands alone .*under privacy only tables declared `mode: copy` are copied$/);
  }, 60_000);

  it('fits a vocabulary for a text key beside a FK and a key for a sequence column distinct in the sample', async () => {
    const { models } = await trainedUnder(config('baseline'));
    const languages = models.tables.get('public.countrylanguage')!.keyStats.vocabularies?.language;
    expect(languages?.foreignKey).toBe('countrylanguage_countrycode_fkey');
    expect(languages?.values.length).toBe(85);
    expect(languages?.values.slice(0, 2)).toEqual(['German', 'Italian']);
    // batch_no repeats (ten invoices a batch): an attribute, not an identifier.
    expect(models.tables.get('public.invoice')!.keyStats.sequenced).toEqual(['invoice_no']);
    expect(models.tables.get('public.invoice')!.meta.find((m) => m.column === 'invoice_no')?.role).toBe('unique');
    expect(models.tables.get('public.staff')!.keyStats.vocabularies).toBeUndefined();
    // What synth plan and the run log list (the data rules) is what the fit decided, table by table.
    const kept = keptLookupRules(models.rules?.lookups ?? []).map((r) => `${r.table.name}.${r.column}`);
    const fitted = [...models.tables].flatMap(([, m]) => [...Object.keys(m.keyStats.vocabularies ?? {}), ...(m.keyStats.sequenced ?? [])].map((c) => `${m.table.name}.${c}`));
    expect(kept.sort()).toEqual(fitted.sort());
    expect(kept.sort()).toEqual(['countrylanguage.language', 'invoice.invoice_no', 'receipt.receipt_no']);
  }, 60_000);

  for (const model of ['baseline', 'learned'] as const) {
    it(`${model}: real states, real languages unique per country, distinct invoice numbers; same seed, same rows`, async () => {
      const result = await hydrate({ config: config(model), target: 'dev' });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      await expectLookupsKept(env.source, env.target);
      await expectReceiptsDistinct(env.target);
      const digest = 'SELECT md5(string_agg(countrycode || language, \',\' ORDER BY countrycode, language) || (SELECT string_agg(invoice_no::text, \',\' ORDER BY id) FROM invoice)) AS r FROM countrylanguage';
      const first = await rowsOf(env.target, digest);
      expect((await hydrate({ config: config(model), target: 'dev' })).status).toBe('ok');
      expect(await rowsOf(env.target, digest)).toEqual(first);
    }, 180_000);
  }

  it('under privacy: a sequence column is an identifier by its default alone, distinct, its sequence past it; nothing spent on it', async () => {
    // Before, the DP fit drew invoice_no as an attribute from its noisy quantiles: 355 distinct of 411.
    const result = await hydrate({ config: config('baseline', { privacy: { epsilon: 3, delta: 1e-6, piiKey: 'lookup-values-test' } }), target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    for (const [table, column, seq] of [['invoice', 'invoice_no', 'invoice_no_seq'], ['invoice', 'batch_no', 'batch_no_seq'], ['receipt', 'receipt_no', 'receipt_no_seq']]) {
      const [r] = await env.target.query<{ n: string; d: string; max: string }>(`SELECT count(*) AS n, count(DISTINCT ${column}) AS d, max(${column}) AS max FROM ${table}`);
      expect(Number(r!.n), column).toBeGreaterThan(300);
      expect(r!.d, column).toBe(r!.n);
      const [next] = await env.target.query<{ v: string }>(`SELECT nextval('${seq}') AS v`);
      expect(BigInt(next!.v), column).toBeGreaterThan(BigInt(r!.max));
    }
    // No release was made for the numbers: they are keys, not attributes.
    const spent = JSON.stringify(result.privacy);
    expect(spent).not.toMatch(/invoice\.invoice_no|invoice\.batch_no|receipt\.receipt_no/);
    expect(spent).toMatch(/invoice\.amount/);
  }, 120_000);

  it('a country given more rows than there are languages gets made-up ones past them, still unique', async () => {
    const result = await hydrate({ config: config('baseline', { tables: { countrylanguage: { scale: 8 } } }), target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const per = await env.target.query<{ countrycode: string; n: string; real: string }>(
      `SELECT countrycode, count(*) AS n, count(*) FILTER (WHERE language = ANY($1)) AS real FROM countrylanguage GROUP BY 1`,
      [[...ALL_LANGUAGES]],
    );
    expect(per.some((p) => Number(p.n) > ALL_LANGUAGES.size)).toBe(true);
    for (const p of per) expect(Number(p.real), p.countrycode).toBe(Math.min(Number(p.n), ALL_LANGUAGES.size));
  }, 120_000);
});

describe('the same on MariaDB (a SEQUENCE default)', () => {
  const db = {} as { source: TestDatabase; target: TestDatabase; outDir: string };
  beforeAll(async () => {
    db.source = await createMysqlDatabase('synth_lookupsrc');
    db.target = await createMysqlDatabase('synth_lookupdst');
    db.outDir = mkdtempSync(join(tmpdir(), 'synth-lookup-'));
    await db.source.exec(`
      CREATE TABLE us_states (state_id smallint PRIMARY KEY, state_name varchar(100), state_abbr varchar(2), state_region varchar(50));
      INSERT INTO us_states VALUES ${STATES};
      CREATE TABLE staff (id int PRIMARY KEY, first_name varchar(40) NOT NULL, last_name varchar(40) NOT NULL, email varchar(80) NOT NULL, title varchar(40) NOT NULL);
      INSERT INTO staff SELECT seq, ELT(1 + seq % 10, 'Nancy','Andrew','Janet','Margaret','Steven','Michael','Robert','Laura','Anne','David'),
        ELT(1 + (seq * 3) % 10, 'Davolio','Fuller','Leverling','Peacock','Buchanan','Suyama','King','Callahan','Dodsworth','Smith'),
        CONCAT('staff', seq, '@northwind.example'), ELT(1 + seq % 3, 'Sales Representative','Sales Manager','Inside Sales Coordinator') FROM seq_1_to_30;
      CREATE TABLE release_note (id int PRIMARY KEY, body text NOT NULL);
      INSERT INTO release_note SELECT seq, CONCAT('Fixed a crash when the monthly report ran on an empty month, build ', seq) FROM seq_1_to_25;
      CREATE TABLE country (code char(3) PRIMARY KEY, population int NOT NULL);
      INSERT INTO country VALUES ${COUNTRIES};
      CREATE TABLE countrylanguage (countrycode char(3) NOT NULL, language varchar(60) NOT NULL, isofficial boolean NOT NULL, percentage float NOT NULL,
        PRIMARY KEY (countrycode, language), FOREIGN KEY (countrycode) REFERENCES country (code));
      INSERT INTO countrylanguage VALUES ${LANGUAGES};
      CREATE SEQUENCE invoice_no_seq START WITH 10001;
      CREATE TABLE invoice (id int AUTO_INCREMENT PRIMARY KEY, invoice_no bigint NOT NULL DEFAULT nextval(invoice_no_seq), amount decimal(10,2) NOT NULL);
      INSERT INTO invoice (invoice_no, amount) SELECT 10000 + 3 * seq + seq % 2, ROUND(RAND(seq) * 500, 2) FROM seq_1_to_412;
      SELECT SETVAL(invoice_no_seq, 12000);
    `);
  });
  afterAll(async () => {
    await db.source?.drop();
    await db.target?.drop();
    if (db.outDir) rmSync(db.outDir, { recursive: true, force: true });
  });

  it('baseline: us_states copied, languages real and unique per country, invoice numbers distinct and the sequence past them', async () => {
    const c = parseConfig({ source: { url: db.source.url }, targets: { dev: { url: db.target.url } }, model: 'baseline', outDir: db.outDir, quality: { enabled: false } });
    const result = await hydrate({ config: c, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    await expectLookupsKept(db.source, db.target, 'mysql');
  }, 180_000);

  it('under privacy: invoice numbers distinct by their default alone, the SEQUENCE past them', async () => {
    const c = parseConfig({ source: { url: db.source.url }, targets: { dev: { url: db.target.url } }, model: 'baseline', outDir: db.outDir, quality: { enabled: false }, privacy: { epsilon: 3, delta: 1e-6, piiKey: 'lookup-values-test' } });
    const result = await hydrate({ config: c, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const [inv] = await db.target.query<{ n: string; d: string; max: string }>('SELECT count(*) AS n, count(DISTINCT invoice_no) AS d, max(invoice_no) AS max FROM invoice');
    expect(Number(inv!.n)).toBeGreaterThan(300);
    expect(String(inv!.d)).toBe(String(inv!.n));
    const [next] = await db.target.query<{ v: string }>('SELECT nextval(invoice_no_seq) AS v');
    expect(BigInt(next!.v)).toBeGreaterThan(BigInt(inv!.max));
  }, 180_000);
});

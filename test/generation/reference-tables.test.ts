import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { learnDataRules } from '../../src/pipeline/index.js';
import { isSynthError } from '../../src/errors.js';
import { hydrate, introspectAndPlan, readSample } from '../../src/pipeline/index.js';
import { copiedTables, decideReferenceTables, type ReferenceDecision } from '../../src/generation/reference-tables.js';
import type { TableSample } from '../../src/generation/model.js';
import { tableKey } from '../../src/schema/model.js';
import { pgHydrationFixture, type TestDatabase } from '../support/databases.js';
import { TPCH_NATIONS } from '../support/tpch-lite.js';

// Lookups (region → nation, category, language), a small personal table others point at (staff), customers
// (personal, referenced by purchases) and purchases.
const FIXTURE = `
  SELECT setseed(0.31);
  CREATE TABLE region (r_regionkey int PRIMARY KEY, r_name text NOT NULL);
  INSERT INTO region VALUES (10, 'AFRICA'), (11, 'AMERICA'), (12, 'ASIA'), (13, 'EUROPE'), (14, 'MIDDLE EAST');
  CREATE TABLE nation (n_nationkey int PRIMARY KEY, n_name text NOT NULL UNIQUE, n_regionkey int NOT NULL REFERENCES region);
  INSERT INTO nation VALUES ${TPCH_NATIONS.map(([n, r], i) => `(${100 + i * 3}, '${n}', ${10 + r})`).join(', ')};
  CREATE TABLE category (category_id int PRIMARY KEY, name text NOT NULL, last_update timestamp NOT NULL DEFAULT '2006-02-15 09:46:27');
  INSERT INTO category (category_id, name) VALUES (1, 'Action'), (2, 'Animation'), (3, 'Children'), (4, 'Classics'), (5, 'Comedy'),
    (6, 'Documentary'), (7, 'Drama'), (8, 'Family'), (9, 'Foreign'), (10, 'Games'), (11, 'Horror'), (12, 'Music'), (13, 'New'),
    (14, 'Sci-Fi'), (15, 'Sports'), (16, 'Travel');
  CREATE TABLE language (language_id int PRIMARY KEY, name char(20) NOT NULL);
  INSERT INTO language VALUES (1, 'English'), (2, 'Italian'), (3, 'Japanese'), (4, 'Mandarin'), (5, 'French'), (6, 'German');
  CREATE TABLE staff (staff_id int PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, email text NOT NULL);
  INSERT INTO staff VALUES (1, 'Mike', 'Hillyer', 'mike.hillyer@sakilastaff.com'), (2, 'Jon', 'Stephens', 'jon.stephens@sakilastaff.com'),
    (3, 'Maria', 'Miller', 'maria.miller@sakilastaff.com'), (4, 'Linda', 'Williams', 'linda.williams@sakilastaff.com');
  CREATE TABLE customer (customer_id int PRIMARY KEY, email text NOT NULL, nation_id int NOT NULL REFERENCES nation, staff_id int NOT NULL REFERENCES staff, active boolean NOT NULL);
  INSERT INTO customer SELECT i, 'customer' || i || '@example.org', 100 + 3 * floor(random() * 25)::int, 1 + floor(random() * 4)::int, random() < 0.9
    FROM generate_series(1, 300) i;
  CREATE TABLE campaign (campaign_id int PRIMARY KEY, starts date NOT NULL, budget int NOT NULL);
  INSERT INTO campaign SELECT i, date '2021-01-01' + i * 9, 1000 * i FROM generate_series(1, 40) i;
  CREATE TABLE purchase (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer, category_id int NOT NULL REFERENCES category,
    language_id int NOT NULL REFERENCES language, campaign_id int NOT NULL REFERENCES campaign, amount numeric(8,2) NOT NULL);
  INSERT INTO purchase SELECT i, 1 + floor(random() * 300)::int, 1 + floor(random() * 16)::int, 1 + floor(random() * 6)::int,
    1 + floor(random() * 40)::int, round((random() * 50)::numeric, 2)
    FROM generate_series(1, 1500) i;
`;

const env = pgHydrationFixture('synth_ref', FIXTURE);
const LOOKUPS = ['region', 'nation', 'category', 'language'];

function config(extra: Record<string, unknown> = {}) {
  return parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, model: 'baseline', outDir: env.outDir, quality: { enabled: false }, ...extra });
}

async function decisions(extra: Record<string, unknown> = {}): Promise<ReferenceDecision[]> {
  const c = config(extra);
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

const copied = (d: ReferenceDecision[]) => [...copiedTables(d)].map((k) => k.replace('public.', '')).sort();
const reason = (d: ReferenceDecision[], name: string) => d.find((x) => x.table.name === name)?.reason ?? '';

async function rowsOf(db: TestDatabase, table: string): Promise<string[]> {
  return (await db.query<{ r: string }>(`SELECT t::text AS r FROM public."${table}" t ORDER BY 1`)).map((x) => x.r);
}

describe('reference tables', () => {
  it('copies small, non-personal, referenced tables and says why the others are synthesized', async () => {
    const d = await decisions();
    expect(copied(d)).toEqual(['category', 'language', 'nation', 'region']);
    expect(reason(d, 'nation')).toMatch(/^reference data: 25 rows \(≤ 5000\), referenced by customer, no personal columns$/);
    expect(reason(d, 'staff')).toMatch(/personal column\(s\) .*email/);
    expect(reason(d, 'customer')).toMatch(/personal column\(s\) email/);
    // Small and non-personal, but its rows are events (a start date per row), not a lookup.
    expect(reason(d, 'campaign')).toBe('40 rows, referenced by purchase, but dates that vary per row (starts): facts, not a lookup');
    // purchase is referenced by nothing: not a candidate at all.
    expect(d.some((x) => x.table.name === 'purchase')).toBe(false);
  });

  it('follows tables.<t>.mode both ways and reference.maxRows', async () => {
    const synthesized = await decisions({ tables: { region: { mode: 'synthesize' } } });
    expect(copied(synthesized)).toEqual(['category', 'language']);
    expect(reason(synthesized, 'region')).toBe('declared `mode: synthesize`');
    expect(reason(synthesized, 'nation')).toBe('would be reference data, but its parent public.region is synthesized');
    const declared = await decisions({ tables: { staff: { mode: 'copy' } } });
    expect(copied(declared)).toEqual(['category', 'language', 'nation', 'region', 'staff']);
    expect(copied(await decisions({ reference: { maxRows: 10 } }))).toEqual(['language', 'region']);
    // A declared copy whose parent is synthesized would point nowhere: refused with what to do.
    const refused = await decisions({ tables: { customer: { mode: 'copy' } } }).catch((e: unknown) => e);
    expect(isSynthError(refused) && refused.message).toMatch(/public\.customer is declared `mode: copy`, but its parent public\.staff/);
    expect(isSynthError(refused) && refused.hint).toMatch(/Declare public\.staff `mode: 'copy'` too/);
  });

  it('under privacy copies only tables declared `mode: copy`', async () => {
    const privacy = { epsilon: 3, delta: 1e-6 };
    const none = await decisions({ privacy });
    expect(copied(none)).toEqual([]);
    expect(reason(none, 'nation')).toMatch(/under privacy only tables declared `mode: copy` are copied/);
    const declared = await decisions({ privacy, tables: { region: { mode: 'copy' }, nation: { mode: 'copy' } } });
    expect(copied(declared)).toEqual(['nation', 'region']);
  });

  it('decideReferenceTables leaves a skipped table empty even when declared', async () => {
    const source = await openSource(env.source.url);
    try {
      const { schema } = await introspectAndPlan(source, config());
      const samples = new Map<string, TableSample>();
      for (const t of schema.tables) samples.set(tableKey(t), await readSample(source, t, 20_000, 1));
      const d = decideReferenceTables(schema, samples, { maxRows: 5000, privacy: false, mode: (t) => (t.name === 'language' ? 'copy' : undefined), skipped: (t) => t.name === 'language' });
      expect(d.find((x) => x.table.name === 'language')).toEqual({ table: { schema: 'public', name: 'language' }, copy: false, reason: '`skip: true` wins over `mode: copy`' });
    } finally {
      await source.close();
    }
  });

  it('hydrates lookups verbatim, and the synthesized children reference their real keys', async () => {
    const result = await hydrate({ config: config({ scale: 0.5 }), target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    for (const t of LOOKUPS) expect(await rowsOf(env.target, t), t).toEqual(await rowsOf(env.source, t));
    // Copied whatever the scale; the synthesized tables follow it.
    expect(result.rowCounts.get('public.nation')).toBe(25);
    expect(result.rowCounts.get('public.customer')).toBe(150);
    const [orphans] = await env.target.query<{ n: string }>('SELECT count(*) AS n FROM customer c LEFT JOIN nation n ON n.n_nationkey = c.nation_id WHERE n.n_nationkey IS NULL');
    expect(Number(orphans!.n)).toBe(0);
    // An application that looks up 'GERMANY' or 'Action' finds them, with customers and purchases behind them.
    const byName = await env.target.query<{ n_name: string; n: string }>(`SELECT n.n_name, count(*) AS n FROM customer c JOIN nation n ON n.n_nationkey = c.nation_id GROUP BY 1`);
    expect(byName.reduce((a, r) => a + Number(r.n), 0)).toBe(150);
    expect(byName.every((r) => TPCH_NATIONS.some(([name]) => name === r.n_name))).toBe(true);
    const [action] = await env.target.query<{ n: string }>(`SELECT count(*) AS n FROM purchase p JOIN category c USING (category_id) WHERE c.name = 'Action'`);
    expect(Number(action!.n)).toBeGreaterThan(0);
    const used = await env.target.query<{ id: number }>('SELECT DISTINCT nation_id AS id FROM customer');
    expect(used.length).toBeGreaterThan(15);
    expect(used.every((u) => (u.id - 100) % 3 === 0 && u.id >= 100 && u.id <= 172)).toBe(true);
    // Staff is personal: synthesized, so no real staff e-mail reaches the target.
    const emails = await env.target.query<{ email: string }>('SELECT email FROM staff');
    expect(emails.some((e) => e.email.endsWith('@sakilastaff.com') && /^(mike|jon|maria|linda)\./.test(e.email))).toBe(false);
  }, 120_000);

  it('a copied parent deals its synthesized children as in the source: each nation keeps its customers, each category its purchases', async () => {
    const result = await hydrate({ config: config(), target: 'dev' });
    expect(result.status).toBe('ok');
    const per = async (db: TestDatabase, sql: string) => (await db.query<{ k: number; n: string }>(sql)).map((r) => `${r.k}:${r.n}`).sort();
    const byNation = 'SELECT nation_id AS k, count(*) AS n FROM customer GROUP BY 1';
    const byCategory = 'SELECT category_id AS k, count(*) AS n FROM purchase GROUP BY 1';
    expect(await per(env.target, byNation)).toEqual(await per(env.source, byNation));
    expect(await per(env.target, byCategory)).toEqual(await per(env.source, byCategory));
  }, 120_000);

  it('under privacy hydrates declared tables verbatim and spends no budget on them', async () => {
    const result = await hydrate({ config: config({ privacy: { epsilon: 3, delta: 1e-6, piiKey: 'reference-tables-test' }, tables: { region: { mode: 'copy' }, nation: { mode: 'copy' } } }), target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    for (const t of ['region', 'nation']) expect(await rowsOf(env.target, t), t).toEqual(await rowsOf(env.source, t));
    expect(await rowsOf(env.target, 'category')).not.toEqual(await rowsOf(env.source, 'category'));
    const spent = result.privacy!.tables.map((t) => t.table);
    expect(spent).not.toContain('public.region');
    expect(spent).not.toContain('public.nation');
    expect(spent).toContain('public.customer');
  }, 180_000);
});

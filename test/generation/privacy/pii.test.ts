import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column, NeutralType, Table } from '../../../src/schema/model.js';
import type { TableSample } from '../../../src/generation/model.js';
import { detectPii, dpFakeKind, ibanValid, luhnValid } from '../../../src/generation/privacy/pii-detect.js';
import { columnTransformer, fakeKinds, freshFake, planPiiTransforms, transformBatches, transformValue } from '../../../src/generation/privacy/pii-transform.js';
import { createRng } from '../../../src/generation/rng.js';
import { piiColumnConfigSchema } from '../../../src/generation/privacy/pii-config.js';
import { PrivacyRun } from '../../../src/generation/privacy/privacy-run.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

const KEY = 'test-key-not-secret';

/** Just enough of the neutral type mapping for these tables (the real introspector lives in connectors/). */
function neutral(dataType: string, maxLength: number | null): NeutralType {
  switch (dataType) {
    case 'integer':
      return { kind: 'integer', bytes: 4, unsigned: false };
    case 'bigint':
      return { kind: 'integer', bytes: 8, unsigned: false };
    case 'date':
      return { kind: 'date' };
    case 'inet':
      return { kind: 'network', family: 'inet' };
    case 'numeric':
      return { kind: 'decimal', precision: null, scale: null };
    default:
      return { kind: 'text', maxLength, fixedLength: false };
  }
}

async function readTable(db: TestDatabase, name: string): Promise<{ table: Table; sample: TableSample }> {
  const cols = await db.query<{ column_name: string; data_type: string; character_maximum_length: number | null; is_nullable: string }>(
    `SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [name],
  );
  const columns: Column[] = cols.map((c) => ({
    name: c.column_name,
    type: neutral(c.data_type, c.character_maximum_length),
    nativeType: c.data_type,
    nullable: c.is_nullable === 'YES',
    default: null,
    autoIncrement: null,
    generated: null,
    domain: null,
    collation: null,
    comment: null,
  }));
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${cols.map((c) => `"${c.column_name}"::text AS "${c.column_name}"`).join(', ')} FROM "${name}"`,
  );
  const table: Table = {
    schema: 'public',
    name,
    columns,
    primaryKey: { name: `${name}_pkey`, columns: ['id'] },
    uniques: [],
    foreignKeys: [],
    checks: [],
    indexes: [],
    partitioning: null,
    comment: null,
    estimatedRows: rows.length,
  };
  const names = columns.map((c) => c.name);
  return {
    table,
    sample: { table, totalRows: rows.length, columns: names, rows: rows.map((r) => names.map((n) => (r[n] ?? null) as string | null)) },
  };
}

let db: TestDatabase;

beforeAll(async () => {
  db = await createPgDatabase('priv_pii');
  await db.exec(`
    CREATE TABLE customers (
      id serial PRIMARY KEY,
      full_name text NOT NULL,
      given text,
      surname text,
      contact varchar(60) NOT NULL,
      mobile text,
      addr text,
      city text,
      zip text,
      ssn char(11),
      iban text,
      card text,
      last_ip inet,
      dob date,
      notes text,
      status text NOT NULL,
      amount numeric(10,2)
    );
    INSERT INTO customers (full_name, given, surname, contact, mobile, addr, city, zip, ssn, iban, card, last_ip, dob, notes, status, amount)
    SELECT (ARRAY['Jane Smith','John Miller','Maria Garcia','James Johnson','Linda Brown','Robert Davis','Emma Wilson','Thomas Anderson'])[1 + g % 8],
           (ARRAY['Jane','John','Maria','James','Linda','Robert','Emma','Thomas'])[1 + g % 8],
           (ARRAY['Smith','Miller','Garcia','Johnson','Brown','Davis','Wilson','Anderson'])[1 + (g * 3) % 8],
           'user' || g || '@' || (ARRAY['gmail.com','acme-corp.co.uk','mail.example.org'])[1 + g % 3],
           '+1 (555) ' || lpad((100 + g % 900)::text, 3, '0') || '-' || lpad((g * 37 % 10000)::text, 4, '0'),
           (100 + g) || ' ' || (ARRAY['Maple','Oak','Pine','Cedar'])[1 + g % 4] || ' Street',
           (ARRAY['Springfield','Riverside','Portland'])[1 + g % 3],
           lpad((10000 + g * 7)::text, 5, '0'),
           lpad((100 + g % 500)::text, 3, '0') || '-' || lpad((10 + g % 80)::text, 2, '0') || '-' || lpad((1000 + g)::text, 4, '0'),
           (ARRAY['DE89 3704 0044 0532 0130 00','GB82 WEST 1234 5698 7654 32','FR14 2004 1010 0505 0001 3M02 606'])[1 + g % 3],
           (ARRAY['4111 1111 1111 1111','5500-0000-0000-0004','340000000000009','6011000000000004'])[1 + g % 4],
           ('10.0.' || (g % 256) || '.' || (g * 7 % 256))::inet,
           date '1950-01-01' + (g * 113 % 20000),
           CASE WHEN g % 2 = 0 THEN 'Customer called from +44 20 7946 0958 about order ' || g
                ELSE 'Please reply to contact' || g || '@acme-corp.co.uk when shipped' END,
           (ARRAY['active','inactive'])[1 + g % 2],
           g * 1.5
    FROM generate_series(1, 300) g;`);
});

afterAll(async () => {
  await db?.drop();
});

describe('detectPii on a real customers table', () => {
  it('finds every PII column with its kind and leaves ordinary columns alone', async () => {
    const { table, sample } = await readTable(db, 'customers');
    const found = detectPii(table, sample);
    if (process.env.SYNTH_TEST_VERBOSE) console.table(found);
    const byColumn = Object.fromEntries(found.map((f) => [f.column, f.kind]));
    expect(byColumn).toEqual({
      full_name: 'person-name',
      given: 'first-name',
      surname: 'last-name',
      contact: 'email',
      mobile: 'phone',
      addr: 'street-address',
      city: 'city',
      zip: 'postal-code',
      ssn: 'national-id',
      iban: 'iban',
      card: 'credit-card',
      last_ip: 'ip-address',
      dob: 'date-of-birth',
      notes: 'free-text',
    });
    for (const f of found) {
      expect(f.confidence).toBeGreaterThanOrEqual(0.5);
      expect(f.confidence).toBeLessThanOrEqual(1);
      expect(f.reason.length).toBeGreaterThan(10);
    }
    // Value evidence beats a meaningless name: "contact" is found from its values.
    expect(found.find((f) => f.column === 'contact')!.reason).toMatch(/email/);
    expect(found.find((f) => f.column === 'city')!.reason).toMatch(/city names/);
    expect(found.find((f) => f.column === 'card')!.reason).toMatch(/Luhn/);
  });

  it('uses values, not just names: a column named email full of numbers is not confidently an email', async () => {
    const { table, sample } = await readTable(db, 'customers');
    const renamed: Table = { ...table, columns: table.columns.map((c) => (c.name === 'amount' ? { ...c, name: 'email_count' } : c)) };
    const sample2 = { ...sample, columns: sample.columns.map((c) => (c === 'amount' ? 'email_count' : c)) };
    expect(detectPii(renamed, sample2).some((f) => f.column === 'email_count')).toBe(false);
  });
});

describe('detectPii false positives', () => {
  it('does not take product names, statuses or amounts for personal data', async () => {
    await db.exec(`
      CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL, colour text, sku text, price numeric(8,2));
      INSERT INTO products (name, colour, sku, price)
        SELECT (ARRAY['Forest Green Chair','Ocean Blue Lamp','Grand Oak Table','Miller Coffee Grinder','Ruby Red Mug'])[1 + g % 5],
               (ARRAY['green','blue','brown','red'])[1 + g % 4], 'SKU-' || lpad(g::text, 6, '0'), g * 2.25
        FROM generate_series(1, 200) g;`);
    const { table, sample } = await readTable(db, 'products');
    // The product table's name is a product name (faked only for readability, name-fakes.ts), no person's.
    expect(detectPii(table, sample).map((f) => [f.column, f.kind])).toEqual([['name', 'product-name']]);
  });
});

describe('planPiiTransforms and transformBatches', () => {
  it('lets config overrides win and transforms a streamed table, leaving other columns untouched', async () => {
    const { table, sample } = await readTable(db, 'customers');
    const findings = detectPii(table, sample);
    const plan = planPiiTransforms(findings, { city: { transform: 'keep' }, status: { transform: 'hash' } });
    expect(plan.has('city')).toBe(false);
    expect(plan.get('status')).toBe('hash');
    expect(plan.get('contact')).toBe('email');
    async function* batches() {
      for (let i = 0; i < sample.rows.length; i += 100) yield { columns: sample.columns, rows: sample.rows.slice(i, i + 100) };
    }
    const out: unknown[][] = [];
    for await (const b of transformBatches(batches(), plan, KEY, table.columns)) out.push(...b.rows);
    expect(out).toHaveLength(sample.rows.length);
    const ci = sample.columns.indexOf('contact');
    const cityI = sample.columns.indexOf('city');
    const amountI = sample.columns.indexOf('amount');
    for (let i = 0; i < out.length; i++) {
      expect(out[i]![ci]).not.toBe(sample.rows[i]![ci]);
      expect(String(out[i]![ci]).length).toBeLessThanOrEqual(60);
      expect(out[i]![cityI]).toBe(sample.rows[i]![cityI]);
      expect(out[i]![amountI]).toBe(sample.rows[i]![amountI]);
    }
  });
});

describe('transformValue', () => {
  it('is deterministic across calls and transformers, and key-dependent', () => {
    const a = transformValue('email', 'Jane.Doe@acme-corp.co.uk', KEY);
    const b = transformValue('email', 'jane.doe@ACME-corp.co.uk ', KEY);
    const c = columnTransformer('email', KEY)('Jane.Doe@acme-corp.co.uk');
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(transformValue('email', 'Jane.Doe@acme-corp.co.uk', 'other-key')).not.toBe(a);
    expect(transformValue('person-name', 'Jane Smith', KEY)).toBe(transformValue('person-name', 'Jane Smith', KEY));
    expect(transformValue('person-name', 'Jane Smith', KEY)).not.toBe('Jane Smith');
  });

  it('keeps the email domain shape and public providers', () => {
    const corp = String(transformValue('email', 'jane@acme-corp.co.uk', KEY));
    expect(corp).toMatch(/^[^@]+@[a-z0-9]+\.[a-z0-9]+\.uk$/);
    expect(corp).not.toContain('acme');
    expect(String(transformValue('email', 'bob@gmail.com', KEY))).toMatch(/@gmail\.com$/);
    const short = String(
      transformValue('email', 'averyveryverylongname@gmail.com', KEY, {
        name: 'e', type: { kind: 'text', maxLength: 20, fixedLength: false }, nativeType: 'varchar(20)', nullable: false,
        default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null,
      }),
    );
    expect(short.length).toBeLessThanOrEqual(20);
    expect(short).toMatch(/@gmail\.com$/);
  });

  it('preserves phone layout, postal-code pattern and produces valid cards, IBANs and SSNs', () => {
    const phone = String(transformValue('phone', '+1 (555) 123-4567', KEY));
    expect(phone).toMatch(/^\+1 \(\d{3}\) \d{3}-\d{4}$/);
    expect(phone).not.toBe('+1 (555) 123-4567');
    expect(String(transformValue('postal-code', 'SW1A 1AA', KEY))).toMatch(/^[A-Z]{2}\d[A-Z] \d[A-Z]{2}$/);
    expect(String(transformValue('postal-code', '12345-6789', KEY))).toMatch(/^\d{5}-\d{4}$/);
    for (const real of ['4111 1111 1111 1111', '5500-0000-0000-0004', '340000000000009']) {
      const fake = String(transformValue('credit-card', real, KEY));
      expect(fake.replace(/\d/g, '9')).toBe(real.replace(/\d/g, '9'));
      expect(luhnValid(fake.replace(/\D/g, ''))).toBe(true);
      expect(fake).not.toBe(real);
      expect(fake[0]).toBe(real[0]);
    }
    for (let i = 0; i < 50; i++) {
      const card = String(transformValue('credit-card', `4${String(i).padStart(14, '0')}7`, KEY));
      expect(luhnValid(card)).toBe(true);
    }
    const iban = String(transformValue('iban', 'DE89 3704 0044 0532 0130 00', KEY));
    expect(ibanValid(iban)).toBe(true);
    expect(iban.startsWith('DE')).toBe(true);
    expect(iban).toMatch(/^DE\d{2}( \d{4}){4} \d{2}$/);
    const ssn = String(transformValue('national-id', '123-45-6789', KEY));
    expect(ssn).toMatch(/^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/);
  });

  it('keeps the birth year, rewrites contact details inside free text, handles keep/redact/hash and numbers', () => {
    const dob = String(transformValue('date-of-birth', '1984-07-21', KEY));
    expect(dob).toMatch(/^1984-\d{2}-\d{2}$/);
    expect(Number.isNaN(Date.parse(dob))).toBe(false);
    const text = 'Please reply to jane@acme-corp.co.uk or call +44 20 7946 0958.';
    const out = String(transformValue('free-text', text, KEY));
    expect(out).not.toContain('jane@acme-corp.co.uk');
    expect(out).not.toContain('7946 0958');
    expect(out).toContain(String(transformValue('email', 'jane@acme-corp.co.uk', KEY)));
    expect(out.startsWith('Please reply to ')).toBe(true);
    expect(transformValue('keep', 'x', KEY)).toBe('x');
    expect(transformValue('redact', 'x', KEY)).toBeNull();
    expect(transformValue('hash', 'x', KEY)).toMatch(/^[0-9a-f]{64}$/);
    expect(transformValue('email', null, KEY)).toBeNull();
    const asNumber = transformValue('phone', 4915112345678, KEY);
    expect(typeof asNumber).toBe('number');
    expect(String(asNumber)).toHaveLength(13);
    expect(() => transformValue('email', 'a@b.cd', '')).toThrow(/key is empty/);
  });

  it('transforms a whole real column consistently: same real value, same fake, distinct values stay distinct', async () => {
    const rows = await db.query<{ contact: string; full_name: string }>('SELECT contact, full_name FROM customers');
    const email = columnTransformer('email', KEY);
    const fakes = rows.map((r) => String(email(r.contact)));
    expect(new Set(fakes).size).toBe(new Set(rows.map((r) => r.contact)).size);
    for (let i = 0; i < rows.length; i++) expect(fakes[i]).not.toBe(rows[i]!.contact);
    const names = new Map<string, string>();
    for (const r of rows) {
      const f = String(transformValue('person-name', r.full_name, KEY));
      if (names.has(r.full_name)) expect(names.get(r.full_name)).toBe(f);
      names.set(r.full_name, f);
    }
  });

  it('config fragment accepts transforms and rejects unknown ones with the list', () => {
    expect(piiColumnConfigSchema.parse({ transform: 'email', public: false })).toEqual({ transform: 'email', public: false });
    const bad = piiColumnConfigSchema.safeParse({ transform: 'emial' });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/person-name/);
  });
});

describe('freshFake and fakeKinds', () => {
  it('draws fakes of each kind from the seeded generator, keeping a given layout', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return [freshFake('email', rng), freshFake('first-name', rng), freshFake('phone', rng, [{ mask: '+99 (999) 9999999', weight: 1 }]), freshFake('credit-card', rng), freshFake('date-of-birth', rng)];
    };
    const [email, name, phone, card, dob] = draw(1);
    expect(email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
    expect(name).toMatch(/^[A-Z][a-z]+/);
    expect(phone).toMatch(/^\+\d\d \(\d{3}\) \d{7}$/);
    expect(luhnValid(String(card))).toBe(true);
    expect(String(dob)).toMatch(/^(19[4-9]\d|200\d)-\d\d-\d\d$/);
    expect(draw(1)).toEqual(draw(1));
    expect(draw(2)).not.toEqual(draw(1));
  });

  it('fakes the planned kinds only: keep, redact, hash and free text are left to their own treatment', () => {
    const plan = planPiiTransforms(
      [
        { column: 'email', kind: 'email', confidence: 0.9 },
        { column: 'notes', kind: 'free-text', confidence: 0.9 },
        { column: 'nick', kind: 'first-name', confidence: 0.4 },
      ],
      { phone: { transform: 'phone' }, ssn: { transform: 'hash' }, email2: { transform: 'redact' } },
    );
    expect(fakeKinds(plan)).toEqual({ email: 'email', phone: 'phone' });
  });
});

describe('dpFakeKind (what DP fakes, decided from the schema alone)', () => {
  it('fakes text columns whose names identify a person; keys, other kinds and non-text stay with their statistics', async () => {
    const { table } = await readTable(db, 'customers');
    const col = (name: string) => table.columns.find((c) => c.name === name)!;
    const kinds = Object.fromEntries(table.columns.map((c) => [c.name, dpFakeKind(table, c) ?? null]));
    // Names that say what they hold: `full_name`, `surname`, `ssn`; `given`/`contact`/`mobile`/`addr` only say so in their values.
    expect(kinds.full_name).toBe('person-name');
    expect(kinds.surname).toBe('last-name');
    expect(kinds.ssn).toBe('national-id');
    expect(kinds.contact).toBeNull();
    expect(kinds.city).toBeNull();
    expect(kinds.zip).toBeNull();
    expect(kinds.id).toBeNull();
    // The config decides too: a transform naming a kind fakes, keep/redact/hash and free text do not.
    expect(dpFakeKind(table, col('contact'), 'email')).toBe('email');
    expect(dpFakeKind(table, col('full_name'), 'keep')).toBeUndefined();
    expect(dpFakeKind(table, col('full_name'), 'hash')).toBeUndefined();
    expect(dpFakeKind(table, col('full_name'), 'free-text')).toBeUndefined();
    const keyed = { ...table, uniques: [{ name: 'u', columns: ['surname'], origin: 'constraint' as const, predicate: null, nullsDistinct: true }] };
    expect(dpFakeKind(keyed, col('surname'))).toBeUndefined();
  });
});

describe('detectPii precision (issue 15, item 4)', () => {
  beforeAll(async () => {
    await db.exec(`
      CREATE TABLE places (
        id serial PRIMARY KEY,
        latitude numeric(9,6) NOT NULL,
        longitude numeric(9,6) NOT NULL,
        phone_number bigint,
        mobile text,
        contact_phone text,
        note text
      );
      INSERT INTO places (latitude, longitude, phone_number, mobile, contact_phone, note)
      SELECT -54 + (g * 7919 % 132000) / 1000.0, -179 + (g * 104729 % 358000) / 1000.0, 5550000000 + g * 7,
             (ARRAY['yes','no'])[1 + g % 2],
             '+1 (555) ' || lpad((100 + g % 900)::text, 3, '0') || '-' || lpad((g * 37 % 10000)::text, 4, '0'),
             'visited ' || g
      FROM generate_series(1, 300) g;`);
  });

  it('never takes a numeric column for a phone, nor a name whose values contradict it', async () => {
    const { table, sample } = await readTable(db, 'places');
    const byColumn = Object.fromEntries(detectPii(table, sample).map((f) => [f.column, f.kind]));
    // latitude/longitude (numeric) were flagged as phones; phone_number is a number column; mobile holds yes/no.
    expect(byColumn).toEqual({ contact_phone: 'phone' });
  });

  it('one configured transform changes that column only: no key demanded, latitudes and other PII untouched', async () => {
    const { table, sample } = await readTable(db, 'places');
    const config = parseConfig({
      source: { url: db.url },
      targets: { dev: { url: 'postgresql://x@127.0.0.1/none' } },
      tables: { places: { columns: { note: { transform: 'redact' } } } },
    });
    // No SYNTH_PII_KEY: 'redact' needs none, and nothing else is keyed-transformed.
    const out = await PrivacyRun.forConfig(config, {})!.transformSample(table, sample);
    const col = (s: TableSample, name: string) => s.rows.map((r) => r[s.columns.indexOf(name)]);
    expect(col(out, 'note').every((v) => v === null)).toBe(true);
    for (const name of ['latitude', 'longitude', 'phone_number', 'mobile', 'contact_phone']) expect(col(out, name)).toEqual(col(sample, name));
    const lat = col(out, 'latitude').map(Number);
    expect(Math.min(...lat)).toBeGreaterThanOrEqual(-54);
    expect(Math.max(...lat)).toBeLessThanOrEqual(78);
    // The detected phone column is still generated as fresh fakes of its kind, as without any transform.
    expect(out.piiKinds).toEqual({ contact_phone: 'phone' });
  });

  it('a kind transform on one column needs a key, and transforms only that column', async () => {
    const { table, sample } = await readTable(db, 'places');
    const config = parseConfig({
      source: { url: db.url },
      targets: { dev: { url: 'postgresql://x@127.0.0.1/none' } },
      tables: { places: { columns: { mobile: { transform: 'hash' } } } },
    });
    const out = await PrivacyRun.forConfig(config, {}, async () => 'managed-key-for-test')!.transformSample(table, sample);
    const col = (s: TableSample, name: string) => s.rows.map((r) => r[s.columns.indexOf(name)]);
    expect(col(out, 'mobile')).not.toEqual(col(sample, 'mobile'));
    expect(col(out, 'contact_phone')).toEqual(col(sample, 'contact_phone'));
    expect(col(out, 'latitude')).toEqual(col(sample, 'latitude'));
  });
});


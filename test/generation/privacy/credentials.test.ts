import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/connectors/index.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import { credentialName, credentialShapeOf, detectCredentials } from '../../../src/generation/privacy/credential-detect.js';
import { CredentialScrubber, freshCredential } from '../../../src/generation/privacy/credential-fakes.js';
import { createRng } from '../../../src/generation/rng.js';
import type { Table } from '../../../src/schema/model.js';
import { writableColumns } from '../../../src/schema/model.js';
import type { Row } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

// Published example hashes (OpenBSD bcrypt docs, the argon2 reference test vector, Django's hasher format).
const BCRYPT = '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';
const ARGON2 = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG';
const DJANGO = 'pbkdf2_sha256$600000$Xo2rCqs7Hn3T$Q5Xz8wGJGZQkYV4bF0oXrNp1Sg4sgF0pJdTj3kVtJ8A=';
const SHA1 = createHash('sha1').update('hunter2').digest('hex');

let db: TestDatabase;
let source: SourceConnector;
let table: Table;
let sample: { columns: string[]; rows: Row[] };

beforeAll(async () => {
  db = await createPgDatabase('synth_creds');
  await db.exec(`
    CREATE TABLE account (
      id serial PRIMARY KEY, login text NOT NULL, passwd text, legacy_digest text, "apiKey" text, password_changed_at text,
      token_type text, sku text, ref_code text, status text
    );
    INSERT INTO account (login, passwd, legacy_digest, "apiKey", password_changed_at, token_type, sku, ref_code, status)
    SELECT 'user' || g, CASE WHEN g % 4 = 0 THEN NULL ELSE 'plain-' || g || 'Xy!' END, encode(sha256(g::text::bytea), 'hex'),
           'sk_live_' || md5(g::text), '2024-01-0' || (1 + g % 9), 'bearer', 'SKU-' || lpad(g::text, 6, '0'), 'RC-' || md5(g::text),
           (ARRAY['active','closed'])[1 + g % 2]
    FROM generate_series(1, 120) g;`);
  source = await openSource(db.url);
  table = (await source.introspect()).tables.find((t) => t.name === 'account')!;
  const columns = writableColumns(table).map((c) => c.name);
  const rows: Row[] = [];
  for await (const b of source.readRows(table, { columns })) rows.push(...b.rows);
  sample = { columns, rows };
});
afterAll(async () => {
  await source?.close();
  await db?.drop();
});

describe('credentialShapeOf and credentialName', () => {
  it('recognises bcrypt, argon2, Django and hex/base64 digests, keeping only algorithm and cost', () => {
    expect(credentialShapeOf(BCRYPT)).toMatchObject({ format: 'bcrypt', prefix: '$2a$10$', parts: [53] });
    expect(credentialShapeOf(ARGON2)).toMatchObject({ format: 'modular-crypt', prefix: '$argon2id$v=19$m=65536,t=3,p=4$', parts: [11, 32] });
    expect(credentialShapeOf(DJANGO)).toMatchObject({ format: 'django', prefix: 'pbkdf2_sha256$600000$', padding: 1 });
    expect(credentialShapeOf(SHA1)).toMatchObject({ format: 'hex', parts: [40] });
    expect(credentialShapeOf(randomBytes(32).toString('base64'))).toMatchObject({ format: 'base64', parts: [43], padding: 1 });
    for (const plain of ['hello world', 'Jane Smith', 'SKU-000123', '12345678901234567', 'active']) expect(credentialShapeOf(plain)).toBeNull();
  });

  it('names: credentials yes, things about credentials no', () => {
    for (const n of ['password', 'passwd', 'password_hash', 'encryptedPassword', 'api_key', 'apiKey', 'client_secret', 'refresh_token', 'salt', 'otp_secret']) expect(credentialName(n)).toBe(true);
    for (const n of ['password_changed_at', 'token_type', 'token_expires_at', 'api_key_id', 'secret_question', 'passenger', 'tokenizer', 'salty']) expect(credentialName(n)).toBe(false);
  });
});

describe('detectCredentials on a real table', () => {
  it('finds credentials by name and by value, and leaves codes, timestamps and statuses alone', () => {
    const found = Object.fromEntries(detectCredentials(table, sample).map((p) => [p.column, [...new Set(p.shapes.map((s) => s.shape.format))]]));
    expect(Object.keys(found).sort()).toEqual(['apiKey', 'legacy_digest', 'passwd']);
    expect(found.legacy_digest).toEqual(['hex']);
    expect(found.passwd).toEqual(['token']);
    // Shapes hold no real material: lengths, alphabets and the algorithm prefix only.
    const json = JSON.stringify(detectCredentials(table, sample));
    for (const row of sample.rows.slice(0, 20)) for (const v of row) if (typeof v === 'string' && v.length > 8) expect(json).not.toContain(v);
  });
});

describe('freshCredential and CredentialScrubber', () => {
  it('draws well-formed values of each shape: canonical bcrypt, real digests of random passwords, same lengths', () => {
    const rng = createRng(1, 'cred');
    const bcrypt = freshCredential(credentialShapeOf(BCRYPT)!, rng);
    expect(bcrypt).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    // Canonical bcrypt base64: the salt's 22nd character carries 2 bits, the hash's 31st carries 4.
    expect('.Oeu').toContain(bcrypt[7 + 21]);
    expect(bcrypt).not.toBe(BCRYPT);
    expect(freshCredential(credentialShapeOf(ARGON2)!, rng)).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{11}\$[A-Za-z0-9+/]{32}$/);
    expect(freshCredential(credentialShapeOf(DJANGO)!, rng)).toMatch(/^pbkdf2_sha256\$600000\$[A-Za-z0-9+/]{12}\$[A-Za-z0-9+/]{43}=$/);
    const hex = freshCredential(credentialShapeOf(SHA1)!, rng);
    expect(hex).toMatch(/^[0-9a-f]{40}$/);
    expect(hex).not.toBe(SHA1);
  });

  it('scrubs a sample (NULLs kept, nothing real left, same seed same values) and replaces generated batches', async () => {
    const a = new CredentialScrubber(7).scrub(table, sample);
    const b = new CredentialScrubber(7).scrub(table, sample);
    expect(a.rows).toEqual(b.rows);
    const at = (name: string) => sample.columns.indexOf(name);
    // Fresh values follow the column's shapes (lengths seen in the column), not the length of the row's own value.
    const lengths = (c: string) => new Set(sample.rows.map((r) => r[at(c)]).filter((v) => v !== null).map((v) => String(v).length));
    for (let i = 0; i < sample.rows.length; i++) {
      for (const c of ['passwd', 'legacy_digest', 'apiKey']) {
        const real = sample.rows[i]![at(c)];
        const fake = a.rows[i]![at(c)];
        if (real === null) expect(fake).toBeNull();
        else {
          expect(fake).not.toBe(real);
          expect(lengths(c).has(String(fake).length)).toBe(true);
        }
      }
      for (const c of ['login', 'sku', 'ref_code', 'status', 'token_type']) expect(a.rows[i]![at(c)]).toBe(sample.rows[i]![at(c)]);
    }
    const scrubber = new CredentialScrubber(7);
    scrubber.scrub(table, sample);
    expect(scrubber.isCredential(table, 'passwd')).toBe(true);
    expect(scrubber.isCredential(table, 'sku')).toBe(false);
    expect(scrubber.report().map((r) => r.column).sort()).toEqual(['apiKey', 'legacy_digest', 'passwd']);
    const out: Row[] = [];
    const batches = (async function* () {
      yield { columns: sample.columns, rows: sample.rows.slice(0, 10) };
    })();
    for await (const batch of scrubber.replaceIn(table, batches)) out.push(...batch.rows);
    expect(out).toHaveLength(10);
    for (let i = 0; i < 10; i++) expect(out[i]![at('legacy_digest')]).not.toBe(sample.rows[i]![at('legacy_digest')]);
  });
});

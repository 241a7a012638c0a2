import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { openSource } from '../../../src/connectors/index.js';
import type { SourceConnector } from '../../../src/connectors/connector.js';
import { BCRYPT_POOL_SIZE, bcryptOf, pooledBcrypt } from '../../../src/generation/privacy/credential-bcrypt.js';
import { credentialShapeOf, detectCredentials } from '../../../src/generation/privacy/credential-detect.js';
import { CredentialScrubber, freshCredential } from '../../../src/generation/privacy/credential-fakes.js';
import { formatCredentials, planCredentials } from '../../../src/generation/privacy/credential-plan.js';
import { createRng } from '../../../src/generation/rng.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import { writableColumns } from '../../../src/schema/model.js';
import type { Row } from '../../../src/schema/values.js';
import { createPgDatabase, type TestDatabase } from '../../support/databases.js';

let db: TestDatabase;
let source: SourceConnector;
let schema: DatabaseSchema;
const tables: Record<string, Table> = {};
const samples: Record<string, { columns: string[]; rows: Row[] }> = {};

beforeAll(async () => {
  db = await createPgDatabase('synth_credshape');
  const rows = Array.from({ length: 60 }, (_, i) => ({
    hash: bcrypt.hashSync(`pw${i}`, '$2b$04$' + bcrypt.encodeBase64([...randomBytes(16)], 16)),
    digest: randomBytes(32),
    key: randomBytes(16),
  }));
  const hex = (b: Buffer) => `'\\x${b.toString('hex')}'`;
  await db.exec(`
    CREATE TABLE member (id serial PRIMARY KEY, login text NOT NULL, login_hash varchar(60) UNIQUE, password_hash bytea, api_key bytea, avatar bytea, passwd text);
    INSERT INTO member (login, login_hash, password_hash, api_key, avatar, passwd) VALUES
    ${rows.map((r, i) => `('user${i}', '${r.hash}', ${i % 7 === 0 ? 'NULL' : hex(r.digest)}, ${hex(r.key)}, ${hex(randomBytes(5 + (i % 9)))}, 'plain${i}Xy!')`).join(',\n')};
    CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL, amount int);
    INSERT INTO note (body, amount) SELECT 'note ' || g, g FROM generate_series(1, 30) g;`);
  source = await openSource(db.url);
  schema = await source.introspect();
  for (const t of schema.tables) {
    tables[t.name] = t;
    const columns = writableColumns(t).map((c) => c.name);
    const all: Row[] = [];
    for await (const b of source.readRows(t, { columns })) all.push(...b.rows);
    samples[t.name] = { columns, rows: all };
  }
});
afterAll(async () => {
  await source?.close();
  await db?.drop();
});

describe('real bcrypt hashes', () => {
  it('bcryptOf: the random password verifies against its hash, at the prefix cost and variant', () => {
    const { password, hash } = bcryptOf('$2y$05$', createRng(4, 'unit'));
    expect(hash).toMatch(/^\$2y\$05\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.getRounds(hash)).toBe(5);
    expect(bcrypt.compareSync(password, hash)).toBe(true);
    expect(bcrypt.compareSync(`${password}x`, hash)).toBe(false);
    // Same injected stream, same password and hash; another stream, another one.
    expect(bcryptOf('$2y$05$', createRng(4, 'unit'))).toEqual({ password, hash });
    expect(bcryptOf('$2y$05$', createRng(5, 'unit')).hash).not.toBe(hash);
  });

  it('freshCredential: a bcrypt value is a real hash at the source cost (10), which bcryptjs parses', () => {
    const fresh = freshCredential(credentialShapeOf('$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy')!, createRng(1, 'b'));
    expect(typeof fresh).toBe('string');
    expect(bcrypt.getRounds(fresh as string)).toBe(10);
    expect(bcrypt.getSalt(fresh as string)).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{22}$/);
    expect(fresh).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
  });

  it('pooledBcrypt: the first 64 draws are distinct real hashes, later ones come from the pool, same key same pool', () => {
    const rng = createRng(2, 'pool');
    const first = Array.from({ length: BCRYPT_POOL_SIZE }, (_, i) => pooledBcrypt('test|pool', '$2b$04$', i, rng));
    expect(new Set(first).size).toBe(BCRYPT_POOL_SIZE);
    for (const h of first) expect(bcrypt.getRounds(h)).toBe(4);
    const later = Array.from({ length: 200 }, (_, i) => pooledBcrypt('test|pool', '$2b$04$', BCRYPT_POOL_SIZE + i, rng));
    for (const h of later) expect(first).toContain(h);
    expect(new Set(later).size).toBeGreaterThan(40);
    expect(pooledBcrypt('test|other', '$2b$04$', 0, rng)).not.toBe(first[0]);
  });

  it('a UNIQUE bcrypt column gets one hash per row at cost 4 (no repeats), and the plan says so', () => {
    const plan = detectCredentials(tables.member!, samples.member!).find((p) => p.column === 'login_hash')!;
    expect(plan.unique).toBe(true);
    expect(plan.reason).toContain('UNIQUE: one bcrypt hash per row at cost 4');
    const at = samples.member!.columns.indexOf('login_hash');
    const scrubbed = new CredentialScrubber(3).scrub(tables.member!, samples.member!);
    const hashes = scrubbed.rows.map((r) => r[at] as string);
    expect(new Set(hashes).size).toBe(hashes.length);
    for (const h of hashes) {
      expect(bcrypt.getRounds(h)).toBe(4);
      expect(samples.member!.rows.map((r) => r[at])).not.toContain(h);
    }
  });

  it('argon2 salts and hashes stay standard base64, even when the sampled value showed only "/"', () => {
    const shape = credentialShapeOf('$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub/b/dWRWJTmaaJObG')!;
    const rng = createRng(9, 'argon');
    for (let i = 0; i < 50; i++) expect(freshCredential(shape, rng)).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{11}\$[A-Za-z0-9+/]{32}$/);
  });
});

describe('binary credential columns', () => {
  it('bytea columns named as credentials are found (not other bytea) and get random bytes of the same length', () => {
    const plans = detectCredentials(tables.member!, samples.member!);
    expect(plans.map((p) => p.column).sort()).toEqual(['api_key', 'login_hash', 'passwd', 'password_hash']);
    expect(plans.find((p) => p.column === 'password_hash')!.shapes).toEqual([{ shape: expect.objectContaining({ format: 'bytes', parts: [32] }), weight: 1 }]);
    const scrubbed = new CredentialScrubber(3).scrub(tables.member!, samples.member!);
    const col = (name: string) => samples.member!.columns.indexOf(name);
    for (let i = 0; i < scrubbed.rows.length; i++) {
      const real = samples.member!.rows[i]!;
      const fake = scrubbed.rows[i]!;
      for (const [c, n] of [['password_hash', 32], ['api_key', 16]] as const) {
        if (real[col(c)] === null) {
          expect(fake[col(c)]).toBeNull();
          continue;
        }
        expect(fake[col(c)]).toBeInstanceOf(Uint8Array);
        expect((fake[col(c)] as Uint8Array).length).toBe(n);
        expect(Buffer.from(fake[col(c)] as Uint8Array).equals(Buffer.from(real[col(c)] as Uint8Array))).toBe(false);
      }
      expect(fake[col('avatar')]).toEqual(real[col('avatar')]);
    }
  });
});

describe("transform: 'keep' for a false positive", () => {
  it('keeps a flagged column as it is, through the scrubber the config builds', () => {
    const config = parseConfig({ source: { url: db.url }, targets: { dev: { url: db.url } }, tables: { member: { columns: { passwd: { transform: 'keep' } } } } });
    const scrubber = CredentialScrubber.forConfig(config);
    const scrubbed = scrubber.scrub(tables.member!, samples.member!);
    const at = samples.member!.columns.indexOf('passwd');
    expect(scrubbed.rows.map((r) => r[at])).toEqual(samples.member!.rows.map((r) => r[at]));
    expect(scrubber.isCredential(tables.member!, 'passwd')).toBe(false);
    expect(scrubber.isCredential(tables.member!, 'login_hash')).toBe(true);
    // Without the override the same column is replaced.
    const plain = new CredentialScrubber(config.seed).scrub(tables.member!, samples.member!);
    expect(plain.rows.map((r) => r[at])).not.toEqual(samples.member!.rows.map((r) => r[at]));
  });
});

describe('planCredentials', () => {
  it('lists every credential column with its reason, kept ones marked, and no value', async () => {
    const config = parseConfig({ source: { url: db.url }, targets: { dev: { url: db.url } }, tables: { 'public.member': { columns: { passwd: { transform: 'keep' } } } } });
    const list = await planCredentials(source, schema, config);
    expect(list.map((c) => `${c.table}.${c.column}`).sort()).toEqual(['public.member.api_key', 'public.member.login_hash', 'public.member.passwd', 'public.member.password_hash']);
    expect(list.find((c) => c.column === 'login_hash')).toMatchObject({ formats: ['bcrypt'], kept: false, reason: expect.stringMatching(/sampled values are password hashes/) });
    expect(list.find((c) => c.column === 'passwd')).toMatchObject({ kept: true, reason: expect.stringMatching(/column name "passwd"/) });
    const text = formatCredentials(list);
    expect(text).toMatch(/public\.member\.passwd \(token\): .* kept as is/);
    expect(text).toMatch(/public\.member\.password_hash \(bytes\): column name "password_hash" names a credential \(binary: 32 bytes\)/);
    for (const row of samples.member!.rows) expect(text).not.toContain(String(row[samples.member!.columns.indexOf('login_hash')]));
  });
});

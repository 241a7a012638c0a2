import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { createMysqlDatabase, pgHydrationFixture, type TestDatabase } from '../support/databases.js';

// Binary credentials (a 32-byte password hash, a 16-byte API key), bcrypt hashes at cost 5, a column the detector
// flags by name that the config keeps (a false positive), and a bytea that is no credential.
const rows = Array.from({ length: 40 }, (_, i) => ({
  hash: randomBytes(32),
  key: randomBytes(16),
  avatar: randomBytes(8),
  // Cost 5: neither the default synth falls back to (10) nor the per-row cost of UNIQUE columns (4), so only the
  // source's cost passes; and 64× cheaper than 11 for the 40 hashes here and the pool synth fills per run.
  bcrypt: bcrypt.hashSync(`pw${i}`, '$2b$05$' + bcrypt.encodeBase64([...randomBytes(16)], 16)),
  // What the detector takes for a token by its name is, in this schema, the kind of login: three categories.
  token: ['none', 'oauth', 'saml'][i % 3]!,
}));
const hex = (b: Buffer) => b.toString('hex');
const realHashes = new Set(rows.flatMap((r) => [hex(r.hash), hex(r.key)]));

type Out = { password_hash: Buffer | null; api_key: Buffer; avatar: Buffer; login_hash: string; auth_token: string };

function expectReplaced(out: Out[]): void {
  expect(out).toHaveLength(40);
  for (const r of out) {
    if (r.password_hash !== null) {
      expect(r.password_hash).toHaveLength(32);
      expect(realHashes.has(hex(r.password_hash))).toBe(false);
    }
    expect(r.api_key).toHaveLength(16);
    expect(realHashes.has(hex(r.api_key))).toBe(false);
    // A real bcrypt hash at the source's cost, never a source one.
    expect(bcrypt.getRounds(r.login_hash)).toBe(5);
    expect(rows.map((x) => x.bcrypt)).not.toContain(r.login_hash);
  }
  expect(new Set(out.map((r) => hex(r.api_key))).size).toBeGreaterThan(35);
  // 40 rows ≤ the pool of 64: no hash repeats.
  expect(new Set(out.map((r) => r.login_hash)).size).toBe(40);
  // `transform: keep`: the flagged column is left to the ordinary model, which draws the source's categories.
  for (const r of out) expect(['none', 'oauth', 'saml']).toContain(r.auth_token);
}

const env = pgHydrationFixture(
  'synth_credbin',
  `CREATE TABLE member (id serial PRIMARY KEY, password_hash bytea, api_key bytea NOT NULL, avatar bytea NOT NULL, login_hash varchar(60) NOT NULL, auth_token text NOT NULL);
   INSERT INTO member (password_hash, api_key, avatar, login_hash, auth_token) VALUES
   ${rows.map((r, i) => `(${i % 8 === 0 ? 'NULL' : `'\\x${hex(r.hash)}'`}, '\\x${hex(r.key)}', '\\x${hex(r.avatar)}', '${r.bcrypt}', '${r.token}')`).join(',\n')};`,
);
const tables = { member: { columns: { auth_token: { transform: 'keep' } } } };

describe('binary credentials and transform keep (PostgreSQL → PostgreSQL)', () => {
  it('bytea credentials get random bytes of the same length; bcrypt is real at the source’s cost; the kept column is not replaced', async () => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: env.outDir, seed: 5, quality: { enabled: false }, tables });
    const events: string[] = [];
    const r = await hydrate({ config, target: 'dev', emit: (e) => events.push(JSON.stringify(e)) });
    expect(r.status).toBe('ok');
    expectReplaced(await env.target.query<Out>('SELECT password_hash, api_key, avatar, login_hash, auth_token FROM member ORDER BY id'));
    expect(events.join('\n')).toMatch(/Credentials: public\.member\.password_hash \(bytes\)/);
    expect(events.join('\n')).not.toMatch(/Credentials: public\.member\.auth_token/);
  }, 180_000);
});

describe('binary credentials (MariaDB → MariaDB)', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  beforeAll(async () => {
    source = await createMysqlDatabase('synth_credbin_src');
    target = await createMysqlDatabase('synth_credbin_dst');
    await source.exec(`CREATE TABLE member (id int AUTO_INCREMENT PRIMARY KEY, password_hash VARBINARY(32), api_key BLOB NOT NULL, avatar BLOB NOT NULL, login_hash varchar(60) NOT NULL, auth_token varchar(40) NOT NULL);
      INSERT INTO member (password_hash, api_key, avatar, login_hash, auth_token) VALUES
      ${rows.map((r, i) => `(${i % 8 === 0 ? 'NULL' : `X'${hex(r.hash)}'`}, X'${hex(r.key)}', X'${hex(r.avatar)}', '${r.bcrypt}', '${r.token}')`).join(',\n')};`);
  });
  afterAll(async () => {
    await source?.drop();
    await target?.drop();
  });

  it('VARBINARY and BLOB credentials get random bytes of the same length', async () => {
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, outDir: env.outDir, seed: 5, quality: { enabled: false }, tables });
    const r = await hydrate({ config, target: 'dev' });
    expect(r.status).toBe('ok');
    expectReplaced(await target.query<Out>('SELECT password_hash, api_key, avatar, login_hash, auth_token FROM member ORDER BY id'));
  }, 180_000);
});

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-cli-plancred-'));
const BCRYPT_CHARS = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const secrets = Array.from({ length: 30 }, (_, i) => ({
  sha1: createHash('sha1').update(`pw${i}`).digest('hex'),
  bcrypt: `$2b$12$${Array.from(randomBytes(53), (b) => BCRYPT_CHARS[b % 64]).join('')}`,
}));
let source: TestDatabase;
let configPath: string;

beforeAll(async () => {
  source = await createPgDatabase('synth_cliplancred');
  await source.exec(`
    CREATE TABLE account (id serial PRIMARY KEY, email text NOT NULL, password text NOT NULL, login_check varchar(60), password_hash bytea, session_token text);
    INSERT INTO account (email, password, login_check, password_hash, session_token) VALUES
    ${secrets.map((s, i) => `('u${i}@example.com', '${s.sha1}', '${s.bcrypt}', '\\x${randomBytes(32).toString('hex')}', 'not-a-secret-${i}')`).join(',\n')};
    CREATE TABLE visit (id serial PRIMARY KEY, account_id int NOT NULL REFERENCES account(id), at timestamptz NOT NULL DEFAULT now());
    INSERT INTO visit (account_id) SELECT 1 + g % 30 FROM generate_series(1, 60) g;`);
  configPath = join(dir, 'synth.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      source: { url: source.url },
      targets: { dev: { url: source.url } },
      quality: { enabled: false },
      outDir: join(dir, 'out'),
      // A false positive: session_token holds no secret in this schema.
      tables: { account: { columns: { session_token: { transform: 'keep' } } } },
    }),
  );
});
afterAll(async () => {
  await source?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('synth plan: credential columns', () => {
  it('lists each credential column with its reason (name or value shape), kept ones marked, no value printed', async () => {
    const r = await runCli(['plan', '--config', configPath, '--no-json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Credential columns (never copied;');
    expect(r.stdout).toMatch(/public\.account\.password \(hex\): 100% of 30 sampled values are password hashes or digests \(hex\) — fresh values/);
    expect(r.stdout).toMatch(/public\.account\.login_check \(bcrypt\): 100% of 30 sampled values are password hashes/);
    expect(r.stdout).toMatch(/public\.account\.password_hash \(bytes\): column name "password_hash" names a credential \(binary: 32 bytes\)/);
    expect(r.stdout).toMatch(/public\.account\.session_token \(token\): column name "session_token" names a credential.* kept as is/);
    const section = r.stdout.slice(r.stdout.indexOf('Credential columns')).split('\n\n')[0]!;
    expect(section.split('\n')).toHaveLength(5);
    expect(section).not.toContain('email');
    for (const s of secrets) {
      expect(r.stdout).not.toContain(s.sha1);
      expect(r.stdout).not.toContain(s.bcrypt.slice(7));
    }
  });

  it('puts them in the --json output', async () => {
    const r = await runCli(['plan', '--config', configPath, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { credentials: Array<{ table: string; column: string; formats: string[]; reason: string; kept: boolean }> };
    expect(out.credentials.map((c) => c.column).sort()).toEqual(['login_check', 'password', 'password_hash', 'session_token']);
    expect(out.credentials.find((c) => c.column === 'login_check')).toMatchObject({ table: 'public.account', formats: ['bcrypt'], kept: false, reason: expect.stringContaining('sampled values') });
    expect(out.credentials.find((c) => c.column === 'session_token')).toMatchObject({ kept: true });
  });
});

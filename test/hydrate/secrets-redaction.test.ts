import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.js';
import { MYSQL_SERVER, PG_SERVER, createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';

// Passwords with every character that has to be encoded in a URL. The local PostgreSQL trusts role postgres
// (any password is accepted); the MariaDB user below is created with PASSWORD.
const PASSWORD = `Pg@${randomBytes(4).toString('hex')}#9/x?y%z`;
const ENC = encodeURIComponent(PASSWORD);
const WRONG = `Wrong@${randomBytes(4).toString('hex')}#1`;
const FORBIDDEN = [PASSWORD, ENC, WRONG, encodeURIComponent(WRONG), PASSWORD.slice(PASSWORD.indexOf('@') + 1)];

const FIXTURE = `
CREATE TABLE customer (id serial PRIMARY KEY, email text NOT NULL, plan text NOT NULL, seats int NOT NULL);
INSERT INTO customer (email, plan, seats)
SELECT 'user' || g || '@example-corp.org', (ARRAY['free','pro','team'])[1 + g % 3], 1 + (g * 7) % 40 FROM generate_series(1, 200) g;
CREATE TABLE invoice (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customer(id), amount numeric(8,2) NOT NULL);
INSERT INTO invoice (customer_id, amount) SELECT 1 + g % 200, (g % 90) * 1.25 FROM generate_series(1, 500) g;
`;

const pgHost = new URL(PG_SERVER).host;
const myHost = new URL(MYSQL_SERVER).host;
const user = `synth_sec_${randomBytes(3).toString('hex')}`;

let source: TestDatabase;
let pgTarget: TestDatabase;
let myTarget: TestDatabase;
let work: string;
let outDir: string;
const outputs: string[] = [];

function withoutPassword(url: string): string {
  const u = new URL(url);
  u.password = '';
  return u.href;
}

function writeConfig(name: string, config: unknown): string {
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

async function synth(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  // No key and no driver password from the test's own environment: each run says where its password comes from.
  const r = await runCli([...args, '--json'], { cwd: work, env: { SYNTH_PII_KEY: '', PGPASSWORD: '', MYSQL_PWD: '', ...env } });
  outputs.push(r.stdout, r.stderr);
  return r;
}

function expectClean(text: string, what: string): void {
  for (const secret of FORBIDDEN) {
    if (text.includes(secret)) throw new Error(`${what} contains a password (${secret === PASSWORD ? 'raw' : 'encoded or partial'})`);
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

beforeAll(async () => {
  source = await createPgDatabase('synth_secsrc');
  await source.exec(FIXTURE);
  pgTarget = await createPgDatabase('synth_secdst');
  myTarget = await createMysqlDatabase('synth_secdst');
  const admin = await mysql.createConnection({ uri: MYSQL_SERVER });
  try {
    for (const host of ['%', 'localhost']) {
      await admin.query(`CREATE USER '${user}'@'${host}' IDENTIFIED BY ?`, [PASSWORD]);
      await admin.query(`GRANT ALL ON *.* TO '${user}'@'${host}'`);
    }
  } finally {
    await admin.end();
  }
  work = mkdtempSync(join(tmpdir(), 'synth-secrets-'));
  outDir = mkdtempSync(join(tmpdir(), 'synth-secrets-out-'));
});

afterAll(async () => {
  await source?.drop();
  await pgTarget?.drop();
  await myTarget?.drop();
  const admin = await mysql.createConnection({ uri: MYSQL_SERVER });
  await admin.query(`DROP USER IF EXISTS '${user}'@'%', '${user}'@'localhost'`).catch(() => undefined);
  await admin.end();
  if (work) rmSync(work, { recursive: true, force: true });
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('passwords never reach an output, a run record, a report or an artifact', () => {
  it('succeeds with the password in the userinfo and in ?password=, privacy alone, and a managed key said once', async () => {
    const config = writeConfig('a.json', {
      source: { url: `postgresql://postgres:${ENC}@${pgHost}/${source.name}` },
      targets: { pg: { url: `postgresql://postgres@${pgHost}/${pgTarget.name}?password=${ENC}` } },
      privacy: { epsilon: 3 },
      training: { reuse: { maxAge: '24h' } },
      outDir,
    });
    const first = await synth(['hydrate', '--config', config, '--target', 'pg']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.match(/created a PII transform key/g)).toHaveLength(1);
    const second = await synth(['hydrate', '--config', config, '--target', 'pg']);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/created a PII transform key/);
    expect(Number((await pgTarget.query<{ n: string }>('SELECT count(*) AS n FROM invoice'))[0]!.n)).toBeGreaterThan(0);
  }, 300_000);

  it('succeeds with PGPASSWORD for the source and a config `password` field for a MariaDB target', async () => {
    const config = writeConfig('c.json', {
      source: { url: `postgresql://postgres@${pgHost}/${source.name}` },
      targets: { my: { url: `mysql://${user}@${myHost}/${myTarget.name}`, password: PASSWORD } },
      // Where the passwords come from is under test here; the learned run above already wrote its artifacts.
      model: 'baseline',
      quality: { enabled: false },
      outDir,
    });
    const r = await synth(['hydrate', '--config', config, '--target', 'my'], { PGPASSWORD: PASSWORD });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await myTarget.query<{ n: number }>('SELECT count(*) AS n FROM customer'))[0]!.n).toBeGreaterThan(0);
  }, 300_000);

  it('fails without leaking: a malformed URL, a database that does not exist, a wrong MYSQL_PWD', async () => {
    const malformed = writeConfig('d.json', {
      source: { url: `postgresql://postgres:${PASSWORD}@${pgHost}/${source.name}` },
      targets: { pg: { url: pgTarget.url } },
      outDir,
    });
    const d = await synth(['hydrate', '--config', malformed, '--target', 'pg']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/%40/);
    expect(d.stderr).toMatch(/encodeURIComponent/);

    const missing = writeConfig('e.json', {
      source: { url: `postgresql://postgres:${ENC}@${pgHost}/${source.name}` },
      targets: { gone: { url: `postgresql://postgres:${ENC}@${pgHost}/synth_no_such_db_${randomBytes(3).toString('hex')}` } },
      outDir,
    });
    const e = await synth(['hydrate', '--config', missing, '--target', 'gone']);
    expect(e.code).toBe(3);
    expect(e.stderr).toMatch(/CONNECTION_FAILED/);

    const wrong = writeConfig('f.json', {
      source: { url: `mysql://${user}@${myHost}/${myTarget.name}` },
      targets: { pg: { url: pgTarget.url } },
      outDir,
    });
    const f = await synth(['hydrate', '--config', wrong, '--target', 'pg'], { MYSQL_PWD: WRONG });
    expect(f.code).toBe(3);
    expect(f.stderr).toMatch(/CONNECTION_FAILED/);

    // The run history shows the failures (with their messages) and the successes.
    const runs = await synth(['runs', '--config', missing]);
    expect(runs.code).toBe(0);
    const ids = [...runs.stdout.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    for (const id of ids) await synth(['runs', '--config', missing, 'show', id]);
    expect(outputs.join('\n')).toMatch(/"status":"failed"/);
  }, 300_000);

  it('leaves no password in stdout, stderr, --json events, run records, reports, model artifacts or the state database files', () => {
    expectClean(outputs.join('\n'), 'CLI output');
    const files = filesUnder(outDir);
    expect(files.some((f) => f.endsWith('.html'))).toBe(true);
    expect(files.some((f) => f.includes(`${join('models', '')}`))).toBe(true);
    // The embedded state database's files hold run records as plain text pages.
    expect(files.some((f) => f.includes('state'))).toBe(true);
    for (const f of files) expectClean(readFileSync(f).toString('latin1'), f);
    // And the passwords really were in play: the configs (written by the test) hold them.
    expect(readFileSync(join(work, 'c.json'), 'utf8')).toContain(JSON.stringify(PASSWORD).slice(1, -1));
    expect(withoutPassword(`postgresql://postgres:${ENC}@${pgHost}/x`)).not.toContain(ENC);
  });
});

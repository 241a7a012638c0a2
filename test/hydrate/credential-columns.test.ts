import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { hydrate, introspectAndPlan, trainModels } from '../../src/pipeline/index.js';
import { modelSetToArtifact } from '../../src/generation/index.js';
import { reportOnTarget } from '../../src/pipeline/index.js';
import { createMysqlDatabase, pgHydrationFixture, type TestDatabase } from '../support/databases.js';

const BCRYPT_CHARS = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// Cost 5, not bcrypt's common 10 (the cost synth assumes for an unreadable prefix): the output must keep the source's
// cost, and a pool of real cost-5 hashes takes milliseconds, not the ~90 ms per hash of cost 10.
const bcryptLike = () => `$2b$05$${Array.from(randomBytes(53), (b) => BCRYPT_CHARS[b % 64]).join('')}`;

// A small staff table that rentals point at (a reference-data candidate), holding the reported SHA-1 password
// hashes, bcrypt hashes under a name that says nothing, API tokens and SHA-256 fingerprints.
const staff = Array.from({ length: 40 }, (_, i) => ({
  username: `user${i}`,
  // Five shared passwords: a low-cardinality column the report would otherwise plot category by category.
  password: createHash('sha1').update(`secret${i % 5}`).digest('hex'),
  login_hash: bcryptLike(),
  api_token: randomBytes(32).toString('base64url'),
  fingerprint: createHash('sha256').update(`fp${i}`).digest('hex'),
}));
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const FIXTURE = `
CREATE TABLE staff (id serial PRIMARY KEY, username text NOT NULL, password text NOT NULL, login_hash varchar(60), api_token text, fingerprint char(64), active boolean NOT NULL DEFAULT true);
INSERT INTO staff (username, password, login_hash, api_token, fingerprint) VALUES
${staff.map((s, i) => `(${q(s.username)}, ${q(s.password)}, ${i % 10 === 0 ? 'NULL' : q(s.login_hash)}, ${q(s.api_token)}, ${q(s.fingerprint)})`).join(',\n')};
CREATE TABLE rental (id serial PRIMARY KEY, staff_id int NOT NULL REFERENCES staff(id), amount numeric(8,2) NOT NULL);
INSERT INTO rental (staff_id, amount) SELECT 1 + g % 40, (g % 50) * 1.5 FROM generate_series(1, 300) g;
`;
const secrets = staff.flatMap((s) => [s.password, s.login_hash, s.api_token, s.fingerprint]);

const env = pgHydrationFixture('synth_cred', FIXTURE);

type Staff = { password: string; login_hash: string | null; api_token: string | null; fingerprint: string };

function expectFreshCredentials(rows: Staff[], exactCount = true): void {
  // Under DP the row count of a 40-row table is itself noisy (±15 rows is within a few noise scales at this ε);
  // what matters here is that every row that is there holds fresh credentials.
  if (exactCount) expect(rows.length).toBe(40);
  else expect(rows.length).toBeGreaterThan(10);
  for (const r of rows) {
    expect(secrets).not.toContain(r.password);
    expect(r.password).toMatch(/^[0-9a-f]{40}$/);
    // Nullable columns get a (noisy, under DP) NULL share.
    if (r.fingerprint !== null) expect(r.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(secrets).not.toContain(r.fingerprint);
    if (r.login_hash !== null) {
      expect(r.login_hash).toMatch(/^\$2b\$05\$[./A-Za-z0-9]{53}$/);
      expect(secrets).not.toContain(r.login_hash);
    }
    if (r.api_token !== null) {
      expect(r.api_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(secrets).not.toContain(r.api_token);
    }
  }
  // Fresh values, not one value repeated (three in four distinct: 30 of the 40 rows; under DP, of however many the
  // noisy count left, which was 27 once).
  expect(new Set(rows.map((r) => r.password)).size).toBeGreaterThan(rows.length * 0.75);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

describe('credential columns (PostgreSQL → PostgreSQL)', () => {
  it('are never copied: the target gets fresh hashes and tokens of the same format; no model or report holds a real one', async () => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: env.outDir, seed: 3 });
    const events: string[] = [];
    const r = await hydrate({ config, target: 'dev', emit: (e) => events.push(JSON.stringify(e)) });
    expect(r.status).toBe('ok');
    const rows = await env.target.query<Staff>('SELECT password, login_hash, api_token, fingerprint FROM staff ORDER BY id');
    expectFreshCredentials(rows);
    // The run says what it did, by column and format only.
    expect(events.join('\n')).toMatch(/Credentials: public\.staff\.password \(hex\)/);
    expect(events.join('\n')).toMatch(/public\.staff\.login_hash \(bcrypt\)/);
    // Nothing real in the HTML/JSON report or the events.
    const written = filesUnder(env.outDir).map((f) => readFileSync(f, 'utf8')).join('\n') + events.join('\n');
    expect(r.reportPaths).not.toBeNull();
    for (const s of secrets) expect(written).not.toContain(s);

    // Nor in the models (the artifact `synth train` stores).
    const source = await openSource(env.source.url);
    try {
      const { schema, plan } = await introspectAndPlan(source, config);
      const models = await trainModels(source, schema, plan, config);
      const artifact = JSON.stringify(modelSetToArtifact(models));
      for (const s of secrets) expect(artifact).not.toContain(s);
    } finally {
      await source.close();
    }

    // `synth report` on the live target leaves them out as well.
    const { paths } = await reportOnTarget(config, 'dev');
    const report = readFileSync(paths.html, 'utf8') + readFileSync(paths.json, 'utf8');
    for (const s of secrets) expect(report).not.toContain(s);

    // Same seed, same output.
    await hydrate({ config, target: 'dev' });
    expect(await env.target.query<Staff>('SELECT password, login_hash, api_token, fingerprint FROM staff ORDER BY id')).toEqual(rows);
  }, 180_000);
});

describe('credential columns under privacy (PostgreSQL → MariaDB)', () => {
  let mysqlTarget: TestDatabase;
  beforeAll(async () => {
    mysqlTarget = await createMysqlDatabase('synth_cred');
  });
  afterAll(async () => {
    await mysqlTarget?.drop();
  });

  it('are replaced too when DP is on', async () => {
    const config = parseConfig({
      source: { url: env.source.url },
      targets: { dev: { url: mysqlTarget.url } },
      outDir: env.outDir,
      privacy: { epsilon: 3, piiKey: 'test-key-only' },
      quality: { enabled: false },
    });
    const r = await hydrate({ config, target: 'dev' });
    expect(r.status).toBe('ok');
    const rows = await mysqlTarget.query<Staff>('SELECT password, login_hash, api_token, fingerprint FROM staff ORDER BY id');
    expectFreshCredentials(rows, false);
  }, 180_000);
});

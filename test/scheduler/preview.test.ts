import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { SynthError } from '../../src/errors.js';
import { listPreviews, parseTtl, previewDown, previewGc, previewUp } from '../../src/scheduler/preview.js';
import { acquireTargetLock } from '../../src/scheduler/target-lock.js';
import { MYSQL_SERVER, PG_SERVER, createMysqlDatabase, uniqueName } from '../support/databases.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const tmp = mkdtempSync(join(tmpdir(), 'synth-preview-'));
cleanups.push(async () => rmSync(tmp, { recursive: true, force: true }));

/** Same server URL with a password added: trust/empty-password servers ignore it, and it must never be logged. */
function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.href;
}

async function pgAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function pgConnect(url: string, applicationName = 'synth test'): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: applicationName });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

describe('preview databases on PostgreSQL', () => {
  it('copies the target with TEMPLATE, explains blocking sessions, and supports down and gc', async () => {
    // Created by hand (not createPgDatabase) because that helper keeps a session open on the database,
    // and a template must have none.
    const target = uniqueName('synth_pv');
    await pgAdmin((c) => c.query(`CREATE DATABASE "${target}"`));
    cleanups.push(() => pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${target}" WITH (FORCE)`)).then(() => undefined));
    cleanups.push(async () => {
      for (const n of ['pr_1', 'pr_2']) await pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${target}__${n}" WITH (FORCE)`));
    });
    const targetUrl = withPassword(`${PG_SERVER}/${target}`, 'hunter2');
    const setup = await pgConnect(`${PG_SERVER}/${target}`);
    await setup.query(`
      CREATE TABLE parent (id serial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE child (id serial PRIMARY KEY, parent_id int NOT NULL REFERENCES parent(id), note text);
      CREATE VIEW child_names AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.parent_id;
      INSERT INTO parent (name) SELECT 'p' || g FROM generate_series(1, 50) g;
      INSERT INTO child (parent_id, note) SELECT 1 + (g % 50), 'n' || g FROM generate_series(1, 200) g;
    `);
    await setup.end();

    // A hydration holding the target lock blocks the copy.
    const lock = await acquireTargetLock(targetUrl, { wait: false, timeoutMs: 0, holder: 'run-hydrating' });
    const lockedErr = await previewUp({ targetUrl, name: 'pr_1', log: () => undefined, githubOutput: null }).catch((e: unknown) => e);
    await lock.release();
    expect(lockedErr).toMatchObject({ code: 'LOCKED' });
    expect((lockedErr as SynthError).message).toContain('run-hydrating');

    // Another session on the target: refused with an explanation, unless asked to end it.
    const reviewer = await pgConnect(`${PG_SERVER}/${target}`, 'reviewer-psql');
    const busyErr = await previewUp({ targetUrl, name: 'pr_1', log: () => undefined, githubOutput: null }).catch((e: unknown) => e);
    expect(busyErr).toBeInstanceOf(SynthError);
    expect((busyErr as SynthError).code).toBe('LOCKED');
    expect((busyErr as SynthError).message).toMatch(/TEMPLATE/);
    expect((busyErr as SynthError).message).toContain('reviewer-psql');
    expect((busyErr as SynthError).hint).toMatch(/terminate-connections/);

    const logs: string[] = [];
    const outFile = join(tmp, 'github_output_pg');
    const preview = await previewUp({
      targetUrl,
      name: 'pr_1',
      ttl: '1h',
      terminateConnections: true,
      log: (l) => logs.push(l),
      githubOutput: outFile,
    });
    await expect(reviewer.query('SELECT 1')).rejects.toThrow();
    expect(preview.database).toBe(`${target}__pr_1`);
    expect(preview.url).toContain('hunter2');
    expect(preview.expiresAt.getTime() - preview.createdAt.getTime()).toBe(3_600_000);
    expect(logs.join('\n')).toContain(`${target}__pr_1`);
    expect(logs.join('\n')).not.toContain('hunter2');
    expect(readFileSync(outFile, 'utf8')).toContain(`url=${preview.url}\n`);

    const copy = await pgConnect(preview.url);
    try {
      expect((await copy.query('SELECT count(*)::int AS n FROM parent')).rows[0].n).toBe(50);
      expect((await copy.query('SELECT count(*)::int AS n FROM child')).rows[0].n).toBe(200);
      expect((await copy.query('SELECT count(*)::int AS n FROM child_names')).rows[0].n).toBe(200);
      await expect(copy.query('INSERT INTO child (parent_id) VALUES (9999)')).rejects.toMatchObject({ code: '23503' });
      expect((await copy.query(`INSERT INTO parent (name) VALUES ('new') RETURNING id`)).rows[0].id).toBe(51);
    } finally {
      await copy.end();
    }

    await expect(previewUp({ targetUrl, name: 'pr_1', log: () => undefined, githubOutput: null })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await previewUp({ targetUrl, name: 'pr_1', replace: true, log: () => undefined, githubOutput: null });

    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await previewUp({ targetUrl, name: 'pr_2', ttl: '1d', now: twoDaysAgo, log: () => undefined, githubOutput: null });
    expect((await listPreviews({ targetUrl })).map((p) => p.name)).toEqual(['pr_1', 'pr_2']);
    const removed = await previewGc({ targetUrl });
    expect(removed.map((p) => p.name)).toEqual(['pr_2']);
    expect((await listPreviews({ targetUrl })).map((p) => p.name)).toEqual(['pr_1']);
    expect(await previewDown({ targetUrl, name: 'pr_1' })).toBe(true);
    expect(await previewDown({ targetUrl, name: 'pr_1' })).toBe(false);
    expect(await listPreviews({ targetUrl })).toEqual([]);
  });
});

describe('preview databases on MariaDB', () => {
  it('copies tables with data, foreign keys, AUTO_INCREMENT, generated columns, views and triggers', async () => {
    const db = await createMysqlDatabase('synth_pv');
    cleanups.push(() => db.drop());
    const registryDatabase = uniqueName('synth_reg');
    const admin = await mysql.createConnection({ uri: MYSQL_SERVER });
    cleanups.push(async () => {
      for (const n of ['pr_1', 'pr_2']) await admin.query(`DROP DATABASE IF EXISTS \`${db.name}__${n}\``);
      await admin.query(`DROP DATABASE IF EXISTS \`${registryDatabase}\``);
      await admin.end();
    });
    await db.exec(`
      CREATE TABLE parent (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL, upper_name VARCHAR(20) AS (UPPER(name)) VIRTUAL);
      CREATE TABLE child (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT NOT NULL, note VARCHAR(20),
        CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent(id));
      CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(40));
      CREATE VIEW child_names AS SELECT c.id, p.name FROM child c JOIN parent p ON p.id = c.parent_id;
      CREATE TRIGGER child_audit AFTER INSERT ON child FOR EACH ROW INSERT INTO audit (what) VALUES (CONCAT('child ', NEW.id));
      INSERT INTO parent (name) VALUES ('a'), ('b'), ('c'), ('d');
      DELETE FROM parent WHERE id = 4;
      INSERT INTO child (parent_id, note) VALUES (1, 'x'), (2, 'y'), (2, 'z');
    `);
    const lock = await acquireTargetLock(db.url, { wait: false, timeoutMs: 0, holder: 'run-hydrating', mysqlInfoDatabase: registryDatabase });
    const lockedErr = await previewUp({ targetUrl: db.url, name: 'pr_1', registryDatabase, log: () => undefined, githubOutput: null }).catch((e: unknown) => e);
    await lock.release();
    expect(lockedErr).toMatchObject({ code: 'LOCKED' });
    expect((lockedErr as SynthError).message).toContain('run-hydrating');

    const logs: string[] = [];
    const outFile = join(tmp, 'github_output_mysql');
    const preview = await previewUp({ targetUrl: db.url, name: 'pr_1', ttl: '2h', registryDatabase, log: (l) => logs.push(l), githubOutput: outFile });
    expect(preview.database).toBe(`${db.name}__pr_1`);
    expect(readFileSync(outFile, 'utf8')).toContain(`url=${preview.url}\n`);
    expect(logs[0]).toContain(preview.database);

    const copy = await mysql.createConnection({ uri: preview.url });
    try {
      const q = async (sql: string) => ((await copy.query(sql)) as unknown as [Array<Record<string, unknown>>])[0];
      expect(await q('SELECT id, name, upper_name FROM parent ORDER BY id')).toEqual([
        { id: 1, name: 'a', upper_name: 'A' },
        { id: 2, name: 'b', upper_name: 'B' },
        { id: 3, name: 'c', upper_name: 'C' },
      ]);
      expect(await q('SELECT COUNT(*) AS n FROM child')).toEqual([{ n: 3 }]);
      // The trigger was created after the copy, so it did not fire for copied rows…
      expect(await q('SELECT COUNT(*) AS n FROM audit')).toEqual([{ n: 3 }]);
      expect(await q('SELECT COUNT(*) AS n FROM child_names')).toEqual([{ n: 3 }]);
      const fks = await q(`SELECT CONSTRAINT_NAME AS c, REFERENCED_TABLE_NAME AS t FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`);
      expect(fks).toEqual([{ c: 'child_parent_fk', t: 'parent' }]);
      await expect(copy.query('INSERT INTO child (parent_id) VALUES (999)')).rejects.toMatchObject({ errno: 1452 });
      // AUTO_INCREMENT kept at 5 (4 was used then deleted), as in the source.
      const [ins] = (await copy.query(`INSERT INTO parent (name) VALUES ('e')`)) as unknown as [{ insertId: number }];
      expect(ins.insertId).toBe(5);
      // …but fires in the copy from now on, and writes to the copy's own audit table.
      await copy.query('INSERT INTO child (parent_id) VALUES (5)');
      expect(await q('SELECT COUNT(*) AS n FROM audit')).toEqual([{ n: 4 }]);
      expect(await db.query('SELECT COUNT(*) AS n FROM audit')).toEqual([{ n: 3 }]);
      // The view reads the copy, not the source.
      expect(await q('SELECT COUNT(*) AS n FROM child_names')).toEqual([{ n: 4 }]);
    } finally {
      await copy.end();
    }

    await expect(previewUp({ targetUrl: db.url, name: 'pr_1', registryDatabase, log: () => undefined, githubOutput: null })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    await previewUp({ targetUrl: db.url, name: 'pr_2', ttl: '1d', now: new Date(Date.now() - 2 * 86_400_000), registryDatabase, log: () => undefined, githubOutput: null });
    expect((await listPreviews({ targetUrl: db.url, registryDatabase })).map((p) => p.name)).toEqual(['pr_1', 'pr_2']);
    expect((await previewGc({ targetUrl: db.url, registryDatabase })).map((p) => p.name)).toEqual(['pr_2']);
    const [left] = (await admin.query('SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`${db.name}__%`])) as unknown as [Array<{ s: string }>];
    expect(left.map((r) => r.s)).toEqual([`${db.name}__pr_1`]);
    expect(await previewDown({ targetUrl: db.url, name: 'pr_1', registryDatabase })).toBe(true);
    expect(await listPreviews({ targetUrl: db.url, registryDatabase })).toEqual([]);
    // MariaDB checks passwords (root has none here): a wrong one fails to connect, and is not echoed.
    const err = await previewUp({ targetUrl: withPassword(`${MYSQL_SERVER}/no_such_db_x`, 'hunter2'), name: 'pr_1', registryDatabase, githubOutput: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).message).not.toContain('hunter2');
  });
});

describe('preview helpers', () => {
  it('parses TTLs and rejects bad names', async () => {
    expect(parseTtl('90m')).toBe(5_400_000);
    expect(parseTtl('7d')).toBe(604_800_000);
    expect(parseTtl(1000)).toBe(1000);
    expect(() => parseTtl('soon')).toThrow(SynthError);
    await expect(previewUp({ targetUrl: `${PG_SERVER}/x`, name: 'pr 1; drop', githubOutput: null })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

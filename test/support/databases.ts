/**
 * Every test gets its own databases on the real local servers, with unique names, dropped afterwards.
 * Connection defaults follow the local set-up (trust auth / root without password) and can be overridden
 * with SYNTH_TEST_PG_URL and SYNTH_TEST_MYSQL_URL (server URLs without a database).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import mysql from 'mysql2/promise';

export const PG_SERVER = process.env.SYNTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
export const MYSQL_SERVER = process.env.SYNTH_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs SQL (several statements allowed) in this database. */
  exec(sql: string): Promise<void>;
  /** Runs one query and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createPgDatabase(prefix = 'synth_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = `${PG_SERVER}/${name}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    name,
    url,
    async exec(sql) {
      await client.query(sql);
    },
    async query<T>(sql: string, params: unknown[] = []) {
      const res = await client.query(sql, params);
      return res.rows as T[];
    },
    async drop() {
      await client.end();
      const a = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

export async function createMysqlDatabase(prefix = 'synth_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const admin = await mysql.createConnection({ uri: MYSQL_SERVER, multipleStatements: true });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const url = `${MYSQL_SERVER}/${name}`;
  const conn = await mysql.createConnection({ uri: url, multipleStatements: true, dateStrings: true });
  return {
    name,
    url,
    async exec(sql) {
      await conn.query(sql);
    },
    async query<T>(sql: string, params: unknown[] = []) {
      const [rows] = await conn.query(sql, params);
      return rows as T[];
    },
    async drop() {
      await conn.end();
      const a = await mysql.createConnection({ uri: MYSQL_SERVER });
      try {
        await a.query(`DROP DATABASE IF EXISTS \`${name}\``);
        // A swap on MySQL keeps the previous data as <database>__synth_backup (for rollback): it is the test's too.
        await a.query(`DROP DATABASE IF EXISTS \`${name}__synth_backup\``);
      } finally {
        await a.end();
      }
    },
  };
}

/**
 * A PostgreSQL source loaded with `fixture`, an empty PostgreSQL target and a scratch output folder, created before
 * the file's tests and dropped after them. Read the fields inside tests (they are set in `beforeAll`).
 */
export function pgHydrationFixture(prefix: string, fixture: string): { source: TestDatabase; target: TestDatabase; outDir: string } {
  const env = {} as { source: TestDatabase; target: TestDatabase; outDir: string };
  beforeAll(async () => {
    env.source = await createPgDatabase(`${prefix}src`);
    env.target = await createPgDatabase(`${prefix}dst`);
    await env.source.exec(fixture);
    env.outDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  });
  afterAll(async () => {
    await env.source?.drop();
    await env.target?.drop();
    if (env.outDir) rmSync(env.outDir, { recursive: true, force: true });
  });
  return env;
}

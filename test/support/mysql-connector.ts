/**
 * Set-up shared by the MySQL / MariaDB connector tests: a source database holding some DDL with its introspected
 * schema beside an empty target (each test), or one database holding some SQL with a synth session on it (each
 * file). Read the fields inside tests: they are set by the hooks these functions register.
 */
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { openMysqlSource } from '../../src/connectors/mysql/index.js';
import { openSession, type MysqlSession } from '../../src/connectors/mysql/mysql-session.js';
import type { DatabaseSchema } from '../../src/schema/model.js';
import { MYSQL_SERVER, createMysqlDatabase, type TestDatabase } from './databases.js';

/** A test database plus cleanup of the shadow/backup databases the connector creates next to it. */
export async function createTargetDatabase(prefix = 'synth_my'): Promise<TestDatabase> {
  const db = await createMysqlDatabase(prefix);
  const drop = db.drop.bind(db);
  return {
    ...db,
    async drop() {
      await drop();
      const a = await mysql.createConnection({ uri: MYSQL_SERVER });
      try {
        const [rows] = await a.query('SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA');
        for (const r of rows as Array<{ s: string }>) {
          if (r.s.startsWith(`${db.name}__synth`)) await a.query(`DROP DATABASE IF EXISTS \`${r.s.replace(/`/g, '``')}\``);
        }
      } finally {
        await a.end();
      }
    },
  };
}

/**
 * Before each test: a source database (`<prefix>_src`) holding `ddl`, the schema synth introspects from it and an
 * empty target (`<prefix>_tgt`); both dropped after the test, the target with its shadows and backup.
 */
export function mysqlSourceAndTarget(prefix: string, ddl: string): { source: TestDatabase; target: TestDatabase; schema: DatabaseSchema } {
  const env = {} as { source: TestDatabase; target: TestDatabase; schema: DatabaseSchema };
  beforeEach(async () => {
    env.source = await createMysqlDatabase(`${prefix}_src`);
    env.target = await createTargetDatabase(`${prefix}_tgt`);
    await env.source.exec(ddl);
    const src = await openMysqlSource(env.source.url);
    try {
      env.schema = await src.introspect();
    } finally {
      await src.close();
    }
  });
  afterEach(async () => {
    await env.source?.drop();
    await env.target?.drop();
  });
  return env;
}

/**
 * Before the file's (or describe block's) tests: a database holding `sql` and a read-write synth session on it, as
 * the gate's functions take it; closed and dropped after them. `timeoutMs` bounds the set-up (big tables).
 */
export function mysqlSessionFixture(prefix: string, sql: string, timeoutMs = 60_000): { db: TestDatabase; session: MysqlSession } {
  const env = {} as { db: TestDatabase; session: MysqlSession };
  beforeAll(async () => {
    env.db = await createMysqlDatabase(prefix);
    await env.db.exec(sql);
    env.session = await openSession(env.db.url, false, 'test');
  }, timeoutMs);
  afterAll(async () => {
    await env.session?.close();
    await env.db?.drop();
  });
  return env;
}

/**
 * Connections: URL parsing (BAD_URL / CONNECTION_FAILED with the password redacted) and a small pool whose
 * sessions are set up once (UTC time zone so TIMESTAMP reads/writes are UTC; read-only for sources).
 */
import mysql from 'mysql2/promise';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { SynthError, connectionError, redactSecrets } from '../../errors.js';

export interface MysqlUrl {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  displayUrl: string;
}

export function parseMysqlUrl(url: string): MysqlUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new SynthError('BAD_URL', `Not a valid MySQL URL: ${redactSecrets(url)}`, {
      hint: 'Use mysql://user:password@host:3306/database (percent-encode special characters in the password).',
      cause,
    });
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
    throw new SynthError('BAD_URL', `Not a MySQL URL (scheme ${u.protocol}): ${redactSecrets(url)}`, {
      hint: 'MySQL and MariaDB URLs start with mysql:// (or mariadb://).',
    });
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new SynthError('BAD_URL', `The MySQL URL names no database: ${redactSecrets(url)}`, {
      hint: 'Append the database to the URL, e.g. mysql://user:password@host:3306/shop.',
    });
  }
  const displayUrl = redactSecrets(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port === '' ? 3306 : Number(u.port),
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    database,
    displayUrl,
  };
}

export interface MysqlSession {
  readonly url: MysqlUrl;
  readonly readOnly: boolean;
  readonly pool: Pool;
  /** Runs `fn` on one pooled connection with the session set up; releases it afterwards. */
  withConnection<T>(fn: (conn: PoolConnection) => Promise<T>): Promise<T>;
  /** A set-up connection that the caller must release (or destroy). */
  acquire(): Promise<PoolConnection>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  isMariaDb(): Promise<boolean>;
  serverVersion(): Promise<string>;
  close(): Promise<void>;
}

export async function openSession(url: string, readOnly: boolean, what: string, options: { localInfile?: boolean } = {}): Promise<MysqlSession> {
  const parsed = parseMysqlUrl(url);
  // No default database: a target's database may not exist yet, and every statement qualifies names anyway.
  const pool = mysql.createPool({
    host: parsed.host,
    port: parsed.port,
    user: parsed.user,
    password: parsed.password,
    connectionLimit: 6,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    decimalNumbers: false,
    charset: 'utf8mb4',
    multipleStatements: false,
    // MySQL 8's JSON type would be parsed by the driver, which makes the JSON string "123" and the number 123
    // indistinguishable afterwards; take the text and parse it once in fromWire.
    typeCast: (field, next) => (field.type === 'JSON' ? field.string('utf8') : next()),
    ...(options.localInfile === false ? { flags: ['-LOCAL_FILES'] } : {}),
  });
  const ready = new WeakSet<object>();
  async function acquire(): Promise<PoolConnection> {
    const conn = await pool.getConnection();
    if (!ready.has(conn.connection)) {
      await conn.query("SET time_zone = '+00:00', sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')");
      if (readOnly) await conn.query('SET SESSION TRANSACTION READ ONLY');
      ready.add(conn.connection);
    }
    return conn;
  }
  async function withConnection<T>(fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
    const conn = await acquire();
    try {
      return await fn(conn);
    } finally {
      conn.release();
    }
  }
  let version: string | null = null;
  try {
    version = await withConnection(async (c) => {
      const [rows] = await c.query('SELECT VERSION() AS v');
      return String((rows as Array<{ v: string }>)[0]?.v);
    });
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw connectionError(what, url, cause);
  }
  const serverVersion = version;
  return {
    url: parsed,
    readOnly,
    pool,
    withConnection,
    acquire,
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      return withConnection(async (c) => {
        const [rows] = await c.query(sql, params);
        return rows as T[];
      });
    },
    async isMariaDb() {
      return /mariadb/i.test(serverVersion);
    },
    async serverVersion() {
      return serverVersion;
    },
    async close() {
      await pool.end();
    },
  };
}

/** Server + database, to refuse hydrating a database into itself. */
export async function serverIdentity(session: MysqlSession, database: string): Promise<string> {
  let server: string;
  try {
    const rows = await session.query<{ u: string | null }>('SELECT @@server_uuid AS u');
    server = String(rows[0]?.u);
  } catch {
    // MariaDB has no server_uuid.
    const rows = await session.query<{ h: string; p: number; s: number }>(
      'SELECT @@hostname AS h, @@port AS p, @@server_id AS s',
    );
    const r = rows[0];
    server = `${r?.h}:${r?.p}:${r?.s}`;
  }
  return `mysql:${server}/${database}`;
}

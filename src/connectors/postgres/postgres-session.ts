/**
 * All SQL goes through PgSession, so an embedded PGlite implementation can reuse every other file.
 * This is the `pg` implementation: a small pool, with text type parsers for anything that would lose
 * precision or gain a local time zone on its way into JavaScript.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { SynthError, connectionError, redactSecrets } from '../../errors.js';
import { connectTimeoutMs, withConnectTimeout } from '../connect-timeout.js';

export interface PgSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Runs `COPY … FROM STDIN` fed by `chunks`; returns rows copied. */
  copyFrom(sql: string, chunks: AsyncIterable<string>): Promise<number>;
  /** `COPY … FROM STDIN WITH (FORMAT binary)` fed by `chunks`; absent where only text COPY is taken (PGlite). */
  copyFromBinary?(sql: string, chunks: AsyncIterable<Buffer>): Promise<number>;
  copyTo?(sql: string): AsyncIterable<string>;
  /** A session bound to one connection, for transactions and cursors; its close() releases the connection. */
  pin(): Promise<PgSession>;
  /** Connections that can work at once (a pool's size); absent means one, as in embedded PGlite. */
  connections?: number;
  close(): Promise<void>;
}

export interface PgSessionOptions {
  readOnly: boolean;
  /** Pool size; COPY loads of different tables run on separate connections. */
  max?: number;
}

const STRING_OIDS = new Set([
  20, // int8: exact, may exceed 2^53
  1700, // numeric
  1082, // date
  1083, // time
  1114, // timestamp
  1184, // timestamptz
  1266, // timetz
  1186, // interval
  790, // money
]);

const types = {
  getTypeParser(oid: number, format?: string) {
    if (STRING_OIDS.has(oid)) return (v: string) => v;
    return pg.types.getTypeParser(oid, (format ?? 'text') as 'text');
  },
} as pg.CustomTypesConfig;

/** Validates a postgres:// URL and strips synth's own parameters (`schema`). */
export function parsePgUrl(url: string): { connectionString: string; schema: string | null } {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new SynthError('BAD_URL', `Not a valid PostgreSQL URL: ${redactSecrets(url)}`, {
      hint: 'Use postgresql://user:password@host:5432/database',
      cause,
    });
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new SynthError('BAD_URL', `Not a PostgreSQL URL (scheme ${u.protocol}): ${redactSecrets(url)}`, {
      hint: 'Use postgresql://user:password@host:5432/database',
    });
  }
  const schema = u.searchParams.get('schema');
  u.searchParams.delete('schema');
  return { connectionString: u.toString(), schema };
}

export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return redactSecrets(url);
  }
}

export async function openPgSession(url: string, options: PgSessionOptions): Promise<PgSession> {
  const { connectionString } = parsePgUrl(url);
  const settings = [
    'TimeZone=UTC',
    'DateStyle=ISO,YMD',
    'IntervalStyle=postgres',
    'extra_float_digits=3',
    'bytea_output=hex',
  ];
  if (options.readOnly) settings.push('default_transaction_read_only=on');
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 4,
    types,
    options: settings.map((s) => `-c ${s}`).join(' '),
  });
  // Idle clients that die (server restart) must not crash the process.
  pool.on('error', () => undefined);
  try {
    // Only the first connection is bounded here: a pool-wide timeout would also fail a query queued behind a long COPY.
    const c = await withConnectTimeout(pool.connect(), () => new Error(`the server did not answer within ${Math.round(connectTimeoutMs() / 1000)} s (SYNTH_CONNECT_TIMEOUT_MS)`));
    c.release();
  } catch (cause) {
    void pool.end().catch(() => undefined);
    throw connectionError('PostgreSQL', url, cause);
  }
  return poolSession(pool, options.max ?? 4);
}

function poolSession(pool: pg.Pool, connections: number): PgSession {
  return {
    connections,
    async query<T>(sql: string, params?: unknown[]) {
      const res = await pool.query(sql, params);
      return { rows: res.rows as T[] };
    },
    async copyFrom(sql, chunks) {
      const client = await pool.connect();
      try {
        return await copyFromClient(client, sql, chunks);
      } finally {
        client.release();
      }
    },
    async copyFromBinary(sql, chunks) {
      const client = await pool.connect();
      try {
        return await copyFromClient(client, sql, chunks);
      } finally {
        client.release();
      }
    },
    copyTo(sql) {
      return copyToPool(pool, sql);
    },
    async pin() {
      const client = await pool.connect();
      return clientSession(client);
    },
    async close() {
      await pool.end();
    },
  };
}

function clientSession(client: pg.PoolClient): PgSession {
  let released = false;
  const self: PgSession = {
    async query<T>(sql: string, params?: unknown[]) {
      const res = await client.query(sql, params);
      return { rows: res.rows as T[] };
    },
    copyFrom: (sql, chunks) => copyFromClient(client, sql, chunks),
    copyFromBinary: (sql, chunks) => copyFromClient(client, sql, chunks),
    async *copyTo(sql) {
      const stream = client.query(copyStreams.to(sql));
      for await (const chunk of stream) yield (chunk as Buffer).toString('utf8');
    },
    async pin() {
      // Already pinned: the nested holder shares the connection and must not release it.
      return { ...self, close: async () => undefined };
    },
    async close() {
      if (!released) {
        released = true;
        client.release();
      }
    },
  };
  return self;
}

async function copyFromClient(client: pg.ClientBase, sql: string, chunks: AsyncIterable<string | Buffer>): Promise<number> {
  const stream = client.query(copyStreams.from(sql));
  await pipeline(Readable.from(chunks), stream as Writable);
  return stream.rowCount;
}

async function* copyToPool(pool: pg.Pool, sql: string): AsyncIterable<string> {
  const client = await pool.connect();
  try {
    const stream = client.query(copyStreams.to(sql));
    for await (const chunk of stream) yield (chunk as Buffer).toString('utf8');
  } finally {
    client.release();
  }
}

/** Runs `fn` in one transaction on a pinned connection. */
export async function inTransaction<T>(
  session: PgSession,
  fn: (s: PgSession) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const s = await session.pin();
  try {
    await s.query(begin);
    try {
      const out = await fn(s);
      await s.query('COMMIT');
      return out;
    } catch (e) {
      await s.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  } finally {
    await s.close();
  }
}

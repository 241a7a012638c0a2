/**
 * Per-target lock for MySQL/MariaDB targets: a named GET_LOCK held on a dedicated connection. Named locks are
 * server-wide, so the name carries the database. The holder is found through IS_USED_LOCK → the process list
 * (MariaDB has performance_schema off by default, so connection attributes are not relied on).
 */
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { SynthError, connectionError, redactSecrets } from '../../errors.js';

export interface MysqlLockOptions {
  wait: boolean;
  timeoutMs: number;
  holder?: string;
  key?: string;
}

export interface HeldLock {
  readonly description: string;
  release(): Promise<void>;
}

/** Lock names are limited to 64 characters; long database names are hashed. */
export function mysqlLockName(key: string): string {
  const name = `synth:${key}`;
  return name.length <= 64 ? name : `synth:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

export async function acquireMysqlLock(url: string, options: MysqlLockOptions): Promise<HeldLock> {
  const database = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  const name = mysqlLockName(options.key ?? `target:${database}`);
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({ uri: url.replace(/^mariadb:/, 'mysql:') });
  } catch (e) {
    throw connectionError('the target (to lock it)', url, e);
  }
  conn.on('error', () => undefined);
  try {
    const timeoutS = options.wait ? Math.max(0, options.timeoutMs / 1000) : 0;
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS ok', [name, timeoutS]);
    if (Number(rows[0]?.ok) !== 1) {
      const who = await describeMysqlHolder(conn, name);
      const waited = options.wait ? ` after waiting ${Math.round(options.timeoutMs / 1000)} s` : '';
      throw new SynthError('LOCKED', `The target ${redactSecrets(url)} is locked by ${who ?? 'another synth process'}${waited}.`, {
        hint: 'Another hydration or preview is using this target. Wait for it to finish (or pass --wait), or stop that process; the lock is freed when its connection ends.',
      });
    }
  } catch (e) {
    await conn.end().catch(() => undefined);
    throw e;
  }
  let released = false;
  return {
    description: `named lock "${name}" on ${redactSecrets(url)}`,
    async release() {
      if (released) return;
      released = true;
      try {
        await conn.query('SELECT RELEASE_LOCK(?)', [name]);
      } finally {
        await conn.end().catch(() => undefined);
      }
    },
  };
}

async function describeMysqlHolder(conn: mysql.Connection, name: string): Promise<string | null> {
  const [used] = await conn.query<mysql.RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [name]);
  const id = used[0]?.id as number | null | undefined;
  if (id == null) return null;
  const [procs] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT USER, HOST, TIME FROM information_schema.PROCESSLIST WHERE ID = ?',
    [id],
  );
  const p = procs[0];
  return p === undefined
    ? `connection ${id}`
    : `connection ${id} (${String(p.USER)}@${String(p.HOST)}, connected ${String(p.TIME)} s)`;
}

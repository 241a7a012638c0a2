/**
 * Per-target lock for MySQL/MariaDB targets: a named GET_LOCK held on a dedicated connection. Named locks are
 * server-wide, so the name carries the database. MariaDB ships with performance_schema off, so connection
 * attributes cannot tell who holds it: the holder writes a lock row (`synth_locks`, keyed by lock name and
 * connection id) that others trust only while IS_USED_LOCK still names that same connection. Without rights
 * to write the row, the process list (user@host) is the fallback.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import mysql from 'mysql2/promise';
import { SynthError, connectionError, redactSecrets } from '../../errors.js';

export interface MysqlLockOptions {
  wait: boolean;
  timeoutMs: number;
  holder?: string;
  key?: string;
  /** Stops waiting (rejecting with the signal's reason). */
  signal?: AbortSignal;
  /** Database of the `synth_locks` info table; null: write no lock row. Default `synth_state`. */
  infoDatabase?: string | null;
}

export const DEFAULT_LOCK_INFO_DATABASE = 'synth_state';

function qi(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

export interface HeldLock {
  readonly description: string;
  /**
   * Throws LOCKED when the lock's session has died (server restart, idle timeout, killed session): the
   * target may then be someone else's. Call it before irreversible steps such as the swap.
   */
  assertHeld(): void;
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
  const infoDb = options.infoDatabase === undefined ? DEFAULT_LOCK_INFO_DATABASE : options.infoDatabase;
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({ uri: url.replace(/^mariadb:/, 'mysql:'), enableKeepAlive: true });
  } catch (e) {
    throw connectionError('the target (to lock it)', url, e);
  }
  let lost: string | null = null;
  conn.on('error', (e: Error) => void (lost ??= e.message));
  conn.on('end', () => void (lost ??= 'the connection ended'));
  try {
    // Waits in slices of at most a second so an abort (e.g. SIGTERM to the scheduler) is noticed.
    const deadline = Date.now() + (options.wait ? Math.max(0, options.timeoutMs) : 0);
    let ok = false;
    for (;;) {
      const sliceS = Math.min(1, Math.max(0, deadline - Date.now()) / 1000);
      const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS ok', [name, sliceS]);
      ok = Number(rows[0]?.ok) === 1;
      if (ok) break;
      if (options.signal?.aborted === true) throw options.signal.reason ?? new Error('aborted');
      if (Date.now() >= deadline) break;
    }
    if (!ok) {
      const who = await describeMysqlHolder(conn, name, infoDb);
      const waited = options.wait ? ` after waiting ${Math.round(options.timeoutMs / 1000)} s` : '';
      throw new SynthError('LOCKED', `The target ${redactSecrets(url)} is locked by ${who ?? 'another synth process'}${waited}.`, {
        hint: 'Another hydration or preview is using this target. Wait for it to finish (or pass --wait), or stop that process; the lock is freed when its connection ends.',
      });
    }
  } catch (e) {
    await conn.end().catch(() => undefined);
    throw e;
  }
  if (infoDb !== null) await writeLockRow(conn, infoDb, name, options.holder ?? 'run').catch(() => undefined);
  let released = false;
  const description = `named lock "${name}" on ${redactSecrets(url)}`;
  return {
    description,
    assertHeld() {
      if (released || lost !== null) {
        throw new SynthError('LOCKED', `Lost the ${description}: ${released ? 'it was released' : lost!}. Another process may now be writing the target.`, {
          hint: 'Nothing irreversible was done after the loss was noticed; run again. Check wait_timeout if this repeats.',
        });
      }
    },
    async release() {
      if (released) return;
      released = true;
      // Ending the connection frees the lock anyway; the explicit release only makes it immediate.
      if (lost !== null) {
        conn.destroy();
        return;
      }
      try {
        if (infoDb !== null) {
          await conn
            .query(`DELETE FROM ${qi(infoDb)}.synth_locks WHERE lock_name = ? AND connection_id = CONNECTION_ID()`, [name])
            .catch(() => undefined);
        }
        await conn.query('SELECT RELEASE_LOCK(?)', [name]);
      } catch {
        // Connection died meanwhile: the server already dropped the lock.
      } finally {
        await conn.end().catch(() => undefined);
      }
    },
  };
}

async function writeLockRow(conn: mysql.Connection, infoDb: string, name: string, holder: string): Promise<void> {
  await conn.query(`CREATE DATABASE IF NOT EXISTS ${qi(infoDb)} CHARACTER SET utf8mb4`);
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${qi(infoDb)}.synth_locks (
       lock_name VARCHAR(64) NOT NULL PRIMARY KEY,
       connection_id BIGINT UNSIGNED NOT NULL,
       holder VARCHAR(255) NOT NULL,
       host VARCHAR(255) NOT NULL,
       pid INT NOT NULL,
       acquired_at DATETIME(3) NOT NULL
     ) ENGINE=InnoDB`,
  );
  await conn.query(
    `REPLACE INTO ${qi(infoDb)}.synth_locks (lock_name, connection_id, holder, host, pid, acquired_at)
     VALUES (?, CONNECTION_ID(), ?, ?, ?, UTC_TIMESTAMP(3))`,
    [name, holder.slice(0, 255), hostname().slice(0, 255), process.pid],
  );
}

async function describeMysqlHolder(conn: mysql.Connection, name: string, infoDb: string | null): Promise<string | null> {
  const [used] = await conn.query<mysql.RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [name]);
  const id = used[0]?.id as number | null | undefined;
  if (id == null) return null;
  if (infoDb !== null) {
    try {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(
        `SELECT holder, host, pid, DATE_FORMAT(acquired_at, '%Y-%m-%dT%H:%i:%sZ') AS since
           FROM ${qi(infoDb)}.synth_locks WHERE lock_name = ? AND connection_id = ?`,
        [name, id],
      );
      const r = rows[0];
      if (r !== undefined) return `"${String(r.holder)}" (${String(r.host)} pid ${String(r.pid)}, connection ${id}, since ${String(r.since)})`;
    } catch {
      // No info table (or no right to read it): fall back to the process list.
    }
  }
  const [procs] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT USER, HOST, TIME FROM information_schema.PROCESSLIST WHERE ID = ?',
    [id],
  );
  const p = procs[0];
  return p === undefined
    ? `connection ${id}`
    : `connection ${id} (${String(p.USER)}@${String(p.HOST)}, connected ${String(p.TIME)} s)`;
}

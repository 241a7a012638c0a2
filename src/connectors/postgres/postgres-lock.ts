/**
 * Per-target lock for PostgreSQL targets: a session-level advisory lock held on a dedicated connection, so it
 * spans processes and machines and vanishes with the session if the holder dies. The holder is identified by
 * the session's application_name, which other sessions can read in pg_stat_activity.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import { SynthError, connectionError, redactSecrets } from '../../errors.js';
import { connectTimeoutMs } from '../connect-timeout.js';

/** First key of the two-int advisory lock: marks the lock as synth's ("SYNT"). */
export const SYNTH_LOCK_CLASS = 0x53594e54;

export interface PgLockOptions {
  wait: boolean;
  timeoutMs: number;
  /** Shown to whoever finds the lock taken, e.g. the run id. */
  holder?: string;
  /** Names the locked thing; advisory locks are per database, so the database name is enough by default. */
  key?: string;
  signal?: AbortSignal;
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

/** The second key: a stable positive 31-bit hash (oid columns in pg_locks show it unsigned). */
export function pgLockKey(name: string): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0) & 0x7fffffff;
}

export function holderTag(holder: string | undefined): string {
  // application_name is cut at 63 bytes: the run id goes first so it survives.
  return `synth ${holder ?? 'run'} ${hostname()} pid ${process.pid}`.slice(0, 63);
}

export async function acquirePgLock(url: string, options: PgLockOptions): Promise<HeldLock> {
  const database = decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
  const key = pgLockKey(options.key ?? `target:${database}`);
  const client = new pg.Client({ connectionString: url, application_name: holderTag(options.holder), keepAlive: true, connectionTimeoutMillis: connectTimeoutMs() });
  let lost: string | null = null;
  // A dropped lock session must not crash the process; it is reported by assertHeld() instead.
  client.on('error', (e: Error) => void (lost ??= e.message));
  client.on('end', () => void (lost ??= 'the session ended'));
  try {
    await client.connect();
  } catch (e) {
    throw connectionError('the target (to lock it)', url, e);
  }
  const deadline = Date.now() + options.timeoutMs;
  try {
    for (;;) {
      const res = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [SYNTH_LOCK_CLASS, key]);
      if (res.rows[0]?.ok === true) break;
      if (options.signal?.aborted === true) throw options.signal.reason ?? new Error('aborted');
      if (!options.wait || Date.now() >= deadline) {
        const who = await describePgHolder(client, key);
        throw lockedError(redactSecrets(url), who, options.wait ? options.timeoutMs : null);
      }
      await sleep(Math.min(250, Math.max(10, deadline - Date.now())));
    }
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  let released = false;
  const description = `advisory lock ${SYNTH_LOCK_CLASS}/${key} on ${redactSecrets(url)}`;
  return {
    description,
    assertHeld() {
      if (released || lost !== null) throw lostError(description, released ? 'it was released' : lost!);
    },
    async release() {
      if (released) return;
      released = true;
      // Ending the session frees the lock anyway; the explicit unlock only makes it immediate.
      try {
        if (lost === null) await client.query('SELECT pg_advisory_unlock($1::int, $2::int)', [SYNTH_LOCK_CLASS, key]);
      } catch {
        // Session died meanwhile: the server already dropped the lock.
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}

/** Who holds the synth lock of `database`, read from the server's catalogs; null when nobody. */
export async function pgLockHolder(client: pg.Client | pg.Pool, database: string): Promise<string | null> {
  return describePgHolder(client, pgLockKey(`target:${database}`), database);
}

async function describePgHolder(client: pg.Client | pg.Pool, key: number, database?: string): Promise<string | null> {
  const res = await client.query<{ application_name: string; pid: number; client_addr: string | null; backend_start: Date }>(
    `SELECT a.application_name, a.pid, a.client_addr::text AS client_addr, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
        AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = COALESCE($3::text, current_database()))`,
    [SYNTH_LOCK_CLASS, key, database ?? null],
  );
  const row = res.rows[0];
  if (row === undefined) return null;
  return `"${row.application_name}" (server pid ${row.pid}${row.client_addr === null ? '' : `, from ${row.client_addr}`}, since ${row.backend_start.toISOString()})`;
}

function lockedError(target: string, who: string | null, waitedMs: number | null): SynthError {
  const holder = who === null ? 'another synth process' : who;
  const waited = waitedMs === null ? '' : ` after waiting ${Math.round(waitedMs / 1000)} s`;
  return new SynthError('LOCKED', `The target ${target} is locked by ${holder}${waited}.`, {
    hint: 'Another hydration or preview is using this target. Wait for it to finish (or pass --wait), or stop that process; the lock is freed when its session ends.',
  });
}

export function lostError(description: string, why: string): SynthError {
  return new SynthError('LOCKED', `Lost the ${description}: ${why}. Another process may now be writing the target.`, {
    hint: 'Nothing irreversible was done after the loss was noticed; run again. Check server idle/session timeouts if this repeats.',
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

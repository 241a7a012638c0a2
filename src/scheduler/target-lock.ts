/**
 * One hydration (or preview copy) per target at a time, across processes and machines: the lock lives in the
 * target server itself (PostgreSQL advisory lock / MySQL GET_LOCK), held by a dedicated session.
 */
import { SynthError, redactSecrets } from '../errors.js';
import { acquirePgLock } from '../connectors/postgres/postgres-lock.js';
import { acquireMysqlLock } from '../connectors/mysql/mysql-lock.js';

export interface TargetLockOptions {
  /** Wait up to `timeoutMs` for the holder to finish, instead of failing at once with LOCKED. */
  wait: boolean;
  timeoutMs: number;
  /** Who we are (usually the run id), shown to the next process that finds the target locked. */
  holder?: string;
  /** Stops waiting, rejecting with the signal's reason (pass the scheduled job's signal). */
  signal?: AbortSignal;
  /** MySQL: database of the `synth_locks` table naming the holder (default `synth_state`); null: none. */
  mysqlInfoDatabase?: string | null;
}

export interface TargetLock {
  readonly description: string;
  /** Throws LOCKED when the lock's session died (then the target may be someone else's); call before the swap. */
  assertHeld(): void;
  /** Idempotent. */
  release(): Promise<void>;
}

export async function acquireTargetLock(targetUrl: string, options: TargetLockOptions): Promise<TargetLock> {
  const protocol = protocolOf(targetUrl);
  const common = {
    wait: options.wait,
    timeoutMs: options.timeoutMs,
    ...(options.holder === undefined ? {} : { holder: options.holder }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  if (protocol === 'postgres' || protocol === 'postgresql') return acquirePgLock(targetUrl, common);
  if (protocol === 'mysql' || protocol === 'mariadb') {
    return acquireMysqlLock(targetUrl, { ...common, ...(options.mysqlInfoDatabase === undefined ? {} : { infoDatabase: options.mysqlInfoDatabase }) });
  }
  throw new SynthError('UNSUPPORTED_DIALECT', `Cannot lock ${redactSecrets(targetUrl)}: only PostgreSQL and MySQL targets are supported.`, {
    hint: 'Use a postgres:// or mysql:// URL for the target.',
  });
}

/** Runs `fn` while holding the target's lock, releasing it whatever happens. */
export async function withTargetLock<R>(targetUrl: string, options: TargetLockOptions, fn: () => Promise<R>): Promise<R> {
  const lock = await acquireTargetLock(targetUrl, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

export function protocolOf(url: string): string {
  try {
    return new URL(url).protocol.replace(/:$/, '');
  } catch (e) {
    throw new SynthError('BAD_URL', `${redactSecrets(url)} is not a database URL.`, {
      hint: 'Write it as postgres://user:pass@host:5432/db or mysql://user:pass@host:3306/db.',
      cause: e,
    });
  }
}

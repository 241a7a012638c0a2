/**
 * The embedded state folder (PGlite) serves one process at a time: a second process opening it works on its own
 * copy of the write-ahead log and corrupts it. So the folder gets a lock file beside it (`<dir>.lock`, naming the pid,
 * host and command of its holder). A holder that died (kill -9) is recognised at once on the same host (its pid is
 * gone) and elsewhere by its stale heartbeat, so a crash never wedges the folder; a live holder makes the next
 * process wait a bounded time and then fail with a clear error instead of hanging.
 *
 * A folder PGlite cannot start from (a crash mid-checkpoint, a disk problem, an old concurrent use) is moved aside to
 * `<dir>.broken-<timestamp>` and a fresh one is started: run history is lost only when it was unreadable anyway.
 */
import { closeSync, existsSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { SynthError } from '../errors.js';

/** How long a process waits for another one to let go of the folder; SYNTH_STATE_WAIT_MS overrides it. */
export const DEFAULT_STATE_WAIT_MS = 15_000;
/** The holder refreshes the lock file's mtime this often; a holder on another host is dead after STALE_AFTER_MS. */
const HEARTBEAT_MS = 5_000;
const STALE_AFTER_MS = 30_000;
const POLL_MS = 200;

export interface FolderHolder {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export interface FolderLock {
  readonly path: string;
  /** Idempotent. */
  release(): void;
}

/** Held locks of this process, by lock path: opening the same folder twice in one process shares the lock. */
const held = new Map<string, { count: number; timer: NodeJS.Timeout }>();

export function lockPathOf(dir: string): string {
  return `${dir.replace(/[\\/]+$/, '')}.lock`;
}

/** Whether a process with this pid exists on this machine (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockStateFolder(dir: string, options: { waitMs?: number; now?: () => number } = {}): Promise<FolderLock> {
  const path = lockPathOf(dir);
  const waitMs = options.waitMs ?? envMs('SYNTH_STATE_WAIT_MS', DEFAULT_STATE_WAIT_MS);
  const now = options.now ?? Date.now;
  const mine = held.get(path);
  if (mine !== undefined) {
    mine.count++;
    return releasable(path);
  }
  const deadline = now() + waitMs;
  for (;;) {
    if (tryCreate(path)) break;
    const holder = readHolder(path);
    // An unreadable file may be one being written this instant: only one older than a heartbeat is replaced.
    if (holder === null ? fileAgeMs(path, now()) > HEARTBEAT_MS : isStale(path, holder, now())) {
      takeOver(path);
      continue;
    }
    if (now() >= deadline) throw busyError(dir, holder, waitMs);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  // The mtime is the heartbeat other hosts judge staleness by; unref'd, so it never keeps the process alive.
  const timer = setInterval(() => {
    try {
      const t = new Date();
      utimesSync(path, t, t);
    } catch {
      // The lock file went away (someone removed it by hand); nothing to refresh.
    }
  }, HEARTBEAT_MS);
  timer.unref();
  held.set(path, { count: 1, timer });
  return releasable(path);
}

function releasable(path: string): FolderLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const entry = held.get(path);
      if (entry === undefined) return;
      if (--entry.count > 0) return;
      clearInterval(entry.timer);
      held.delete(path);
      removeIfOurs(path);
    },
  };
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new SynthError('CONNECTION_FAILED', `Cannot create the lock file ${path} of the embedded state folder: ${(e as Error).message}`, {
      hint: 'Make the folder holding the state (outDir or state.dir) writable, or configure `state.url`.',
      cause: e,
    });
  }
  try {
    const holder: FolderHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: commandLine() };
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(path: string): FolderHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<FolderHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return null;
    return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? ''), command: String(parsed.command ?? '') };
  } catch {
    return null;
  }
}

function isStale(path: string, holder: FolderHolder, now: number): boolean {
  if (holder.host === hostname()) return holder.pid !== process.pid && !processAlive(holder.pid);
  return fileAgeMs(path, now) > STALE_AFTER_MS;
}

function fileAgeMs(path: string, now: number): number {
  try {
    return now - statSync(path).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * A dead holder's file is renamed away before it is removed: of two processes taking over at once only one rename
 * succeeds, and the other simply tries to create the lock again.
 */
function takeOver(path: string): void {
  const aside = `${path}.stale-${process.pid}-${Date.now()}`;
  try {
    renameSync(path, aside);
    unlinkSync(aside);
  } catch {
    // Someone else took it over first (or it was released meanwhile).
  }
}

function removeIfOurs(path: string): void {
  const holder = readHolder(path);
  if (holder !== null && (holder.pid !== process.pid || holder.host !== hostname())) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function busyError(dir: string, holder: FolderHolder | null, waitMs: number): SynthError {
  const who = holder === null ? 'another synth process' : `synth pid ${holder.pid} on ${holder.host}${holder.command === '' ? '' : ` (${holder.command})`} since ${holder.since}`;
  return new SynthError('LOCKED', `The embedded state folder ${dir} is in use by ${who}; waited ${Math.round(waitMs / 1000)} s.`, {
    hint: `Let that run finish or stop it${holder === null ? '' : ` (kill ${holder.pid})`}; to run several synth processes at once, configure \`state.url\` (PostgreSQL or MySQL). SYNTH_STATE_WAIT_MS sets how long to wait.`,
  });
}

function commandLine(): string {
  const args = process.argv.slice(2).filter((a) => !a.includes('://'));
  return `synth ${args.join(' ')}`.slice(0, 200);
}

function envMs(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

/** Where a broken folder goes: beside it, stamped, never overwriting an earlier one. */
export function moveAside(dir: string, at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let target = `${dir.replace(/[\\/]+$/, '')}.broken-${stamp}`;
  for (let i = 2; existsSync(target); i++) target = `${dir.replace(/[\\/]+$/, '')}.broken-${stamp}-${i}`;
  renameSync(dir, target);
  return target;
}

/** An empty or missing folder is a first start, not a broken one. */
export function folderHasData(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

export function stateOpenTimeoutMs(): number {
  return envMs('SYNTH_STATE_OPEN_TIMEOUT_MS', 120_000);
}

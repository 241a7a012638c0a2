/**
 * The embedded state database: a PGlite folder opened through knex-pglite, one process at a time (its lock file is
 * state-folder.ts), with a bounded start and a broken folder moved aside instead of failing every run after it.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { SynthError } from '../errors.js';
import { folderHasData, lockStateFolder, moveAside, stateOpenTimeoutMs } from './state-folder.js';

/** knex prints connection failures with a stack trace on stdout (breaking --json); they are reported once, as SynthErrors. */
export const quietKnex = { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined };

/**
 * Opens the folder under its lock file (state-folder.ts). A folder PGlite cannot start from is moved aside and
 * replaced by a fresh one; a start that takes too long is an error, never a silent wait. `release` frees the lock
 * once the pool is destroyed.
 */
export async function openEmbeddedKnex(dir: string, onWarning: (message: string) => void): Promise<{ knex: Knex; release: () => void }> {
  mkdirSync(dir, { recursive: true });
  const lock = await lockStateFolder(dir);
  try {
    const hadData = folderHasData(dir);
    let knex: Knex;
    try {
      knex = await startPglite(dir);
    } catch (e) {
      if (!hadData || e instanceof SynthError) throw e;
      const aside = moveAside(dir);
      onWarning(`the embedded state folder ${dir} could not be opened (${errorText(e).split('\n')[0]}); moved it to ${aside} and started a fresh one.`);
      knex = await startPglite(dir);
    }
    return { knex, release: () => lock.release() };
  } catch (e) {
    lock.release();
    if (e instanceof SynthError) throw e;
    throw new SynthError('CONNECTION_FAILED', `Cannot open the embedded state folder ${dir}: ${errorText(e)}`, {
      hint: 'Move the folder aside (run history is lost with it), or configure `state.url` to keep state in a database.',
      cause: e,
    });
  }
}

async function startPglite(dir: string): Promise<Knex> {
  mkdirSync(dir, { recursive: true });
  // PostgreSQL's default 128 MB of shared buffers are touched at start and held for the whole run by the process that
  // generates (issue 16: +250 MiB RSS open, +125 MiB of it these buffers); a run history of a few MB needs 16.
  const pglite = new PGlite(dir, { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] });
  const knex = knexFactory({ client: ClientPgLite, dialect: 'postgres', connection: { pglite } as Knex.StaticConnectionConfig, log: quietKnex });
  const timeoutMs = stateOpenTimeoutMs();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SynthError('CONNECTION_FAILED', `The embedded state folder ${dir} did not open within ${Math.round(timeoutMs / 1000)} s.`, {
            hint: 'A very large history replays slowly after a crash: raise SYNTH_STATE_OPEN_TIMEOUT_MS, or move the folder aside to start afresh, or configure `state.url`.',
          }),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([knex.raw('select 1'), timeout]);
    return knex;
  } catch (e) {
    // A start that never finishes cannot be awaited: its pool is dropped without waiting.
    void knex.destroy().catch(() => undefined);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

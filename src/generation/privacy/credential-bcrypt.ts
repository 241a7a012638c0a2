/**
 * Real bcrypt hashes as fresh credentials: the hash of a random password at the source's cost, so any bcrypt library
 * parses and verifies it (a login test against the target can set a known password the usual way; nothing real ever
 * verifies). bcrypt is slow by design — about 90 ms per hash at cost 10 in pure JS, 300 ms at cost 12 — so a column
 * draws from a pool of BCRYPT_POOL_SIZE distinct hashes (the first draws are each a new one, so a table of up to that
 * many rows has no repeat); a column under a UNIQUE constraint cannot repeat, and gets one hash per row at cost 4.
 * Pools are cached per process and keyed by seed, table, column and prefix: every stream of a run (sample scrub,
 * generated rows, each shard a worker replays) reuses the same hashes, and the same seed gives the same ones.
 */
import bcrypt from 'bcryptjs';
import type { Rng } from '../model.js';
import { createRng } from '../rng.js';

/** Distinct hashes per column: N ≥ min(rows, 64). At cost 12 filling it takes ~20 s, at cost 10 ~6 s, once per run. */
export const BCRYPT_POOL_SIZE = 64;
/** The cost of per-row hashes in a UNIQUE column (bcrypt's minimum: ~3 ms each). */
export const UNIQUE_BCRYPT_COST = 4;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Pools kept at most: one per bcrypt column of the runs in this process. */
const MAX_POOLS = 256;
const pools = new Map<string, string[]>();

/** The cost factor of a bcrypt prefix (`$2b$12$` → 12), within what bcrypt accepts (4–31). */
export function bcryptCost(prefix: string): number {
  const cost = Number(/^\$2[abxy]?\$(\d{2})\$$/.exec(prefix)?.[1] ?? 10);
  return Math.min(31, Math.max(4, cost));
}

/**
 * A random password and its real bcrypt hash, salt and password from `rng`. The hash keeps the prefix's variant
 * (`$2a$`, `$2y$` …: the same algorithm for ASCII passwords) and has the prefix's cost unless `cost` is given.
 */
export function bcryptOf(prefix: string, rng: Rng, cost = bcryptCost(prefix)): { password: string; hash: string } {
  let password = '';
  for (let i = 0; i < 20; i++) password += ALNUM[rng.int(ALNUM.length)];
  const salt = Array.from({ length: 16 }, () => rng.int(256));
  const rounds = String(cost).padStart(2, '0');
  const hash = bcrypt.hashSync(password, `$2b$${rounds}$${bcrypt.encodeBase64(salt, 16)}`);
  const variant = prefix.slice(0, prefix.indexOf('$', 1) + 1) || '$2b$';
  return { password, hash: `${variant}${rounds}$${hash.slice(7)}` };
}

/**
 * The `draw`-th fresh hash of a column's stream: draws below the pool size take pool entries in order (so they are
 * distinct), later ones a random entry. Entry i depends only on (poolKey, i), never on which stream asked first.
 */
export function pooledBcrypt(poolKey: string, prefix: string, draw: number, rng: Rng): string {
  let pool = pools.get(poolKey);
  if (!pool) {
    if (pools.size >= MAX_POOLS) pools.delete(pools.keys().next().value!);
    pool = [];
    pools.set(poolKey, pool);
  }
  const index = draw < BCRYPT_POOL_SIZE ? draw : rng.int(BCRYPT_POOL_SIZE);
  while (pool.length <= index) pool.push(bcryptOf(prefix, createRng(0, `${poolKey}:${pool.length}`)).hash);
  return pool[index]!;
}

/**
 * One error type for everything synth reports to a user. The CLI prints `message` and `hint`
 * (never a stack trace unless --debug) and exits with the code's exit status.
 */
export type SynthErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'CONFIG_LOAD_FAILED'
  | 'BAD_URL'
  | 'UNKNOWN_TARGET'
  | 'UNSUPPORTED_DIALECT'
  | 'CONNECTION_FAILED'
  | 'SOURCE_IS_TARGET'
  | 'UNSUPPORTED_TYPE'
  | 'LOSSY_TYPE_MAPPING'
  | 'IMPOSSIBLE_CONSTRAINT'
  | 'UNIQUENESS_IMPOSSIBLE'
  | 'EMPTY_SOURCE'
  | 'LOAD_FAILED'
  | 'VALIDATION_FAILED'
  | 'QUALITY_BELOW_THRESHOLD'
  | 'SCHEMA_PARITY'
  | 'SWAP_FAILED'
  | 'NOTHING_TO_ROLLBACK'
  | 'LOCKED'
  | 'INTERRUPTED'
  | 'MODEL_NOT_FOUND'
  | 'PRIVACY_BUDGET'
  | 'DISTRIBUTED'
  | 'INTERNAL';

/** Documented process exit codes (README "Exit codes"). */
export const EXIT = {
  ok: 0,
  validationRefused: 1,
  badInput: 2,
  infrastructure: 3,
} as const;

const exitByCode: Record<SynthErrorCode, number> = {
  CONFIG_NOT_FOUND: EXIT.badInput,
  CONFIG_INVALID: EXIT.badInput,
  CONFIG_LOAD_FAILED: EXIT.badInput,
  BAD_URL: EXIT.badInput,
  UNKNOWN_TARGET: EXIT.badInput,
  UNSUPPORTED_DIALECT: EXIT.badInput,
  CONNECTION_FAILED: EXIT.infrastructure,
  SOURCE_IS_TARGET: EXIT.badInput,
  UNSUPPORTED_TYPE: EXIT.badInput,
  LOSSY_TYPE_MAPPING: EXIT.badInput,
  IMPOSSIBLE_CONSTRAINT: EXIT.badInput,
  UNIQUENESS_IMPOSSIBLE: EXIT.badInput,
  EMPTY_SOURCE: EXIT.badInput,
  LOAD_FAILED: EXIT.infrastructure,
  VALIDATION_FAILED: EXIT.validationRefused,
  QUALITY_BELOW_THRESHOLD: EXIT.validationRefused,
  SCHEMA_PARITY: EXIT.validationRefused,
  SWAP_FAILED: EXIT.infrastructure,
  NOTHING_TO_ROLLBACK: EXIT.badInput,
  LOCKED: EXIT.infrastructure,
  // The CLI exits 128+signal for an interruption; this code is what the run history records.
  INTERRUPTED: EXIT.infrastructure,
  MODEL_NOT_FOUND: EXIT.badInput,
  PRIVACY_BUDGET: EXIT.badInput,
  // A worker, the queue or the run bundle failed (src/distributed).
  DISTRIBUTED: EXIT.infrastructure,
  INTERNAL: EXIT.infrastructure,
};

export interface SynthErrorDetails {
  /** What to do about it, in one or two sentences. */
  hint?: string;
  table?: string;
  column?: string;
  /** Config field path such as `targets.dev.url`. */
  path?: string;
  cause?: unknown;
}

export class SynthError extends Error {
  readonly code: SynthErrorCode;
  readonly hint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly path: string | undefined;

  constructor(code: SynthErrorCode, message: string, details: SynthErrorDetails = {}) {
    super(redactSecrets(message), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SynthError';
    this.code = code;
    this.hint = details.hint === undefined ? undefined : redactSecrets(details.hint);
    this.table = details.table;
    this.column = details.column;
    this.path = details.path;
  }

  get exitCode(): number {
    return exitByCode[this.code];
  }
}

export function isSynthError(e: unknown): e is SynthError {
  return e instanceof SynthError;
}

/** Secrets synth was handed (passwords from URLs, config and environment, the transform key): never printed. */
const knownSecrets = new Set<string>();

/**
 * Adds a secret that `redactSecrets` removes wherever it appears, also percent-encoded. Very short values are
 * left to the pattern rules: replacing every "ab" in a message would garble it without protecting anything.
 */
export function registerSecret(secret: string | null | undefined): void {
  if (secret == null || secret.length < 4) return;
  knownSecrets.add(secret);
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) knownSecrets.add(encoded);
}

/**
 * Removes passwords from text: every registered secret, the userinfo password of anything that looks like a
 * connection URL (up to the last `@` of the URL, so an unencoded `@` in the password does not leave its tail),
 * and `password=` style parameters (`?password=`, `&sslpassword=`, libpq `password=` pairs).
 */
export function redactSecrets(text: string): string {
  let out = text;
  // Longest first, so a secret that contains another is removed whole.
  for (const secret of [...knownSecrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s'"`]*:)[^\s'"`]*@(?=[^@\s'"`]*(?:$|[\s'"`]))/gi, '$1***@')
    .replace(/((?:^|[?&;\s])(?:ssl)?(?:password|passwd|pwd)=)[^&;\s'"`]*/gi, '$1***');
}

/** Wraps a driver error from connecting into a SynthError that names the database without its password. */
export function connectionError(what: string, url: string, cause: unknown): SynthError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const missing = missingDatabaseError(what, url, cause);
  if (missing !== null) return missing;
  return new SynthError('CONNECTION_FAILED', `Cannot connect to ${what} at ${redactSecrets(url)}: ${reason}`, {
    hint: 'Check that the server is running and reachable, and that the URL, user and password are right.',
    cause,
  });
}

/**
 * The server answered but the URL's database does not exist (PostgreSQL 3D000, MySQL/MariaDB 1049): synth creates
 * schemas and tables, never the database itself, so the hint names the database and the command that creates it.
 */
function missingDatabaseError(what: string, url: string, cause: unknown): SynthError | null {
  const c = cause as { code?: unknown; errno?: unknown } | null;
  const pg = c?.code === '3D000';
  const mysql = c?.errno === 1049 || c?.code === 'ER_BAD_DB_ERROR';
  if (!pg && !mysql) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '') return null;
  const host = u.hostname || 'localhost';
  const user = decodeURIComponent(u.username);
  const create = pg
    ? `createdb -h ${host}${u.port ? ` -p ${u.port}` : ''}${user ? ` -U ${user}` : ''} ${database}   (or in psql: CREATE DATABASE "${database.replace(/"/g, '""')}";)`
    : `mariadb -h ${host}${u.port ? ` -P ${u.port}` : ''}${user ? ` -u ${user}` : ''} -e 'CREATE DATABASE \`${database}\`'   (or: CREATE DATABASE \`${database}\`;)`;
  return new SynthError('CONNECTION_FAILED', `The database "${database}" does not exist on ${redactSecrets(`${u.protocol}//${u.host}`)} (connecting to ${what}).`, {
    hint: `Create it, then run synth again (synth fills a database but does not create it): ${create}`,
    cause,
  });
}

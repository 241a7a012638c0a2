/**
 * Per-pull-request preview databases copied from the latest hydrated target: `<target>__<name>` on the
 * target's server, with an expiry so `previewGc()` (run on a schedule) removes forgotten ones.
 */
import { appendFileSync } from 'node:fs';
import { SynthError, redactSecrets } from '../errors.js';
import { createPgPreview, dropPgPreview, listPgPreviews } from '../connectors/postgres/postgres-preview.js';
import { createMysqlPreview, dropMysqlPreview, listMysqlPreviews } from '../connectors/mysql/mysql-preview.js';
import { protocolOf } from './target-lock.js';

export const DEFAULT_PREVIEW_TTL = '7d';
/** MySQL database holding the `synth_previews` registry table (the same database as the state store's default). */
export const DEFAULT_PREVIEW_REGISTRY = 'synth_state';

export interface PreviewUpOptions {
  /** URL of the hydrated target database; the preview goes on the same server. */
  targetUrl: string;
  /** e.g. `pr_123`; letters, digits, _ and -. */
  name: string;
  /** `90m`, `12h`, `7d` or milliseconds. Default 7d. */
  ttl?: string | number;
  /** Recreate the preview when it already exists (a new push to the pull request). */
  replace?: boolean;
  /** PostgreSQL: end other sessions on the target so it can serve as template. */
  terminateConnections?: boolean;
  /** MySQL: database of the registry table. */
  registryDatabase?: string;
  now?: Date;
  /** Where the (password-free) URL is printed. Default: stdout. */
  log?: (line: string) => void;
  /** File to append `url=…` to; default $GITHUB_OUTPUT. null: do not write. */
  githubOutput?: string | null;
}

export interface Preview {
  name: string;
  /** Target database the preview was copied from. */
  target: string;
  database: string;
  /** Real connection URL (with the target URL's credentials); redact before logging. */
  url: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface PreviewServerOptions {
  targetUrl: string;
  registryDatabase?: string;
}

export function parseTtl(ttl: string | number): number {
  if (typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0) return ttl;
  const m = typeof ttl === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$/i.exec(ttl) : null;
  if (m === null) {
    throw new SynthError('CONFIG_INVALID', `The preview TTL "${String(ttl)}" is not a duration.`, {
      hint: 'Write it as a number and a unit: 90m, 12h, 7d or 2w.',
      path: 'preview.ttl',
    });
  }
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[m[2]!.toLowerCase() as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

export async function previewUp(options: PreviewUpOptions): Promise<Preview> {
  const { kind, target } = parseTarget(options.targetUrl);
  const database = previewDatabaseName(target, options.name);
  const createdAt = options.now ?? new Date();
  const expiresAt = new Date(createdAt.getTime() + parseTtl(options.ttl ?? DEFAULT_PREVIEW_TTL));
  const meta = { name: options.name, target, createdAt: createdAt.toISOString(), expiresAt: expiresAt.toISOString() };
  if (kind === 'postgres') {
    await createPgPreview(options.targetUrl, target, database, meta, {
      terminateConnections: options.terminateConnections ?? false,
      replace: options.replace ?? false,
    });
  } else {
    await createMysqlPreview(options.targetUrl, target, database, meta, {
      replace: options.replace ?? false,
      registry: options.registryDatabase ?? DEFAULT_PREVIEW_REGISTRY,
    });
  }
  const preview: Preview = { name: options.name, target, database, url: withDatabase(options.targetUrl, database), createdAt, expiresAt };
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  log(`Preview ${database} ready at ${redactSecrets(preview.url)} (expires ${expiresAt.toISOString()})`);
  const out = options.githubOutput === undefined ? process.env.GITHUB_OUTPUT : options.githubOutput;
  if (out != null && out !== '') {
    // The next workflow steps need the real URL; keep the password in a secret so Actions masks it in logs.
    appendFileSync(out, `url=${preview.url}\ndatabase=${database}\nexpires=${expiresAt.toISOString()}\n`);
  }
  return preview;
}

/** Drops the preview `name` of the target. Returns false when it did not exist. */
export async function previewDown(options: PreviewServerOptions & { name: string }): Promise<boolean> {
  const { kind, target } = parseTarget(options.targetUrl);
  const database = previewDatabaseName(target, options.name);
  return kind === 'postgres'
    ? dropPgPreview(options.targetUrl, database)
    : dropMysqlPreview(options.targetUrl, database, options.registryDatabase ?? DEFAULT_PREVIEW_REGISTRY);
}

export async function listPreviews(options: PreviewServerOptions): Promise<Preview[]> {
  const { kind, target } = parseTarget(options.targetUrl);
  const rows =
    kind === 'postgres'
      ? await listPgPreviews(options.targetUrl, target)
      : await listMysqlPreviews(options.targetUrl, target, options.registryDatabase ?? DEFAULT_PREVIEW_REGISTRY);
  return rows.map((r) => ({
    name: r.meta.name,
    target,
    database: r.database,
    url: withDatabase(options.targetUrl, r.database),
    createdAt: new Date(r.meta.createdAt),
    expiresAt: new Date(r.meta.expiresAt),
  }));
}

/** Drops every expired preview of the target; returns what it removed. */
export async function previewGc(options: PreviewServerOptions & { now?: Date }): Promise<Preview[]> {
  const now = options.now ?? new Date();
  const removed: Preview[] = [];
  for (const p of await listPreviews(options)) {
    if (p.expiresAt.getTime() > now.getTime()) continue;
    await previewDown({ ...options, name: p.name });
    removed.push(p);
  }
  return removed;
}

export function previewDatabaseName(target: string, name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new SynthError('CONFIG_INVALID', `The preview name "${name}" may only use letters, digits, _ and -.`, {
      hint: 'Use something like pr_123 (e.g. pr_${{ github.event.number }}).',
    });
  }
  const db = `${target}__${name}`;
  if (db.length > 63) {
    throw new SynthError('CONFIG_INVALID', `The preview database name "${db}" is longer than the 63 characters databases allow.`, {
      hint: 'Use a shorter preview name.',
    });
  }
  return db;
}

function parseTarget(targetUrl: string): { kind: 'postgres' | 'mysql'; target: string } {
  const protocol = protocolOf(targetUrl);
  const kind = protocol === 'postgres' || protocol === 'postgresql' ? 'postgres' : protocol === 'mysql' || protocol === 'mariadb' ? 'mysql' : null;
  if (kind === null) {
    throw new SynthError('UNSUPPORTED_DIALECT', `Previews need a PostgreSQL or MySQL target, not ${redactSecrets(targetUrl)}.`, {
      hint: 'Point the preview at a postgres:// or mysql:// target.',
    });
  }
  const target = decodeURIComponent(new URL(targetUrl).pathname.replace(/^\//, ''));
  if (target === '') {
    throw new SynthError('BAD_URL', `The target URL ${redactSecrets(targetUrl)} names no database.`, {
      hint: 'Add the database to the URL path, e.g. postgres://host/app_stage.',
    });
  }
  return { kind, target };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.href;
}

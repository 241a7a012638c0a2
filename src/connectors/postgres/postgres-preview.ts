/**
 * Preview databases on a PostgreSQL server: `CREATE DATABASE … TEMPLATE <target>` copies the hydrated target
 * file-by-file (fast, FKs/sequences/everything intact). PostgreSQL refuses while anyone else is connected to
 * the template, so we say who is, and end those sessions only when asked to. Metadata lives in a comment on
 * the preview database (`synth-preview:{json}`), readable cluster-wide without any extra table.
 */
import pg from 'pg';
import { SynthError, connectionError, redactSecrets } from '../../errors.js';
import { pgLockHolder } from './postgres-lock.js';

export interface PreviewMeta {
  name: string;
  target: string;
  createdAt: string;
  expiresAt: string;
}

export interface PgPreviewRow {
  database: string;
  meta: PreviewMeta;
}

const COMMENT_PREFIX = 'synth-preview:';

function qi(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function lit(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A session on the server's maintenance database: never on the template itself, which would block the copy. */
async function adminSession(serverUrl: string): Promise<pg.Client> {
  let lastError: unknown;
  for (const db of ['postgres', 'template1']) {
    const u = new URL(serverUrl);
    u.pathname = `/${db}`;
    const client = new pg.Client({ connectionString: u.href, application_name: 'synth preview' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (e) {
      lastError = e;
      await client.end().catch(() => undefined);
    }
  }
  throw connectionError('the PostgreSQL server (maintenance database postgres)', serverUrl, lastError);
}

export async function createPgPreview(
  targetUrl: string,
  target: string,
  database: string,
  meta: PreviewMeta,
  options: { terminateConnections: boolean; replace: boolean },
): Promise<void> {
  const admin = await adminSession(targetUrl);
  try {
    const exists = async (db: string) =>
      (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount! > 0;
    if (!(await exists(target))) {
      throw new SynthError('UNKNOWN_TARGET', `The target database "${target}" does not exist on ${redactSecrets(targetUrl)}.`, {
        hint: 'Hydrate the target first (synth hydrate), then create previews from it.',
      });
    }
    if (await exists(database)) {
      if (!options.replace) {
        throw new SynthError('CONFIG_INVALID', `The preview database "${database}" already exists.`, {
          hint: 'Remove it with `synth preview down`, or pass --replace to recreate it from the current target.',
        });
      }
      await admin.query(`DROP DATABASE ${qi(database)} WITH (FORCE)`);
    }
    for (let attempt = 1; ; attempt++) {
      // Checked on every attempt: ending sessions must never end a hydration's lock session.
      const holder = await pgLockHolder(admin, target);
      if (holder !== null) {
        throw new SynthError('LOCKED', `The target "${target}" is being hydrated by ${holder}; a preview copied now could be half-swapped.`, {
          hint: 'Run the preview after the hydration finishes (chain it in CI after the hydrate step).',
        });
      }
      const sessions = await admin.query<{ pid: number; usename: string; application_name: string; client_addr: string | null }>(
        `SELECT pid, usename, application_name, client_addr::text AS client_addr
           FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [target],
      );
      if (sessions.rowCount! > 0) {
        if (!options.terminateConnections) {
          const who = sessions.rows
            .slice(0, 5)
            .map((s) => `pid ${s.pid} ${s.usename}${s.application_name ? ` "${s.application_name}"` : ''}${s.client_addr ? ` from ${s.client_addr}` : ''}`)
            .join('; ');
          throw new SynthError(
            'LOCKED',
            `Cannot copy "${target}": PostgreSQL copies a database (CREATE DATABASE … TEMPLATE) only while no other session is connected to it, and ${sessions.rowCount} are: ${who}.`,
            { hint: 'Close those sessions (apps, psql, poolers pointing at the target), or pass --terminate-connections to end them for the copy.' },
          );
        }
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [target]);
      }
      try {
        await admin.query(`CREATE DATABASE ${qi(database)} TEMPLATE ${qi(target)}`);
        break;
      } catch (e) {
        // 55006: someone connected between the check and the copy (a pooler reconnecting); try again briefly.
        if ((e as { code?: string }).code === '55006' && attempt < 5) {
          await new Promise((r) => setTimeout(r, 200 * attempt));
          continue;
        }
        throw new SynthError('LOAD_FAILED', `Cannot create preview database "${database}" from "${target}": ${(e as Error).message}`, {
          hint: (e as { code?: string }).code === '55006'
            ? 'Sessions keep connecting to the target; pass --terminate-connections or pause the clients.'
            : 'The server user needs CREATEDB (or superuser) to copy a database.',
          cause: e,
        });
      }
    }
    await dropSynthSchemas(targetUrl, database);
    await admin.query(`COMMENT ON DATABASE ${qi(database)} IS ${lit(COMMENT_PREFIX + JSON.stringify(meta))}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/**
 * TEMPLATE copies the whole database, synth's own schemas included: the backup of the previous data (as large as
 * the live data) and any shadow a killed run left. A preview needs neither, so they are dropped from the copy.
 */
async function dropSynthSchemas(serverUrl: string, database: string): Promise<string[]> {
  const u = new URL(serverUrl);
  u.pathname = `/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: u.href, application_name: 'synth preview' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'synth\\_backup\\_%' OR nspname LIKE 'synth\\_shadow\\_%' ORDER BY 1`,
    );
    for (const r of rows) await client.query(`DROP SCHEMA ${qi(r.name)} CASCADE`);
    return rows.map((r) => r.name);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropPgPreview(serverUrl: string, database: string): Promise<boolean> {
  const admin = await adminSession(serverUrl);
  try {
    const res = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (res.rowCount === 0) return false;
    await admin.query(`DROP DATABASE ${qi(database)} WITH (FORCE)`);
    return true;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** Preview databases of `target` on the server, read from their comments. */
export async function listPgPreviews(serverUrl: string, target: string): Promise<PgPreviewRow[]> {
  const admin = await adminSession(serverUrl);
  try {
    const res = await admin.query<{ datname: string; description: string }>(
      `SELECT d.datname, shobj_description(d.oid, 'pg_database') AS description
         FROM pg_database d
        WHERE shobj_description(d.oid, 'pg_database') LIKE $1
        ORDER BY d.datname`,
      [`${COMMENT_PREFIX}%`],
    );
    const out: PgPreviewRow[] = [];
    for (const row of res.rows) {
      try {
        const meta = JSON.parse(row.description.slice(COMMENT_PREFIX.length)) as PreviewMeta;
        if (meta.target === target) out.push({ database: row.datname, meta });
      } catch {
        // A hand-edited comment: not ours to manage.
      }
    }
    return out;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/**
 * Preview databases on a MySQL/MariaDB server. There is no database template, so the copy is done server-side:
 * every table re-created from SHOW CREATE TABLE (which, unlike CREATE TABLE … LIKE, keeps foreign keys and the
 * AUTO_INCREMENT counter), rows copied with INSERT … SELECT inside one consistent snapshot, then views and
 * triggers (after the data, so triggers do not fire on the copy). No row passes through this process.
 * The target's synth lock is held meanwhile so a hydration cannot swap tables under the copy.
 * Metadata goes to a registry table `synth_previews` (MySQL has no portable database comments).
 */
import mysql from 'mysql2/promise';
import { SynthError, connectionError, redactSecrets } from '../../errors.js';
import { acquireMysqlLock } from './mysql-lock.js';

export interface PreviewMeta {
  name: string;
  target: string;
  createdAt: string;
  expiresAt: string;
}

export interface MysqlPreviewRow {
  database: string;
  meta: PreviewMeta;
}

function qi(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

async function serverSession(url: string): Promise<mysql.Connection> {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  u.pathname = '/';
  try {
    const conn = await mysql.createConnection({ uri: u.href, timezone: 'Z', dateStrings: false });
    conn.on('error', () => undefined);
    return conn;
  } catch (e) {
    throw connectionError('the MySQL server', url, e);
  }
}

async function ensureRegistry(conn: mysql.Connection, registry: string): Promise<void> {
  await conn.query(`CREATE DATABASE IF NOT EXISTS ${qi(registry)} CHARACTER SET utf8mb4`);
  await conn.query(
    `CREATE TABLE IF NOT EXISTS ${qi(registry)}.synth_previews (
       database_name VARCHAR(64) NOT NULL PRIMARY KEY,
       name VARCHAR(64) NOT NULL,
       target VARCHAR(64) NOT NULL,
       created_at DATETIME(3) NOT NULL,
       expires_at DATETIME(3) NOT NULL,
       KEY synth_previews_target (target)
     ) ENGINE=InnoDB`,
  );
}

async function databaseExists(conn: mysql.Connection, db: string): Promise<boolean> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [db]);
  return rows.length > 0;
}

/** Rewrites `source`.` qualifiers in server-printed view/trigger SQL to the copy. */
function requalify(sql: string, from: string, to: string): string {
  return sql.split(`${qi(from)}.`).join(`${qi(to)}.`);
}

export async function createMysqlPreview(
  targetUrl: string,
  target: string,
  database: string,
  meta: PreviewMeta,
  options: { replace: boolean; registry: string },
): Promise<void> {
  const conn = await serverSession(targetUrl);
  let created = false;
  try {
    if (!(await databaseExists(conn, target))) {
      throw new SynthError('UNKNOWN_TARGET', `The target database "${target}" does not exist on ${redactSecrets(targetUrl)}.`, {
        hint: 'Hydrate the target first (synth hydrate), then create previews from it.',
      });
    }
    if (await databaseExists(conn, database)) {
      if (!options.replace) {
        throw new SynthError('CONFIG_INVALID', `The preview database "${database}" already exists.`, {
          hint: 'Remove it with `synth preview down`, or pass --replace to recreate it from the current target.',
        });
      }
      await conn.query(`DROP DATABASE ${qi(database)}`);
    }
    await ensureRegistry(conn, options.registry);

    const lock = await acquireMysqlLock(targetUrl, { wait: false, timeoutMs: 0, holder: `preview ${meta.name}`, infoDatabase: options.registry }).catch((e: unknown) => {
      if (e instanceof SynthError && e.code === 'LOCKED') {
        throw new SynthError('LOCKED', `${e.message} A preview copied now could be half-swapped.`, {
          hint: 'Run the preview after the hydration finishes (chain it in CI after the hydrate step).',
        });
      }
      throw e;
    });
    try {
      const [[schema]] = await conn.query<mysql.RowDataPacket[]>(
        'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
        [target],
      );
      await conn.query(`CREATE DATABASE ${qi(database)} CHARACTER SET ${String(schema!.cs)} COLLATE ${String(schema!.co)}`);
      created = true;
      await copyObjects(conn, target, database);
      await conn.query(
        `INSERT INTO ${qi(options.registry)}.synth_previews (database_name, name, target, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE name = VALUES(name), target = VALUES(target), created_at = VALUES(created_at), expires_at = VALUES(expires_at)`,
        [database, meta.name, meta.target, new Date(meta.createdAt), new Date(meta.expiresAt)],
      );
    } finally {
      await lock.release();
    }
  } catch (e) {
    if (created) await conn.query(`DROP DATABASE IF EXISTS ${qi(database)}`).catch(() => undefined);
    if (e instanceof SynthError) throw e;
    throw new SynthError('LOAD_FAILED', `Cannot copy "${target}" into preview "${database}": ${(e as Error).message}`, {
      hint: 'The server user needs CREATE, INSERT, SELECT and SHOW VIEW/TRIGGER rights on both databases.',
      cause: e,
    });
  } finally {
    await conn.end().catch(() => undefined);
  }
}

async function copyObjects(conn: mysql.Connection, source: string, copy: string): Promise<void> {
  const [tables] = await conn.query<mysql.RowDataPacket[]>(
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
    [source],
  );
  const baseTables = tables.filter((t) => t.type === 'BASE TABLE').map((t) => String(t.name));
  const views = tables.filter((t) => t.type === 'VIEW').map((t) => String(t.name));

  await conn.query(`USE ${qi(copy)}`);
  // Tables reference each other in any order; FK checks are off only for this session's DDL and copy.
  await conn.query('SET SESSION foreign_key_checks = 0');
  for (const t of baseTables) {
    const [[row]] = await conn.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE ${qi(source)}.${qi(t)}`);
    // Unqualified names (the table, same-database FK targets) now resolve in the copy.
    await conn.query(String(row!['Create Table']));
  }

  await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
  for (const t of baseTables) {
    const [cols] = await conn.query<mysql.RowDataPacket[]>(
      `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND EXTRA NOT LIKE '%GENERATED%' AND EXTRA NOT IN ('VIRTUAL', 'PERSISTENT', 'STORED')
        ORDER BY ORDINAL_POSITION`,
      [source, t],
    );
    const list = cols.map((c) => qi(String(c.name))).join(', ');
    await conn.query(`INSERT INTO ${qi(copy)}.${qi(t)} (${list}) SELECT ${list} FROM ${qi(source)}.${qi(t)}`);
  }
  await conn.query('COMMIT');

  // Views may build on views: create in passes until no progress.
  let pending = [...views];
  while (pending.length > 0) {
    const failed: string[] = [];
    let lastError: unknown;
    for (const v of pending) {
      const [[row]] = await conn.query<mysql.RowDataPacket[]>(`SHOW CREATE VIEW ${qi(source)}.${qi(v)}`);
      const ddl = requalify(String(row!['Create View']), source, copy).replace(/DEFINER=`[^`]*`@`[^`]*`\s*/i, '');
      try {
        await conn.query(ddl);
      } catch (e) {
        failed.push(v);
        lastError = e;
      }
    }
    if (failed.length === pending.length) throw lastError;
    pending = failed;
  }

  const [triggers] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY ACTION_ORDER',
    [source],
  );
  for (const trg of triggers) {
    const [[row]] = await conn.query<mysql.RowDataPacket[]>(`SHOW CREATE TRIGGER ${qi(source)}.${qi(String(trg.name))}`);
    const ddl = requalify(String(row!['SQL Original Statement']), source, copy).replace(/DEFINER=`[^`]*`@`[^`]*`\s*/i, '');
    await conn.query(ddl);
  }
  await conn.query('SET SESSION foreign_key_checks = 1');
}

export async function dropMysqlPreview(serverUrl: string, database: string, registry: string): Promise<boolean> {
  const conn = await serverSession(serverUrl);
  try {
    const existed = await databaseExists(conn, database);
    await conn.query(`DROP DATABASE IF EXISTS ${qi(database)}`);
    if (await databaseExists(conn, registry)) {
      await conn.query(`DELETE FROM ${qi(registry)}.synth_previews WHERE database_name = ?`, [database]).catch(() => undefined);
    }
    return existed;
  } finally {
    await conn.end().catch(() => undefined);
  }
}

export async function listMysqlPreviews(serverUrl: string, target: string, registry: string): Promise<MysqlPreviewRow[]> {
  const conn = await serverSession(serverUrl);
  try {
    if (!(await databaseExists(conn, registry))) return [];
    await ensureRegistry(conn, registry);
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      `SELECT database_name, name, target, created_at, expires_at FROM ${qi(registry)}.synth_previews WHERE target = ? ORDER BY database_name`,
      [target],
    );
    return rows.map((r) => ({
      database: String(r.database_name),
      meta: {
        name: String(r.name),
        target: String(r.target),
        createdAt: (r.created_at as Date).toISOString(),
        expiresAt: (r.expires_at as Date).toISOString(),
      },
    }));
  } finally {
    await conn.end().catch(() => undefined);
  }
}

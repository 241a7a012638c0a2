/**
 * The database's own session defaults (`ALTER DATABASE … SET search_path = app, public`, a custom `app.lang`): an
 * application connecting to the hydrated database must see the source's, or its unqualified names do not resolve and
 * what reads `current_setting(…)` changes. Database-wide rows of pg_db_role_setting travel with the schema; rows for
 * one role in this database do not (roles are the server's, not the database's) and are only reported.
 */
import type { DatabaseSetting } from '../../schema/model.js';
import { SynthError } from '../../errors.js';
import { lit, qi } from './postgres-quote.js';
import type { PgSession } from './postgres-session.js';

/** Database-wide settings first (role null), then role-specific ones, each in the order the server keeps them. */
export async function databaseSettingsOf(s: PgSession): Promise<DatabaseSetting[]> {
  const rows = await s.query<{ role: string | null; setting: string }>(
    `SELECT CASE WHEN r.setrole = 0 THEN NULL ELSE r.setrole::regrole::text END AS role, c.setting
       FROM pg_db_role_setting r, unnest(r.setconfig) WITH ORDINALITY AS c(setting, n)
      WHERE r.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
      ORDER BY r.setrole <> 0, 1, c.n`,
  );
  return rows.rows.map((r) => {
    const at = r.setting.indexOf('=');
    const name = at < 0 ? r.setting : r.setting.slice(0, at);
    const value = at < 0 ? '' : r.setting.slice(at + 1);
    return r.role === null ? { name, value } : { name, value, role: r.role };
  });
}

/**
 * Parameters whose stored value is a list of quoted items (pg_dump's variable_is_guc_list_quote): `bookings, public`
 * must be given back as `'bookings', 'public'`, since one literal would name a single schema `bookings, public`.
 */
const LIST_QUOTE = new Set(['local_preload_libraries', 'search_path', 'session_preload_libraries', 'shared_preload_libraries', 'temp_tablespaces', 'unix_socket_directories']);

/** A stored list value split as the server's SplitGUCList does: comma-separated, double quotes around an item kept out. */
export function splitSettingList(value: string): string[] {
  const items: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < value.length && /\s/.test(value[i]!)) i++;
  };
  skipSpace();
  if (i >= value.length) return items;
  for (;;) {
    let item = '';
    if (value[i] === '"') {
      for (i++; i < value.length; i++) {
        if (value[i] === '"') {
          if (value[i + 1] !== '"') break;
          i++;
        }
        item += value[i];
      }
      i++;
    } else {
      while (i < value.length && value[i] !== ',') item += value[i++];
      item = item.trimEnd();
    }
    items.push(item);
    skipSpace();
    if (value[i] !== ',') break;
    i++;
    skipSpace();
  }
  return items;
}

/** The value as `ALTER DATABASE … SET name = <this>` takes it, so the server stores the source's value again. */
export function settingValueSql(name: string, value: string): string {
  if (!LIST_QUOTE.has(name.toLowerCase())) return lit(value);
  // An empty search_path is stored as `""`: one empty item.
  const items = splitSettingList(value);
  return items.length === 0 ? "''" : items.map(lit).join(', ');
}

interface SettingChange {
  name: string;
  sql: string;
  /** What it does, for the run's notes. */
  what: string;
}

/** What turns the target's database-wide settings into the source's: SET what differs, RESET what the source lacks. */
function changes(database: string, source: DatabaseSetting[], target: DatabaseSetting[]): SettingChange[] {
  const wanted = source.filter((d) => d.role === undefined);
  const have = new Map(target.filter((d) => d.role === undefined).map((d) => [d.name, d.value]));
  const out: SettingChange[] = [];
  for (const [name, value] of have) {
    if (wanted.some((d) => d.name === name)) continue;
    out.push({ name, sql: `ALTER DATABASE ${qi(database)} RESET ${qi(name)}`, what: `removed ${name} = ${value} (the source database does not set it)` });
  }
  for (const d of wanted) {
    if (have.get(d.name) === d.value) continue;
    out.push({ name: d.name, sql: `ALTER DATABASE ${qi(database)} SET ${qi(d.name)} = ${settingValueSql(d.name, d.value)}`, what: `${d.name} = ${d.value}` });
  }
  return out;
}

async function currentDatabase(s: PgSession): Promise<string> {
  return (await s.query<{ db: string }>(`SELECT current_database() AS db`)).rows[0]!.db;
}

async function applyChanges(s: PgSession, list: SettingChange[], database: string, phase: 'check' | 'swap'): Promise<void> {
  for (const c of list) {
    await s.query('SAVEPOINT synth_setting');
    try {
      await s.query(c.sql);
      await s.query('RELEASE SAVEPOINT synth_setting');
    } catch (cause) {
      await s.query('ROLLBACK TO SAVEPOINT synth_setting').catch(() => undefined);
      const msg = cause instanceof Error ? cause.message : String(cause);
      throw new SynthError(phase === 'check' ? 'LOAD_FAILED' : 'SWAP_FAILED', `The target database ${database} refuses the source database's setting ${c.what}: ${msg}`, {
        hint:
          /permission denied|must be owner/i.test(msg)
            ? `Database settings are carried with ALTER DATABASE, which needs the target database's owner: connect as its owner (or make the connecting user the owner), then run again. Nothing was swapped.`
            : `The source database sets ${c.name} (ALTER DATABASE … SET ${c.name}); make the target server accept it (install or preload the extension that defines it, or use a server version that knows it), or remove it from the source (ALTER DATABASE … RESET ${c.name}), then run again. Nothing was swapped.`,
        cause,
      });
    }
  }
}

/**
 * Applies the changes inside the caller's transaction and reads back what the target would then hold, all undone
 * again: a setting the target server rejects fails here, before anything is written, and the read-back is what the
 * schema parity check compares with the source (the server's own spelling of each value).
 */
export async function probeDatabaseSettings(s: PgSession, source: DatabaseSetting[]): Promise<DatabaseSetting[]> {
  const database = await currentDatabase(s);
  const before = await databaseSettingsOf(s);
  const list = changes(database, source, before);
  if (list.length === 0) return before.filter((d) => d.role === undefined);
  await s.query('SAVEPOINT synth_settings_probe');
  try {
    await applyChanges(s, list, database, 'check');
    return (await databaseSettingsOf(s)).filter((d) => d.role === undefined);
  } finally {
    await s.query('ROLLBACK TO SAVEPOINT synth_settings_probe');
  }
}

/** Makes the target's database-wide settings the source's, inside the swap's transaction; one note per change. */
export async function applyDatabaseSettings(s: PgSession, source: DatabaseSetting[]): Promise<string[]> {
  const database = await currentDatabase(s);
  const list = changes(database, source, await databaseSettingsOf(s));
  await applyChanges(s, list, database, 'swap');
  return list.length === 0 ? [] : [`database ${database} settings: ${list.map((c) => c.what).join('; ')} (new connections see them)`];
}

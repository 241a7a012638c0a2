/**
 * Views, triggers, procedures, functions and events: read as recreatable DDL, created in a shadow (so the schema
 * parity check sees them before the swap) and again in the live database after the swap (a view or trigger cannot
 * move with RENAME TABLE, and routines and events belong to the database, not to a table).
 */
import type { PoolConnection } from 'mysql2/promise';
import type { OtherObject } from '../../schema/model.js';
import type { MysqlSession } from './mysql-session.js';
import { qi, qt } from './mysql-quote.js';

/** The definer is the source's account, which the target may not have: objects belong to whoever recreates them. */
export function withoutDefiner(sql: string): string {
  return sql.replace(/^(CREATE\s+(?:OR\s+REPLACE\s+)?)DEFINER\s*=\s*(?:`(?:[^`]|``)*`|'[^']*'|\S+?)@(?:`(?:[^`]|``)*`|'[^']*'|\S+)\s+/i, '$1');
}

/**
 * A body that names its own database (`shop`.`t`, shop.t) would, recreated in the target, read and write the
 * source: the qualifier goes, so the names resolve in whichever database the object is created in.
 */
export function unqualified(sql: string, database: string): string {
  const bare = /^[A-Za-z_$][\w$]*$/.test(database) ? new RegExp(`(?<![\\w$.\`])${database.replace(/\$/g, '\\$')}\\.(?=[\`A-Za-z_$])`, 'g') : null;
  // String literals are left alone ('shop.x' is data, not a name).
  return sql
    .split(/('(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")/)
    .map((part, i) => {
      if (i % 2 === 1) return part;
      const quoted = part.split(`${qi(database)}.`).join('');
      return bare ? quoted.replace(bare, '') : quoted;
    })
    .join('');
}

const STATUS = /\bON COMPLETION (NOT )?PRESERVE (DISABLE ON SLAVE|DISABLE|ENABLE)\b/i;

/** `ENABLE`, `DISABLE` or `DISABLE ON SLAVE` of an event's DDL (null when the DDL does not say). */
export function eventStatus(definition: string): string | null {
  return STATUS.exec(definition)?.[2]?.toUpperCase() ?? null;
}

/** The event's DDL with another status; the rest (schedule, body) is untouched. */
export function withEventStatus(definition: string, status: string): string {
  return definition.replace(STATUS, (_m, not: string | undefined) => `ON COMPLETION ${not ? 'NOT ' : ''}PRESERVE ${status}`);
}

type ShowRow = Record<string, string | null>;

/** SHOW CREATE … of each routine and event; null where the account may not read the body (it is reported, not copied). */
export async function routinesAndEvents(session: MysqlSession, databases: string[]): Promise<OtherObject[]> {
  const inList = databases.map(() => '?').join(', ');
  const out: OtherObject[] = [];
  const routines = await session.query<{ ROUTINE_SCHEMA: string; ROUTINE_NAME: string; ROUTINE_TYPE: string }>(
    `SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN (${inList}) ORDER BY 1, 3, 2`,
    databases,
  );
  for (const r of routines) {
    const kind = r.ROUTINE_TYPE === 'PROCEDURE' ? 'procedure' : 'function';
    const rows = await session.query<ShowRow>(`SHOW CREATE ${kind.toUpperCase()} ${qt(r.ROUTINE_SCHEMA, r.ROUTINE_NAME)}`).catch(() => []);
    const sql = rows[0]?.[kind === 'procedure' ? 'Create Procedure' : 'Create Function'] ?? null;
    out.push({ schema: r.ROUTINE_SCHEMA, name: r.ROUTINE_NAME, kind, definition: sql === null ? null : unqualified(withoutDefiner(sql), r.ROUTINE_SCHEMA) });
  }
  const events = await session.query<{ EVENT_SCHEMA: string; EVENT_NAME: string }>(
    `SELECT EVENT_SCHEMA, EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN (${inList}) ORDER BY 1, 2`,
    databases,
  );
  for (const e of events) {
    const rows = await session.query<ShowRow>(`SHOW CREATE EVENT ${qt(e.EVENT_SCHEMA, e.EVENT_NAME)}`).catch(() => []);
    const sql = rows[0]?.['Create Event'] ?? null;
    // The schedule's times are in the event's own time zone, which therefore travels with its DDL (see createObjects).
    const zone = rows[0]?.['time_zone'] ?? 'SYSTEM';
    out.push({ schema: e.EVENT_SCHEMA, name: e.EVENT_NAME, kind: 'event', definition: sql === null ? null : `/* time_zone=${zone} */ ${unqualified(withoutDefiner(sql), e.EVENT_SCHEMA)}` });
  }
  return out;
}

/** Which kinds this module recreates, in the order they are created (triggers and events may call routines). */
const ORDER: Array<OtherObject['kind']> = ['function', 'procedure', 'view', 'trigger', 'event'];

export function recreatable(objects: OtherObject[]): OtherObject[] {
  return ORDER.flatMap((kind) => objects.filter((o) => o.kind === kind));
}

const DROP: Partial<Record<OtherObject['kind'], string>> = { function: 'FUNCTION', procedure: 'PROCEDURE', event: 'EVENT', trigger: 'TRIGGER' };

/**
 * Creates `objects` in `database` (views retried while they make progress, as one may read another). With
 * `eventsDisabled` every event is created DISABLE, so none fires on a shadow. Returns the ones that failed, with why.
 */
export async function createObjects(
  conn: PoolConnection,
  database: string,
  objects: OtherObject[],
  options: { eventsDisabled?: boolean; replace?: boolean } = {},
): Promise<Array<{ object: OtherObject; error: string }>> {
  await conn.query(`USE ${qi(database)}`);
  let pending = recreatable(objects).filter((o) => o.definition !== null);
  const failed = new Map<OtherObject, string>();
  for (const o of objects) if (o.definition === null && ORDER.includes(o.kind)) failed.set(o, 'its definition could not be read from the source');
  for (let round = 0; round < 5 && pending.length > 0; round++) {
    const next: OtherObject[] = [];
    for (const o of pending) {
      let sql = o.definition!;
      if (o.kind === 'event' && options.eventsDisabled) sql = withEventStatus(sql, 'DISABLE');
      const zone = /^\/\* time_zone=(\S+) \*\//.exec(sql)?.[1];
      try {
        const drop = DROP[o.kind];
        if (options.replace && drop) await conn.query(`DROP ${drop} IF EXISTS ${qt(database, o.name)}`);
        if (zone !== undefined) await conn.query('SET time_zone = ?', [zone]);
        await conn.query(sql);
        failed.delete(o);
      } catch (e) {
        failed.set(o, (e as Error).message);
        next.push(o);
      } finally {
        // Sessions read and write in UTC (mysql-session.ts).
        if (zone !== undefined) await conn.query("SET time_zone = '+00:00'");
      }
    }
    if (next.length === pending.length) break;
    pending = next;
  }
  return [...failed].map(([object, error]) => ({ object, error }));
}

/** MariaDB refuses to RENAME a table that has triggers into another database: the shadow's go before the swap. */
export async function dropTriggersIn(conn: PoolConnection, database: string): Promise<void> {
  const [rows] = await conn.query('SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [database]);
  for (const r of rows as Array<{ n: string }>) await conn.query(`DROP TRIGGER ${qt(database, r.n)}`);
}

/**
 * MariaDB SEQUENCE objects (10.3+). A sequence is a table to the server (TABLE_TYPE 'SEQUENCE'), so it moves with
 * RENAME TABLE like the tables do; but a column's `DEFAULT nextval(db.seq)` is stored with the database it named
 * and does not follow a RENAME. So: the shadow's defaults name the shadow's sequences, finalize sets each
 * sequence past the keys generated for the columns that draw from it, and after the swap the live tables'
 * defaults are pointed at the live database's sequences.
 */
import type { PoolConnection } from 'mysql2/promise';
import type { Column, DatabaseSchema, OtherObject } from '../../schema/model.js';
import type { MysqlSession } from './mysql-session.js';
import { qi, qt } from './mysql-quote.js';

/** `CREATE SEQUENCE` DDL of each sequence in `databases` (SHOW CREATE SEQUENCE, unqualified). */
export async function readSequences(session: MysqlSession, databases: string[]): Promise<OtherObject[]> {
  if (!(await session.isMariaDb())) return [];
  const inList = databases.map(() => '?').join(', ');
  const rows = await session.query<{ TABLE_SCHEMA: string; TABLE_NAME: string }>(
    `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (${inList}) AND TABLE_TYPE = 'SEQUENCE' ORDER BY 1, 2`,
    databases,
  );
  const out: OtherObject[] = [];
  for (const r of rows) {
    const show = await session.query<Record<string, string>>(`SHOW CREATE SEQUENCE ${qt(r.TABLE_SCHEMA, r.TABLE_NAME)}`);
    const sql = show[0]?.['Create Table'] ?? null;
    out.push({ schema: r.TABLE_SCHEMA, name: r.TABLE_NAME, kind: 'sequence', definition: sql });
  }
  return out;
}

const NEXTVAL = /\bnextval\(\s*(?:`((?:[^`]|``)+)`|(\w+))\.(?:`((?:[^`]|``)+)`|(\w+))\s*\)/gi;

/** The sequence (database, name) a column's default draws from, or null. */
export function sequenceOfDefault(column: Column): { database: string; name: string } | null {
  const m = [...(column.default ?? '').matchAll(NEXTVAL)][0];
  if (!m) return null;
  return { database: (m[1] ?? m[2]!).replace(/``/g, '`'), name: (m[3] ?? m[4]!).replace(/``/g, '`') };
}

/** `sql` with every `nextval(from.seq)` naming `to.seq` instead. */
export function repointNextval(sql: string, from: string, to: string): string {
  return sql.replace(NEXTVAL, (whole, qdb: string | undefined, bare: string | undefined, qseq: string | undefined, bseq: string | undefined) => {
    const db = (qdb ?? bare!).replace(/``/g, '`');
    return db === from ? `nextval(${qt(to, (qseq ?? bseq!).replace(/``/g, '`'))})` : whole;
  });
}

function sequencesOf(schema: DatabaseSchema): OtherObject[] {
  return schema.dialect === 'mysql' ? schema.otherObjects.filter((o) => o.kind === 'sequence' && o.definition !== null) : [];
}

/** Creates the source's sequences in `database` (before the tables whose defaults name them). */
export async function createSequences(conn: PoolConnection, database: string, schema: DatabaseSchema): Promise<void> {
  for (const s of sequencesOf(schema)) {
    await conn.query(s.definition!.replace(/^CREATE SEQUENCE\s+(?:`(?:[^`]|``)+`|\w+)/i, `CREATE SEQUENCE ${qt(database, s.name)}`));
  }
}

/**
 * Sets each sequence of `database` past the largest value the columns drawing from it hold, so an application
 * INSERT that leaves the key out gets a new one. A sequence already past them is left where it is.
 */
export async function advanceSequences(conn: PoolConnection, database: string, schema: DatabaseSchema): Promise<void> {
  for (const s of sequencesOf(schema)) {
    let max: bigint | null = null;
    for (const table of schema.tables) {
      for (const c of table.columns) {
        const seq = sequenceOfDefault(c);
        if (!seq || seq.name !== s.name || seq.database !== s.schema) continue;
        const [rows] = await conn.query(`SELECT MAX(${qi(c.name)}) AS m FROM ${qt(database, table.name)}`);
        const m = (rows as Array<{ m: string | number | null }>)[0]?.m;
        if (m !== null && m !== undefined && (max === null || BigInt(String(m)) > max)) max = BigInt(String(m));
      }
    }
    // SETVAL never moves a sequence backwards (is_used = 1: the next value is the one after `max`).
    if (max !== null) await conn.query(`SELECT SETVAL(${qt(database, s.name)}, ${max}, 1)`);
  }
}

/** Points every column default of `to`'s tables that names a sequence at the same sequence in `to` (metadata only). */
export async function repointDefaults(conn: PoolConnection, to: string, schema: DatabaseSchema): Promise<void> {
  if (sequencesOf(schema).length === 0) return;
  for (const table of schema.tables) {
    const changes = table.columns
      .filter((c) => sequenceOfDefault(c) !== null)
      .map((c) => `ALTER COLUMN ${qi(c.name)} SET DEFAULT ${repointNextval(c.default!, sequenceOfDefault(c)!.database, to)}`);
    if (changes.length > 0) await conn.query(`ALTER TABLE ${qt(to, table.name)} ${changes.join(', ')}`);
  }
}

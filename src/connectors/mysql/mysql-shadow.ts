/**
 * Shadow databases next to the target database, finalize (keys after data), the atomic swap with one
 * RENAME TABLE statement, rollback, and shadow housekeeping.
 *
 * MySQL refuses to RENAME a table that has triggers into another database (ER_TRG_IN_WRONG_SCHEMA), so
 * triggers are never created in the shadow: the swap drops the live tables' triggers just before the RENAME,
 * saves their DDL in the backup database, and creates the new triggers on the new live tables right after.
 */
import type { PoolConnection } from 'mysql2/promise';
import type { DatabaseSchema, Table } from '../../schema/model.js';
import type { KeyState, Shadow, ShadowListing, SwapResult } from '../connector.js';
import { SynthError } from '../../errors.js';
import type { MysqlSession } from './mysql-session.js';
import { translateCheck } from '../translate-check.js';
import { NameAllocator, createTableSql, foreignIndexClause, mappingNotes, planColumns, shortHash } from './mysql-ddl.js';
import { qcols, qi, qt } from './mysql-quote.js';
import { createObjects, dropTriggersIn } from './mysql-objects.js';
import { advanceSequences, createSequences, repointDefaults } from './mysql-sequences.js';

const SHADOW_MARK = '__synth_shadow_';
const BACKUP_MARK = '__synth_backup';
const TRIGGER_STORE = '__synth_saved_triggers';

/**
 * Whether a table's rows are loaded in primary-key order, so the shadow can hold the key from the start: integer
 * keys are generated as start + step × row (step > 0), and a key that leads with the foreign key generation groups
 * the rows by (the plan's primary parent: the first NOT NULL key to another table), followed by integers, is
 * generated parent by parent: lineitem's (l_orderkey, l_linenumber) numbers the lines of each order, and a link
 * table's (ps_partkey, ps_suppkey) deals each part its distinct suppliers (in no order within the part, so its rows
 * land in the last page or two). The grouping parent's key must itself be generated in order (`schema` names it).
 * A parallel load's windows each arrive in order (a few append points). Anything else (text keys spread by a
 * permutation, a key led by a shuffled foreign key) would insert at random into the clustered index, which costs
 * more than the rebuild it saves.
 */
export function keyOrdered(table: Table, schema?: DatabaseSchema): boolean {
  const pk = table.primaryKey;
  if (!pk || pk.columns.length === 0) return false;
  const integer = (name: string) => table.columns.find((c) => c.name === name)?.type.kind === 'integer';
  if (!pk.columns.every(integer)) return false;
  if (pk.columns.length === 1) return !table.foreignKeys.some((fk) => fk.columns.includes(pk.columns[0]!));
  const [lead, ...rest] = pk.columns;
  const notNull = (name: string) => table.columns.find((c) => c.name === name)?.nullable === false;
  const grouping = table.foreignKeys.find((fk) => (fk.references.name !== table.name || fk.references.schema !== table.schema) && fk.columns.every(notNull));
  if (!grouping || grouping.columns.length !== 1 || grouping.columns[0] !== lead) return false;
  const parent = schema?.tables.find((t) => t.name === grouping.references.name && t.schema === grouping.references.schema);
  if (parent && !(parent.primaryKey?.columns.length === 1 && parent.primaryKey.columns[0] === grouping.references.columns[0] && keyOrdered(parent))) return false;
  const others = table.foreignKeys.filter((fk) => fk !== grouping);
  // Either no other key column is a foreign key (line numbers), or every one is (a link table of distinct pairs).
  const inOther = rest.filter((c) => others.some((fk) => fk.columns.includes(c)));
  return inOther.length === 0 || (inOther.length === rest.length && others.every((fk) => fk.columns.every((c) => pk.columns.includes(c)) || !fk.columns.some((c) => pk.columns.includes(c))));
}

export function shadowDatabaseName(live: string, runId: string): string {
  const plain = `${live}${SHADOW_MARK}${runId}`;
  if (plain.length <= 64) return plain;
  const hashed = `${shortHash(live)}${SHADOW_MARK}${runId}`;
  return hashed.length <= 64 ? hashed : `${shortHash(live)}${SHADOW_MARK}${shortHash(runId)}`;
}

export function backupDatabaseName(live: string): string {
  const plain = `${live}${BACKUP_MARK}`;
  return plain.length <= 64 ? plain : `${shortHash(live)}${BACKUP_MARK}`;
}

function rollbackScratchName(live: string): string {
  return `${shortHash(live)}__synth_rollback`;
}

async function q<T = Record<string, unknown>>(conn: PoolConnection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await conn.query(sql, params);
  return rows as T[];
}

async function databaseExists(conn: PoolConnection, name: string): Promise<boolean> {
  const rows = await q(conn, 'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
  return rows.length > 0;
}

async function baseTables(conn: PoolConnection, database: string): Promise<string[]> {
  const rows = await q<{ TABLE_NAME: string }>(
    conn,
    // MariaDB sequences are tables to RENAME: they move with the tables that draw from them.
    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SEQUENCE') ORDER BY TABLE_NAME",
    [database],
  );
  return rows.map((r) => r.TABLE_NAME);
}

/** Tables of a shadow that already have a primary key. */
async function tablesWithPrimaryKey(session: MysqlSession, database: string): Promise<Set<string>> {
  const rows = await session.query<{ t: string }>(
    "SELECT DISTINCT TABLE_NAME AS t FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_NAME = 'PRIMARY'",
    [database],
  );
  return new Set(rows.map((r) => r.t));
}

async function charsetClause(conn: PoolConnection, database: string): Promise<string> {
  const rows = await q<{ cs: string; co: string }>(
    conn,
    'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [database],
  );
  const r = rows[0];
  return r ? ` CHARACTER SET ${r.cs} COLLATE ${r.co}` : ' CHARACTER SET utf8mb4';
}

interface LiveTrigger {
  name: string;
  table: string;
  definition: string;
}

async function liveTriggers(conn: PoolConnection, database: string): Promise<LiveTrigger[]> {
  const rows = await q<{ TRIGGER_NAME: string; EVENT_MANIPULATION: string; EVENT_OBJECT_TABLE: string; ACTION_TIMING: string; ACTION_STATEMENT: string; ACTION_ORIENTATION: string }>(
    conn,
    `SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT, ACTION_ORIENTATION
     FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER`,
    [database],
  );
  return rows.map((t) => ({
    name: t.TRIGGER_NAME,
    table: t.EVENT_OBJECT_TABLE,
    definition: `CREATE TRIGGER ${qi(t.TRIGGER_NAME)} ${t.ACTION_TIMING} ${t.EVENT_MANIPULATION} ON ${qi(t.EVENT_OBJECT_TABLE)} FOR EACH ${t.ACTION_ORIENTATION} ${t.ACTION_STATEMENT}`,
  }));
}

function wrapError(code: 'LOAD_FAILED' | 'SWAP_FAILED' | 'VALIDATION_FAILED', what: string, e: unknown, table?: string): SynthError {
  if (e instanceof SynthError) return e;
  const msg = (e as Error).message;
  const dup = (e as { code?: string }).code === 'ER_DUP_ENTRY';
  return new SynthError(dup ? 'VALIDATION_FAILED' : code, `${what}: ${msg}`, {
    ...(table === undefined ? {} : { table }),
    hint: dup ? 'The generated rows violate a unique key; run validation before finalize.' : 'See the server message; the live database is unchanged unless the message says otherwise.',
    cause: e,
  });
}

export class MysqlShadows {
  /** Per run: what finalize could not do, reported with the swap's notes. */
  private readonly finalizeNotes = new Map<string, string[]>();
  private readonly keys = new Map<string, KeyState>();
  constructor(
    private readonly session: MysqlSession,
    private readonly live: string,
  ) {}

  shadowDatabase(shadow: Shadow): string {
    const ns = shadow.namespaces[0];
    if (!ns) throw new SynthError('INTERNAL', `Shadow ${shadow.runId} names no database`);
    return ns.shadow;
  }

  async create(runId: string, schema: DatabaseSchema): Promise<Shadow> {
    const impossible = mappingNotes(schema).filter((n) => n.severity === 'impossible');
    if (impossible.length > 0) {
      const first = impossible[0]!;
      throw new SynthError('UNSUPPORTED_TYPE', `Cannot create ${impossible.length} column(s) in MySQL, e.g. ${first.table}.${first.column}: ${first.note}`, {
        table: first.table, column: first.column, hint: 'Exclude these tables/columns or change their types in the source.',
      });
    }
    const name = shadowDatabaseName(this.live, runId);
    await this.session.withConnection(async (conn) => {
      await conn.query(`CREATE DATABASE IF NOT EXISTS ${qi(this.live)} CHARACTER SET utf8mb4`);
      if (await databaseExists(conn, name)) {
        throw new SynthError('LOCKED', `Shadow database ${name} already exists`, {
          hint: `Another run with id ${runId} is in progress or crashed; drop the shadow (synth shadows drop) or use a new run id.`,
        });
      }
      await conn.query(`CREATE DATABASE ${qi(name)}${await charsetClause(conn, this.live)}`);
      try {
        try {
          await createSequences(conn, name, schema);
        } catch (e) {
          throw wrapError('LOAD_FAILED', 'Creating the shadow sequences', e);
        }
        for (const table of schema.tables) {
          try {
            await conn.query(createTableSql(name, schema, table));
          } catch (e) {
            throw wrapError('LOAD_FAILED', `Creating shadow table ${table.name}`, e, table.name);
          }
          if (keyOrdered(table, schema)) {
            // Rows arrive in key order, so InnoDB appends to the clustered index as it would to its hidden row id,
            // and buildKeys then adds the other indexes in place (a sort each) instead of rebuilding the table.
            // A key the server refuses here (an engine rule) is left to buildKeys as before.
            await conn.query(`ALTER TABLE ${qt(name, table.name)} ADD PRIMARY KEY (${qcols(table.primaryKey!.columns)})`).catch(() => undefined);
          }
        }
      } catch (e) {
        await conn.query(`DROP DATABASE IF EXISTS ${qi(name)}`).catch(() => undefined);
        throw e;
      }
    });
    return { runId, namespaces: [{ live: this.live, shadow: name }] };
  }

  /**
   * Each table's primary key, unique keys, CHECKs and indexes as one ALTER (one rebuild), before the gate: the ALTER
   * refuses a duplicate or a failing CHECK, so a table it goes through is verified row by row, and the gate's orphan
   * anti-joins, the report's key-range samples and its child counts use the new indexes. A refused table stays
   * unindexed: the gate counts it in full and finalize tries again (and fails the same way if the gate missed it).
   */
  async buildKeys(shadow: Shadow, schema: DatabaseSchema): Promise<string[]> {
    const db = this.shadowDatabase(shadow);
    const state: KeyState = { built: new Set(), refused: new Set() };
    this.keys.set(shadow.runId, state);
    const notes: string[] = [];
    const keyed = await tablesWithPrimaryKey(this.session, db);
    const { alters } = this.keyAlters(schema, await this.session.isMariaDb(), keyed);
    await this.session.withConnection(async (conn) => {
      for (const { table, clauses } of alters) {
        // A primary key the shadow held while it loaded refused any repeated row (the load keeps unique_checks on).
        if (clauses.length === 0) {
          if (keyed.has(table.name)) state.built.add(table.name);
          continue;
        }
        try {
          await conn.query(`ALTER TABLE ${qt(db, table.name)} ${clauses.join(', ')}`);
          state.built.add(table.name);
        } catch (e) {
          state.refused.add(table.name);
          notes.push(`${table.name}: the server refused its keys before validation (${(e as Error).message}); its keys are counted in full`);
        }
      }
    });
    return notes;
  }

  keyState(runId: string): KeyState | undefined {
    return this.keys.get(runId);
  }

  /** Every table's key clauses, named as finalize names them (MySQL 8 names CHECKs per database, MariaDB per table). */
  private keyAlters(schema: DatabaseSchema, perTable: boolean, keyed: Set<string>): { alters: Array<{ table: Table; clauses: string[] }>; checkNames: NameAllocator } {
    let checkNames = new NameAllocator();
    const alters: Array<{ table: Table; clauses: string[] }> = [];
    for (const table of schema.tables) {
      if (perTable) checkNames = new NameAllocator();
      alters.push({ table, clauses: this.keyClauses(schema, table, checkNames, keyed.has(table.name)) });
    }
    return { alters, checkNames };
  }

  async finalize(shadow: Shadow, schema: DatabaseSchema): Promise<void> {
    const db = this.shadowDatabase(shadow);
    const inSchema = new Set(schema.tables.map((t) => t.name));
    const built = this.keys.get(shadow.runId)?.built ?? new Set<string>();
    await this.session.withConnection(async (conn) => {
      // The integrity gate already counted orphans; this lets InnoDB add FKs in place instead of copying
      // every child table. MariaDB then records RESTRICT as NO ACTION, which InnoDB enforces identically.
      await conn.query('SET SESSION foreign_key_checks = 0');
      // MariaDB names CHECKs per table (two tables may each have CONSTRAINT_1); MySQL 8 per database.
      const perTable = await this.session.isMariaDb();
      try {
        const { alters, checkNames } = this.keyAlters(schema, perTable, await tablesWithPrimaryKey(this.session, db));
        const fkNames = new NameAllocator();
        for (const { table, clauses } of alters) {
          if (clauses.length === 0 || built.has(table.name)) continue;
          try {
            await conn.query(`ALTER TABLE ${qt(db, table.name)} ${clauses.join(', ')}`);
          } catch (e) {
            throw wrapError('LOAD_FAILED', `Adding keys to ${table.name}`, e, table.name);
          }
        }
        if (schema.dialect !== 'mysql') await this.addTranslatedChecks(conn, db, shadow.runId, schema, checkNames);
        for (const table of schema.tables) {
          const clause = (fk: (typeof table.foreignKeys)[number]) => {
            const target = inSchema.has(fk.references.name) && schema.schemas.includes(fk.references.schema)
              ? qt(db, fk.references.name)
              : qt(schema.dialect === 'mysql' ? fk.references.schema : db, fk.references.name);
            // Added without checks, MariaDB records a written RESTRICT as NO ACTION, but an action left out as
            // RESTRICT (its default): so RESTRICT is left out there, and the key still goes in place.
            const action = (on: string, a: string) => (perTable && a === 'RESTRICT' ? '' : ` ON ${on} ${a}`);
            return `ADD CONSTRAINT ${qi(fkNames.take(fk.name))} FOREIGN KEY (${qcols(fk.columns)}) REFERENCES ${target} (${qcols(fk.references.columns)})${action('DELETE', fk.onDelete)}${action('UPDATE', fk.onUpdate)}`;
          };
          // MySQL keeps RESTRICT only when the key is added with checks on (a table copy).
          const restrict = (fk: (typeof table.foreignKeys)[number]) => !perTable && (fk.onDelete === 'RESTRICT' || fk.onUpdate === 'RESTRICT');
          const inPlace = table.foreignKeys.filter((fk) => !restrict(fk)).map(clause);
          const checked = table.foreignKeys.filter(restrict).map(clause);
          try {
            if (inPlace.length > 0) await conn.query(`ALTER TABLE ${qt(db, table.name)} ${inPlace.join(', ')}`);
            if (checked.length > 0) {
              await conn.query('SET SESSION foreign_key_checks = 1');
              await conn.query(`ALTER TABLE ${qt(db, table.name)} ${checked.join(', ')}`);
              await conn.query('SET SESSION foreign_key_checks = 0');
            }
          } catch (e) {
            throw wrapError('LOAD_FAILED', `Adding foreign keys to ${table.name}`, e, table.name);
          }
        }
        for (const table of schema.tables) await this.resetAutoIncrement(conn, db, table);
        await advanceSequences(conn, db, schema);
      } finally {
        await conn.query('SET SESSION foreign_key_checks = 1');
      }
      // Views, routines, triggers and events in the shadow too, so the parity check sees them before the swap.
      // The swap recreates them in the live database; an event here is disabled so it never runs on the shadow.
      if (schema.dialect === 'mysql') {
        const failed = await createObjects(conn, db, schema.otherObjects, { eventsDisabled: true });
        const notes = this.finalizeNotes.get(shadow.runId) ?? [];
        for (const f of failed) notes.push(`${f.object.kind} ${f.object.name} could not be recreated (${f.error})`);
        this.finalizeNotes.set(shadow.runId, notes);
      }
    });
  }

  /**
   * Another dialect's CHECKs, translated (the untranslatable ones are lossy notes from describeMapping). One
   * statement each: the rows already passed the same expression in validation, so a refusal can only be a server
   * rule (MySQL 8 forbids CHECKs on AUTO_INCREMENT columns, for one), which costs that CHECK, not the run.
   */
  private async addTranslatedChecks(conn: PoolConnection, db: string, runId: string, schema: DatabaseSchema, checkNames: NameAllocator): Promise<void> {
    const notes: string[] = [];
    for (const table of schema.tables) {
      const clauses: Array<{ name: string; sql: string }> = [];
      for (const c of table.checks) {
        const translated = translateCheck(schema.dialect, 'mysql', table, c);
        if (translated.ok) clauses.push({ name: c.name, sql: `ADD CONSTRAINT ${qi(checkNames.take(c.name))} CHECK (${translated.sql})` });
      }
      if (clauses.length === 0) continue;
      const t = qt(db, table.name);
      // All in one ALTER (one table rebuild); only when that is refused, one by one to keep the others.
      const all = await conn.query(`ALTER TABLE ${t} ${clauses.map((c) => c.sql).join(', ')}`).then(() => true, () => false);
      if (all) continue;
      for (const c of clauses) {
        try {
          await conn.query(`ALTER TABLE ${t} ${c.sql}`);
        } catch (e) {
          notes.push(`CHECK ${c.name} on ${table.name} was translated but the server refused it (${(e as Error).message}); the table has no such CHECK`);
        }
      }
    }
    this.finalizeNotes.set(runId, notes);
  }

  /** `keyed`: the shadow table already has its primary key (created with it, keyOrdered). */
  private keyClauses(schema: DatabaseSchema, table: Table, checkNames: NameAllocator, keyed: boolean): string[] {
    const clauses: string[] = [];
    if (table.primaryKey && !keyed) clauses.push(`ADD PRIMARY KEY (${qcols(table.primaryKey.columns)})`);
    const plans = planColumns(schema, table);
    // A column-level CHECK is declared with its column (MODIFY), so the target's CHECK is column-level too.
    const columnChecks = new Map(
      schema.dialect === 'mysql' ? table.checks.filter((c) => c.origin === 'column' && c.columns.length === 1 && c.name === c.columns[0]).map((c) => [c.name, c]) : [],
    );
    for (const p of plans) {
      const check = columnChecks.get(p.column.name);
      const checkSql = check ? ` CHECK (${check.expression})` : '';
      if (p.column.autoIncrement !== null && p.column.generated === null && schema.dialect === 'mysql' && p.column.autoIncrement === 'auto_increment') {
        clauses.push(`MODIFY ${qi(p.column.name)} ${p.definition} AUTO_INCREMENT${checkSql}`);
      } else if (check) {
        clauses.push(`MODIFY ${qi(p.column.name)} ${p.definition}${checkSql}`);
      } else if (p.column.autoIncrement !== null && p.column.generated === null && /INT/.test(p.sqlType)) {
        // Identity/serial from PostgreSQL: AUTO_INCREMENT is the closest; it needs to lead a key.
        const keyed = table.primaryKey?.columns[0] === p.column.name || table.uniques.some((u) => u.columns[0] === p.column.name);
        if (keyed) clauses.push(`MODIFY ${qi(p.column.name)} ${p.definition} AUTO_INCREMENT`);
      }
    }
    const uniqueNames = new NameAllocator();
    uniqueNames.take('PRIMARY');
    for (const u of table.uniques) {
      if (u.predicate !== null) continue;
      clauses.push(`ADD UNIQUE KEY ${qi(uniqueNames.take(u.name))} (${qcols(u.columns)})`);
    }
    if (schema.dialect === 'mysql') {
      for (const c of table.checks) if (!columnChecks.has(c.name)) clauses.push(`ADD CONSTRAINT ${qi(checkNames.take(c.name))} CHECK (${c.expression})`);
      for (const i of table.indexes) clauses.push(`ADD ${i.definition}`);
    } else {
      for (const i of table.indexes) {
        const clause = foreignIndexClause(uniqueNames.take(i.name), i.definition);
        if (clause !== null) clauses.push(`ADD ${clause}`);
      }
    }
    return clauses;
  }

  private async resetAutoIncrement(conn: PoolConnection, db: string, table: Table): Promise<void> {
    const rows = await q<{ COLUMN_NAME: string }>(
      conn,
      "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND EXTRA LIKE '%auto_increment%'",
      [db, table.name],
    );
    const col = rows[0]?.COLUMN_NAME;
    if (col === undefined) return;
    const max = await q<{ m: string | number | null }>(conn, `SELECT MAX(${qi(col)}) AS m FROM ${qt(db, table.name)}`);
    const next = BigInt(String(max[0]?.m ?? 0)) + 1n;
    await conn.query(`ALTER TABLE ${qt(db, table.name)} AUTO_INCREMENT = ${next > 0n ? next : 1n}`);
  }

  async swap(shadow: Shadow, schema: DatabaseSchema): Promise<SwapResult> {
    const db = this.shadowDatabase(shadow);
    const backup = backupDatabaseName(this.live);
    const notes: string[] = [...(this.finalizeNotes.get(shadow.runId) ?? [])];
    this.finalizeNotes.delete(shadow.runId);
    this.keys.delete(shadow.runId);
    return this.withSwapLock(async (conn) => {
      if (!(await databaseExists(conn, db))) {
        throw new SynthError('SWAP_FAILED', `Shadow database ${db} does not exist`, { hint: 'Run the hydration again; the shadow was dropped.' });
      }
      const liveTables = await baseTables(conn, this.live);
      const shadowTables = (await baseTables(conn, db)).filter((t) => !t.startsWith('__synth_upd_'));
      const missing = schema.tables.filter((t) => !shadowTables.includes(t.name));
      if (missing.length > 0) {
        throw new SynthError('SWAP_FAILED', `Shadow ${db} lacks table ${missing[0]!.name}`, { table: missing[0]!.name, hint: 'The shadow is incomplete; run the hydration again.' });
      }
      const saved = await liveTriggers(conn, this.live);
      await dropTriggersIn(conn, db);

      await conn.query(`DROP DATABASE IF EXISTS ${qi(backup)}`);
      await conn.query(`CREATE DATABASE ${qi(backup)}${await charsetClause(conn, this.live)}`);
      await conn.query(`CREATE TABLE ${qt(backup, TRIGGER_STORE)} (name VARCHAR(64) NOT NULL, definition LONGTEXT NOT NULL) DEFAULT CHARSET=utf8mb4`);
      for (const t of saved) await conn.query(`INSERT INTO ${qt(backup, TRIGGER_STORE)} VALUES (?, ?)`, [t.name, t.definition]);
      for (const t of saved) await conn.query(`DROP TRIGGER ${qt(this.live, t.name)}`);

      const renames = [
        ...liveTables.map((t) => `${qt(this.live, t)} TO ${qt(backup, t)}`),
        ...shadowTables.map((t) => `${qt(db, t)} TO ${qt(this.live, t)}`),
      ];
      try {
        await conn.query('SET SESSION foreign_key_checks = 0');
        await conn.query(`RENAME TABLE ${renames.join(', ')}`);
      } catch (e) {
        await this.recreateTriggers(conn, saved.map((t) => t.definition), []);
        throw wrapError('SWAP_FAILED', `Swapping ${db} into ${this.live} failed; live tables are unchanged`, e);
      } finally {
        await conn.query('SET SESSION foreign_key_checks = 1');
      }
      notes.push(`${shadowTables.length} table(s) are live; the previous ${liveTables.length} table(s) are in ${backup}`);
      if (saved.length > 0) notes.push(`${saved.length} trigger(s) of the previous tables were saved in ${backup} for rollback`);

      await this.checkForeignKeys(conn);
      await repointDefaults(conn, this.live, schema);
      await this.applyOtherObjects(conn, schema, notes);
      for (const table of schema.tables) await this.resetAutoIncrement(conn, this.live, table);
      await conn.query(`DROP DATABASE IF EXISTS ${qi(db)}`);
      return { backups: [{ live: this.live, backup }], notes };
    });
  }

  /** After a cross-database RENAME every live FK must reference a live table. */
  private async checkForeignKeys(conn: PoolConnection): Promise<void> {
    const stray = await q<{ TABLE_NAME: string; CONSTRAINT_NAME: string; REFERENCED_TABLE_SCHEMA: string }>(
      conn,
      `SELECT DISTINCT TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_SCHEMA FROM information_schema.KEY_COLUMN_USAGE
       WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL AND REFERENCED_TABLE_SCHEMA <> ?
         AND (REFERENCED_TABLE_SCHEMA LIKE ? OR REFERENCED_TABLE_SCHEMA = ?)`,
      [this.live, this.live, `%${SHADOW_MARK}%`, backupDatabaseName(this.live)],
    );
    if (stray.length > 0) {
      const s = stray[0]!;
      throw new SynthError('SWAP_FAILED', `After the swap, foreign key ${s.CONSTRAINT_NAME} on ${this.live}.${s.TABLE_NAME} still references ${s.REFERENCED_TABLE_SCHEMA}`, {
        table: s.TABLE_NAME, hint: 'Run synth rollback to restore the previous tables and report this server version.',
      });
    }
  }

  private async applyOtherObjects(conn: PoolConnection, schema: DatabaseSchema, notes: string[]): Promise<void> {
    const views = schema.otherObjects.filter((o) => o.kind === 'view');
    const triggers = schema.otherObjects.filter((o) => o.kind === 'trigger');
    const rest = schema.otherObjects.filter((o) => o.kind !== 'view' && o.kind !== 'trigger');
    if (schema.dialect !== 'mysql') {
      if (views.length + triggers.length > 0) notes.push(`${views.length} view(s) and ${triggers.length} trigger(s) of the ${schema.dialect} source were not recreated (their SQL is ${schema.dialect})`);
    } else {
      const failed = await createObjects(conn, this.live, schema.otherObjects, { replace: true });
      const count = (kind: string) => schema.otherObjects.filter((o) => o.kind === kind).length - failed.filter((f) => f.object.kind === kind).length;
      if (views.length > 0) notes.push(`${count('view')} view(s) recreated in ${this.live}`);
      if (triggers.length > 0) notes.push(`${count('trigger')} trigger(s) recreated on the new live tables`);
      const routines = count('procedure') + count('function');
      if (routines > 0) notes.push(`${routines} procedure(s)/function(s) recreated in ${this.live}`);
      if (count('event') > 0) notes.push(`${count('event')} event(s) recreated in ${this.live} with the source's status`);
      for (const f of failed) notes.push(`${f.object.kind} ${f.object.name} could not be recreated (${f.error})`);
    }
    const existing = await q<{ TABLE_NAME: string }>(conn, 'SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?', [this.live]);
    const ours = new Set(views.map((v) => v.name));
    const kept = existing.filter((v) => !ours.has(v.TABLE_NAME));
    if (kept.length > 0) notes.push(`${kept.length} existing view(s) of ${this.live} were kept and now read the new tables`);
    if (rest.length > 0 && schema.dialect !== 'mysql') notes.push(`${rest.length} routine(s)/event(s) of the ${schema.dialect} source were not copied (their SQL is ${schema.dialect})`);
  }

  private async recreateTriggers(conn: PoolConnection, definitions: string[], names: string[]): Promise<string[]> {
    await conn.query(`USE ${qi(this.live)}`);
    const failed: string[] = [];
    for (let i = 0; i < definitions.length; i++) {
      try {
        await conn.query(definitions[i]!);
      } catch {
        failed.push(names[i] ?? `#${i + 1}`);
      }
    }
    return failed;
  }

  async rollback(): Promise<SwapResult> {
    const backup = backupDatabaseName(this.live);
    return this.withSwapLock(async (conn) => {
      const none = new SynthError('NOTHING_TO_ROLLBACK', `There is no backup of ${this.live} to roll back to`, {
        hint: 'Rollback restores the tables replaced by the last swap; nothing has been swapped since the last rollback.',
      });
      if (!(await databaseExists(conn, backup))) throw none;
      const backupTables = (await baseTables(conn, backup)).filter((t) => t !== TRIGGER_STORE);
      const hasStore = (await baseTables(conn, backup)).includes(TRIGGER_STORE);
      if (backupTables.length === 0 && !hasStore) throw none;
      const saved = hasStore ? await q<{ name: string; definition: string }>(conn, `SELECT name, definition FROM ${qt(backup, TRIGGER_STORE)}`) : [];
      const liveTables = await baseTables(conn, this.live);
      const current = await liveTriggers(conn, this.live);
      const scratch = rollbackScratchName(this.live);
      await conn.query(`DROP DATABASE IF EXISTS ${qi(scratch)}`);
      await conn.query(`CREATE DATABASE ${qi(scratch)}`);
      for (const t of current) await conn.query(`DROP TRIGGER ${qt(this.live, t.name)}`);
      // One statement, applied left to right: live → scratch, backup → live, scratch → backup. The replaced tables
      // become the backup, so a second rollback goes forward again.
      const renames = [
        ...liveTables.map((t) => `${qt(this.live, t)} TO ${qt(scratch, t)}`),
        ...backupTables.map((t) => `${qt(backup, t)} TO ${qt(this.live, t)}`),
        ...liveTables.map((t) => `${qt(scratch, t)} TO ${qt(backup, t)}`),
      ];
      try {
        await conn.query('SET SESSION foreign_key_checks = 0');
        if (renames.length > 0) await conn.query(`RENAME TABLE ${renames.join(', ')}`);
      } catch (e) {
        await this.recreateTriggers(conn, current.map((t) => t.definition), current.map((t) => t.name));
        throw wrapError('SWAP_FAILED', `Rolling back ${this.live} failed; live tables are unchanged`, e);
      } finally {
        await conn.query('SET SESSION foreign_key_checks = 1');
      }
      const failed = await this.recreateTriggers(conn, saved.map((s) => s.definition), saved.map((s) => s.name));
      // The replaced tables' triggers are kept with them in the backup, as the swap keeps them.
      if (!hasStore) await conn.query(`CREATE TABLE ${qt(backup, TRIGGER_STORE)} (name VARCHAR(64) NOT NULL, definition LONGTEXT NOT NULL) DEFAULT CHARSET=utf8mb4`);
      await conn.query(`DELETE FROM ${qt(backup, TRIGGER_STORE)}`);
      for (const t of current) await conn.query(`INSERT INTO ${qt(backup, TRIGGER_STORE)} VALUES (?, ?)`, [t.name, t.definition]);
      await this.checkForeignKeys(conn);
      await conn.query(`DROP DATABASE IF EXISTS ${qi(scratch)}`);
      const notes = [`${backupTables.length} table(s) restored from ${backup}; the ${liveTables.length} replaced table(s) are now the backup (rollback again to undo)`];
      if (saved.length > 0) notes.push(`${saved.length - failed.length} trigger(s) restored`);
      for (const f of failed) notes.push(`trigger ${f} could not be restored`);
      return { backups: [{ live: this.live, backup }], notes };
    });
  }

  private async withSwapLock<T>(fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
    return this.session.withConnection(async (conn) => {
      const lockName = `synth_swap_${shortHash(this.live)}`;
      const got = await q<{ l: number | string | null }>(conn, 'SELECT GET_LOCK(?, 0) AS l', [lockName]);
      if (Number(got[0]?.l) !== 1) {
        throw new SynthError('LOCKED', `Another synth run is swapping ${this.live}`, { hint: 'Wait for it to finish and try again.' });
      }
      try {
        return await fn(conn);
      } finally {
        await conn.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => undefined);
      }
    });
  }

  async drop(shadow: Shadow): Promise<void> {
    this.keys.delete(shadow.runId);
    await this.session.query(`DROP DATABASE IF EXISTS ${qi(this.shadowDatabase(shadow))}`);
  }

  async list(): Promise<ShadowListing[]> {
    const rows = await this.session.query<{ SCHEMA_NAME: string }>('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME');
    const prefixes = [`${this.live}${SHADOW_MARK}`, `${shortHash(this.live)}${SHADOW_MARK}`];
    const out: ShadowListing[] = [];
    for (const r of rows) {
      const p = prefixes.find((x) => r.SCHEMA_NAME.startsWith(x));
      if (p === undefined) continue;
      const runId = r.SCHEMA_NAME.slice(p.length);
      out.push({ runId, namespace: r.SCHEMA_NAME, live: this.live, createdAt: await this.createdAt(r.SCHEMA_NAME, runId) });
    }
    return out;
  }

  /**
   * MySQL keeps no creation time for a database, so the oldest table's CREATE_TIME stands in, and failing
   * that the UTC stamp run ids start with (yyyymmddhhmmss_…).
   */
  private async createdAt(database: string, runId: string): Promise<Date | null> {
    const rows = await this.session.query<{ t: string | Date | null }>('SELECT MIN(CREATE_TIME) AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database]);
    const t = rows[0]?.t;
    if (t instanceof Date && !Number.isNaN(t.getTime())) return t;
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_/.exec(runId);
    return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : null;
  }
}


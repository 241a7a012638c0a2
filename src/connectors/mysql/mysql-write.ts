/**
 * Bulk load into shadow tables with LOAD DATA LOCAL INFILE fed from the batch stream (no temp files), with a
 * multi-row INSERT fallback when the server or client refuses local infile; and deferred UPDATEs.
 */
import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { PoolConnection } from 'mysql2/promise';
import type { Table } from '../../schema/model.js';
import type { RowBatch, Value } from '../../schema/values.js';
import type { LoadProgress, UpdateBatch } from '../connector.js';
import { SynthError } from '../../errors.js';
import type { MysqlSession } from './mysql-session.js';
import { type WireForm, wireFor } from './mysql-ddl.js';
import { qi, qt } from './mysql-quote.js';
import { partitionClause, unfittedPartitionFixes } from './mysql-partitions.js';

export interface WriteOptions {
  /** Skip LOAD DATA and use multi-row INSERTs (also the automatic fallback). */
  forceInsert?: boolean;
  /** Receives warnings such as the one-time "local infile refused" notice; defaults to console.warn. */
  logger?: (message: string) => void;
  /** false: the client does not offer LOCAL INFILE at all (the server then refuses it and the INSERT fallback runs). */
  localInfile?: boolean;
}

function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(jsonSafe);
  return v;
}

function stripZone(s: string): string {
  return s.replace(/(Z|[+-]\d\d(:?\d\d)?)$/i, '').replace('T', ' ');
}

/** Neutral value → the text the SQL wrapper of its wire form expects; null stays null. */
export function toWireText(form: WireForm, v: Value): string | null {
  if (v === null || v === undefined) return null;
  switch (form) {
    case 'hex':
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
      return Buffer.from(String(v), 'utf8').toString('hex');
    case 'json':
      return JSON.stringify(v, (_k, x: unknown) => jsonSafe(x));
    case 'boolean':
      return v === true || v === 1 || v === '1' || v === 't' || v === 'true' ? '1' : '0';
    case 'set':
      return Array.isArray(v) ? v.map(String).join(',') : String(v);
    case 'timestamp':
      return stripZone(String(v));
    case 'bits':
      return typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
    default:
      if (typeof v === 'boolean') return v ? '1' : '0';
      if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
      if (typeof v === 'object') return JSON.stringify(v, (_k, x: unknown) => jsonSafe(x));
      return String(v);
  }
}

/** SQL that turns the wire text (a placeholder or user variable) into the column's value. */
export function wrapWire(form: WireForm, x: string): string {
  switch (form) {
    case 'hex':
      return `UNHEX(${x})`;
    case 'wkt':
      return `ST_GeomFromText(${x})`;
    case 'bits':
      return `CAST(CONV(${x}, 2, 10) AS UNSIGNED)`;
    default:
      return x;
  }
}

const needsWrap = (form: WireForm) => form === 'hex' || form === 'wkt' || form === 'bits';

const FIELD_SPECIAL = /[\\\t\n\r\0]/;

/** LOAD DATA default escaping (FIELDS ESCAPED BY '\\'): backslash, tab, newline, CR, NUL. */
function escapeField(s: string): string {
  // Most values have nothing to escape: a test is cheaper than a replace that copies the string.
  if (!FIELD_SPECIAL.test(s)) return s;
  return s.replace(/[\\\t\n\r\0]/g, (ch) => (ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : '\\0'));
}

/**
 * One LOAD DATA line per row, specialised per column once per stream (the hot loop of a MySQL load): plain
 * strings and numbers skip the wire-form switch; everything else goes through toWireText as before.
 */
export function wireRowEncoder(forms: WireForm[]): (row: Value[]) => string {
  const fields = forms.map((form): ((v: Value) => string) => {
    const general = (v: Value): string => {
      const w = toWireText(form, v);
      return w === null ? '\\N' : escapeField(w);
    };
    if (form !== 'text') return general;
    return (v) => (v === null || v === undefined ? '\\N' : typeof v === 'string' ? escapeField(v) : typeof v === 'number' ? String(v) : general(v));
  });
  const n = fields.length;
  return (row) => {
    let line = n > 0 ? fields[0]!(row[0] ?? null) : '';
    for (let i = 1; i < n; i++) line += '\t' + fields[i]!(row[i] ?? null);
    return line + '\n';
  };
}

/** A written column: its name and how its values travel. */
interface WritePlan {
  name: string;
  wire: WireForm;
}

/**
 * Wire forms come from the column types that actually exist in the target table (not from the schema the
 * caller passes), so a load in a later process, or into a table created by another run, encodes correctly.
 */
async function plansFor(conn: PoolConnection, database: string, table: Table, columns: string[]): Promise<WritePlan[]> {
  const [rows] = await conn.query(
    'SELECT COLUMN_NAME, COLUMN_TYPE, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [database, table.name],
  );
  const actual = new Map((rows as Array<{ COLUMN_NAME: string; COLUMN_TYPE: string; EXTRA: string }>).map((r) => [r.COLUMN_NAME, r]));
  if (actual.size === 0) {
    throw new SynthError('LOAD_FAILED', `Table ${table.name} does not exist in ${database}`, {
      table: table.name, hint: 'Create the shadow (createShadow) before loading into it.',
    });
  }
  return columns.map((name) => {
    const col = table.columns.find((c) => c.name === name);
    const real = actual.get(name);
    if (!col || !real) throw new SynthError('LOAD_FAILED', `Batch column ${name} is not a column of ${table.name}`, { table: table.name, column: name });
    const extra = real.EXTRA.toUpperCase();
    if (col.generated !== null || (extra.includes('GENERATED') && !extra.includes('DEFAULT_GENERATED'))) {
      throw new SynthError('LOAD_FAILED', `Column ${table.name}.${name} is generated and cannot be written`, {
        table: table.name, column: name, hint: 'Leave generated columns out of the batches; the database computes them.',
      });
    }
    return { name, wire: wireFor(col.type, real.COLUMN_TYPE) };
  });
}

function isLocalInfileRefused(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; message?: string };
  return (
    err.errno === 1148 || err.errno === 3948 || err.errno === 2068 ||
    err.code === 'ER_NOT_ALLOWED_COMMAND' || err.code === 'ER_CLIENT_LOCAL_FILES_DISABLED' ||
    /local (data|infile)|LOAD DATA LOCAL/i.test(err.message ?? '')
  );
}

/**
 * A generated row that no partition takes: generation keeps a RANGE or LIST value inside the partitions when the key
 * is a column, YEAR/TO_DAYS/UNIX_TIMESTAMP of a date column, or an expression of one integer or date column that
 * never decreases (mysql-partitions.ts); any other expression (LIST (MOD(id, 4)), RANGE (a + b)) is left to the server.
 */
function noPartition(table: Table, detail: string): SynthError {
  return new SynthError('LOAD_FAILED', `Loading ${table.name}: generated rows fit no partition of ${partitionClause(table)} (${detail}).`, {
    table: table.name,
    hint: `${unfittedPartitionFixes(table)} Nothing was swapped; the live database is unchanged.`,
  });
}

/** Whether the table already holds a unique index (its primary key, created with the shadow). */
async function hasUniqueIndex(conn: PoolConnection, database: string, table: string): Promise<boolean> {
  const [rows] = await conn.query(
    'SELECT 1 AS u FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 LIMIT 1',
    [database, table],
  );
  return (rows as unknown[]).length > 0;
}

async function firstWarnings(conn: PoolConnection): Promise<string> {
  const [rows] = await conn.query('SHOW WARNINGS LIMIT 3');
  return (rows as Array<{ Message: string }>).map((r) => r.Message).join('; ');
}

/** Bytes allowed to wait in the connection's socket buffer during LOAD DATA before generation pauses. */
const SOCKET_HIGH_WATER = 8 * 1024 * 1024;

/** The network socket under a mysql2 pool connection (not part of its typed API; absent means no backpressure). */
function socketOf(conn: PoolConnection): (NodeJS.EventEmitter & { writableLength: number }) | null {
  const stream = (conn as unknown as { connection?: { stream?: unknown } }).connection?.stream;
  return stream && typeof (stream as { writableLength?: unknown }).writableLength === 'number'
    ? (stream as NodeJS.EventEmitter & { writableLength: number })
    : null;
}

/** A scale-out unit's done-marker, written in the load's transaction. */
export interface LoadMarker {
  /** The markers' table, quoted. */
  into: string;
  id: string;
  note: (rows: number) => string;
}

export class MysqlWriter {
  private warnedFallback = false;
  constructor(
    private readonly session: MysqlSession,
    private readonly options: WriteOptions = {},
  ) {}

  private warn(message: string): void {
    (this.options.logger ?? ((m: string) => console.warn(m)))(message);
  }

  /**
   * `marker` (scale-out units): the rows and an INSERT of the unit's done-marker into `marker.into` commit in one
   * transaction, so the INSERT fallback's several statements are all-or-nothing too.
   */
  async load(database: string, table: Table, batches: AsyncIterable<RowBatch>, progress?: LoadProgress, marker?: LoadMarker, concurrent = false): Promise<number> {
    const iterator = batches[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) return 0;
    const columns = first.value.columns;
    const conn = await this.session.acquire();
    let destroy = false;
    try {
      const plans = await plansFor(conn, database, table, columns);
      // Rows are validated by the integrity gate, not by the engine row by row.
      // net_read_timeout: LOAD DATA waits on the generator between batches, and a slow (learned) table can take
      // longer than the server's default 30 s to produce the next one, which would reset the connection.
      // unique_checks = 0 with foreign_key_checks = 0 lets InnoDB bulk-insert into an empty table under a table lock
      // held to the end of the statement: a second load of the same table (a split table's window, a scale-out unit)
      // then waits out innodb_lock_wait_timeout. The shadow has no unique index while it loads, so checking costs
      // nothing then.
      // A shadow created with its primary key (rows arriving in key order) keeps unique_checks on as well: MariaDB's
      // bulk insert into an empty table with both checks off drops a repeated key without any error (the statement
      // and its COMMIT report success and the table is left empty; seen on 10.11), while with checks on InnoDB
      // inserts row by row and refuses the key.
      const uniqueChecks = concurrent || marker || (await hasUniqueIndex(conn, database, table.name)) ? 1 : 0;
      await conn.query(`SET SESSION foreign_key_checks = 0, unique_checks = ${uniqueChecks}, net_read_timeout = 3600`);
      let total = 0;
      if (marker) await conn.query('START TRANSACTION');
      const commit = async () => {
        if (!marker) return;
        await conn.query(`INSERT INTO ${marker.into} (id, note) VALUES (?, ?)`, [marker.id, marker.note(total)]);
        await conn.query('COMMIT');
      };
      const rest: AsyncIterable<RowBatch> = {
        [Symbol.asyncIterator]: () => ({ next: () => iterator.next() }),
      };
      const all = (async function* () {
        yield first.value;
        yield* rest;
      })();
      const onBatch = (n: number) => {
        total += n;
        progress?.(total);
      };
      if (!this.options.forceInsert) {
        const result = await this.loadData(conn, database, table, plans, columns, all, onBatch);
        if (result === 'refused') {
          if (!this.warnedFallback) {
            this.warnedFallback = true;
            this.warn(`synth: the MySQL server refuses LOAD DATA LOCAL INFILE; loading with multi-row INSERTs (slower). Enable local_infile on the server for bulk speed.`);
          }
        } else {
          await commit();
          return total;
        }
      }
      await this.insertAll(conn, database, table, plans, columns, all, onBatch);
      await commit();
      return total;
    } catch (e) {
      destroy = true;
      if (e instanceof SynthError) throw e;
      if ((e as { code?: string }).code === 'ER_DUP_ENTRY') {
        throw new SynthError('VALIDATION_FAILED', `Loading ${table.name}: generated rows repeat a unique key: ${(e as Error).message}`, {
          table: table.name,
          hint: 'The shadow held this key while it loaded and refused the repeated rows; nothing was swapped and the live database is unchanged.',
          cause: e,
        });
      }
      if ((e as { code?: string }).code === 'ER_NO_PARTITION_FOR_GIVEN_VALUE') throw noPartition(table, (e as Error).message);
      throw new SynthError('LOAD_FAILED', `Loading ${table.name} failed: ${(e as Error).message}`, {
        table: table.name, hint: 'The generated rows do not fit the target table; see the message for the column.', cause: e,
      });
    } finally {
      if (destroy) conn.destroy();
      else {
        await conn.query('SET SESSION foreign_key_checks = 1, unique_checks = 1').catch(() => undefined);
        conn.release();
      }
    }
  }

  /** Returns 'refused' when the server would not take a local file (and no batch was consumed). */
  private async loadData(
    conn: PoolConnection, database: string, table: Table, plans: WritePlan[], columns: string[],
    batches: AsyncIterable<RowBatch>, onBatch: (n: number) => void,
  ): Promise<'ok' | 'refused'> {
    const targets = plans.map((p, i) => (needsWrap(p.wire) ? `@v${i}` : qi(p.name)));
    const sets = plans.flatMap((p, i) => (needsWrap(p.wire) ? [`${qi(p.name)} = ${wrapWire(p.wire, `@v${i}`)}`] : []));
    const sql =
      `LOAD DATA LOCAL INFILE 'synth-stream' INTO TABLE ${qt(database, table.name)} CHARACTER SET utf8mb4 ` +
      `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${targets.join(', ')})` +
      (sets.length > 0 ? ` SET ${sets.join(', ')}` : '');
    let opened = false;
    const encodeRow = wireRowEncoder(plans.map((p) => p.wire));
    const socket = socketOf(conn);
    const encode = async function* (): AsyncGenerator<Buffer> {
      for await (const batch of batches) {
        if (batch.columns.length !== columns.length || batch.columns.some((c, i) => c !== columns[i])) {
          throw new SynthError('LOAD_FAILED', `Batches for ${table.name} changed their column list mid-stream`, { table: table.name });
        }
        let text = '';
        for (const row of batch.rows) text += encodeRow(row);
        onBatch(batch.rows.length);
        // mysql2 writes every chunk of the infile stream to the socket without waiting for it to drain, so the
        // whole table would pile up in the socket buffer when generation outpaces the server: wait here instead.
        if (socket && socket.writableLength > SOCKET_HIGH_WATER) await once(socket, 'drain');
        yield Buffer.from(text, 'utf8');
      }
    };
    let streamError: unknown = null;
    try {
      const [result] = await conn.query({
        sql,
        infileStreamFactory: () => {
          opened = true;
          const r = Readable.from(encode());
          r.on('error', (e) => {
            streamError = e;
          });
          return r;
        },
      });
      if (streamError) throw streamError;
      const warnings = (result as { warningStatus?: number }).warningStatus ?? 0;
      if (warnings > 0) {
        // LOCAL implies IGNORE: bad values become warnings and are silently altered. Refuse that.
        const detail = await firstWarnings(conn);
        const dup = /Duplicate entry '.*' for key '([^']*)'/.exec(detail);
        if (dup) {
          // LOCAL implies IGNORE: the repeated row was skipped with a warning. The key existed during the load.
          throw new SynthError('VALIDATION_FAILED', `Loading ${table.name}: generated rows repeat unique key ${dup[1]} (${warnings} warnings): ${detail}`, {
            table: table.name,
            hint: 'The shadow held this key while it loaded and refused the repeated rows; nothing was swapped and the live database is unchanged. Report the seed and table: generated keys are meant to be distinct.',
          });
        }
        if (/has no partition for value/i.test(detail)) throw noPartition(table, `${warnings} warnings: ${detail}`);
        throw new SynthError('LOAD_FAILED', `Loading ${table.name}: the server altered or rejected values (${warnings} warnings): ${detail}`, {
          table: table.name, hint: 'A generated value does not fit its column type; the warning names the column and row.',
        });
      }
      return 'ok';
    } catch (e) {
      if (streamError instanceof SynthError) throw streamError;
      if (!opened && isLocalInfileRefused(e)) return 'refused';
      throw e;
    }
  }

  private async insertAll(
    conn: PoolConnection, database: string, table: Table, plans: WritePlan[], columns: string[],
    batches: AsyncIterable<RowBatch>, onBatch: (n: number) => void,
  ): Promise<void> {
    const head = `INSERT INTO ${qt(database, table.name)} (${plans.map((p) => qi(p.name)).join(', ')}) VALUES `;
    const tuple = `(${plans.map((p) => wrapWire(p.wire, '?')).join(', ')})`;
    const forms = plans.map((p) => p.wire);
    for await (const batch of batches) {
      if (batch.columns.length !== columns.length || batch.columns.some((c, i) => c !== columns[i])) {
        throw new SynthError('LOAD_FAILED', `Batches for ${table.name} changed their column list mid-stream`, { table: table.name });
      }
      let params: Array<string | null> = [];
      let tuples = 0;
      let bytes = 0;
      const flush = async () => {
        if (tuples === 0) return;
        await conn.query(head + new Array<string>(tuples).fill(tuple).join(', '), params);
        params = [];
        tuples = 0;
        bytes = 0;
      };
      for (const row of batch.rows) {
        for (let i = 0; i < forms.length; i++) {
          const w = toWireText(forms[i]!, row[i] ?? null);
          bytes += w === null ? 4 : w.length + 4;
          params.push(w);
        }
        tuples++;
        // Stay well under the default max_allowed_packet (16 MiB on MariaDB, 64 MiB on MySQL 8).
        if (bytes > 4_000_000 || tuples >= 5000) await flush();
      }
      await flush();
      onBatch(batch.rows.length);
    }
  }

  /** Deferred writes: rows go into a temporary table, then one UPDATE … JOIN per batch. */
  async update(database: string, table: Table, batches: AsyncIterable<UpdateBatch>): Promise<number> {
    const conn = await this.session.acquire();
    let destroy = false;
    const tmpName = `__synth_upd_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    const tmp = qt(database, tmpName);
    try {
      let total = 0;
      for await (const batch of batches) {
        if (batch.rows.length === 0) continue;
        const cols = [...batch.keyColumns, ...batch.setColumns];
        const plans = await plansFor(conn, database, table, cols);
        await conn.query(`DROP TEMPORARY TABLE IF EXISTS ${tmp}`);
        await conn.query(`CREATE TEMPORARY TABLE ${tmp} ENGINE=InnoDB AS SELECT ${cols.map((c) => qi(c)).join(', ')} FROM ${qt(database, table.name)} LIMIT 0`);
        await this.insertAll(conn, database, { ...table, name: tmpName }, plans, cols,
          (async function* () { yield { columns: cols, rows: batch.rows }; })(), () => undefined);
        const on = batch.keyColumns.map((c) => `t.${qi(c)} <=> u.${qi(c)}`).join(' AND ');
        const set = batch.setColumns.map((c) => `t.${qi(c)} = u.${qi(c)}`).join(', ');
        await conn.query('SET SESSION foreign_key_checks = 0');
        const [res] = await conn.query(`UPDATE ${qt(database, table.name)} t JOIN ${tmp} u ON ${on} SET ${set}`);
        await conn.query('SET SESSION foreign_key_checks = 1');
        total += (res as { affectedRows?: number }).affectedRows ?? 0;
      }
      await conn.query(`DROP TEMPORARY TABLE IF EXISTS ${tmp}`);
      return total;
    } catch (e) {
      destroy = true;
      if (e instanceof SynthError) throw e;
      throw new SynthError('LOAD_FAILED', `Updating ${table.name} failed: ${(e as Error).message}`, { table: table.name, cause: e });
    } finally {
      if (destroy) conn.destroy();
      else conn.release();
    }
  }
}

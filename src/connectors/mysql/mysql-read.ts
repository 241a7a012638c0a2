/** Streams rows out of MySQL as neutral values (see schema/values.ts), plus counts, histograms and checksums. */
import type { Readable } from 'node:stream';
import type { Connection as CoreConnection } from 'mysql2';
import type { PoolConnection } from 'mysql2/promise';
import type { ForeignKey, NeutralType, Table, TableRef } from '../../schema/model.js';
import type { JsonValue, Row, RowBatch, Value } from '../../schema/values.js';
import type { ReadOptions } from '../connector.js';
import { SynthError } from '../../errors.js';
import type { MysqlSession } from './mysql-session.js';
import { qi, qt } from './mysql-quote.js';
import { keyRangePlan, keyRangeStarts, takeFromRanges, type KeyRangePlan, type RangeStatement } from '../key-ranges.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function toInteger(raw: unknown): number | bigint {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return raw >= -MAX_SAFE && raw <= MAX_SAFE ? Number(raw) : raw;
  const b = BigInt(String(raw));
  return b >= -MAX_SAFE && b <= MAX_SAFE ? Number(b) : b;
}

function asText(raw: unknown): string {
  return Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
}

function bitString(raw: unknown, length: number | null): string {
  if (!Buffer.isBuffer(raw)) return String(raw);
  let bits = '';
  for (const byte of raw) bits += byte.toString(2).padStart(8, '0');
  const n = length ?? bits.length;
  return bits.slice(-n).padStart(n, '0');
}

/** DATETIME(6) pads fractions to the column's precision; the neutral form drops trailing zeros (as PostgreSQL prints). */
function trimFraction(s: string): string {
  return s.replace(/\.(\d*?)0+$/, (_m, keep: string) => (keep === '' ? '' : `.${keep}`));
}

/** The shortest decimal that is the same float32 (63.70000076293945 → 63.7), as PostgreSQL prints real. */
export function shortestFloat32(n: number): number {
  if (!Number.isFinite(n)) return n;
  const f = Math.fround(n);
  for (let p = 1; p <= 9; p++) {
    const c = Number(f.toPrecision(p));
    if (Math.fround(c) === f) return c;
  }
  return f;
}

/** Converts one wire value (mysql2 with dateStrings, bigNumberStrings) to the neutral value of `type`. */
export function fromWire(type: NeutralType, raw: unknown): Value {
  if (raw === null || raw === undefined) return null;
  switch (type.kind) {
    case 'integer':
      return toInteger(raw);
    case 'decimal':
    case 'money':
      return asText(raw);
    case 'float': {
      const n = typeof raw === 'number' ? raw : Number(asText(raw));
      return type.bytes === 4 ? shortestFloat32(n) : n;
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (Buffer.isBuffer(raw)) return raw.some((b) => b !== 0);
      return Number(raw) !== 0;
    case 'year':
      return Number(raw);
    case 'binary':
      if (Buffer.isBuffer(raw)) return new Uint8Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
      return new Uint8Array(Buffer.from(String(raw), 'utf8'));
    case 'bit':
      return bitString(raw, type.length);
    case 'timestamp': {
      const s = trimFraction(asText(raw));
      return type.withTimeZone ? `${s}+00` : s;
    }
    case 'time':
      return trimFraction(asText(raw));
    case 'json':
    case 'array': {
      if (typeof raw === 'object' && !Buffer.isBuffer(raw)) return raw as JsonValue;
      const s = asText(raw);
      try {
        return JSON.parse(s) as JsonValue;
      } catch {
        return s;
      }
    }
    case 'set': {
      const s = asText(raw);
      return s === '' ? [] : s.split(',');
    }
    default:
      return asText(raw);
  }
}

/** The SELECT expression for a column: geometry comes back as WKT. */
export function selectExpr(table: Table, column: string): string {
  const col = table.columns.find((c) => c.name === column);
  if (!col) {
    throw new SynthError('INTERNAL', `Column ${column} is not in table ${table.name}`, { table: table.name, column });
  }
  if (col.type.kind === 'geometry') return `ST_AsText(${qi(column)})`;
  // The text protocol prints FLOAT with 6 significant digits (1098581 → 1.09858e6); widen to DOUBLE instead.
  if (col.type.kind === 'float' && col.type.bytes === 4) return `(${qi(column)} + 0e0)`;
  return qi(column);
}

function typesOf(table: Table, columns: string[]): NeutralType[] {
  return columns.map((name) => {
    const col = table.columns.find((c) => c.name === name);
    if (!col) throw new SynthError('INTERNAL', `Column ${name} is not in table ${table.name}`, { table: table.name, column: name });
    return col.type;
  });
}

/**
 * Streams `table` (in `database`) in batches. Runs on a dedicated connection so the stream's backpressure
 * pauses the socket; a consumer that stops early gets the connection destroyed rather than reused mid-result.
 */
export async function* streamRows(
  session: MysqlSession,
  database: string,
  table: Table,
  options: ReadOptions,
): AsyncGenerator<RowBatch> {
  const columns = options.columns;
  const types = typesOf(table, columns);
  const batchSize = options.batchSize ?? 5000;
  const select = columns.length === 0 ? '1' : columns.map((c) => selectExpr(table, c)).join(', ');
  const ranges = options.limit !== undefined ? keyRangePlan(table, options.limit, options.totalRows ?? table.estimatedRows) : null;
  // A shadow table may get its primary key only in finalize: before that every range would be a full scan.
  if (ranges && (await leadsPrimaryKey(session, database, table.name, ranges.column))) {
    yield* streamKeyRanges(session, database, table, options, ranges);
    return;
  }
  let sql = `SELECT ${select} FROM ${qt(database, table.name)}`;
  if (options.limit !== undefined) {
    const seed = Math.trunc(options.seed ?? 0);
    // RAND(seed) numbers the rows in scan order: the primary key's, else the order they were loaded in, which a
    // parallel load changes from run to run. Without a primary key a seeded hash of the row orders them instead.
    const order = options.sampleByKey && !table.primaryKey && columns.length > 0 ? `MD5(CONCAT_WS(',', ${seed}, ${columns.map((c) => `QUOTE(${qi(c)})`).join(', ')}))` : `RAND(${seed})`;
    sql += ` ORDER BY ${order} LIMIT ${Math.max(0, Math.trunc(options.limit))}`;
  }
  yield* withReadSnapshot(session, table, `Reading ${database}.${table.name}`, async function* (conn) {
    const stream = (conn.connection as unknown as CoreConnection).query({ sql, rowsAsArray: true }).stream({ highWaterMark: batchSize }) as Readable;
    let rows: Row[] = [];
    for await (const wire of stream as AsyncIterable<unknown[]>) {
      const row: Row = new Array<Value>(types.length);
      for (let i = 0; i < types.length; i++) row[i] = fromWire(types[i]!, wire[i]);
      rows.push(columns.length === 0 ? [] : row);
      if (rows.length >= batchSize) {
        yield { columns, rows };
        rows = [];
      }
    }
    if (rows.length > 0) yield { columns, rows };
  });
}

/**
 * `read` on a connection of its own, in one consistent read snapshot. A consumer that stops early (or an error) gets
 * the connection destroyed rather than reused mid-result; a server error becomes a SynthError saying `what` failed.
 */
async function* withReadSnapshot(
  session: MysqlSession,
  table: Table,
  what: string,
  read: (conn: PoolConnection) => AsyncGenerator<RowBatch>,
): AsyncGenerator<RowBatch> {
  const conn = await session.acquire();
  let clean = false;
  try {
    await conn.query(`START TRANSACTION WITH CONSISTENT SNAPSHOT${session.readOnly ? ', READ ONLY' : ''}`);
    yield* read(conn);
    await conn.query('COMMIT');
    clean = true;
  } catch (e) {
    if (e instanceof SynthError) throw e;
    throw new SynthError('INTERNAL', `${what} failed: ${(e as Error).message}`, {
      table: table.name,
      hint: 'Check that the table still exists and the user may SELECT from it.',
      cause: e,
    });
  } finally {
    if (clean) conn.release();
    else conn.destroy();
  }
}

async function leadsPrimaryKey(session: MysqlSession, database: string, table: string, column: string): Promise<boolean> {
  const rows = await session.query(
    `SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' AND SEQ_IN_INDEX = 1 AND COLUMN_NAME = ?`,
    [database, table, column],
  );
  return rows.length > 0;
}

/**
 * Reads the sample as ranges of the primary key (key-ranges.ts), each from a random start within its stratum: only
 * the rows kept are read. All in one consistent snapshot.
 */
function streamKeyRanges(
  session: MysqlSession,
  database: string,
  table: Table,
  options: ReadOptions,
  plan: KeyRangePlan,
): AsyncGenerator<RowBatch> {
  const columns = options.columns;
  const types = typesOf(table, columns);
  const select = columns.length === 0 ? '1' : columns.map((c) => selectExpr(table, c)).join(', ');
  const t = qt(database, table.name);
  const k = qi(plan.column);
  return withReadSnapshot(session, table, `Sampling ${database}.${table.name} by key ranges`, async function* (conn) {
      const [bounds] = await conn.query({ sql: `SELECT CAST(MIN(${k}) AS CHAR) AS lo, CAST(MAX(${k}) AS CHAR) AS hi FROM ${t}`, rowsAsArray: true });
      const [lo, hi] = (bounds as unknown[][])[0] ?? [];
      const starts = lo === null || lo === undefined ? [] : keyRangeStarts(BigInt(String(lo)), BigInt(String(hi)), plan.ranges, Math.trunc(options.seed ?? 0));
      const order = plan.orderBy.map(qi).join(', ');
      // The key travels along so the union comes back in key order within each range, whatever the server does.
      const keys = plan.orderBy.map((c, i) => `${qi(c)} AS synth_k${i}`).join(', ');
      const keyOrder = plan.orderBy.map((_, i) => `synth_k${i}`).join(', ');
      const width = plan.orderBy.length;
      const fetch = async ({ ranges, cap }: RangeStatement): Promise<unknown[][]> => {
        const params = ranges.flatMap((r) => [String(r.from), ...(r.to === null ? [] : [String(r.to)])]);
        const parts = ranges.map((r) => `(SELECT ${r.range} AS synth_range, ${keys}, ${select} FROM ${t} WHERE ${k} >= ?${r.to === null ? '' : ` AND ${k} < ?`} ORDER BY ${order} LIMIT ${cap})`);
        const [result] = await conn.query({ sql: `${parts.join(' UNION ALL ')} ORDER BY synth_range, ${keyOrder}`, rowsAsArray: true }, params);
        return result as unknown[][];
      };
      for await (const kept of takeFromRanges(plan, starts, fetch)) {
        const rows: Row[] = kept.map((wire) => {
          const row: Row = new Array<Value>(types.length);
          for (let c = 0; c < types.length; c++) row[c] = fromWire(types[c]!, wire[c + width]);
          return columns.length === 0 ? [] : row;
        });
        yield { columns, rows };
      }
  });
}

export async function countRowsIn(session: MysqlSession, database: string, table: string): Promise<number> {
  try {
    const rows = await session.query<{ n: string | number }>(`SELECT COUNT(*) AS n FROM ${qt(database, table)}`);
    return Number(rows[0]?.n ?? 0);
  } catch (e) {
    throw new SynthError('INTERNAL', `Cannot count rows of ${database}.${table}: ${(e as Error).message}`, {
      table, hint: 'Check that the table exists and the user may SELECT from it.', cause: e,
    });
  }
}

/** Children per parent including parents without children, computed server-side. */
export async function childCountHistogramIn(
  session: MysqlSession,
  database: string,
  child: Table,
  fk: ForeignKey,
  parentDatabase: string,
): Promise<Array<{ children: number; parents: number }>> {
  const keys = fk.columns.map((c, i) => `${qi(c)} AS ${qi(`k${i}`)}`).join(', ');
  const notNull = fk.columns.map((c) => `${qi(c)} IS NOT NULL`).join(' AND ');
  const groupBy = fk.columns.map(qi).join(', ');
  const on = fk.references.columns.map((c, i) => `p.${qi(c)} = x.${qi(`k${i}`)}`).join(' AND ');
  const sql = `SELECT COALESCE(x.n, 0) AS children, COUNT(*) AS parents
    FROM ${qt(parentDatabase, fk.references.name)} p
    LEFT JOIN (SELECT ${keys}, COUNT(*) AS n FROM ${qt(database, child.name)} WHERE ${notNull} GROUP BY ${groupBy}) x ON ${on}
    GROUP BY COALESCE(x.n, 0) ORDER BY children`;
  const rows = await session.query<{ children: string | number; parents: string | number }>(sql);
  return rows.map((r) => ({ children: Number(r.children), parents: Number(r.parents) }));
}

/** A self-reference's hierarchy level by level (see the PostgreSQL reader); MySQL 8 caps recursion at 1000 levels. */
export async function hierarchyLevelsIn(
  session: MysqlSession,
  database: string,
  table: Table,
  fk: ForeignKey,
): Promise<Array<{ nodes: number; parents: number }> | null> {
  if (fk.columns.length !== 1 || fk.references.columns.length !== 1) return null;
  const t = qt(database, table.name);
  const c = qi(fk.columns[0]!);
  const r = qi(fk.references.columns[0]!);
  const sql = `WITH RECURSIVE walk(id, parent, depth) AS (
      SELECT x.${r}, x.${c}, 0 FROM ${t} x
       WHERE x.${c} IS NULL OR x.${c} = x.${r} OR NOT EXISTS (SELECT 1 FROM ${t} p WHERE p.${r} = x.${c})
      UNION ALL
      SELECT x.${r}, x.${c}, w.depth + 1 FROM ${t} x JOIN walk w ON x.${c} = w.id
       WHERE x.${c} <> x.${r} AND w.depth < 900)
    SELECT depth, COUNT(*) AS nodes, COUNT(DISTINCT parent) AS parents FROM walk GROUP BY depth ORDER BY depth`;
  const rows = await session.query<{ depth: number | string; nodes: number | string; parents: number | string }>(sql);
  if (rows.length === 0) return null;
  return rows.map((row, i) => ({ nodes: Number(row.nodes), parents: i + 1 < rows.length ? Number(rows[i + 1]!.parents) : 0 }));
}

export async function checksumOf(session: MysqlSession, database: string, table: TableRef): Promise<string> {
  const rows = await session.query<{ Checksum: string | number | null }>(`CHECKSUM TABLE ${qt(database, table.name)} EXTENDED`);
  const c = rows[0]?.Checksum;
  if (c === null || c === undefined) {
    throw new SynthError('INTERNAL', `Cannot checksum ${database}.${table.name}: the table does not exist`, { table: table.name });
  }
  return String(c);
}

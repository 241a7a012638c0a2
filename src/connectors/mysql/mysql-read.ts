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
import { createRng } from '../../generation/rng.js';

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
    sql += ` ORDER BY RAND(${seed}) LIMIT ${Math.max(0, Math.trunc(options.limit))}`;
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

/** Tables smaller than this are sampled by ORDER BY RAND(seed): one scan, and exact whatever the key spread. */
export const MYSQL_SAMPLING_MIN_ROWS = 100_000;
/** Sampling by key ranges pays off once the limit is at most this fraction of the table. */
const SAMPLING_MAX_FRACTION = 0.1;
/** Rows read from each range: few enough that neighbours (one order's lines) do not crowd the sample. */
const ROWS_PER_RANGE = 20;
/** Ranges per statement: one round trip reads many of them. */
const RANGES_PER_QUERY = 50;

export interface KeyRangePlan {
  /** The primary key's leading integer column: the ranges are on it, so each is one clustered-index seek. */
  column: string;
  orderBy: string[];
  limit: number;
  ranges: number;
}

/**
 * When `limit` of `total` rows should be read as random ranges of the primary key instead of a full scan sorted
 * by RAND(): a big table whose primary key leads with an integer column. Null otherwise.
 */
export function keyRangePlan(table: Table, limit: number, total: number): KeyRangePlan | null {
  const pk = table.primaryKey;
  const lead = pk ? table.columns.find((c) => c.name === pk.columns[0]) : undefined;
  if (!pk || lead?.type.kind !== 'integer') return null;
  if (!(total >= MYSQL_SAMPLING_MIN_ROWS) || limit <= 0 || limit > total * SAMPLING_MAX_FRACTION) return null;
  return { column: lead.name, orderBy: pk.columns, limit: Math.floor(limit), ranges: Math.max(1, Math.ceil(limit / ROWS_PER_RANGE)) };
}

/**
 * Range starts, one per stratum of [min, max]: stratified so the ranges cover the key space evenly, seeded so the same
 * seed reads the same ranges of the same table. Strictly increasing.
 */
export function keyRangeStarts(min: bigint, max: bigint, ranges: number, seed: number): bigint[] {
  const rng = createRng(seed, 'mysql-key-ranges');
  const span = max - min + 1n;
  const starts: bigint[] = [];
  for (let i = 0; i < ranges; i++) {
    const at = min + BigInt(Math.floor(((i + rng.next()) * Number(span)) / ranges));
    if (starts.length === 0 || at > starts[starts.length - 1]!) starts.push(at > max ? max : at);
  }
  return starts;
}

/**
 * Reads the sample as ranges of the primary key, each from a random start within its stratum: only the rows kept
 * are read. A range short of its share (a gap in the keys) passes the shortfall on to the next one. All in one
 * consistent snapshot.
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
      const share = plan.limit / starts.length;
      let got = 0;
      for (let from = 0; from < starts.length && got < plan.limit; from += RANGES_PER_QUERY) {
        const parts: string[] = [];
        const params: string[] = [];
        // Twice a range's share, plus what the ranges so far fell short of: enough unless the keys are very sparse.
        const cap = Math.ceil(2 * share) + Math.max(0, Math.round(from * share) - got);
        for (let i = from; i < Math.min(starts.length, from + RANGES_PER_QUERY); i++) {
          const upper = i + 1 < starts.length ? ` AND ${k} < ?` : '';
          params.push(String(starts[i]!), ...(upper ? [String(starts[i + 1]!)] : []));
          parts.push(`(SELECT ${i} AS synth_range, ${keys}, ${select} FROM ${t} WHERE ${k} >= ?${upper} ORDER BY ${order} LIMIT ${cap})`);
        }
        const [result] = await conn.query({ sql: `${parts.join(' UNION ALL ')} ORDER BY synth_range, ${keyOrder}`, rowsAsArray: true }, params);
        // Each range takes its share of the limit plus what the ranges before it fell short of.
        const byRange = new Map<number, unknown[][]>();
        for (const wire of result as unknown[][]) {
          const r = Number(wire[0]);
          const list = byRange.get(r) ?? [];
          list.push(wire);
          byRange.set(r, list);
        }
        const rows: Row[] = [];
        for (let i = from; i < Math.min(starts.length, from + RANGES_PER_QUERY); i++) {
          const due = Math.round(((i + 1) * plan.limit) / starts.length) - got;
          for (const wire of (byRange.get(i) ?? []).slice(0, Math.max(0, due))) {
            const row: Row = new Array<Value>(types.length);
            for (let c = 0; c < types.length; c++) row[c] = fromWire(types[c]!, wire[c + 1 + width]);
            rows.push(columns.length === 0 ? [] : row);
            got++;
          }
        }
        if (rows.length > 0) yield { columns, rows };
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

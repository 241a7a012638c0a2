/**
 * Reads by key for training: the actual parent rows of sampled child rows, and child counts for sampled parent
 * rows, as `WHERE (k1, k2) IN ((?, ?), …)` in chunks (MySQL and MariaDB use the index for row constructors).
 */
import type { ForeignKey, Table } from '../../schema/model.js';
import type { Row, RowBatch, Value } from '../../schema/values.js';
import { SynthError } from '../../errors.js';
import { qi, qt } from './mysql-quote.js';
import type { MysqlSession } from './mysql-session.js';
import { fromWire, selectExpr } from './mysql-read.js';

const CHUNK = 2000;

function typeOf(table: Table, name: string) {
  const col = table.columns.find((c) => c.name === name);
  if (!col) throw new SynthError('INTERNAL', `Column ${name} is not in table ${table.name}`, { table: table.name, column: name });
  return col.type;
}

/** Driver parameter for a key value (bigints as decimal text: the server converts them exactly). */
function param(v: Value): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v);
  return v;
}

/** Same spelling for a key whether it came from the caller or back from the server. */
function keyText(values: Value[]): string {
  return values.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v))).join('\u0000');
}

async function queryArrays(session: MysqlSession, sql: string, params: unknown[]): Promise<unknown[][]> {
  return session.withConnection(async (c) => {
    const [rows] = await c.query({ sql, rowsAsArray: true }, params);
    return rows as unknown[][];
  });
}

function inClause(columns: string[], count: number, alias = ''): string {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  return `(${columns.map((c) => `${alias}${qi(c)}`).join(', ')}) IN (${Array.from({ length: count }, () => tuple).join(', ')})`;
}

function usableKeys(keys: Row[], width: number): Array<{ key: Row; pos: number }> {
  const seen = new Set<string>();
  const out: Array<{ key: Row; pos: number }> = [];
  keys.forEach((key, pos) => {
    if (key.length !== width || key.some((v) => v === null || v === undefined)) return;
    const t = keyText(key as Value[]);
    if (seen.has(t)) return;
    seen.add(t);
    out.push({ key, pos });
  });
  return out;
}

function readFailed(table: Table, what: string, e: unknown): SynthError {
  if (e instanceof SynthError) return e;
  return new SynthError('INTERNAL', `${what} ${table.schema}.${table.name} failed: ${(e as Error).message}`, {
    table: `${table.schema}.${table.name}`,
    hint: 'Check that the table still exists and the user may SELECT from it.',
    cause: e,
  });
}

export async function* readRowsByKeysIn(
  session: MysqlSession,
  database: string,
  table: Table,
  columns: string[],
  keyColumns: string[],
  keys: Row[],
): AsyncIterable<RowBatch> {
  const types = columns.map((c) => typeOf(table, c));
  const usable = usableKeys(keys, keyColumns.length);
  const select = columns.length === 0 ? '1' : columns.map((c) => selectExpr(table, c)).join(', ');
  for (let from = 0; from < usable.length; from += CHUNK) {
    const chunk = usable.slice(from, from + CHUNK);
    const sql = `SELECT ${select} FROM ${qt(database, table.name)} WHERE ${inClause(keyColumns, chunk.length)}`;
    let rows: unknown[][];
    try {
      rows = await queryArrays(session, sql, chunk.flatMap((k) => k.key.map(param)));
    } catch (e) {
      throw readFailed(table, 'Reading rows by key of', e);
    }
    if (rows.length > 0) yield { columns, rows: rows.map((w) => types.map((t, i) => fromWire(t, w[i]))) };
  }
}

export async function countChildrenByKeysIn(
  session: MysqlSession,
  database: string,
  child: Table,
  fk: ForeignKey,
  keys: Row[],
): Promise<number[]> {
  const out = new Array<number>(keys.length).fill(0);
  const types = fk.columns.map((c) => typeOf(child, c));
  const usable = usableKeys(keys, fk.columns.length);
  const byText = new Map<string, number[]>();
  keys.forEach((k, pos) => {
    if (k.some((v) => v === null || v === undefined)) return;
    const t = keyText(k as Value[]);
    const list = byText.get(t);
    if (list) list.push(pos);
    else byText.set(t, [pos]);
  });
  const cols = fk.columns.map(qi).join(', ');
  for (let from = 0; from < usable.length; from += CHUNK) {
    const chunk = usable.slice(from, from + CHUNK);
    const sql = `SELECT ${cols}, COUNT(*) AS synth_n FROM ${qt(database, child.name)} WHERE ${inClause(fk.columns, chunk.length)} GROUP BY ${cols}`;
    let rows: unknown[][];
    try {
      rows = await queryArrays(session, sql, chunk.flatMap((k) => k.key.map(param)));
    } catch (e) {
      throw readFailed(child, `Counting children per parent (${fk.name}) of`, e);
    }
    for (const w of rows) {
      const t = keyText(types.map((ty, i) => fromWire(ty, w[i])));
      for (const pos of byText.get(t) ?? []) out[pos] = Number(w[types.length]);
    }
  }
  return out;
}

/**
 * Reads by key for training: the actual parent rows of sampled child rows, and child counts for sampled parent
 * rows. Keys travel as text arrays (one per key column) cast to each column's own type in SQL, so one hash join
 * answers a whole chunk and the comparison uses the column's equality, not text.
 */
import type { ForeignKey, Table } from '../../schema/model.js';
import type { Row, RowBatch, Value } from '../../schema/values.js';
import { SynthError } from '../../errors.js';
import { qi, qn } from './postgres-quote.js';
import { inTransaction, type PgSession } from './postgres-session.js';
import { decodeText, encodeText, selectAsText } from './postgres-values.js';
import { readError, type Locate } from './postgres-read.js';

const READ_ONLY = 'BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY';
const CHUNK = 5000;
/**
 * Keys per child-count query. Without an index on the FK each query is one scan of the child, so the keys of a whole
 * sample go in one query (one scan, one hash of the keys); with one, each key is an index-only lookup either way.
 */
const COUNT_CHUNK = 200_000;
const own: Locate = (t) => t.schema;

function columnOf(table: Table, name: string) {
  const col = table.columns.find((c) => c.name === name);
  if (!col) {
    throw new SynthError('INTERNAL', `Column ${name} is not in table ${table.schema}.${table.name}`, { table: `${table.schema}.${table.name}`, column: name });
  }
  return col;
}

async function physicalTypes(s: PgSession, schema: string, table: string): Promise<Map<string, string>> {
  const res = await s.query<{ attname: string; t: string }>(
    `SELECT attname, format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [qn(schema, table)],
  );
  return new Map(res.rows.map((r) => [r.attname, r.t]));
}

/** Keys without NULLs, encoded as one text array per key column, with each key's position in `keys`. */
function keyArrays(table: Table, keyColumns: string[], keys: Row[]): { arrays: string[][]; positions: number[] } {
  const types = keyColumns.map((c) => columnOf(table, c).type);
  const arrays: string[][] = keyColumns.map(() => []);
  const positions: number[] = [];
  keys.forEach((k, pos) => {
    if (k.length !== keyColumns.length || k.some((v) => v === null || v === undefined)) return;
    k.forEach((v, i) => arrays[i]!.push(encodeText(v as Exclude<Value, null>, types[i]!)));
    positions.push(pos);
  });
  return { arrays, positions };
}

export async function* readRowsByKeys(
  session: PgSession,
  table: Table,
  columns: string[],
  keyColumns: string[],
  keys: Row[],
  locate: Locate = own,
): AsyncIterable<RowBatch> {
  const types = columns.map((c) => columnOf(table, c).type);
  const { arrays } = keyArrays(table, keyColumns, keys);
  const total = arrays[0]?.length ?? 0;
  for (let from = 0; from < total; from += CHUNK) {
    const chunk = arrays.map((a) => a.slice(from, from + CHUNK));
    const rows = await inTransaction(
      session,
      async (s) => {
        const physical = await physicalTypes(s, locate(table), table.name);
        const select = columns.map((c, i) => `${selectAsText(`t.${qi(c)}`, types[i]!, physical.get(c) ?? '')} AS c${i}`).join(', ');
        const unnest = keyColumns.map((_, i) => `$${i + 1}::text[]`).join(', ');
        const names = keyColumns.map((_, i) => `k${i}`).join(', ');
        const on = keyColumns.map((c, i) => `t.${qi(c)} = k.k${i}::${physical.get(c) ?? 'text'}`).join(' AND ');
        const sql = `SELECT ${select || 'NULL'} FROM ${qn(locate(table), table.name)} t
                      JOIN (SELECT DISTINCT ${names} FROM unnest(${unnest}) AS u(${names})) k ON ${on}`;
        return (await s.query<Record<string, string | null>>(sql, chunk)).rows;
      },
      READ_ONLY,
    ).catch((e: unknown) => {
      throw readError('Reading rows by key of', table, e);
    });
    if (rows.length > 0) yield { columns, rows: rows.map((r) => types.map((t, i) => decodeText(r[`c${i}`] ?? null, t))) };
  }
}

export async function countChildrenByKeys(
  session: PgSession,
  child: Table,
  fk: ForeignKey,
  keys: Row[],
  locate: Locate = own,
): Promise<number[]> {
  const out = new Array<number>(keys.length).fill(0);
  // Keys hold the parent's values in references.columns order, which pairs them with fk.columns.
  const { arrays, positions } = keyArrays(child, fk.columns, keys);
  const total = positions.length;
  for (let from = 0; from < total; from += COUNT_CHUNK) {
    const chunk = arrays.map((a) => a.slice(from, from + COUNT_CHUNK));
    const res = await inTransaction(
      session,
      async (s) => {
        const physical = await physicalTypes(s, locate(child), child.name);
        const unnest = fk.columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
        const names = fk.columns.map((_, i) => `k${i}`).join(', ');
        const on = fk.columns.map((c, i) => `c.${qi(c)} = k.k${i}::${physical.get(c) ?? 'text'}`).join(' AND ');
        // count(c.<key>), not count(c.*): the row is never formed, so an index-only scan (or a narrow seq scan) serves it.
        const sql = `SELECT k.i::int AS i, count(c.${qi(fk.columns[0]!)})::int AS n
                       FROM unnest(${unnest}) WITH ORDINALITY AS k(${names}, i)
                       LEFT JOIN ${qn(locate(child), child.name)} c ON ${on}
                      GROUP BY k.i`;
        return (await s.query<{ i: number; n: number }>(sql, chunk)).rows;
      },
      READ_ONLY,
    ).catch((e: unknown) => {
      throw readError(`Counting children per parent (${fk.name}) of`, child, e);
    });
    for (const r of res) out[positions[from + Number(r.i) - 1]!] = Number(r.n);
  }
  return out;
}

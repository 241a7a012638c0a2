/** Streaming reads, counts and in-database statistics. Every read runs in a READ ONLY transaction. */
import type { ReadOptions } from '../connector.js';
import type { ForeignKey, NeutralType, Table, TableRef } from '../../schema/model.js';
import type { RowBatch } from '../../schema/values.js';
import { SynthError } from '../../errors.js';
import { lit, qi, qn } from './postgres-quote.js';
import { inTransaction, type PgSession } from './postgres-session.js';
import { decodeText, selectAsText } from './postgres-values.js';
import { keyRangePlan } from '../key-ranges.js';
import { primaryKeyLeads, readKeyRanges } from './postgres-key-ranges.js';

const READ_ONLY = 'BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY';

/** Turns a driver error into a SynthError that names the table and says what to do. */
export function readError(what: string, table: TableRef, cause: unknown): SynthError {
  if (cause instanceof SynthError) return cause;
  const msg = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: string } | null)?.code;
  const hint =
    code === '42501'
      ? `Grant the connecting user SELECT on ${table.schema}.${table.name}.`
      : code === '42P01' || code === '42703'
        ? 'The table changed since it was introspected; run again.'
        : 'Check the database log for this error.';
  return new SynthError('INTERNAL', `${what} ${table.schema}.${table.name} failed: ${msg}`, { table: `${table.schema}.${table.name}`, hint, cause });
}

/**
 * FROM target for a table: legacy inheritance parents are read ONLY (their children are tables of their own);
 * partitioned parents include their partitions.
 */
async function fromClause(s: PgSession, schemaName: string, name: string): Promise<string> {
  const q = qn(schemaName, name);
  const r = await s.query<{ relkind: string; sub: boolean }>(`SELECT relkind::text AS relkind, relhassubclass AS sub FROM pg_class WHERE oid = $1::regclass`, [q]);
  const row = r.rows[0];
  return row && row.relkind !== 'p' && row.sub ? `ONLY ${q}` : q;
}

/** Where a model table physically lives (the shadow, a mapped target schema, or its own schema). */
export type Locate = (t: TableRef) => string;
const own: Locate = (t) => t.schema;

export async function countRows(session: PgSession, table: TableRef, locate: Locate = own): Promise<number> {
  try {
    const rows = await inTransaction(
      session,
      async (s) => s.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${await fromClause(s, locate(table), table.name)}`),
      READ_ONLY,
    );
    return Number(rows.rows[0]?.n ?? 0);
  } catch (e) {
    throw readError('Counting rows of', table, e);
  }
}

export async function* readRows(
  session: PgSession,
  table: Table,
  options: ReadOptions,
  locate: Locate = own,
): AsyncIterable<RowBatch> {
  const types = options.columns.map((name) => {
    const col = table.columns.find((c) => c.name === name);
    if (!col) {
      throw new SynthError('INTERNAL', `Column ${name} is not in table ${table.schema}.${table.name}`, {
        table: `${table.schema}.${table.name}`,
        column: name,
      });
    }
    return col.type;
  });
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 5000));
  const s = await session.pin();
  let open = false;
  try {
    await s.query(READ_ONLY);
    open = true;
    const from = await fromClause(s, locate(table), table.name);
    const physical = new Map(
      (
        await s.query<{ attname: string; t: string }>(
          `SELECT attname, format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0`,
          [qn(locate(table), table.name)],
        )
      ).rows.map((r) => [r.attname, r.t]),
    );
    const select = options.columns.map((c, i) => `${selectAsText(qi(c), types[i]!, physical.get(c) ?? '')} AS c${i}`).join(', ');
    let sql = `SELECT ${select || 'NULL'} FROM ${from}`;
    let sampled = false;
    if (options.limit !== undefined) {
      const limit = Math.max(0, Math.floor(options.limit));
      // With a seed the order is a hash of the row's content: the same rows come back whatever the physical
      // order (synchronized scans, VACUUM FULL, a restored copy). Without one, random().
      const order = options.seed !== undefined ? `md5(${lit(`synth:${options.seed}:`)} || synth_row::text)` : 'random()';
      const total = await samplingTotal(s, locate(table), table.name, options.totalRows);
      const ranges = options.sampleByKey ? keyRangePlan(table, limit, total) : null;
      // By key, a table without its primary key to seek is sorted whole rather than sampled by page, up to a size
      // where hashing every row costs seconds (~4 s a 600 k-row table here); past it the page sample stays.
      const plan = options.sampleByKey && total <= HASH_SORT_MAX_ROWS ? null : choosePgSampling(limit, total);
      sql = `${sql} synth_row ORDER BY ${order} LIMIT ${limit}`;
      if (ranges && (await primaryKeyLeads(s, qn(locate(table), table.name), ranges.column))) {
        sampled = true;
        yield* readKeyRanges(s, from, select, ranges, Math.trunc(options.seed ?? 0), options.columns, types);
      } else if (plan) {
        // Hashing and sorting every row of a big table costs more than the rest of the sample stage: read a slice
        // of it instead. REPEATABLE keeps a seed's slice the same on the same table (not across a VACUUM FULL or a
        // restore, which the full read survives). The window count tells whether the slice held enough rows.
        const repeatable = options.seed !== undefined ? ` REPEATABLE (${Math.trunc(options.seed)})` : '';
        await s.query(
          `DECLARE synth_sample NO SCROLL CURSOR FOR SELECT ${select || 'NULL'}, count(*) OVER () AS synth_n FROM ${from} synth_row TABLESAMPLE ${plan.method} (${plan.percent})${repeatable} ORDER BY ${order} LIMIT ${limit}`,
        );
        const first = await s.query<Record<string, string | null>>(`FETCH FORWARD ${batchSize} FROM synth_sample`);
        if (Number(first.rows[0]?.synth_n ?? 0) >= limit) {
          sampled = true;
          yield* decodeBatches(s, 'synth_sample', first.rows, batchSize, options.columns, types);
        }
        await s.query('CLOSE synth_sample');
      }
    }
    if (!sampled) {
      await s.query(`DECLARE synth_read NO SCROLL CURSOR FOR ${sql}`);
      yield* decodeBatches(s, 'synth_read', [], batchSize, options.columns, types);
    }
    await s.query('COMMIT');
    open = false;
  } catch (e) {
    throw readError('Reading', table, e);
  } finally {
    if (open) await s.query('ROLLBACK').catch(() => undefined);
    await s.close();
  }
}

/** Batches of a cursor (after `first`, rows already fetched from it), decoded to neutral values. */
async function* decodeBatches(
  s: PgSession,
  cursor: string,
  first: Array<Record<string, string | null>>,
  batchSize: number,
  columns: string[],
  types: NeutralType[],
): AsyncIterable<RowBatch> {
  let rows = first;
  for (;;) {
    if (rows.length === 0) {
      rows = (await s.query<Record<string, string | null>>(`FETCH FORWARD ${batchSize} FROM ${cursor}`)).rows;
      if (rows.length === 0) return;
    }
    yield { columns, rows: rows.map((r) => types.map((t, i) => decodeText(r[`c${i}`] ?? null, t))) };
    if (rows.length < batchSize) return;
    rows = [];
  }
}

/** A read by key sorts a table without an integer-led primary key by hash up to this many rows. */
const HASH_SORT_MAX_ROWS = 1_000_000;
/** Tables smaller than this are read whole and ordered by hash: cheap, and the sample survives any physical change. */
export const PG_SAMPLING_MIN_ROWS = 100_000;
/** Sampling pays off once the limit is at most this fraction of the table. */
const SAMPLING_MAX_FRACTION = 0.1;
/** SYSTEM reads this many times the rows it keeps (its pages hold neighbours), spread over that many more pages. */
const SYSTEM_OVERSAMPLE = 4;
/** Above this share of pages SYSTEM saves little I/O; BERNOULLI scans every page but keeps rows independently. */
const SYSTEM_MAX_PERCENT = 5;

/**
 * How to sample `limit` of `total` rows: null (read every row and order them by hash), SYSTEM (whole pages, reads
 * only them) when the slice is small, BERNOULLI (every page, each row kept independently) in between.
 */
export function choosePgSampling(limit: number, total: number): { method: 'SYSTEM' | 'BERNOULLI'; percent: number } | null {
  if (!(total >= PG_SAMPLING_MIN_ROWS) || limit <= 0 || limit > total * SAMPLING_MAX_FRACTION) return null;
  const fraction = limit / total;
  const system = fraction * SYSTEM_OVERSAMPLE * 100;
  if (system <= SYSTEM_MAX_PERCENT) return { method: 'SYSTEM', percent: round6(system) };
  return { method: 'BERNOULLI', percent: round6(Math.min(100, fraction * 1.5 * 100)) };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * The rows to size a sample against: the caller's count, else the planner's estimate (-1 when never analyzed); -1
 * for a relation TABLESAMPLE may not read (a foreign table, a view).
 */
async function samplingTotal(s: PgSession, schemaName: string, name: string, known: number | undefined): Promise<number> {
  const r = await s.query<{ kind: string; n: number | null }>(`SELECT relkind::text AS kind, reltuples::float8 AS n FROM pg_class WHERE oid = $1::regclass`, [qn(schemaName, name)]);
  const row = r.rows[0];
  if (!row || !['r', 'm', 'p'].includes(row.kind)) return -1;
  return known ?? Number(row.n ?? -1);
}

export async function childCountHistogram(
  session: PgSession,
  child: Table,
  fk: ForeignKey,
  locate: Locate = own,
): Promise<Array<{ children: number; parents: number }>> {
  const parent = qn(locate(fk.references), fk.references.name);
  const cols = fk.columns.map(qi);
  const notNull = cols.map((c) => `${c} IS NOT NULL`).join(' AND ');
  const join = fk.references.columns.map((rc, i) => `cc.${cols[i]} = p.${qi(rc)}`).join(' AND ');
  const sql = `SELECT coalesce(cc.synth_n, 0)::int AS children, count(*)::int AS parents
                 FROM ${parent} p
                 LEFT JOIN (SELECT ${cols.join(', ')}, count(*) AS synth_n FROM ${qn(locate(child), child.name)}
                             WHERE ${notNull} GROUP BY ${cols.join(', ')}) cc ON ${join}
                GROUP BY 1 ORDER BY 1`;
  const res = await inTransaction(session, (s) => s.query<{ children: number; parents: number }>(sql), READ_ONLY).catch((e: unknown) => {
    throw readError(`Counting children per parent (${fk.name}) of`, child, e);
  });
  return res.rows.map((r) => ({ children: Number(r.children), parents: Number(r.parents) }));
}

/**
 * A self-reference's hierarchy level by level, walked in the database from the roots (NULL, self-pointing or
 * dangling parents): rows per depth and how many of them have children. Single-column FKs only (else null).
 * Rows on a cycle that no root reaches are not counted; the walk stops at depth 10 000.
 */
export async function hierarchyLevels(
  session: PgSession,
  table: Table,
  fk: ForeignKey,
  locate: Locate = own,
): Promise<Array<{ nodes: number; parents: number }> | null> {
  if (fk.columns.length !== 1 || fk.references.columns.length !== 1) return null;
  const t = qn(locate(table), table.name);
  const c = qi(fk.columns[0]!);
  const r = qi(fk.references.columns[0]!);
  const sql = `WITH RECURSIVE walk(id, parent, depth) AS (
                 SELECT x.${r}, x.${c}, 0 FROM ${t} x
                  WHERE x.${c} IS NULL OR x.${c} = x.${r} OR NOT EXISTS (SELECT 1 FROM ${t} p WHERE p.${r} = x.${c})
                 UNION ALL
                 SELECT x.${r}, x.${c}, w.depth + 1 FROM ${t} x JOIN walk w ON x.${c} = w.id
                  WHERE x.${c} <> x.${r} AND w.depth < 10000)
               SELECT depth, count(*)::int AS nodes, count(DISTINCT parent)::int AS parents FROM walk GROUP BY depth ORDER BY depth`;
  const res = await inTransaction(session, (s) => s.query<{ depth: number; nodes: number; parents: number }>(sql), READ_ONLY).catch((e: unknown) => {
    throw readError(`Walking the hierarchy (${fk.name}) of`, table, e);
  });
  return levelsFromWalk(res.rows);
}

/** `parents` of a walk row counts distinct parents of that depth's rows, i.e. the rows one level up that have children. */
export function levelsFromWalk(rows: Array<{ depth: number | string; nodes: number | string; parents: number | string }>): Array<{ nodes: number; parents: number }> | null {
  if (rows.length === 0) return null;
  return rows.map((row, i) => ({ nodes: Number(row.nodes), parents: i + 1 < rows.length ? Number(rows[i + 1]!.parents) : 0 }));
}

/**
 * Order-independent digest: the sum of per-row md5 halves (as numerics) plus the row count. Constant memory
 * in the server, unlike a sorted string_agg.
 */
export async function checksum(session: PgSession, table: TableRef, locate: Locate = own): Promise<string> {
  const sql = `SELECT count(*)::text AS n,
                      coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0)::text AS a,
                      coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0)::text AS b
                 FROM (SELECT md5(t::text) AS h FROM %FROM% t) x`;
  const res = await inTransaction(
    session,
    async (s) => {
      const from = await fromClause(s, locate(table), table.name);
      return s.query<{ n: string; a: string; b: string }>(sql.replace('%FROM%', () => from));
    },
    READ_ONLY,
  ).catch((e: unknown) => {
    throw readError('Checksumming', table, e);
  });
  const r = res.rows[0];
  return r ? `${r.n}:${r.a}:${r.b}` : '0:0:0';
}

export async function identity(session: PgSession, url: string): Promise<string> {
  const db = (await session.query<{ db: string }>(`SELECT current_database() AS db`)).rows[0]?.db ?? '';
  try {
    const r = await session.query<{ id: string }>(`SELECT system_identifier::text AS id FROM pg_control_system()`);
    if (r.rows[0]) return `postgres:${r.rows[0].id}/${db}`;
  } catch {
    // pg_control_system() needs privileges the user may lack; host and port identify the server well enough.
  }
  const u = new URL(url);
  return `postgres:${u.hostname}:${u.port || '5432'}/${db}`;
}

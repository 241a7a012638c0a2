/**
 * The gate's spot checks of a big table's keys, on a sample that is a function of the rows alone. A page sample
 * (TABLESAMPLE) read other rows, and so reported another "N sampled rows", every time the same rows were loaded in
 * another physical order (the parallel load's workers finish in any order): the same seed gave different gate lines.
 * - Orphans: the child's rows in seeded ranges of its primary key (one index seek a range, key-ranges.ts's starts),
 *   each sampled key against the whole parent. A child without a valid primary key led by an integer column (a
 *   shadow whose keys were not built, a table without one) keeps the page sample: a deterministic one would read the
 *   whole table, far more than today's slice.
 * - Duplicates: every row whose key hashes into a fixed share of the hash space, grouped. The check already read the
 *   whole table (each sampled key against every row); now that one scan picks the keys itself, and every row holding
 *   a picked key is in the group, so a repeated key among them is always seen.
 */
import type { IntegrityCheck } from '../connector.js';
import { keyRangeStarts } from '../key-ranges.js';
import { qi } from './postgres-quote.js';
import type { PgSession } from './postgres-session.js';

/** Child rows an orphan spot check reads: tens of thousands, as the page sample did. */
const SPOT_CHECK_ROWS = 20_000;
/** Rows of each key range, in key order: 1 000 ranges spread the sample over the whole key space. */
const ROWS_PER_RANGE = 20;
/**
 * Keys a duplicate spot check groups: those whose hash falls in 1/64 of the hash space (SF1 lineitem: ~94 000 of 6 M).
 * A fixed share rather than one sized from the table's pages: the page count moves with the physical layout too.
 */
const DUPLICATE_SHARE_BITS = 6;
/**
 * The ranges are seeded by a constant rather than the run's seed: the gate needs the same rows checked for the same
 * rows, and any spread of ranges over the key space serves it as well as another.
 */
const SPOT_CHECK_SEED = 0;

export interface SpotCheck {
  checked: number;
  violations: number;
}

/**
 * Orphans among the child rows of seeded primary-key ranges of `child` (a relation name), each against the whole
 * `parent`. Null when the child has no valid primary key led by an integer column: the caller samples pages instead.
 */
export async function spotCheckOrphansByKey(
  session: PgSession,
  check: Extract<IntegrityCheck, { kind: 'orphan' }>,
  child: string,
  parent: string,
): Promise<SpotCheck | null> {
  const pk = await integerLedPrimaryKey(session, child);
  if (!pk) return null;
  const k = qi(pk[0]!);
  const bounds = await session.query<{ lo: string | null; hi: string | null }>(`SELECT min(${k})::text AS lo, max(${k})::text AS hi FROM ${child}`);
  const { lo, hi } = bounds.rows[0] ?? { lo: null, hi: null };
  if (lo === null || hi === null) return { checked: 0, violations: 0 };
  const starts = keyRangeStarts(BigInt(lo), BigInt(hi), Math.ceil(SPOT_CHECK_ROWS / ROWS_PER_RANGE), SPOT_CHECK_SEED);
  // Each range ends where the next starts; the last one past the largest key.
  const ends = [...starts.slice(1), BigInt(hi) + 1n];
  const fk = check.foreignKey;
  const cols = fk.columns.map((c) => `c.${qi(c)}`).join(', ');
  const notNull = fk.columns.map((c) => `s.${qi(c)} IS NOT NULL`).join(' AND ');
  const join = fk.columns.map((c, i) => `p.${qi(fk.references.columns[i]!)} = s.${qi(c)}`).join(' AND ');
  // Ordered by the whole primary key, so which rows a range gives does not depend on the plan or the pages.
  const sql = `WITH s AS MATERIALIZED (
      SELECT x.* FROM unnest($1::bigint[], $2::bigint[]) AS r(lo, hi)
      CROSS JOIN LATERAL (SELECT ${cols} FROM ${child} c WHERE c.${k} >= r.lo AND c.${k} < r.hi
                          ORDER BY ${pk.map((c) => `c.${qi(c)}`).join(', ')} LIMIT ${ROWS_PER_RANGE}) x)
    SELECT (SELECT count(*) FROM s)::text AS checked,
           (SELECT count(*) FROM s WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${parent} p WHERE ${join}))::text AS n`;
  const res = await session.query<{ checked: string; n: string }>(sql, [starts.map(String), ends.map(String)]);
  return { checked: Number(res.rows[0]?.checked ?? 0), violations: Number(res.rows[0]?.n ?? 0) };
}

/**
 * Duplicates among the rows of `table` whose key (no column NULL) hashes into a fixed share of the hash space: rows
 * grouped, and how many beyond the first of each key. Every row holding a picked key is picked with it.
 */
export async function spotCheckDuplicatesByHash(session: PgSession, check: Extract<IntegrityCheck, { kind: 'duplicate' }>, table: string): Promise<SpotCheck> {
  const cols = check.columns.map(qi);
  const notNull = cols.map((c) => `${c} IS NOT NULL`).join(' AND ');
  // The key's text form hashed: defined for every type, and the same for the same values whatever their page.
  const picked = `(hashtextextended(ROW(${cols.join(', ')})::text, ${SPOT_CHECK_SEED}) & ${(1 << DUPLICATE_SHARE_BITS) - 1}) = 0`;
  const res = await session.query<{ checked: string; n: string }>(
    `SELECT coalesce(sum(n), 0)::text AS checked, coalesce(sum(n - 1), 0)::text AS n
       FROM (SELECT count(*) AS n FROM ${table} WHERE ${notNull} AND ${picked} GROUP BY ${cols.join(', ')}) d`,
  );
  return { checked: Number(res.rows[0]?.checked ?? 0), violations: Number(res.rows[0]?.n ?? 0) };
}

/**
 * Whether a valid unique index of `relation` (no predicate, no expression) covers only columns of `columns`: then no
 * two rows share a key of `columns` with no NULL in it, and the duplicate check needs no query. A shadow whose keys
 * were built by another process has them without this run's key state.
 */
export async function uniqueIndexProves(session: PgSession, relation: string, columns: string[]): Promise<boolean> {
  const res = await session.query(
    `SELECT 1 FROM pg_index i
      WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
        AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) AS k(attnum)
                         WHERE k.attnum NOT IN (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attname = ANY($2::text[])))`,
    [relation, columns],
  );
  return res.rows.length > 0;
}

/** The primary key's columns in order when `relation` has a valid one whose first column is an integer; else null. */
async function integerLedPrimaryKey(session: PgSession, relation: string): Promise<string[] | null> {
  const res = await session.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, a.atttypid::regtype::text AS type
       FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary AND i.indisvalid
      ORDER BY k.ord`,
    [relation],
  );
  const lead = res.rows[0]?.type;
  return lead === 'smallint' || lead === 'integer' || lead === 'bigint' ? res.rows.map((r) => r.name) : null;
}

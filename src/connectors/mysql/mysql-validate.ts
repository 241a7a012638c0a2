/** Integrity questions answered in MySQL SQL against a shadow database. */
import type { IntegrityCheck, IntegrityCount, KeyState } from '../connector.js';
import { SynthError } from '../../errors.js';
import type { MysqlSession } from './mysql-session.js';
import { qi, qt } from './mysql-quote.js';

/**
 * Which indexes an orphan count can use: `parent`, an index of the parent leading with the referenced columns (its
 * key); `child`, one of the child leading with the foreign key's columns.
 */
interface OrphanAccess {
  parent: boolean;
  child: boolean;
  /** Every column of the foreign key is proven NOT NULL in the shadow (provenNotNull). */
  notNull?: boolean;
  /** A unique index of the parent is on exactly the referenced columns: a child row matches at most one parent row. */
  unique?: boolean;
}

function countSql(database: string, check: IntegrityCheck, access: OrphanAccess = { parent: false, child: false }): string | { skipped: string } {
  const t = qt(database, check.table.name);
  switch (check.kind) {
    case 'orphan': {
      const fk = check.foreignKey;
      const parent = qt(database, fk.references.name);
      // A composite FK with any NULL column is not checked by MySQL (MATCH SIMPLE), so it is no orphan.
      const notNull = fk.columns.map((c) => `c.${qi(c)} IS NOT NULL`).join(' AND ');
      const match = fk.references.columns.map((rc, i) => `p.${qi(rc)} = c.${qi(fk.columns[i]!)}`).join(' AND ');
      if (access.parent) {
        // One lookup in the parent's index per child row, read in the child's index order where it has one (a run of
        // equal keys looks the parent up once), and no temporary table: MariaDB plans NOT EXISTS as a materialized
        // copy of the parent's keys instead, and the grouped form below writes the child's distinct keys to one
        // (SF1 lineitem -> partsupp, 830k pairs: 6 s against 23 s for either at load average 20). A matched row has
        // every referenced column equal to a non-NULL child value, so p's first column is NULL only without a match:
        // the orphans are the rows less the matched ones less those holding a NULL (MATCH SIMPLE). The query reads
        // every row, so it gives the table's row count too (`r`): the gate's COUNT(*) of it, a second pass over the
        // same index (SF1 lineitem 1.6 s at load average 9), is not run.
        if (!access.unique) {
          return `SELECT COUNT(*) AS n FROM ${t} c LEFT JOIN ${parent} p ON ${match} WHERE ${notNull} AND p.${qi(fk.references.columns[0]!)} IS NULL`;
        }
        const anyNull = fk.columns.map((c) => `c.${qi(c)} IS NULL`).join(' OR ');
        const nulls = access.notNull ? '' : ` - COALESCE(SUM(${anyNull}), 0)`;
        return `SELECT COUNT(*) AS r, COUNT(*) - COUNT(p.${qi(fk.references.columns[0]!)})${nulls} AS n FROM ${t} c LEFT JOIN ${parent} p ON ${match}`;
      }
      if (access.child) {
        // The child's keys grouped first (an index scan: a foreign key's columns lead an index of the child), then
        // one parent lookup per distinct key rather than per row: about half the time of the row-wise anti-join.
        const keys = fk.columns.map((c, i) => `${qi(c)} AS ${qi(`k${i}`)}`).join(', ');
        const where = fk.columns.map((c) => `${qi(c)} IS NOT NULL`).join(' AND ');
        const on = fk.references.columns.map((rc, i) => `p.${qi(rc)} = x.${qi(`k${i}`)}`).join(' AND ');
        return `SELECT COALESCE(SUM(x.n), 0) AS n FROM (SELECT ${keys}, COUNT(*) AS n FROM ${t} WHERE ${where} GROUP BY ${fk.columns.map(qi).join(', ')}) x
                 WHERE NOT EXISTS (SELECT 1 FROM ${parent} p WHERE ${on})`;
      }
      return `SELECT COUNT(*) AS n FROM ${t} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${parent} p WHERE ${match})`;
    }
    case 'duplicate': {
      const cols = check.columns.map(qi).join(', ');
      const where = check.nullsDistinct ? ` WHERE ${check.columns.map((c) => `${qi(c)} IS NOT NULL`).join(' AND ')}` : '';
      return `SELECT COALESCE(SUM(k - 1), 0) AS n FROM (SELECT COUNT(*) AS k FROM ${t}${where} GROUP BY ${cols} HAVING COUNT(*) > 1) d`;
    }
    case 'not-null':
      return `SELECT COUNT(*) AS n FROM ${t} WHERE ${qi(check.column)} IS NULL`;
    case 'check':
      if (check.dialect !== 'mysql') return { skipped: `CHECK ${check.constraint} is ${check.dialect} SQL; MySQL cannot evaluate it` };
      // NOT (expr) is NULL when expr is NULL, which CHECK accepts too.
      return `SELECT COUNT(*) AS n FROM ${t} WHERE NOT (${check.expression})`;
  }
}

/**
 * Answers the gate's questions. NOT NULL of a column the shadow declares NOT NULL is proven by the catalog on a
 * strict server (provenNotNull); a table's other NOT NULL and its CHECK questions share one scan (one by one when the combined
 * query fails, e.g. on a CHECK MySQL cannot evaluate), so a wide table is read once rather than once per column.
 * A key of a table whose keys buildKeys added is proven by that ALTER (it refuses any duplicate): no query. Else, on
 * a big table, a primary key or plain unique key is spot-checked (spotCheckDuplicates): finalize adds that key with
 * the same ALTER, so every row is still verified before the swap; a table whose ALTER was refused is counted in full.
 * `spotCheckMinRows`: the size from which a key is spot-checked (SPOT_CHECK_MIN_ROWS; tests use smaller tables).
 */
export async function countViolationsIn(
  session: MysqlSession,
  database: string,
  checks: IntegrityCheck[],
  keys?: KeyState,
  { spotCheckMinRows = SPOT_CHECK_MIN_ROWS }: { spotCheckMinRows?: number } = {},
): Promise<IntegrityCount[]> {
  const out = new Map<IntegrityCheck, IntegrityCount>();
  const scans = new Map<string, IntegrityCheck[]>();
  const sizes = new Map<string, number>();
  let proven: Set<string> | undefined;
  const declared = checks.some((c) => c.kind === 'not-null') ? (proven = await provenNotNull(session, database)) : new Set<string>();
  for (const check of checks) {
    const sql = countSql(database, check);
    if (typeof sql !== 'string') out.set(check, { check, violations: 0, skipped: sql.skipped });
    else if (check.kind === 'not-null' && declared.has(`${check.table.name}\u0000${check.column}`)) out.set(check, { check, violations: 0 });
    else if (check.kind === 'not-null' || check.kind === 'check') scans.set(check.table.name, [...(scans.get(check.table.name) ?? []), check]);
    else if (check.kind === 'duplicate' && check.nullsDistinct && keys?.built.has(check.table.name)) out.set(check, { check, violations: 0, byIndex: true });
    else if (check.kind === 'duplicate' && check.nullsDistinct && !keys?.refused.has(check.table.name)) {
      if (!sizes.has(check.table.name)) sizes.set(check.table.name, await estimatedRows(session, database, check.table.name));
      const rows = sizes.get(check.table.name)!;
      const spot = rows >= spotCheckMinRows ? await spotCheckDuplicates(session, database, check) : null;
      out.set(check, spot && spot.violations === 0 ? { check, violations: 0, sampled: spot.checked } : await countOne(session, database, check));
    } else if (check.kind === 'orphan' && (await orphanFreeByRange(session, database, check))) out.set(check, { check, violations: 0 });
    else if (check.kind === 'orphan') {
      proven ??= await provenNotNull(session, database);
      const parent = await indexesOf(session, database, check.foreignKey.references.name);
      const access = {
        parent: leadsAnIndex(parent, check.foreignKey.references.columns),
        child: leadsAnIndex(await indexesOf(session, database, check.table.name), check.foreignKey.columns),
        notNull: check.foreignKey.columns.every((c) => proven!.has(`${check.table.name}\u0000${c}`)),
        unique: uniqueOn(parent, check.foreignKey.references.columns),
      };
      out.set(check, await countOne(session, database, check, access));
    } else out.set(check, await countOne(session, database, check));
  }
  for (const group of scans.values()) {
    for (const count of await countInOneScan(session, database, group)) out.set(count.check, count);
  }
  return checks.map((c) => out.get(c)!);
}

/**
 * Columns the shadow declares NOT NULL, when the session is strict: every write path then refuses a NULL there
 * (INSERT and UPDATE fail, and the loader refuses any warning of LOAD DATA, which would turn a NULL into 0 or ''),
 * so the catalog proves them, as on PostgreSQL. Empty on a server that is not strict: those are counted.
 */
async function provenNotNull(session: MysqlSession, database: string): Promise<Set<string>> {
  const [mode] = await session.query<{ m: string | null }>('SELECT @@SESSION.sql_mode AS m');
  if (!/STRICT_(TRANS|ALL)_TABLES/.test(mode?.m ?? '')) return new Set();
  const rows = await session.query<{ t: string; c: string }>(
    "SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND IS_NULLABLE = 'NO'",
    [database],
  );
  return new Set(rows.map((r) => `${r.t}\u0000${r.c}`));
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint']);

/**
 * Proves an integer foreign key orphan-free without visiting its rows, where the parent's key is a one-column unique
 * index whose values are every integer from its MIN to its MAX (COUNT = MAX - MIN + 1: generated integer keys are
 * start + row with step 1): a child value is then an orphan exactly when it falls outside [MIN, MAX], and the child's
 * own MIN and MAX say whether any does (index lookups where the key leads an index, else one scan). False when that
 * does not hold; the caller then counts in full, so the count is exact either way.
 */
async function orphanFreeByRange(session: MysqlSession, database: string, check: Extract<IntegrityCheck, { kind: 'orphan' }>): Promise<boolean> {
  const fk = check.foreignKey;
  if (fk.columns.length !== 1 || fk.references.columns.length !== 1) return false;
  const [column, parentColumn] = [fk.columns[0]!, fk.references.columns[0]!];
  const types = await session.query<{ t: string; c: string; d: string }>(
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS d FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND ((TABLE_NAME = ? AND COLUMN_NAME = ?) OR (TABLE_NAME = ? AND COLUMN_NAME = ?))',
    [database, check.table.name, column, fk.references.name, parentColumn],
  );
  if (types.length !== (check.table.name === fk.references.name && column === parentColumn ? 1 : 2)) return false;
  if (!types.every((r) => INTEGER_TYPES.has(r.d.toLowerCase()))) return false;
  // The parent's values are distinct only where a unique index on exactly that column says so.
  const unique = await session.query<{ i: string }>(
    `SELECT INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0
     GROUP BY INDEX_NAME HAVING COUNT(*) = 1 AND MAX(COLUMN_NAME) = ?`,
    [database, fk.references.name, parentColumn],
  );
  if (unique.length === 0) return false;
  try {
    const p = qi(parentColumn);
    const c = qi(column);
    const [row] = await session.query<{ lo: string | null; hi: string | null; n: string | number; clo: string | null; chi: string | null }>(
      `SELECT (SELECT MIN(${p}) FROM ${qt(database, fk.references.name)}) AS lo, (SELECT MAX(${p}) FROM ${qt(database, fk.references.name)}) AS hi,
              (SELECT COUNT(${p}) FROM ${qt(database, fk.references.name)}) AS n,
              (SELECT MIN(${c}) FROM ${qt(database, check.table.name)}) AS clo, (SELECT MAX(${c}) FROM ${qt(database, check.table.name)}) AS chi`,
    );
    if (!row) return false;
    if (row.clo === null || row.chi === null) return true; // no child row holds a key
    if (row.lo === null || row.hi === null) return false;
    const [lo, hi, n] = [BigInt(String(row.lo)), BigInt(String(row.hi)), BigInt(String(row.n))];
    return hi - lo + 1n === n && BigInt(String(row.clo)) >= lo && BigInt(String(row.chi)) <= hi;
  } catch {
    return false;
  }
}

/** The shadow table's indexes: each one's columns (lower-cased, in index order) and whether it is unique. */
async function indexesOf(session: MysqlSession, database: string, table: string): Promise<Array<{ unique: boolean; columns: string[] }>> {
  const rows = await session.query<{ i: string; c: string; u: number | string }>(
    'SELECT INDEX_NAME AS i, COLUMN_NAME AS c, NON_UNIQUE AS u FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX',
    [database, table],
  );
  const indexes = new Map<string, { unique: boolean; columns: string[] }>();
  for (const r of rows) {
    const index = indexes.get(r.i) ?? { unique: Number(r.u) === 0, columns: [] };
    index.columns.push(r.c.toLowerCase());
    indexes.set(r.i, index);
  }
  return [...indexes.values()];
}

/** The columns as a set, spelled one way. */
const columnSet = (columns: string[]): string => columns.map((c) => c.toLowerCase()).sort().join('\u0000');

/** Whether an index leads with these columns (in any order): the orphan count can read through it. */
function leadsAnIndex(indexes: Array<{ columns: string[] }>, columns: string[]): boolean {
  const wanted = columnSet(columns);
  return indexes.some((x) => columnSet(x.columns.slice(0, columns.length)) === wanted);
}

/** Whether a unique index is on exactly these columns (in any order). */
function uniqueOn(indexes: Array<{ unique: boolean; columns: string[] }>, columns: string[]): boolean {
  const wanted = columnSet(columns);
  return indexes.some((x) => x.unique && columnSet(x.columns) === wanted);
}

async function countInOneScan(session: MysqlSession, database: string, group: IntegrityCheck[]): Promise<IntegrityCount[]> {
  if (group.length > 1) {
    // NOT (expr) is NULL when expr is NULL, which CHECK accepts: SUM skips it.
    const sums = group.map((c, i) => `COALESCE(SUM(${c.kind === 'not-null' ? `${qi(c.column)} IS NULL` : c.kind === 'check' ? `NOT (${c.expression})` : '0'}), 0) AS ${qi(`v${i}`)}`);
    try {
      const rows = await session.query<Record<string, string | number>>(`SELECT ${sums.join(', ')} FROM ${qt(database, group[0]!.table.name)}`);
      return group.map((check, i) => ({ check, violations: Number(rows[0]?.[`v${i}`] ?? 0) }));
    } catch {
      // Counted one by one below, so a CHECK that cannot be evaluated is reported on its own.
    }
  }
  const out: IntegrityCount[] = [];
  for (const check of group) out.push(await countOne(session, database, check));
  return out;
}

async function countOne(session: MysqlSession, database: string, check: IntegrityCheck, access?: OrphanAccess): Promise<IntegrityCount> {
  const sql = countSql(database, check, access);
  if (typeof sql !== 'string') return { check, violations: 0, skipped: sql.skipped };
  try {
    const rows = await session.query<{ n: string | number | null; r?: string | number }>(sql);
    const r = rows[0]?.r;
    return { check, violations: Number(rows[0]?.n ?? 0), ...(r !== undefined ? { rows: Number(r) } : {}) };
  } catch (e) {
    if (check.kind !== 'check') {
      throw new SynthError('INTERNAL', `Cannot count ${check.kind} violations on ${check.table.name}: ${(e as Error).message}`, {
        table: check.table.name, hint: 'The shadow table or column is missing; run the hydration again.', cause: e,
      });
    }
    return { check, violations: 0, skipped: `CHECK ${check.constraint} could not be evaluated: ${(e as Error).message}` };
  }
}

/** Tables of at least this many rows have their keys spot-checked rather than grouped in full. */
export const SPOT_CHECK_MIN_ROWS = 1_000_000;
/**
 * Keys a spot check groups: those whose hash has these bits clear, 1/64 of the hash space (as on PostgreSQL; 1 M rows
 * give ~15 600). A fixed share: one sized from the row estimate would move with the pages ANALYZE sampled.
 */
const DUPLICATE_SHARE_MASK = 63;

/** The server's row estimate after a fresh ANALYZE (a few sampled pages; the shadow was just loaded). */
async function estimatedRows(session: MysqlSession, database: string, table: string): Promise<number> {
  await session.query(`ANALYZE TABLE ${qt(database, table)}`);
  const rows = await session.query<{ n: string | number | null }>(
    'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [database, table],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Duplicates of a key on a sample that is a function of the key values alone: every row whose key (no column NULL)
 * hashes into 1/64 of the hash space (DUPLICATE_SHARE_MASK), grouped by the key, and how many rows beyond the first
 * of each. A seeded RAND() in scan order picked other rows whenever the same rows were loaded in another order (a
 * parallel load, a table without a primary key), and a share sized from the server's row estimate moved with the
 * pages ANALYZE read: the same seed gave different gate lines. Every row holding a picked key is picked with it, so a repeat among them
 * is always seen, in one scan with no temporary table (the former sample took a scan plus an indexed join of the
 * whole table). CRC32 rather than MD5: a scan of 600k rows pays ~0.1 CPU-s for it against ~0.7 s; the pick only has
 * to be fixed and about the share, and a key the check misses is still proven by finalize's ALTER. Null when the
 * query fails; the caller then counts in full.
 */
export async function spotCheckDuplicates(
  session: MysqlSession,
  database: string,
  check: Extract<IntegrityCheck, { kind: 'duplicate' }>,
): Promise<{ checked: number; violations: number } | null> {
  const cols = check.columns.map(qi);
  // QUOTE gives each value one text form; CONCAT_WS keeps ('a,b', 'c') apart from ('a', 'b,c').
  const picked = `CRC32(CONCAT_WS(',', ${cols.map((c) => `QUOTE(${c})`).join(', ')})) & ${DUPLICATE_SHARE_MASK} = 0`;
  try {
    const [row] = await session.query<{ checked: string | number | null; n: string | number | null }>(
      `SELECT COALESCE(SUM(n), 0) AS checked, COALESCE(SUM(n - 1), 0) AS n
         FROM (SELECT COUNT(*) AS n FROM ${qt(database, check.table.name)}
                WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')} AND ${picked} GROUP BY ${cols.join(', ')}) d`,
    );
    return { checked: Number(row?.checked ?? 0), violations: Number(row?.n ?? 0) };
  } catch {
    return null;
  }
}

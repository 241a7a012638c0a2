/**
 * MySQL/MariaDB partitioning as the neutral `Partitioning` (the DDL itself is the PARTITION BY clause kept in
 * `Table.storage`). Generation reads it to keep each row inside a partition (generation/partition-fit.ts): a row
 * whose RANGE or LIST value no partition takes is an error on insert, and a key that includes the partition column
 * only because MySQL demands it there makes that column an attribute (metadata.partitionOnlyKeyColumn). The bounds
 * are therefore written as PostgreSQL writes them — `FROM (2000) TO (2010)`, `IN (1,5)`, `DEFAULT` — which is the
 * form those readers parse.
 */
import { SynthError } from '../../errors.js';
import type { Column, Partitioning, Table } from '../../schema/model.js';
import type { MysqlSession } from './mysql-session.js';

export interface PartitionRow {
  TABLE_SCHEMA: string;
  TABLE_NAME: string;
  PARTITION_NAME: string;
  PARTITION_METHOD: string;
  PARTITION_EXPRESSION: string | null;
  PARTITION_DESCRIPTION: string | null;
}

/** information_schema.PARTITIONS of the partitioned tables of `databases`, one row per partition (not subpartition). */
export async function partitionRows(session: MysqlSession, databases: string[]): Promise<PartitionRow[]> {
  const inList = databases.map(() => '?').join(', ');
  return session.query<PartitionRow>(
    `SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME, PARTITION_NAME, PARTITION_METHOD, PARTITION_EXPRESSION, PARTITION_DESCRIPTION, PARTITION_ORDINAL_POSITION
       FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA IN (${inList}) AND PARTITION_NAME IS NOT NULL
      ORDER BY TABLE_SCHEMA, TABLE_NAME, PARTITION_ORDINAL_POSITION`,
    databases,
  );
}

/** A column name as partition-fit's key parser reads it: bare when lower-case, else double-quoted. */
const keyName = (name: string) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);

const DAY_MS = 86_400_000;
/** TO_DAYS('1970-01-01'). */
const TO_DAYS_EPOCH = 719_528;

/**
 * Functions of a date column that MySQL's manual partitions by, with the column value each bound stands for:
 * YEAR(d) < 2020 exactly when d < '2020-01-01', TO_DAYS(d) < n when d < FROM_DAYS(n), UNIX_TIMESTAMP(t) < n when
 * t < FROM_UNIXTIME(n) (UTC), for DATE and DATETIME alike.
 */
const DATE_FUNCTIONS: Record<string, (n: number) => string> = {
  year: (n) => `'${String(n).padStart(4, '0')}-01-01'`,
  to_days: (n) => `'${new Date((n - TO_DAYS_EPOCH) * DAY_MS).toISOString().slice(0, 10)}'`,
  unix_timestamp: (n) => `'${new Date(n * 1000).toISOString().slice(0, 19).replace('T', ' ')}'`,
};

/**
 * The table's partitioning from its rows of information_schema.PARTITIONS (in ordinal order), or null for system
 * versioning. A RANGE on `YEAR(col)`, `TO_DAYS(col)` or `UNIX_TIMESTAMP(col)` of a date column becomes a RANGE on the
 * column with dates as bounds; other expressions keep their text as the key, which generation leaves alone (without a
 * catch-all partition the plan refuses the table: unfittedPartitioning).
 */
export function partitioningOf(rows: PartitionRow[], columns: Column[]): Partitioning | null {
  const first = rows[0];
  if (!first) return null;
  const method = first.PARTITION_METHOD.toUpperCase();
  const strategy = /HASH|KEY/.test(method) ? 'hash' : method.startsWith('RANGE') ? 'range' : method.startsWith('LIST') ? 'list' : null;
  if (strategy === null) return null;
  const expression = (first.PARTITION_EXPRESSION ?? '').trim();
  const plain = /^`((?:[^`]|``)+)`$/.exec(expression);
  const call = /^(\w+)\(`((?:[^`]|``)+)`\)$/.exec(expression);
  const convert = call && strategy === 'range' ? DATE_FUNCTIONS[call[1]!.toLowerCase()] : undefined;
  const dateColumn = convert ? columns.find((c) => c.name === call![2]!.replace(/``/g, '`') && (c.type.kind === 'date' || c.type.kind === 'timestamp')) : undefined;
  const key = plain ? keyName(plain[1]!.replace(/``/g, '`')) : dateColumn ? keyName(dateColumn.name) : expression;
  const bound = (d: string) => (dateColumn && convert && /^-?\d+$/.test(d) ? convert(Number(d)) : d);
  let lower = 'MINVALUE';
  const partitions = rows.map((r) => {
    const d = (r.PARTITION_DESCRIPTION ?? '').trim();
    let text: string;
    if (strategy === 'hash') text = '';
    else if (d.toUpperCase() === 'DEFAULT') text = 'DEFAULT';
    else if (strategy === 'list') text = `IN (${d})`;
    else {
      text = `FROM (${lower}) TO (${bound(d)})`;
      lower = bound(d);
    }
    return { schema: r.TABLE_SCHEMA, name: r.PARTITION_NAME, bound: text };
  });
  return { strategy, key, partitions };
}

/** A value of the partition column: an integer, or a date as days since 1970-01-01. */
interface ColumnDomain {
  lo: number;
  hi: number;
  /** The SQL the expression reads in place of the column, with one `?` parameter. */
  placeholder: string;
  param: (v: number) => number | string;
  literal: (v: number) => string;
}

const isoDay = (days: number) => new Date(days * DAY_MS).toISOString().slice(0, 10);

function domainOf(column: Column): ColumnDomain | null {
  const t = column.type;
  const int = (lo: number, hi: number): ColumnDomain => ({ lo, hi, placeholder: 'CAST(? AS SIGNED)', param: (v) => v, literal: (v) => String(v) });
  if (t.kind === 'integer') {
    const bits = t.bytes * 8;
    const lo = t.unsigned ? 0 : Math.max(-(2 ** (bits - 1)), Number.MIN_SAFE_INTEGER);
    return int(lo, Math.min((t.unsigned ? 2 ** bits : 2 ** (bits - 1)) - 1, Number.MAX_SAFE_INTEGER));
  }
  if (t.kind === 'year') return int(1901, 2155);
  if (t.kind === 'date') {
    const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
    return { lo: day('1000-01-01'), hi: day('9999-12-31'), placeholder: 'CAST(? AS DATE)', param: isoDay, literal: (v) => `'${isoDay(v)}'` };
  }
  return null;
}

/** Points of a monotonic check: evenly spaced over [lo, hi], both ends included. */
const MONOTONE_POINTS = 65;

/**
 * A RANGE partitioning on an expression of one integer, YEAR or DATE column (`y + 0`, `x DIV 10`, `TO_DAYS(d) - 737790`)
 * and with no MAXVALUE partition, as a RANGE on the column itself: the bound of each partition is the
 * least column value the server maps at or above the partition's LESS THAN value, found by binary search with the
 * server evaluating the expression. That holds for an expression that never decreases as the column grows, so it is
 * checked: on evenly spaced values of the column, and on the source's own rows (each must lie within its partition's
 * bounds). Null when the expression is not of that kind (the table then keeps the expression as its key, and without a
 * catch-all partition the plan refuses it: unfittedPartitioning).
 */
export async function columnRangeOfExpression(session: MysqlSession, rows: PartitionRow[], columns: Column[], partitioning: Partitioning): Promise<Partitioning | null> {
  const first = rows[0];
  if (!first || partitioning.strategy !== 'range' || singleColumnKey(partitioning.key)) return null;
  const bounds = rows.map((r) => (r.PARTITION_DESCRIPTION ?? '').trim());
  if (bounds.some((b) => !/^-?\d+$/.test(b))) return null; // MAXVALUE: every value has a partition.
  const expression = (first.PARTITION_EXPRESSION ?? '').trim();
  const named = new Set([...expression.matchAll(/`((?:[^`]|``)+)`/g)].map((m) => m[1]!.replace(/``/g, '`')));
  if (named.size !== 1) return null;
  const column = columns.find((c) => c.name === [...named][0]);
  const domain = column ? domainOf(column) : undefined;
  if (!column || !domain) return null;
  const sql = expression.replace(/`((?:[^`]|``)+)`/g, domain.placeholder);
  const evaluate = async (vs: number[]): Promise<Array<number | null>> => {
    const [row] = await session.query<Record<string, unknown>>(`SELECT ${vs.map((_, i) => `(${sql}) AS v${i}`).join(', ')}`, vs.map(domain.param));
    return vs.map((_, i) => {
      const v = row?.[`v${i}`];
      return v === null || v === undefined ? null : Number(v);
    });
  };
  const points = Array.from({ length: MONOTONE_POINTS }, (_, i) => Math.round(domain.lo + ((domain.hi - domain.lo) * i) / (MONOTONE_POINTS - 1)));
  const sampled = await evaluate(points);
  for (let i = 1; i < sampled.length; i++) {
    const a = sampled[i - 1]!;
    const b = sampled[i]!;
    if (a === null || b === null || Number.isNaN(a) || Number.isNaN(b) || b < a) return null;
  }
  // The least column value whose expression is at or above `bound`; hi + 1 when none is (every value lies below).
  const least = async (bound: number): Promise<number> => {
    let lo = domain.lo;
    let hi = domain.hi + 1;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const [v] = await evaluate([mid]);
      if (v !== null && v! >= bound) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const limits: number[] = [];
  for (const b of bounds) limits.push(await least(Number(b)));
  // Every source row must lie within its partition's bounds on the column.
  const col = `\`${column.name.replace(/`/g, '``')}\``;
  const table = `\`${first.TABLE_SCHEMA.replace(/`/g, '``')}\`.\`${first.TABLE_NAME.replace(/`/g, '``')}\``;
  for (let i = 0; i < rows.length; i++) {
    const outside = [...(i > 0 ? [`${col} < ${domain.literal(limits[i - 1]!)}`] : []), ...(limits[i]! <= domain.hi ? [`${col} >= ${domain.literal(limits[i]!)}`] : [])];
    if (outside.length === 0) continue;
    const [n] = await session.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table} PARTITION (\`${rows[i]!.PARTITION_NAME.replace(/`/g, '``')}\`) WHERE ${outside.join(' OR ')}`);
    if (Number(n?.n ?? 0) > 0) return null;
  }
  let lower = 'MINVALUE';
  const partitions = rows.map((r, i) => {
    const upper = limits[i]! > domain.hi ? 'MAXVALUE' : domain.literal(limits[i]!);
    const bound = `FROM (${lower}) TO (${upper})`;
    lower = upper;
    return { schema: r.TABLE_SCHEMA, name: r.PARTITION_NAME, bound };
  });
  return { strategy: 'range', key: keyName(column.name), partitions };
}

/** Whether a partitioning key (as partitioningOf writes it) is a column rather than an expression. */
function singleColumnKey(key: string): boolean {
  return /^[a-z_][a-z0-9_$]*$/.test(key) || /^"(?:[^"]|"")+"$/.test(key);
}

/**
 * Whether generated rows of `table` may fit none of its partitions: a RANGE or LIST whose key is still an expression
 * after introspection (partitioningOf and columnRangeOfExpression turn every kind generation can fit into a column),
 * with no catch-all partition (VALUES LESS THAN MAXVALUE, DEFAULT). Generation keeps values inside the partitions only
 * for a column key (generation/partition-fit.ts); for any other the server rejects the first row that fits none.
 */
export function unfittedPartitioning(table: Table): boolean {
  const p = table.partitioning;
  if (!p || p.strategy === 'hash' || singleColumnKey(p.key)) return false;
  return !p.partitions.some((x) => /^\s*DEFAULT\s*$/i.test(x.bound) || /TO\s*\(\s*MAXVALUE\s*\)\s*$/i.test(x.bound));
}

/** `PARTITION BY LIST (`k` MOD 7)`: the clause the messages name. */
export function partitionClause(table: Table): string {
  const p = table.partitioning;
  return p ? `PARTITION BY ${p.strategy.toUpperCase()} (${p.key})` : 'its partitioning';
}

/** What to do about a table whose partitioning synth cannot keep its rows inside (the plan's and the load's hint). */
export function unfittedPartitionFixes(table: Table): string {
  return (
    `synth keeps generated values inside the partitions only for a key that is a column, YEAR/TO_DAYS/UNIX_TIMESTAMP of a date column, or an expression of one integer or date column that never decreases; ` +
    `this one is none of those. Skip the table (tables.${table.name}.skip: true), copy it verbatim if it holds no personal data (tables.${table.name}.mode: 'copy'), ` +
    `or give the source table a catch-all partition (VALUES LESS THAN MAXVALUE, or DEFAULT for LIST).`
  );
}

/**
 * The plan's refusal of a table `unfittedPartitioning` holds for, on a MySQL target (which recreates the source's
 * partitions): refused before anything is written, where the load would fail only after generating it.
 */
export function unfittedPartitionError(table: Table, target: string): SynthError | null {
  if (!unfittedPartitioning(table)) return null;
  return new SynthError(
    'IMPOSSIBLE_CONSTRAINT',
    `${table.name}: generated rows may fit no partition of ${partitionClause(table)}, so loading it into ${target} would fail.`,
    { table: table.name, hint: `${unfittedPartitionFixes(table)} Nothing was written.` },
  );
}

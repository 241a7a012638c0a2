/**
 * MySQL/MariaDB partitioning as the neutral `Partitioning` (the DDL itself is the PARTITION BY clause kept in
 * `Table.storage`). Generation reads it to keep each row inside a partition (generation/partition-fit.ts): a row
 * whose RANGE or LIST value no partition takes is an error on insert, and a key that includes the partition column
 * only because MySQL demands it there makes that column an attribute (metadata.partitionOnlyKeyColumn). The bounds
 * are therefore written as PostgreSQL writes them — `FROM (2000) TO (2010)`, `IN (1,5)`, `DEFAULT` — which is the
 * form those readers parse.
 */
import type { Column, Partitioning } from '../../schema/model.js';
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
 * column with dates as bounds; other expressions keep their text as the key, which generation leaves alone (the load
 * then names the table of a row that fits no partition).
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

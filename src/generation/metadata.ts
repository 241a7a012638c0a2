/**
 * Column roles, decided from the schema first (keys, declared types) and the sample second (cardinality).
 */
import type { Column, Table } from '../schema/model.js';
import type { Value } from '../schema/values.js';
import type { ColumnMeta, ColumnRole, TableSample } from './model.js';
import { singleKeyColumn } from './partition-fit.js';

/** Columns whose values the key assigner produces: PK, UNIQUE, FK and database-assigned columns. */
export function keyColumnNames(table: Table): Set<string> {
  const out = new Set<string>();
  for (const c of table.primaryKey?.columns ?? []) out.add(c);
  for (const u of table.uniques) for (const c of u.columns) out.add(c);
  for (const fk of table.foreignKeys) for (const c of fk.columns) out.add(c);
  for (const c of table.columns) if (c.autoIncrement !== null) out.add(c.name);
  const partitionColumn = partitionOnlyKeyColumn(table);
  if (partitionColumn !== null) out.delete(partitionColumn);
  return out;
}

/**
 * PostgreSQL makes every PK/UNIQUE of a partitioned table include the partition key, so `(id, logdate)` is a key only
 * because of the partitioning. When each such key has another column that is distinct on its own (not an FK), the
 * partition column is an ordinary attribute: drawn from its learned distribution instead of a run of distinct key
 * values (a run of distinct dates spills past the last partition; distinct regions do not exist in a LIST).
 */
export function partitionOnlyKeyColumn(table: Table): string | null {
  if (!table.partitioning) return null;
  const name = singleKeyColumn(table.partitioning.key);
  const col = name === null ? undefined : table.columns.find((c) => c.name === name);
  if (!col || col.autoIncrement !== null || col.generated !== null) return null;
  const fkColumns = new Set(table.foreignKeys.flatMap((f) => f.columns));
  if (fkColumns.has(col.name)) return null;
  const keys = [...(table.primaryKey ? [table.primaryKey.columns] : []), ...table.uniques.map((u) => u.columns)].filter((k) => k.includes(col.name));
  const covered = keys.every((k) => k.some((c) => c !== col.name && !fkColumns.has(c)));
  return keys.length > 0 && covered ? col.name : null;
}

/**
 * Columns a sequence numbers without a UNIQUE to say so: `invoice_no bigint DEFAULT nextval('invoice_no_seq')` whose
 * sampled values are all distinct. An application treats such a number as an identifier (looks an invoice up by
 * it), so it is generated as a key, distinct on every row (role `unique`: no model draws it, the copy filters do not
 * nudge it), and finalize moves the sequence past it. A sequence column that repeats in the sample (a shared batch
 * number) stays an attribute.
 */
export function sequenceIdentifierColumns(table: Table, sample: TableSample): string[] {
  return table.columns.filter((c) => isSequenceIdentifier(table, c, columnValues(sample, c.name))).map((c) => c.name);
}

/**
 * The candidates, from the schema alone: a column with a `nextval(…)` default that no PK, UNIQUE, FK or
 * auto-increment already makes a key. Under `privacy` every one of them is an identifier (the default says so by
 * itself; checking the values for repeats would be a release): `dataFreeKeyStats` in dp-fit.ts.
 */
export function sequenceColumns(table: Table): Column[] {
  return table.columns.filter((c) => isSequenceColumn(table, c));
}

function isSequenceColumn(table: Table, column: Column): boolean {
  if (column.generated !== null || column.default === null || !/\bnextval\s*\(/i.test(column.default)) return false;
  // Types a run of distinct key values exists for (a boolean fed by a sequence is no identifier).
  if (!['integer', 'decimal', 'text'].includes(column.type.kind)) return false;
  return !keyColumnNames(table).has(column.name) && partitionOnlyKeyColumn(table) !== column.name;
}

/** Non-NULL sampled values and how many of them are distinct: a sequence column is an identifier when all are. */
export function sequenceDistinctness(values: readonly Value[]): { values: number; distinct: number; identifier: boolean } {
  const nonNull = values.filter((v) => v !== null);
  const distinct = valueCounts(nonNull).size;
  return { values: nonNull.length, distinct, identifier: nonNull.length >= 2 && distinct === nonNull.length };
}

function isSequenceIdentifier(table: Table, column: Column, values: readonly Value[]): boolean {
  return isSequenceColumn(table, column) && sequenceDistinctness(values).identifier;
}

/** Writable attribute columns under `privacy`: sequence columns are keys there (`sequenceColumns`), never released. */
export function dpAttributeColumns(table: Table): Column[] {
  const sequenced = new Set(sequenceColumns(table).map((c) => c.name));
  return attributeColumns(table).filter((c) => !sequenced.has(c.name));
}

/** Writable columns the attribute model produces, in table order. */
export function attributeColumns(table: Table): Column[] {
  const keys = keyColumnNames(table);
  return table.columns.filter((c) => c.generated === null && !keys.has(c.name));
}

export function columnValues(sample: TableSample, column: string): Value[] {
  const i = sample.columns.indexOf(column);
  if (i < 0) return [];
  return sample.rows.map((r) => (r[i] === undefined ? null : (r[i] as Value)));
}

/** Stable identity for counting distinct values of any neutral type. */
export function valueKey(v: Value): string {
  if (v === null) return '\u0000null';
  if (typeof v === 'bigint') return `n:${v}`;
  if (v instanceof Uint8Array) return `b:${Buffer.from(v).toString('hex')}`;
  // A bigint inside a json value would make JSON.stringify throw.
  if (typeof v === 'object') return `j:${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))}`;
  return `${typeof v}:${String(v)}`;
}

/** Few distinct values relative to the sample: modelled as categories rather than a continuous/free domain. */
export function isLowCardinality(distinct: number, nonNull: number): boolean {
  if (nonNull === 0) return true;
  return distinct <= 20 ? distinct <= Math.max(2, nonNull * 0.5) : distinct <= 50 && distinct <= nonNull * 0.1;
}

/**
 * Fewest times a category value must occur in the sample to be emitted verbatim. A value seen once names its row
 * (the one customer from Hungary); 2 is the least that rules that out while keeping a small table's menu (chinook's
 * 59 customers keep 9 of their 24 countries at 2, only 6 at 3).
 */
export const MIN_CATEGORY_COUNT = 2;

/** How many times each distinct non-null value occurs. */
export function valueCounts(nonNull: readonly Value[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of nonNull) {
    const k = valueKey(v);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** Share of the rows whose value occurs at least MIN_CATEGORY_COUNT times: how much of the column is a menu. */
export function repeatedShare(counts: ReadonlyMap<string, number>, nonNull: number): number {
  if (nonNull === 0) return 0;
  let rows = 0;
  for (const n of counts.values()) if (n >= MIN_CATEGORY_COUNT) rows += n;
  return rows / nonNull;
}

/**
 * Text whose rows mostly repeat a value is a category even when it has many distinct values for its size: a
 * 59-customer table's 24 countries (three quarters of the rows in a country seen twice or more) are a menu, where
 * names, emails and addresses are mostly unique. Drawing the latter as categories would copy them; drawing the former
 * as text invents countries.
 */
export function isRepeatedCategory(counts: ReadonlyMap<string, number>, nonNull: number): boolean {
  return counts.size <= MAX_REPEATED_CATEGORIES && nonNull >= 2 * MIN_CATEGORY_COUNT && repeatedShare(counts, nonNull) >= 0.5;
}

/** Beyond this many distinct values a repeating column is left to the text profile (the baseline keeps 1000 at most). */
const MAX_REPEATED_CATEGORIES = 1000;

/**
 * A decimal or float that takes a handful of values (prices 0.99/1.99, discounts 0.00-0.10) is a menu: a
 * continuous model would put rows between them, and the copy filters' nudges would move 0.99 to 1.01.
 */
export function isNumericMenu(counts: ReadonlyMap<string, number>, nonNull: number): boolean {
  return counts.size <= MAX_NUMERIC_MENU && nonNull >= 20 && repeatedShare(counts, nonNull) >= 0.9;
}

const MAX_NUMERIC_MENU = 12;

/** `personal`: the PII scan found the column personal; its repeated values (a demo's last names) are no menu to copy. */
function roleFor(table: Table, column: Column, values: Value[], personal: boolean): ColumnRole {
  const keyed = partitionOnlyKeyColumn(table) !== column.name;
  if (keyed && table.primaryKey?.columns.includes(column.name) && !table.foreignKeys.some((f) => f.columns.includes(column.name)))
    return 'primary-key';
  if (table.foreignKeys.some((f) => f.columns.includes(column.name))) return 'foreign-key';
  if ((keyed && table.uniques.some((u) => u.columns.includes(column.name))) || column.autoIncrement !== null) return 'unique';
  if (isSequenceIdentifier(table, column, values)) return 'unique';
  const nonNull = values.filter((v) => v !== null);
  const counts = valueCounts(nonNull);
  const distinct = counts.size;
  const t = column.type;
  if (nonNull.length > 0 && distinct === 1 && nonNull.length >= 2) return 'constant';
  if (nonNull.length === 0) return 'constant';
  switch (t.kind) {
    case 'boolean':
      return 'boolean';
    case 'enum':
    case 'set':
      return 'categorical';
    case 'integer':
      return distinct <= 5 && nonNull.length >= 20 ? 'categorical' : 'numerical';
    case 'decimal':
    case 'float':
    case 'money':
      return isNumericMenu(counts, nonNull.length) ? 'categorical' : 'numerical';
    case 'date':
    case 'time':
    case 'timestamp':
    case 'year':
      return 'datetime';
    case 'text':
    case 'bit':
    case 'interval':
      return isLowCardinality(distinct, nonNull.length) || (!personal && isRepeatedCategory(counts, nonNull.length)) ? 'categorical' : 'text';
    case 'uuid':
      return 'text';
    case 'json':
    case 'array':
    case 'geometry':
    case 'binary':
    case 'network':
    case 'tsvector':
    case 'xml':
    case 'unsupported':
      return 'structured';
  }
}

export function describeColumns(table: Table, sample: TableSample): ColumnMeta[] {
  return table.columns.map((c) => ({
    table: { schema: table.schema, name: table.name },
    column: c.name,
    role: roleFor(table, c, columnValues(sample, c.name), sample.piiKinds?.[c.name] !== undefined),
  }));
}

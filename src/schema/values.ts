/**
 * Neutral row values, the currency between readers, generators and writers. Each connector converts
 * between these and its wire format; nothing else knows a dialect's value syntax.
 *
 * | NeutralType kind            | JS value                                         |
 * |-----------------------------|--------------------------------------------------|
 * | integer                     | number, or bigint outside ±2^53                  |
 * | decimal, money              | string, e.g. "12.50" (exact)                     |
 * | float                       | number                                           |
 * | boolean                     | boolean                                          |
 * | text, enum, uuid, xml       | string                                           |
 * | network, tsvector, interval | string in PostgreSQL text form                   |
 * | bit                         | string of 0/1                                    |
 * | binary                      | Uint8Array                                       |
 * | date                        | string 'YYYY-MM-DD'                              |
 * | time                        | string 'HH:MM:SS[.ffffff]'                       |
 * | timestamp                   | string 'YYYY-MM-DD HH:MM:SS[.ffffff]'; with time zone always UTC, suffixed '+00' |
 * | year                        | number                                           |
 * | json                        | any JSON value (parsed)                          |
 * | set                         | string[]                                         |
 * | array                       | array of the element's values (nested for multi-dimensional) |
 * | geometry                    | string, WKT                                      |
 * | NULL                        | null                                             |
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type Value =
  | null
  | number
  | bigint
  | string
  | boolean
  | Uint8Array
  | JsonValue
  | Value[];

/** One row: values in the order of the `columns` list that travels with the batch. */
export type Row = Value[];

/** A batch of rows for one table, columns named once. */
export interface RowBatch {
  columns: string[];
  rows: Row[];
}

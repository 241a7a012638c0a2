/**
 * The name a table's random streams are seeded under. Seeding by `schema.table` made MySQL output depend on the
 * source database's name (MySQL's schema is the database): app_prod and its copy app_copy gave other rows for the
 * same seed. The source's default schema (MySQL: the URL's database; PostgreSQL: `public`) is therefore seeded as
 * one fixed token, PostgreSQL's own `public`, so PostgreSQL output stays as it was and a MySQL source seeds its
 * tables as the same tables in PostgreSQL's `public` would. Tables of other schemas stay qualified.
 */
import type { DatabaseSchema, TableRef } from '../schema/model.js';

/** What the default schema is seeded as. */
export const DEFAULT_SEED_SCHEMA = 'public';

/**
 * `public.orders` for `orders` of the source's default schema, `schema.table` otherwise. `source` is the
 * introspected schema (its `defaultSchema`); without one (a schema stored before it was recorded) the table stays
 * qualified, as it was seeded then.
 */
export function seedScope(source: Pick<DatabaseSchema, 'defaultSchema'> | undefined, table: TableRef): string {
  const schema = source?.defaultSchema !== undefined && table.schema === source.defaultSchema ? DEFAULT_SEED_SCHEMA : table.schema;
  return `${schema}.${table.name}`;
}

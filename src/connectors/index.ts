/** Opens the right connector for a connection URL. Dialect modules load lazily so one dialect's driver never loads for the other. */
import { canonicalConnectionUrl, parseConnectionUrl } from './connection-url.js';
import type { SynthError } from '../errors.js';
import type { DatabaseSchema, Dialect, Table } from '../schema/model.js';
import type { SourceConnector, TargetConnector } from './connector.js';
import { unfittedPartitionError } from './mysql/mysql-partitions.js';
import { unfittedPgPartitionError } from './postgres/postgres-partitions.js';

export function dialectOf(url: string): Dialect | 'pglite' {
  return parseConnectionUrl(url).dialect;
}

/**
 * Why a target of `dialect` could not hold the generated rows of `table`, known from the schema alone (a plan-time
 * refusal), or null. A MySQL target recreates a MySQL source's partitions, and generation cannot keep rows inside
 * every kind of them (mysql-partitions.ts); other targets leave MySQL partitioning out. PostgreSQL and PGlite targets
 * recreate a PostgreSQL source's partitions, and generation fits only a key of one column (postgres-partitions.ts).
 */
export function unloadableTable(schema: DatabaseSchema, table: Table, dialect: Dialect | 'pglite', target: string): SynthError | null {
  if (schema.dialect === 'postgres') return dialect === 'mysql' ? null : unfittedPgPartitionError(table, target);
  return schema.dialect === 'mysql' && dialect === 'mysql' ? unfittedPartitionError(table, target) : null;
}

export async function openSource(given: string): Promise<SourceConnector> {
  const url = canonicalConnectionUrl(given, { what: 'the source URL' });
  const dialect = dialectOf(url);
  if (dialect === 'mysql') return (await import('./mysql/index.js')).openMysqlSource(url);
  if (dialect === 'pglite') return (await import('./pglite/index.js')).openPgliteSource(url);
  return (await import('./postgres/index.js')).openPostgresSource(url);
}

export async function openTarget(given: string): Promise<TargetConnector> {
  const url = canonicalConnectionUrl(given, { what: 'the target URL' });
  const dialect = dialectOf(url);
  if (dialect === 'mysql') return (await import('./mysql/index.js')).openMysqlTarget(url);
  if (dialect === 'pglite') return (await import('./pglite/index.js')).openPgliteTarget(url);
  return (await import('./postgres/index.js')).openPostgresTarget(url);
}

/** MySQL 8 / MariaDB 10.11 connector: the database in the URL is the namespace. */
import type { CheckConstraint, DatabaseSchema, ForeignKey, Table, TableRef } from '../../schema/model.js';
import type { RowBatch } from '../../schema/values.js';
import type {
  IntegrityCheck,
  IntegrityCount,
  LoadProgress,
  ReadOptions,
  Shadow,
  SourceConnector,
  SwapResult,
  TargetConnector,
  TypeMappingNote,
  UpdateBatch,
} from '../connector.js';
import { SynthError } from '../../errors.js';
import { type MysqlSession, openSession, serverIdentity } from './mysql-session.js';
import { introspectMysql } from './mysql-introspect.js';
import { checksumOf, childCountHistogramIn, countRowsIn, streamRows } from './mysql-read.js';
import { MysqlWriter, type WriteOptions } from './mysql-write.js';
import { MysqlShadows } from './mysql-shadow.js';
import { countViolationsIn } from './mysql-validate.js';
import { repairCheckIn } from './mysql-repair.js';
import { mappingNotes } from './mysql-ddl.js';

export type { WriteOptions as MysqlTargetOptions } from './mysql-write.js';
export { parseMysqlUrl } from './mysql-session.js';
export { shadowDatabaseName, backupDatabaseName } from './mysql-shadow.js';

async function requireDatabase(session: MysqlSession, database: string, displayUrl: string): Promise<void> {
  const rows = await session.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
  if (rows.length === 0) {
    await session.close();
    throw new SynthError('CONNECTION_FAILED', `Database ${database} does not exist on ${displayUrl}`, {
      hint: 'Check the database name in the URL (MySQL names are case-sensitive on Linux).',
    });
  }
}

export async function openMysqlSource(url: string): Promise<SourceConnector> {
  const session = await openSession(url, true, 'the MySQL source');
  const database = session.url.database;
  await requireDatabase(session, database, session.url.displayUrl);
  // Tables live in the database named by Table.schema (the URL's database unless introspected otherwise).
  const dbOf = (t: TableRef) => t.schema || database;
  return {
    dialect: 'mysql',
    displayUrl: session.url.displayUrl,
    introspect: (options?: { schemas?: string[] }) => introspectMysql(session, options?.schemas ?? [database]),
    countRows: (table: TableRef) => countRowsIn(session, dbOf(table), table.name),
    readRows: (table: Table, options: ReadOptions): AsyncIterable<RowBatch> => streamRows(session, dbOf(table), table, options),
    childCountHistogram: (child: Table, fk: ForeignKey) => childCountHistogramIn(session, dbOf(child), child, fk, fk.references.schema || database),
    identity: () => serverIdentity(session, database),
    checksum: (table: TableRef) => checksumOf(session, dbOf(table), table),
    close: () => session.close(),
  };
}

export async function openMysqlTarget(url: string, options: WriteOptions = {}): Promise<TargetConnector> {
  const session = await openSession(url, false, 'the MySQL target', { localInfile: options.localInfile !== false });
  const live = session.url.database;
  const writer = new MysqlWriter(session, options);
  const shadows = new MysqlShadows(session, live);
  // A target ignores Table.schema: every source namespace lands in the URL's database (or its shadow).
  const dbFor = (shadow: Shadow | null) => (shadow === null ? live : shadows.shadowDatabase(shadow));
  return {
    dialect: 'mysql',
    displayUrl: session.url.displayUrl,
    identity: () => serverIdentity(session, live),
    createShadow: (runId: string, schema: DatabaseSchema): Promise<Shadow> => shadows.create(runId, schema),
    load: (shadow: Shadow, table: Table, batches: AsyncIterable<RowBatch>, progress?: LoadProgress) =>
      writer.load(dbFor(shadow), table, batches, progress),
    update: (shadow: Shadow, table: Table, batches: AsyncIterable<UpdateBatch>) =>
      writer.update(dbFor(shadow), table, batches),
    countViolations: (shadow: Shadow, checks: IntegrityCheck[]): Promise<IntegrityCount[]> => countViolationsIn(session, dbFor(shadow), checks),
    repairCheck: (shadow: Shadow, table: Table, check: CheckConstraint, columns: string[]) =>
      check.origin === 'domain' ? Promise.resolve(0) : repairCheckIn(session, dbFor(shadow), table, check, columns),
    finalize: (shadow: Shadow, schema: DatabaseSchema): Promise<void> => shadows.finalize(shadow, schema),
    swap: (shadow: Shadow, schema: DatabaseSchema): Promise<SwapResult> => shadows.swap(shadow, schema),
    rollback: () => shadows.rollback(),
    dropShadow: (shadow: Shadow) => shadows.drop(shadow),
    listShadows: () => shadows.list(),
    countRows: (shadow: Shadow | null, table: TableRef) => countRowsIn(session, dbFor(shadow), table.name),
    readRows: (shadow: Shadow | null, table: Table, options: ReadOptions): AsyncIterable<RowBatch> => streamRows(session, dbFor(shadow), table, options),
    describeMapping: (schema: DatabaseSchema): TypeMappingNote[] => mappingNotes(schema),
    close: () => session.close(),
  };
}

/** MySQL 8 / MariaDB 10.11 connector: the database in the URL is the namespace. */
import type { CheckConstraint, DatabaseSchema, ForeignKey, Table, TableRef } from '../../schema/model.js';
import type { Row, RowBatch } from '../../schema/values.js';
import type {
  IntegrityCheck,
  IntegrityCount,
  LoadOptions,
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
import { checksumOf, childCountHistogramIn, countRowsIn, hierarchyLevelsIn, streamRows } from './mysql-read.js';
import { countChildrenByKeysIn, readRowsByKeysIn } from './mysql-keys.js';
import { MysqlWriter, type WriteOptions } from './mysql-write.js';
import { MysqlShadows } from './mysql-shadow.js';
import { mysqlUnitMarkers } from './mysql-unit-markers.js';
import { countViolationsIn } from './mysql-validate.js';
import { repairCheckIn } from './mysql-repair.js';
import { mysqlAggregateWriter } from './mysql-aggregates.js';
import { mappingNotes } from './mysql-ddl.js';
import { translateCheck, untranslatedCheckNote } from '../translate-check.js';
import { eventStatus, withEventStatus } from './mysql-objects.js';
import { carryOverNotes } from '../carry-over.js';

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
    hierarchyLevels: (table: Table, fk: ForeignKey) => hierarchyLevelsIn(session, dbOf(table), table, fk),
    readRowsByKeys: (table: Table, columns: string[], keyColumns: string[], keys: Row[]) => readRowsByKeysIn(session, dbOf(table), table, columns, keyColumns, keys),
    countChildrenByKeys: (child: Table, fk: ForeignKey, keys: Row[]) => countChildrenByKeysIn(session, dbOf(child), child, fk, keys),
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
  // The schema each shadow was created from, so CHECKs of another dialect can be translated with column types.
  const schemas = new Map<string, DatabaseSchema>();
  const inMysql = (shadow: Shadow, check: IntegrityCheck): IntegrityCheck | { skipped: string } => {
    if (check.kind !== 'check' || check.dialect === 'mysql') return check;
    const table = schemas.get(shadow.runId)?.tables.find((t) => t.schema === check.table.schema && t.name === check.table.name);
    if (!table) return { skipped: `CHECK ${check.constraint} is ${check.dialect} SQL and the schema of this shadow is unknown to this connection` };
    const translated = translateCheck(check.dialect, 'mysql', table, check);
    if (!translated.ok) return { skipped: untranslatedCheckNote({ name: check.constraint }, 'mysql', translated.reason) };
    return { ...check, expression: translated.sql, dialect: 'mysql' };
  };
  return {
    dialect: 'mysql',
    displayUrl: session.url.displayUrl,
    identity: () => serverIdentity(session, live),
    async createShadow(runId: string, schema: DatabaseSchema): Promise<Shadow> {
      const shadow = await shadows.create(runId, schema);
      schemas.set(runId, schema);
      return shadow;
    },
    load: (shadow: Shadow, table: Table, batches: AsyncIterable<RowBatch>, progress?: LoadProgress, options?: LoadOptions) =>
      writer.load(dbFor(shadow), table, batches, progress, undefined, options?.concurrent ?? false),
    update: (shadow: Shadow, table: Table, batches: AsyncIterable<UpdateBatch>) =>
      writer.update(dbFor(shadow), table, batches),
    unitMarkers: mysqlUnitMarkers(session, writer, dbFor),
    async countViolations(shadow: Shadow, checks: IntegrityCheck[]): Promise<IntegrityCount[]> {
      // Answers keep the order of the questions; each is reported against the question as asked (source dialect).
      const out: Array<IntegrityCount | null> = [];
      const asked: IntegrityCheck[] = [];
      const slots: number[] = [];
      for (const check of checks) {
        const translated = inMysql(shadow, check);
        if ('skipped' in translated) out.push({ check, violations: 0, skipped: translated.skipped });
        else {
          slots.push(out.length);
          out.push(null);
          asked.push(translated);
        }
      }
      const counts = await countViolationsIn(session, dbFor(shadow), asked, shadows.keyState(shadow.runId));
      counts.forEach((c, i) => (out[slots[i]!] = { ...c, check: checks[slots[i]!]! }));
      return out.filter((c): c is IntegrityCount => c !== null);
    },
    repairCheck(shadow: Shadow, table: Table, check: CheckConstraint, columns: string[]) {
      const dialect = schemas.get(shadow.runId)?.dialect ?? 'mysql';
      const translated = translateCheck(dialect, 'mysql', table, check);
      if (!translated.ok) return Promise.resolve(0);
      return repairCheckIn(session, dbFor(shadow), table, { ...check, expression: translated.sql }, columns);
    },
    aggregates: mysqlAggregateWriter(session, dbFor),
    buildKeys: (shadow: Shadow, schema: DatabaseSchema): Promise<string[]> => shadows.buildKeys(shadow, schema),
    finalize: (shadow: Shadow, schema: DatabaseSchema): Promise<void> => shadows.finalize(shadow, schema),
    async introspectShadow(shadow: Shadow): Promise<DatabaseSchema> {
      const read = await introspectMysql(session, [dbFor(shadow)]);
      // The shadow holds its events disabled (finalize); the swap gives them the source's status.
      const source = schemas.get(shadow.runId);
      for (const o of read.otherObjects) {
        if (o.kind !== 'event' || o.definition === null) continue;
        const planned = source?.otherObjects.find((x) => x.kind === 'event' && x.name === o.name)?.definition;
        const status = planned ? eventStatus(planned) : null;
        if (status !== null) o.definition = withEventStatus(o.definition, status);
      }
      return read;
    },
    swap: (shadow: Shadow, schema: DatabaseSchema): Promise<SwapResult> => shadows.swap(shadow, schema),
    rollback: () => shadows.rollback(),
    async dropShadow(shadow: Shadow) {
      await shadows.drop(shadow);
      schemas.delete(shadow.runId);
    },
    listShadows: () => shadows.list(),
    countRows: (shadow: Shadow | null, table: TableRef) => countRowsIn(session, dbFor(shadow), table.name),
    readRows: (shadow: Shadow | null, table: Table, options: ReadOptions): AsyncIterable<RowBatch> => streamRows(session, dbFor(shadow), table, options),
    childCountHistogram: (shadow: Shadow | null, child: Table, fk: ForeignKey) => childCountHistogramIn(session, dbFor(shadow), child, fk, dbFor(shadow)),
    readRowsByKeys: (shadow: Shadow | null, table: Table, columns: string[], keyColumns: string[], keys: Row[]) => readRowsByKeysIn(session, dbFor(shadow), table, columns, keyColumns, keys),
    countChildrenByKeys: (shadow: Shadow | null, child: Table, fk: ForeignKey, keys: Row[]) => countChildrenByKeysIn(session, dbFor(shadow), child, fk, keys),
    describeMapping: (schema: DatabaseSchema): TypeMappingNote[] => [...mappingNotes(schema), ...carryOverNotes(schema, 'mysql')],
    close: () => session.close(),
  };
}

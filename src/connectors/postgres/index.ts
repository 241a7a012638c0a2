/** PostgreSQL source and target connectors, built from the session-based modules of this folder. */
import type { IntegrityCheck, IntegrityCount, KeyState, ReadOptions, Shadow, SourceConnector, TargetConnector, TypeMappingNote, UpdateBatch } from '../connector.js';
import type { CheckConstraint, DatabaseSchema, ForeignKey, Table, TableRef } from '../../schema/model.js';
import type { Row, RowBatch } from '../../schema/values.js';
import { describeMapping, layoutFor, shadowOf, toShadowSql, type Layout } from './postgres-ddl.js';
import { introspectPostgres } from './postgres-introspect.js';
import { checksum, childCountHistogram, countRows, hierarchyLevels, identity, readRows, type Locate } from './postgres-read.js';
import { countChildrenByKeys, readRowsByKeys } from './postgres-keys.js';
import { displayUrl, openPgSession, parsePgUrl, type PgSession } from './postgres-session.js';
import * as shadowOps from './postgres-shadow.js';
import { repairCheck } from './postgres-repair.js';
import { pgAggregateWriter } from './postgres-aggregates.js';
import { countViolations, type ValidateContext } from './postgres-validate.js';
import { loadTable, updateTable } from './postgres-write.js';
import { pgUnitMarkers } from './postgres-unit-markers.js';
import { translateCheck, untranslatedCheckNote } from '../translate-check.js';
import { carryOverNotes } from '../carry-over.js';

export type { PgSession } from './postgres-session.js';

export async function openPostgresSource(url: string): Promise<SourceConnector> {
  parsePgUrl(url);
  const session = await openPgSession(url, { readOnly: true });
  return createPostgresSource(session, url);
}

export async function openPostgresTarget(url: string): Promise<TargetConnector> {
  const { schema } = parsePgUrl(url);
  const session = await openPgSession(url, { readOnly: false });
  return createPostgresTarget(session, url, schema ?? 'public');
}

/** A source over any PgSession (the session must be read-only; `openPostgresSource` makes it so). */
export function createPostgresSource(session: PgSession, url: string): SourceConnector {
  return {
    dialect: 'postgres',
    displayUrl: displayUrl(url),
    introspect: (options) => introspectPostgres(session, options),
    countRows: (table: TableRef) => countRows(session, table),
    readRows: (table: Table, options: ReadOptions) => readRows(session, table, options),
    childCountHistogram: (child: Table, fk: ForeignKey) => childCountHistogram(session, child, fk),
    hierarchyLevels: (table: Table, fk: ForeignKey) => hierarchyLevels(session, table, fk),
    readRowsByKeys: (table: Table, columns: string[], keyColumns: string[], keys: Row[]) => readRowsByKeys(session, table, columns, keyColumns, keys),
    countChildrenByKeys: (child: Table, fk: ForeignKey, keys: Row[]) => countChildrenByKeys(session, child, fk, keys),
    identity: () => identity(session, url),
    checksum: (table: TableRef) => checksum(session, table),
    close: () => session.close(),
  };
}

/** A target over any PgSession. MySQL-origin tables land in `defaultSchema`. */
export function createPostgresTarget(session: PgSession, url: string, defaultSchema: string): TargetConnector {
  // What createShadow was given, so later calls on the same run can resolve names, predicates and dialect.
  const runs = new Map<string, { layout: Layout; schema: DatabaseSchema; notes: string[]; keys?: KeyState; settings?: DatabaseSchema['databaseSettings'] }>();

  // The layout is a pure function of run id, schema and default schema, so another process can rebuild it.
  const layoutOf = (shadow: Shadow, schema?: DatabaseSchema): Layout =>
    runs.get(shadow.runId)?.layout ?? (schema ? layoutFor(shadow.runId, schema, defaultSchema) : shadowOps.shadowLayout(shadow));
  const locateIn = (shadow: Shadow): Locate => {
    const run = runs.get(shadow.runId);
    if (run) return (t) => shadowOf(run.layout, t.schema);
    // A shadow from another process: tables of a single namespace all live in it.
    const only = shadow.namespaces.length === 1 ? shadow.namespaces[0]!.shadow : null;
    return (t) => shadow.namespaces.find((n) => n.live === t.schema)?.shadow ?? only ?? t.schema;
  };
  const locateLive = async (): Promise<Locate> => {
    const rows = await session.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace`);
    const existing = new Set(rows.rows.map((r) => r.nspname));
    return (t) => (existing.has(t.schema) ? t.schema : defaultSchema);
  };

  const validateContext = (shadow: Shadow): ValidateContext => {
    const run = runs.get(shadow.runId);
    return {
      locate: locateIn(shadow),
      ...(run?.keys ? { keys: run.keys } : {}),
      rewrite: (sql) => toShadowSql(sql, layoutOf(shadow)),
      predicateOf: (t, constraint) => {
        if (!run || run.schema.dialect !== 'postgres') return null;
        const table = run.schema.tables.find((x) => x.schema === t.schema && x.name === t.name);
        return table?.uniques.find((u) => u.name === constraint)?.predicate ?? null;
      },
    };
  };

  const inPostgres = (shadow: Shadow, check: IntegrityCheck): IntegrityCheck | { skipped: string } => {
    if (check.kind !== 'check' || check.dialect === 'postgres') return check;
    const table = runs.get(shadow.runId)?.schema.tables.find((t) => t.schema === check.table.schema && t.name === check.table.name);
    if (!table) return { skipped: `CHECK ${check.constraint} is ${check.dialect} SQL and the schema of this shadow is unknown to this connection` };
    const translated = translateCheck(check.dialect, 'postgres', table, check);
    if (!translated.ok) return { skipped: untranslatedCheckNote({ name: check.constraint }, 'postgres', translated.reason) };
    return { ...check, expression: translated.sql, dialect: 'postgres' };
  };

  return {
    dialect: 'postgres',
    displayUrl: displayUrl(url),
    identity: () => identity(session, url),
    describeMapping: (schema) => [...describeMapping(schema), ...checkNotes(schema), ...carryOverNotes(schema, 'postgres')],
    async createShadow(runId, schema) {
      const { shadow, layout, notes, settings } = await shadowOps.createShadow(session, runId, schema, defaultSchema);
      runs.set(runId, { layout, schema, notes, ...(settings ? { settings } : {}) });
      return shadow;
    },
    load(shadow: Shadow, table: Table, batches: AsyncIterable<RowBatch>, progress) {
      return loadTable(session, locateIn(shadow)(table), table, batches, progress);
    },
    update(shadow: Shadow, table: Table, batches: AsyncIterable<UpdateBatch>) {
      return updateTable(session, locateIn(shadow)(table), table, batches);
    },
    unitMarkers: pgUnitMarkers(session, locateIn),
    aggregates: pgAggregateWriter(session, locateIn),
    async countViolations(shadow: Shadow, checks: IntegrityCheck[]) {
      // Answers keep the order of the questions; each is reported against the question as asked (source dialect).
      const out: Array<IntegrityCount | null> = [];
      const asked: IntegrityCheck[] = [];
      const slots: number[] = [];
      for (const check of checks) {
        const translated = inPostgres(shadow, check);
        if ('skipped' in translated) out.push({ check, violations: 0, skipped: translated.skipped });
        else {
          slots.push(out.length);
          out.push(null);
          asked.push(translated);
        }
      }
      const counts = await countViolations(session, asked, validateContext(shadow));
      counts.forEach((c, i) => (out[slots[i]!] = { ...c, check: checks[slots[i]!]! }));
      return out.filter((c): c is IntegrityCount => c !== null);
    },
    repairCheck(shadow: Shadow, table: Table, check: CheckConstraint, columns: string[]) {
      const dialect = runs.get(shadow.runId)?.schema.dialect ?? 'postgres';
      const translated = translateCheck(dialect, 'postgres', table, check);
      if (!translated.ok) return Promise.resolve(0);
      return repairCheck(session, table, { ...check, expression: translated.sql }, columns, validateContext(shadow));
    },
    async buildKeys(shadow: Shadow, schema: DatabaseSchema) {
      const run = runs.get(shadow.runId);
      // Only a shadow this connection created: its layout and schema name what finalize would build.
      if (!run) return [];
      const { keys, notes } = await shadowOps.buildKeys(session, run.layout, withTranslatedChecks(schema));
      run.keys = keys;
      return notes;
    },
    async finalize(shadow: Shadow, schema: DatabaseSchema) {
      const notes = await shadowOps.finalize(session, layoutOf(shadow, schema), withTranslatedChecks(schema), runs.get(shadow.runId)?.keys);
      const run = runs.get(shadow.runId);
      if (run) run.notes.push(...notes);
      else runs.set(shadow.runId, { layout: layoutOf(shadow, schema), schema, notes });
    },
    async introspectShadow(shadow: Shadow) {
      const read = await introspectPostgres(session, { schemas: shadow.namespaces.map((n) => n.shadow) });
      // The database's settings are the live database's until the swap sets them: compare what createShadow's check
      // read back after setting them (postgres-database-settings.ts).
      const settings = runs.get(shadow.runId)?.settings;
      return settings ? { ...read, databaseSettings: settings } : read;
    },
    async swap(shadow: Shadow, schema: DatabaseSchema) {
      const run = runs.get(shadow.runId);
      const result = await shadowOps.swap(session, shadow, layoutOf(shadow, schema), schema, run?.notes ?? []);
      runs.delete(shadow.runId);
      return result;
    },
    rollback: () => shadowOps.rollback(session),
    async dropShadow(shadow: Shadow) {
      await shadowOps.dropShadow(session, shadow);
      runs.delete(shadow.runId);
    },
    listShadows: () => shadowOps.listShadows(session),
    async countRows(shadow: Shadow | null, table: TableRef) {
      return countRows(session, table, shadow ? locateIn(shadow) : await locateLive());
    },
    async *readRows(shadow: Shadow | null, table: Table, options: ReadOptions) {
      yield* readRows(session, table, options, shadow ? locateIn(shadow) : await locateLive());
    },
    async childCountHistogram(shadow: Shadow | null, child: Table, fk: ForeignKey) {
      return childCountHistogram(session, child, fk, shadow ? locateIn(shadow) : await locateLive());
    },
    async countChildrenByKeys(shadow: Shadow | null, child: Table, fk: ForeignKey, keys: Row[]) {
      return countChildrenByKeys(session, child, fk, keys, shadow ? locateIn(shadow) : await locateLive());
    },
    async *readRowsByKeys(shadow: Shadow | null, table: Table, columns: string[], keyColumns: string[], keys: Row[]) {
      yield* readRowsByKeys(session, table, columns, keyColumns, keys, shadow ? locateIn(shadow) : await locateLive());
    },
    close: () => session.close(),
  };
}


/** CHECKs of another dialect that cannot be translated: lossy, named by table and constraint. */
function checkNotes(schema: DatabaseSchema): TypeMappingNote[] {
  if (schema.dialect === 'postgres') return [];
  const notes: TypeMappingNote[] = [];
  for (const table of schema.tables) {
    for (const c of table.checks) {
      const translated = translateCheck(schema.dialect, 'postgres', table, c);
      if (translated.ok) continue;
      notes.push({
        table: `${table.schema}.${table.name}`, column: c.columns[0] ?? '*', from: `CHECK ${c.name} (${c.expression})`, to: '(none)',
        severity: 'lossy', note: `${untranslatedCheckNote(c, 'postgres', translated.reason)}; validation skips it`,
      });
    }
  }
  return notes;
}

/** The schema finalize sees: CHECKs of another dialect in PostgreSQL SQL, the untranslatable ones left out. */
function withTranslatedChecks(schema: DatabaseSchema): DatabaseSchema {
  if (schema.dialect === 'postgres') return schema;
  return {
    ...schema,
    tables: schema.tables.map((table) => ({
      ...table,
      checks: table.checks.flatMap((c) => {
        const translated = translateCheck(schema.dialect, 'postgres', table, c);
        return translated.ok ? [{ ...c, expression: translated.sql }] : [];
      }),
    })),
  };
}

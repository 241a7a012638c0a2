/**
 * The validation gate: what must hold in the shadow before it may become live. This module decides *which*
 * questions to ask; each connector answers them in its own SQL (TargetConnector.countViolations).
 */
import type { IntegrityCheck, IntegrityCount, Shadow, TargetConnector } from '../connectors/connector.js';
import type { DatabaseSchema, Table } from '../schema/model.js';
import { tableKey } from '../schema/model.js';

export function integrityChecks(schema: DatabaseSchema): IntegrityCheck[] {
  const checks: IntegrityCheck[] = [];
  for (const table of schema.tables) checks.push(...tableChecks(table, schema));
  return checks;
}

function tableChecks(table: Table, schema: DatabaseSchema): IntegrityCheck[] {
  const ref = { schema: table.schema, name: table.name };
  const checks: IntegrityCheck[] = [];
  if (table.primaryKey) {
    checks.push({ kind: 'duplicate', table: ref, columns: table.primaryKey.columns, constraint: table.primaryKey.name, nullsDistinct: true });
  }
  for (const u of table.uniques) {
    // A partial unique index only constrains rows matching its predicate; the connector cannot check that generally.
    if (u.predicate !== null) continue;
    checks.push({ kind: 'duplicate', table: ref, columns: u.columns, constraint: u.name, nullsDistinct: u.nullsDistinct });
  }
  for (const c of table.columns) {
    if (!c.nullable && c.generated === null) checks.push({ kind: 'not-null', table: ref, column: c.name });
  }
  for (const fk of table.foreignKeys) checks.push({ kind: 'orphan', table: ref, foreignKey: fk });
  for (const ck of table.checks) {
    checks.push({ kind: 'check', table: ref, constraint: ck.name, expression: ck.expression, dialect: schema.dialect });
  }
  return checks;
}

export interface TableIntegrity {
  table: string;
  rows: number;
  orphans: number;
  duplicates: number;
  nullViolations: number;
  checkViolations: number;
  skipped: string[];
  failures: string[];
  /** Checks answered on a sample of this big table; finalize's unique indexes and foreign keys verify every row. */
  spotChecked?: string[];
  /** Keys proven on every row by building their unique index before the gate (TargetConnector.buildKeys). */
  byIndex?: string[];
}

/** One foreign key's orphans in the shadow (virtual ones included): what the quality report's referential integrity shows. */
export interface ForeignKeyIntegrity {
  table: string;
  foreignKey: string;
  columns: string[];
  parent: string;
  parentColumns: string[];
  orphans: number;
  /** Set when the gate could not count them. */
  skipped?: string;
  /** Child rows checked when a big table was spot-checked (the foreign key finalize adds checks the rest). */
  sampled?: number;
}

export interface IntegrityReport {
  ok: boolean;
  tables: TableIntegrity[];
  foreignKeys: ForeignKeyIntegrity[];
  totalViolations: number;
  /** Rows per table that were resampled because they violated a CHECK, before these counts were taken. */
  resampled?: Record<string, number>;
}

/** Counts every violation in the shadow and summarises them per table. */
export async function checkShadowIntegrity(
  target: TargetConnector,
  shadow: Shadow,
  schema: DatabaseSchema,
): Promise<IntegrityReport> {
  const counts = await target.countViolations(shadow, integrityChecks(schema));
  const byTable = new Map<string, TableIntegrity>();
  for (const table of schema.tables) {
    // A count that read the whole table (an orphan count through the child's index) gave its rows too: one pass.
    const counted = counts.find((c) => c.rows !== undefined && tableKey(c.check.table) === tableKey(table))?.rows;
    byTable.set(tableKey(table), {
      table: tableKey(table),
      rows: counted ?? (await target.countRows(shadow, table)),
      orphans: 0,
      duplicates: 0,
      nullViolations: 0,
      checkViolations: 0,
      skipped: [],
      failures: [],
    });
  }
  for (const count of counts) addCount(byTable, count);
  const tables = [...byTable.values()];
  const totalViolations = tables.reduce((s, t) => s + t.orphans + t.duplicates + t.nullViolations + t.checkViolations, 0);
  return { ok: totalViolations === 0, tables, foreignKeys: foreignKeyCounts(counts), totalViolations };
}

function foreignKeyCounts(counts: IntegrityCount[]): ForeignKeyIntegrity[] {
  const out: ForeignKeyIntegrity[] = [];
  for (const { check, violations, skipped, sampled } of counts) {
    if (check.kind !== 'orphan') continue;
    const fk = check.foreignKey;
    out.push({
      table: tableKey(check.table),
      foreignKey: fk.name,
      columns: fk.columns,
      parent: tableKey(fk.references),
      parentColumns: fk.references.columns,
      orphans: skipped ? 0 : violations,
      ...(skipped ? { skipped } : {}),
      ...(sampled !== undefined ? { sampled } : {}),
    });
  }
  return out;
}

function addCount(byTable: Map<string, TableIntegrity>, { check, violations, skipped, sampled, byIndex }: IntegrityCount): void {
  const entry = byTable.get(tableKey(check.table));
  if (!entry) return;
  if (byIndex) (entry.byIndex ??= []).push(describeCheck(check));
  if (sampled !== undefined) (entry.spotChecked ??= []).push(`${describeCheck(check)} on ${sampled} sampled rows`);
  if (skipped) {
    entry.skipped.push(`${describeCheck(check)}: ${skipped}`);
    return;
  }
  if (violations === 0) return;
  entry.failures.push(`${describeCheck(check)}: ${violations} violation${violations === 1 ? '' : 's'}`);
  switch (check.kind) {
    case 'orphan':
      entry.orphans += violations;
      break;
    case 'duplicate':
      entry.duplicates += violations;
      break;
    case 'not-null':
      entry.nullViolations += violations;
      break;
    case 'check':
      entry.checkViolations += violations;
      break;
  }
}

export function describeCheck(check: IntegrityCheck): string {
  switch (check.kind) {
    case 'orphan':
      return `foreign key ${check.foreignKey.name} (${check.foreignKey.columns.join(', ')}) → ${check.foreignKey.references.name}`;
    case 'duplicate':
      return `unique ${check.constraint} (${check.columns.join(', ')})`;
    case 'not-null':
      return `NOT NULL ${check.column}`;
    case 'check':
      return `CHECK ${check.constraint} (${check.expression})`;
  }
}

export function formatIntegrityReport(report: IntegrityReport): string {
  const header = ['table', 'rows', 'resampled', 'orphans', 'dupes', 'nulls', 'checks', 'status'];
  const rows = report.tables.map((t) => [
    t.table,
    String(t.rows),
    String(report.resampled?.[t.table] ?? 0),
    String(t.orphans),
    String(t.duplicates),
    String(t.nullViolations),
    String(t.checkViolations),
    t.failures.length === 0 ? 'ok' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const lines = [fmt(header), ...rows.map(fmt)];
  for (const t of report.tables) {
    for (const f of t.failures) lines.push(`  ✗ ${t.table}: ${f}`);
    for (const s of t.skipped) lines.push(`  – ${t.table}: skipped ${s}`);
    if (t.byIndex?.length) lines.push(`  ✓ ${t.table}: ${t.byIndex.join('; ')} verified on every row by building the index`);
    if (t.spotChecked?.length) lines.push(`  ~ ${t.table}: spot-checked ${t.spotChecked.join('; ')} (finalize's constraints verify every row)`);
  }
  lines.push(report.ok ? 'Validation passed: 0 violations.' : `Validation FAILED: ${report.totalViolations} violations.`);
  return lines.join('\n');
}

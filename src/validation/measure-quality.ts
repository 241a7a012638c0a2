/**
 * Quality of a hydrated shadow: samples of the source and of the shadow, read through their connectors, scored
 * with the SDMetrics-equivalent report and written as HTML + JSON next to the run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Shadow, SourceConnector, TargetConnector } from '../connectors/connector.js';
import type { ChildCountHistogram, ColumnMeta } from '../generation/model.js';
import type { DatabaseSchema, ForeignKey, Table, TableRef } from '../schema/model.js';
import type { Row } from '../schema/values.js';
import { findTable, tableKey, writableColumns } from '../schema/model.js';
import type { IntegrityReport } from './integrity.js';
import { withReferentialCounts, type RelationshipOrphans } from './quality/referential.js';
import {
  metadataFromSchema,
  qualityReport,
  qualityTableName,
  relationshipKey,
  type Cell,
  type Relationship,
  type ExactChildCounts,
  type TableData,
  tableDataFromBatches,
  type QualityData,
  type QualityReportResult,
} from './quality/index.js';
import type { ChildCountEstimateNote, QualitySampling } from './quality/types.js';
import { histogramFromSample } from '../pipeline/sample-child-counts.js';
import { renderQualityReportHtml } from './report-html.js';

export interface MeasureQualityArgs {
  source: SourceConnector;
  target: TargetConnector;
  /** The shadow to score, or null for the live tables. */
  shadow: Shadow | null;
  schema: DatabaseSchema;
  meta: ColumnMeta[];
  sampleRows: number;
  seed: number;
  /** The validation gate's counts for this shadow: the report's referential integrity is taken from them. */
  integrity?: IntegrityReport;
  /** The histograms generation used: those estimated from a sample of parents are stated with their error. */
  histograms?: ChildCountHistogram[];
  /**
   * The source's children-per-parent histograms as the sample stage counted them (exact, or estimated from a parent
   * sample with `estimate`): Cardinality reuses them instead of grouping each source child table again, and counts
   * the synthetic side the same way (a parent sample counted by key where the source's was). Left out under DP,
   * where the models hold noised histograms.
   */
  sourceChildCounts?: ChildCountHistogram[];
  /**
   * Exact source row counts the sample stage took, by table key (left out under DP, where the models hold noised
   * ones): the report reuses them instead of counting each source table again. A table missing or at 0 (skipped
   * in training) is counted.
   */
  sourceRows?: Map<string, number>;
}

/** Parents up to this many rows have their whole key read to check a child sample when no gate counts exist. */
const MAX_PARENT_KEYS = 1_000_000;

export async function measureQuality(args: MeasureQualityArgs): Promise<QualityReportResult> {
  const { source, target, shadow, schema, sampleRows, seed } = args;
  const real: QualityData = {};
  const synthetic: QualityData = {};
  const syntheticRows = new Map<string, number>();
  const sampling: QualitySampling['tables'] = {};
  for (const table of schema.tables) {
    const columns = writableColumns(table).map((c) => c.name);
    const name = qualityTableName(schema, table);
    // Whole tables up to `sampleRows`; larger ones are sampled on both sides alike.
    // The gate counted the shadow's rows already; a count is a full scan of a big table.
    const gateRows = args.integrity?.tables.find((t) => t.table === tableKey(table))?.rows;
    const known = args.sourceRows?.get(tableKey(table));
    const [sourceRows, targetRows] = await Promise.all([known !== undefined && known > 0 ? known : source.countRows(table), gateRows ?? target.countRows(shadow, table)]);
    syntheticRows.set(tableKey(table), targetRows);
    // The row counts let the connectors read a slice of a big table (key ranges) rather than all of it. By key, as
    // the shadow's rows lie differently on every run (parallel load): the same seed scores the same rows.
    const options = (totalRows: number) => (totalRows > sampleRows ? { columns, limit: sampleRows, seed, totalRows, sampleByKey: true } : { columns });
    real[name] = await tableDataFromBatches(columns, source.readRows(table, options(sourceRows)));
    synthetic[name] = await tableDataFromBatches(columns, target.readRows(shadow, table, options(targetRows)));
    sampling[tableKey(table)] = { real: real[name]!.rows.length, realOf: sourceRows, synthetic: synthetic[name]!.rows.length, syntheticOf: targetRows };
  }
  const metadata = metadataFromSchema(schema, args.meta);
  const { counts: exactChildCounts, estimates } = await childCountsOfSampled(args, sampling, synthetic);
  const joinParents = await parentsOfChildSamples(args, sampling, real, synthetic);
  const report = qualityReport(real, synthetic, metadata, {
    ...(exactChildCounts.size > 0 ? { exactChildCounts } : {}),
    ...(joinParents.size > 0 ? { joinParents } : {}),
  });
  const counts = args.integrity
    ? gateCounts(schema, args.integrity)
    : await sampleCounts(args, synthetic, syntheticRows);
  const childCounts = [...(args.histograms ?? []).flatMap((h) => (h.estimate ? [{ table: tableKey(h.child), foreignKey: h.foreignKey, ...h.estimate }] : [])), ...estimates];
  return {
    ...report,
    diagnostics: withReferentialCounts(report.diagnostics, counts),
    sampling: { sampleRows, tables: sampling, ...(childCounts.length > 0 ? { childCounts } : {}) },
  };
}

/** Every single-column FK with its parent table and its report relationship (the only FKs the report scores). */
function* singleColumnRelationships(schema: DatabaseSchema): Iterable<{ child: Table; fk: ForeignKey; parent: Table; rel: Relationship }> {
  for (const child of schema.tables) {
    for (const fk of child.foreignKeys) {
      const parent = findTable(schema, fk.references);
      if (!parent || fk.columns.length !== 1 || fk.references.columns.length !== 1) continue;
      const rel = { childTable: qualityTableName(schema, child), childForeignKey: fk.columns[0]!, parentTable: qualityTableName(schema, parent), parentPrimaryKey: fk.references.columns[0]! };
      yield { child, fk, parent, rel };
    }
  }
}

/** Child tables up to this many rows have their children per parent counted in full for Cardinality. */
const MAX_COUNTED_CHILD_ROWS = 20_000_000;

/**
 * Children per parent over all parents, for each single-column FK whose parent or child the report read as a
 * sample. The count of a parent's children in a child sample is a thinned count, and the two sides thin
 * independently, so the sampled Cardinality would measure sampling noise (see quality/cardinality.ts). The source's
 * side is the sample stage's histogram where given (else grouped in the source); the synthetic side is grouped in
 * the shadow (through the index buildKeys added, where the target has it) or, where the source's was estimated from
 * a parent sample, estimated the same way from the report's synthetic parent sample, its error stated. Left out
 * where the target cannot count (the sample is scored then).
 */
async function childCountsOfSampled(
  args: MeasureQualityArgs,
  sampling: QualitySampling['tables'],
  synthetic: QualityData,
): Promise<{ counts: Map<string, ExactChildCounts>; estimates: ChildCountEstimateNote[] }> {
  const { source, target, shadow, schema } = args;
  const out = new Map<string, ExactChildCounts>();
  const estimates: ChildCountEstimateNote[] = [];
  if (!target.childCountHistogram) return { counts: out, estimates };
  const sampled = (t: TableRef): boolean => {
    const s = sampling[tableKey(t)];
    return s !== undefined && (s.real < s.realOf || s.synthetic < s.syntheticOf);
  };
  for (const { child, fk, parent, rel } of singleColumnRelationships(schema)) {
    if (!sampled(child) && !sampled(parent)) continue;
    const known = args.sourceChildCounts?.find((h) => tableKey(h.child) === tableKey(child) && h.foreignKey === fk.name);
    const rows = sampling[tableKey(child)];
    if (!known?.estimate && (!rows || Math.max(rows.realOf, rows.syntheticOf) > MAX_COUNTED_CHILD_ROWS)) continue;
    const real = known?.counts ?? (await source.childCountHistogram(child, fk));
    const estimate = known?.estimate ? await estimateSyntheticChildCounts(args, child, fk, parent, synthetic[rel.parentTable], sampling[tableKey(parent)]?.syntheticOf) : null;
    if (estimate?.estimate) estimates.push({ table: tableKey(child), foreignKey: fk.name, side: 'synthetic', ...estimate.estimate });
    out.set(relationshipKey(rel), { real, synthetic: estimate?.counts ?? (await target.childCountHistogram(shadow, child, fk)) });
  }
  return { counts: out, estimates };
}

/**
 * The synthetic children per parent from the report's sample of synthetic parents, counted by key and scaled to
 * every parent (as the sample stage estimates the source's). Null where the sample is the whole parent table, the
 * key is not one a connector can look up, or the target cannot count by key: the caller groups the child then.
 */
async function estimateSyntheticChildCounts(
  args: MeasureQualityArgs,
  child: Table,
  fk: ForeignKey,
  parent: Table,
  parents: TableData | undefined,
  parentRows: number | undefined,
): Promise<ReturnType<typeof histogramFromSample> | null> {
  const { target, shadow } = args;
  if (!target.countChildrenByKeys || !parents || parentRows === undefined || parents.rows.length === 0 || parents.rows.length >= parentRows) return null;
  const keyType = parent.columns.find((c) => c.name === fk.references.columns[0])?.type.kind;
  if (keyType === undefined || ['binary', 'json', 'array', 'set'].includes(keyType)) return null;
  const at = parents.columns.indexOf(fk.references.columns[0]!);
  if (at < 0) return null;
  const keys: Row[] = parents.rows.map((r) => [r[at] ?? null]);
  return histogramFromSample(await target.countChildrenByKeys(shadow, child, fk, keys), parentRows);
}

/**
 * For each single-column FK whose parent the report read as a sample: the parent rows the child's sampled rows
 * point at, read by key on both sides, so Intertable Trends joins every sampled child (a uniform sample of the join)
 * rather than the few that meet in two independent samples. Left out where a side cannot read by key.
 */
async function parentsOfChildSamples(
  args: MeasureQualityArgs,
  sampling: QualitySampling['tables'],
  real: QualityData,
  synthetic: QualityData,
): Promise<Map<string, { real: TableData; synthetic: TableData }>> {
  const { source, target, shadow, schema } = args;
  const out = new Map<string, { real: TableData; synthetic: TableData }>();
  if (!source.readRowsByKeys || !target.readRowsByKeys) return out;
  const keysIn = (data: TableData, column: string): Row[] => {
    const at = data.columns.indexOf(column);
    const seen = new Set<Cell>();
    for (const r of data.rows) if (r[at] !== null && r[at] !== undefined) seen.add(r[at]!);
    return [...seen].map((k) => [k]);
  };
  for (const { child, fk, parent, rel } of singleColumnRelationships(schema)) {
    if (parent === child) continue;
    // Report cells of bytes and JSON are text renderings, not keys a connector can look up.
    const keyType = parent.columns.find((c) => c.name === fk.references.columns[0])?.type.kind;
    if (keyType === undefined || ['binary', 'json', 'array', 'set'].includes(keyType)) continue;
    const p = sampling[tableKey(parent)];
    if (!p || (p.real >= p.realOf && p.synthetic >= p.syntheticOf)) continue;
    const columns = real[rel.parentTable]!.columns;
    const refs = fk.references.columns;
    out.set(relationshipKey(rel), {
      real: await tableDataFromBatches(columns, source.readRowsByKeys(parent, columns, refs, keysIn(real[rel.childTable]!, rel.childForeignKey))),
      synthetic: await tableDataFromBatches(columns, target.readRowsByKeys(shadow, parent, columns, refs, keysIn(synthetic[rel.childTable]!, rel.childForeignKey))),
    });
  }
  return out;
}

function gateCounts(schema: DatabaseSchema, integrity: IntegrityReport): RelationshipOrphans[] {
  const byKey = new Map(schema.tables.map((t) => [tableKey(t), t]));
  const rows = new Map(integrity.tables.map((t) => [t.table, t.rows]));
  return integrity.foreignKeys.flatMap((fk) => {
    const child = byKey.get(fk.table);
    const parent = byKey.get(fk.parent);
    if (!child || !parent) return [];
    const count: RelationshipOrphans = {
      childTable: qualityTableName(schema, child),
      columns: fk.columns,
      parentTable: qualityTableName(schema, parent),
      parentColumns: fk.parentColumns,
      orphans: fk.orphans,
      checked: fk.sampled ?? rows.get(fk.table) ?? 0,
      source: 'validation gate',
    };
    if (fk.skipped) count.skipped = fk.skipped;
    return [count];
  });
}

const keyOf = (cells: ReadonlyArray<unknown>): string | null => (cells.some((c) => c === null) ? null : JSON.stringify(cells));

/** Without the gate (`synth report` on live tables): the child sample against every key of its parent. */
async function sampleCounts(args: MeasureQualityArgs, synthetic: QualityData, syntheticRows: Map<string, number>): Promise<RelationshipOrphans[]> {
  const { schema } = args;
  const out: RelationshipOrphans[] = [];
  for (const child of schema.tables) {
    for (const fk of child.foreignKeys) {
      const parent = schema.tables.find((t) => t.schema === fk.references.schema && t.name === fk.references.name);
      if (!parent) continue;
      const base = {
        childTable: qualityTableName(schema, child),
        columns: fk.columns,
        parentTable: qualityTableName(schema, parent),
        parentColumns: fk.references.columns,
        source: 'sample against every parent key' as const,
      };
      const parentRows = syntheticRows.get(tableKey(parent)) ?? 0;
      if (parentRows > MAX_PARENT_KEYS) {
        out.push({ ...base, orphans: 0, checked: 0, skipped: `${tableKey(parent)} has ${parentRows} rows, too many to read every key; the validation gate counts these orphans on each hydrate` });
        continue;
      }
      const keys = await parentKeys(args, parent, fk.references.columns, synthetic, parentRows);
      const data = synthetic[base.childTable]!;
      const at = fk.columns.map((c) => data.columns.indexOf(c));
      let checked = 0;
      let orphans = 0;
      for (const row of data.rows) {
        const k = keyOf(at.map((i) => row[i] ?? null));
        if (k === null) continue;
        checked++;
        if (!keys.has(k)) orphans++;
      }
      out.push({ ...base, orphans, checked });
    }
  }
  return out;
}

async function parentKeys(args: MeasureQualityArgs, parent: Table, columns: string[], synthetic: QualityData, parentRows: number): Promise<Set<string>> {
  const sample = synthetic[qualityTableName(args.schema, parent)]!;
  // The report read the whole parent already.
  const data = sample.rows.length >= parentRows ? sample : await tableDataFromBatches(columns, args.target.readRows(args.shadow, parent, { columns }));
  const at = columns.map((c) => data.columns.indexOf(c));
  const keys = new Set<string>();
  for (const row of data.rows) {
    const k = keyOf(at.map((i) => row[i] ?? null));
    if (k !== null) keys.add(k);
  }
  return keys;
}

export interface PrivacySummary {
  epsilonSpent: number;
  delta: number;
  perTable?: Record<string, number>;
}

/** Writes `<outDir>/reports/<runId>.html` and `.json`; returns their paths. */
export function writeQualityReport(
  report: QualityReportResult,
  outDir: string,
  runId: string,
  options: { title?: string; privacy?: PrivacySummary } = {},
): { html: string; json: string } {
  const dir = resolve(outDir, 'reports');
  mkdirSync(dir, { recursive: true });
  const html = join(dir, `${runId}.html`);
  const json = join(dir, `${runId}.json`);
  const renderOptions: Parameters<typeof renderQualityReportHtml>[1] = { title: options.title ?? `synth quality report — run ${runId}` };
  if (options.privacy) renderOptions.privacy = options.privacy;
  writeFileSync(html, renderQualityReportHtml(report, renderOptions));
  writeFileSync(json, JSON.stringify(report, null, 2));
  return { html, json };
}

/**
 * Fitting: from the samples and child-count histograms the pipeline read, build every table's metadata,
 * attribute model and key statistics. No database access here.
 */
import type { DatabaseSchema, Table, TableRef } from '../schema/model.js';
import { findColumn, tableKey } from '../schema/model.js';
import type { HydrationPlan } from '../graph/plan.js';
import { fitBaseline } from './baseline/baseline-model.js';
import { fitKeyStats, type TableKeyStats } from './keys/index.js';
import { describeColumns } from './metadata.js';
import { applyColumnGrids, withColumnGrids } from './value-grid.js';
import type { AttributeModel, ChildCountHistogram, ColumnMeta, Row, TableSample } from './model.js';
import type { DataRules } from './data-rules.js';

export interface TableModel {
  table: TableRef;
  meta: ColumnMeta[];
  model: AttributeModel;
  /** Exact source row count. */
  sourceRows: number;
  histograms: ChildCountHistogram[];
  keyStats: TableKeyStats;
  /** FK name → share of source rows whose FK is NULL. */
  fkNullRates: Record<string, number>;
}

export interface ModelSet {
  seed: number;
  /** By table key (`schema.name`). */
  tables: Map<string, TableModel>;
  /** Reference tables, order invariants and exact fan-outs learned from the source (data-rules.ts). */
  rules?: DataRules;
}

/** Children per sample row of a table, for one FK that references it (aligned with the table's sample rows). */
export interface SampleChildCounts {
  foreignKey: string;
  childTable: TableRef;
  counts: number[];
}

/** Context columns aligned with a table's sample rows (one row, or null, per sample row). */
export interface AlignedContext {
  columns: string[];
  rows: Array<Row | null>;
  meta: ColumnMeta[];
}

/** Name of the context column holding `column` of the row that FK `foreignKey` (not the primary parent) references. */
export function otherParentColumn(foreignKey: string, column: string): string {
  return `${foreignKey}::${column}`;
}

/**
 * Builds a learned model; `parentSample` holds the primary parent's rows for conditioning (the actual parents of
 * the sample's rows when the pipeline could read them by key), `extra.childCounts` the children of each sample row.
 */
export type LearnedFactory = (
  table: Table,
  sample: TableSample,
  meta: ColumnMeta[],
  parentSample: TableSample | null,
  extra?: { childCounts?: SampleChildCounts[]; otherParents?: AlignedContext },
) => AttributeModel | Promise<AttributeModel>;

export interface FitOptions {
  seed: number;
  modelFor?: (table: TableRef) => 'baseline' | 'learned';
  learned?: LearnedFactory;
  /** Child table key → its sample's actual primary-parent rows (read by key); preferred over the parent's own sample. */
  parentRows?: Map<string, TableSample>;
  /** Parent table key → children per sample row, per FK referencing it. */
  childCounts?: Map<string, SampleChildCounts[]>;
  /** Child table key → attributes of the rows its other FKs reference (columns named by `otherParentColumn`). */
  otherParents?: Map<string, AlignedContext>;
}

function emptySample(table: Table): TableSample {
  return { table: { schema: table.schema, name: table.name }, totalRows: 0, columns: table.columns.map((c) => c.name), rows: [] };
}

/** NULL share of an FK: exact from the histogram (children it counts are the non-NULL rows), else the sample. */
export function foreignKeyNullRates(table: Table, sample: TableSample, histograms: ChildCountHistogram[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const fk of table.foreignKeys) {
    const nullable = fk.columns.every((c) => findColumn(table, c)?.nullable ?? false);
    if (!nullable) {
      out[fk.name] = 0;
      continue;
    }
    const h = histograms.find((x) => x.foreignKey === fk.name);
    if (h && sample.totalRows > 0) {
      const nonNull = h.counts.reduce((s, e) => s + e.children * e.parents, 0);
      out[fk.name] = Math.min(1, Math.max(0, 1 - nonNull / sample.totalRows));
      continue;
    }
    const idx = fk.columns.map((c) => sample.columns.indexOf(c));
    if (sample.rows.length === 0 || idx.some((i) => i < 0)) {
      out[fk.name] = 0;
      continue;
    }
    const nulls = sample.rows.filter((r) => idx.some((i) => r[i] === null || r[i] === undefined)).length;
    out[fk.name] = nulls / sample.rows.length;
  }
  return out;
}

/** Fewest sample rows a table needs for the learned model; smaller tables use the baseline. */
export const MIN_LEARNED_ROWS = 20;

export async function fitModels(
  schema: DatabaseSchema,
  plan: HydrationPlan,
  samples: Map<string, TableSample>,
  histograms: ChildCountHistogram[],
  options: FitOptions,
): Promise<ModelSet> {
  const tables = new Map<string, TableModel>();
  // The learned fits run at once (each on a training thread where the factory has them); the map keeps plan order.
  const fitted: Array<Promise<TableModel>> = [];
  for (const step of plan.steps) {
    const key = tableKey(step.table);
    const table = schema.tables.find((t) => tableKey(t) === key)!;
    const sample = samples.get(key) ?? emptySample(table);
    const meta = withColumnGrids(table, sample, describeColumns(table, sample));
    const hists = histograms.filter((h) => tableKey(h.child) === key);
    const kind = options.modelFor?.(step.table) ?? 'baseline';
    let model: Promise<AttributeModel>;
    // A network fitted on a handful of rows reproduces them (chinook's 8 employees: 0 of 8 generated rows new):
    // such tables get the baseline's independent marginals instead.
    if (kind === 'learned' && options.learned && sample.rows.length >= MIN_LEARNED_ROWS) {
      const fk = table.foreignKeys.find((f) => f.name === step.primaryParent);
      const own = fk ? samples.get(tableKey(fk.references)) : undefined;
      const read = options.parentRows?.get(key);
      // The parent rows read by key carry no PII scan of their own: the parent's sample says which columns it fakes.
      const parentSample = fk ? (read ? (read.piiKinds || !own?.piiKinds ? read : { ...read, piiKinds: own.piiKinds }) : (own ?? null)) : null;
      const childCounts = options.childCounts?.get(key);
      const otherParents = options.otherParents?.get(key);
      model = Promise.resolve(
        options.learned(table, sample, meta, parentSample, {
          ...(childCounts ? { childCounts } : {}),
          ...(otherParents ? { otherParents } : {}),
        }),
      );
    } else {
      model = Promise.resolve(fitBaseline(table, sample, meta));
    }
    fitted.push(
      model.then((m) => ({
        table: step.table,
        meta,
        model: applyColumnGrids(m, table, meta),
        sourceRows: sample.totalRows,
        histograms: hists,
        keyStats: fitKeyStats(table, sample),
        fkNullRates: foreignKeyNullRates(table, sample, hists),
      })),
    );
  }
  for (const m of await Promise.all(fitted)) tables.set(tableKey(m.table), m);
  return { seed: options.seed, tables };
}

export { modelSetToArtifact, modelSetFromArtifact, type ModelSetArtifact } from './artifact.js';

/**
 * The multi-table quality report, SDMetrics' QualityReport definitions: four properties, each the mean of
 * its detail scores (column pair and intertable trends only over pairs whose real-data correlation or
 * association passes the threshold), overall = mean of the property scores, ignoring those with nothing to
 * score.
 */
import { SynthError } from '../../errors.js';
import { cardinality } from './cardinality.js';
import { columnPairTrends } from './column-pair-trends.js';
import { columnShapes } from './column-shapes.js';
import { diagnostics } from './diagnostics.js';
import { distributions } from './distributions.js';
import { intertableTrends } from './intertable-trends.js';
import { thresholdAverage } from './pair-trends.js';
import { nanMean } from './stats.js';
import type { PropertyName, QualityData, QualityMetadata, QualityReportOptions, QualityReportResult, Score } from './types.js';

/** SDMetrics' QualityReport defaults (`DEFAULT_REAL_CORRELATION_THRESHOLD`, `DEFAULT_REAL_ASSOCIATION_THRESHOLD`). */
export const DEFAULT_REAL_CORRELATION_THRESHOLD = 0.5;
export const DEFAULT_REAL_ASSOCIATION_THRESHOLD = 0.3;

function validate(real: QualityData, synthetic: QualityData, metadata: QualityMetadata): void {
  for (const [table, meta] of Object.entries(metadata.tables)) {
    for (const [label, data] of [['real', real], ['synthetic', synthetic]] as const) {
      const t = data[table];
      if (t === undefined) {
        throw new SynthError('VALIDATION_FAILED', `Quality report: the ${label} data has no table "${table}".`, {
          table,
          hint: 'Pass the same tables in the real data, the synthetic data and the metadata.',
        });
      }
      const missing = Object.keys(meta.columns).filter((c) => !t.columns.includes(c));
      if (missing.length > 0) {
        throw new SynthError('VALIDATION_FAILED', `Quality report: the ${label} data of "${table}" lacks column(s) ${missing.join(', ')}.`, {
          table,
          column: missing[0],
          hint: 'The metadata must describe the columns the data was read with.',
        });
      }
      for (const [i, row] of t.rows.entries()) {
        if (row.length !== t.columns.length) {
          throw new SynthError('VALIDATION_FAILED', `Quality report: row ${i} of the ${label} "${table}" has ${row.length} values for ${t.columns.length} columns.`, {
            table,
            hint: 'Every row must hold one value per column, in the order of `columns`.',
          });
        }
      }
    }
  }
  for (const rel of metadata.relationships) {
    for (const [table, column] of [
      [rel.parentTable, rel.parentPrimaryKey],
      [rel.childTable, rel.childForeignKey],
    ] as const) {
      if (metadata.tables[table]?.columns[column] === undefined) {
        throw new SynthError('VALIDATION_FAILED', `Quality report: relationship ${rel.childTable}.${rel.childForeignKey} → ${rel.parentTable}.${rel.parentPrimaryKey} names ${table}.${column}, which the metadata does not describe.`, {
          table,
          column,
          hint: 'Add the table and column to the metadata or drop the relationship.',
        });
      }
    }
  }
}

const toScore = (v: number): Score => (Number.isNaN(v) ? null : v);

/** Computes the report; the data sets are only read. */
export function qualityReport(
  real: QualityData,
  synthetic: QualityData,
  metadata: QualityMetadata,
  options: QualityReportOptions = {},
): QualityReportResult {
  const started = performance.now();
  validate(real, synthetic, metadata);
  const pairOptions = {
    realCorrelationThreshold: options.realCorrelationThreshold ?? DEFAULT_REAL_CORRELATION_THRESHOLD,
    realAssociationThreshold: options.realAssociationThreshold ?? DEFAULT_REAL_ASSOCIATION_THRESHOLD,
    correlationCoefficient: options.correlationCoefficient ?? 'Pearson',
  };
  const shapes = columnShapes(real, synthetic, metadata);
  const pairs = columnPairTrends(real, synthetic, metadata, pairOptions);
  const card = cardinality(real, synthetic, metadata.relationships, options.exactChildCounts);
  const inter = intertableTrends(real, synthetic, metadata, pairOptions, options.joinParents);
  const scores: Array<[PropertyName, number]> = [
    ['Column Shapes', nanMean(shapes.map((d) => d.score ?? NaN))],
    ['Column Pair Trends', thresholdAverage(pairs)],
    ['Cardinality', nanMean(card.map((d) => d.score ?? NaN))],
    ['Intertable Trends', thresholdAverage(inter)],
  ];
  const diag = options.skipDiagnostics
    ? { dataValidity: null, relationshipValidity: null, newRowSynthesis: null, details: [] }
    : diagnostics(real, synthetic, metadata, {
        numericalMatchTolerance: options.numericalMatchTolerance ?? 0.01,
        sampleSize: options.newRowSynthesisSampleSize ?? 10_000,
      });
  const rows = (d: QualityData): Record<string, number> =>
    Object.fromEntries(Object.keys(metadata.tables).map((t) => [t, d[t]!.rows.length]));
  return {
    overall: toScore(nanMean(scores.map(([, s]) => s))),
    properties: scores.map(([name, s]) => ({ name, score: toScore(s) })),
    columnShapes: shapes,
    columnPairTrends: pairs,
    cardinality: card,
    intertableTrends: inter,
    distributions: distributions(real, synthetic, metadata),
    diagnostics: diag,
    info: {
      tables: Object.keys(metadata.tables).length,
      rowsReal: rows(real),
      rowsSynthetic: rows(synthetic),
      realCorrelationThreshold: pairOptions.realCorrelationThreshold,
      realAssociationThreshold: pairOptions.realAssociationThreshold,
      generationMs: performance.now() - started,
    },
  };
}

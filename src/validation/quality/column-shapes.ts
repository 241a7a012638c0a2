/**
 * Column Shapes: KSComplement for numerical and datetime columns, TVComplement for categorical, boolean and
 * ordinal ones; other sdtypes are not scored. The property score is the mean over every scored column of
 * every table (not a mean of table means), as in SDMetrics.
 */
import { columnCells, continuousColumn, discreteKey } from './cells.js';
import { ksComplement, tvComplement } from './stats.js';
import type { Cell, ColumnShapeDetail, QualityData, QualityMetadata } from './types.js';

/**
 * pandas keeps an all-integer column without nulls as int64, and `Series.round` leaves integers alone;
 * anything else is float64 and gets KSComplement's 14-decimal rounding.
 */
function isFloatSeries(cells: readonly Cell[]): boolean {
  return cells.some((c) => c === null || typeof c !== 'number' || !Number.isInteger(c));
}

export function columnShapes(real: QualityData, synthetic: QualityData, metadata: QualityMetadata): ColumnShapeDetail[] {
  const out: ColumnShapeDetail[] = [];
  for (const [table, meta] of Object.entries(metadata.tables)) {
    for (const [column, { sdtype }] of Object.entries(meta.columns)) {
      const realCells = columnCells(real[table]!, table, column);
      const synCells = columnCells(synthetic[table]!, table, column);
      if (sdtype === 'numerical' || sdtype === 'datetime') {
        const row: ColumnShapeDetail = { table, column, metric: 'KSComplement', score: null };
        try {
          const r = continuousColumn(realCells, sdtype, table, column);
          const s = continuousColumn(synCells, sdtype, table, column);
          // Datetimes reach ks_2samp as int64 nanoseconds, which round() leaves as they are.
          const roundReal = sdtype === 'numerical' && isFloatSeries(realCells);
          const roundSyn = sdtype === 'numerical' && isFloatSeries(synCells);
          const score = ksComplement(r, s, roundReal, roundSyn);
          row.score = Number.isNaN(score) ? null : score;
        } catch (e) {
          row.error = e instanceof Error ? e.message : String(e);
        }
        out.push(row);
      } else if (sdtype === 'categorical' || sdtype === 'boolean' || sdtype === 'ordinal') {
        const score = tvComplement(realCells.map(discreteKey), synCells.map(discreteKey));
        const row: ColumnShapeDetail = { table, column, metric: 'TVComplement', score: Number.isNaN(score) ? null : score };
        if (Number.isNaN(score)) row.error = 'IncomputableMetricError: The TVComplement metric must have 1 or more non-null values.';
        out.push(row);
      }
    }
  }
  return out;
}

/**
 * Turns a report into a pass/fail decision for the pipeline: below the configured minimum overall score the
 * run is refused with QUALITY_BELOW_THRESHOLD, naming the weakest property and columns so the user knows
 * where to look.
 */
import { SynthError } from '../../errors.js';
import { formatScore } from './summary.js';
import type { QualityReportResult } from './types.js';

export function weakestColumns(report: QualityReportResult, count = 3): string[] {
  return report.columnShapes
    .filter((s) => s.score !== null)
    .sort((a, b) => a.score! - b.score!)
    .slice(0, count)
    .map((s) => `${s.table}.${s.column} (${s.metric} ${formatScore(s.score)})`);
}

export function assertQuality(report: QualityReportResult, minimumOverall: number): void {
  if (report.overall === null || report.overall >= minimumOverall) return;
  const weakest = report.properties
    .filter((p) => p.score !== null)
    .sort((a, b) => a.score! - b.score!)[0];
  const columns = weakestColumns(report);
  throw new SynthError(
    'QUALITY_BELOW_THRESHOLD',
    `Synthetic data quality ${formatScore(report.overall)} is below the required ${formatScore(minimumOverall)}` +
      (weakest ? `; weakest property: ${weakest.name} ${formatScore(weakest.score)}` : '') +
      (columns.length ? `; weakest columns: ${columns.join(', ')}` : '') +
      '.',
    {
      table: report.columnShapes.find((s) => s.score !== null && columns[0]?.startsWith(`${s.table}.${s.column} `))?.table,
      hint: 'Open the HTML quality report for per-column plots; train longer, relax privacy, or lower the quality threshold in the config.',
    },
  );
}

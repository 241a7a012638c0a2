/** One-screen terminal summary: the four property scores and the overall score. */
import type { QualityReportResult, Score } from './types.js';

export function formatScore(s: Score): string {
  return s === null ? 'n/a' : `${(s * 100).toFixed(2)}%`;
}

export function formatQualitySummary(report: QualityReportResult): string {
  const width = Math.max(...report.properties.map((p) => p.name.length), 'Overall quality'.length);
  const lines = report.properties.map((p) => `  ${p.name.padEnd(width)}  ${formatScore(p.score).padStart(7)}`);
  const d = report.diagnostics;
  const diag = [
    d.dataValidity !== null ? `data validity ${formatScore(d.dataValidity)}` : null,
    d.relationshipValidity !== null ? `referential integrity ${formatScore(d.relationshipValidity)}` : null,
    d.newRowSynthesis !== null ? `new rows ${formatScore(d.newRowSynthesis)}` : null,
  ].filter((x) => x !== null);
  return [
    `  ${'Overall quality'.padEnd(width)}  ${formatScore(report.overall).padStart(7)}`,
    ...lines,
    ...(diag.length > 0 ? [`  Diagnostics: ${diag.join(', ')}`] : []),
  ].join('\n');
}

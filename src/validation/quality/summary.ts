/** One-screen terminal summary: the four property scores and the overall score. */
import { percent } from './diagnostics.js';
import type { DiagnosticsResult, QualityReportResult, QualitySampling, Score } from './types.js';

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
    d.newRowSynthesis !== null ? `new rows ${formatScore(d.newRowSynthesis)}${newRowsNote(d)}` : null,
  ].filter((x) => x !== null);
  return [
    `  ${'Overall quality'.padEnd(width)}  ${formatScore(report.overall).padStart(7)}`,
    ...lines,
    ...(diag.length > 0 ? [`  Diagnostics: ${diag.join(', ')}`] : []),
    ...describeSampling(report.sampling).map((l) => `  ${l}`),
  ].join('\n');
}

/** " (datetimes compared within 1 % of their range)" when some table's new-rows check compared datetimes, else "". */
export function newRowsNote(d: DiagnosticsResult): string {
  const t = d.details.find((x) => x.metric === 'NewRowSynthesis' && x.datetimeTolerance !== undefined)?.datetimeTolerance;
  return t === undefined ? '' : ` (datetimes compared within ${percent(t)} of their range)`;
}

/**
 * What the scores stand on when a table was bigger than the sample, and the child counts estimated from a sample of
 * parents with their 95 % margin; nothing when every table was scored whole.
 */
export function describeSampling(s: QualitySampling | undefined): string[] {
  if (!s) return [];
  const lines: string[] = [];
  const cut = Object.entries(s.tables).filter(([, t]) => t.real < t.realOf || t.synthetic < t.syntheticOf);
  if (cut.length > 0) {
    const largest = cut.reduce((a, b) => (b[1].realOf + b[1].syntheticOf > a[1].realOf + a[1].syntheticOf ? b : a));
    lines.push(
      `Scored on a sample of at most ${s.sampleRows} rows per table and side (${cut.length} table${cut.length === 1 ? '' : 's'} sampled, e.g. ${largest[0]}: ${largest[1].real} of ${largest[1].realOf} real, ${largest[1].synthetic} of ${largest[1].syntheticOf} synthetic rows).`,
    );
  }
  for (const c of s.childCounts ?? []) {
    const side = c.side === 'synthetic' ? 'synthetic ' : '';
    lines.push(`${side}${c.table} (${c.foreignKey}): ${c.meanChildren.toFixed(2)} ± ${c.margin.toFixed(2)} children per parent (95 %), counted for a sample of ${c.parentsSampled} of ${c.parents} ${side}parents.`);
  }
  return lines;
}

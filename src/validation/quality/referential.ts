/**
 * Referential integrity as the report shows it, from exact orphan counts (the validation gate's, or a check of a
 * sample against every parent key) instead of SDMetrics' sample-against-sample comparison: a parent sampled down to
 * the report's `sampleRows` misses most keys its children reference, which reads as orphans the database does not
 * have. One entry per relationship, composite ones included; a table's partitions are that one table.
 */
import { nanMean } from './stats.js';
import type { DiagnosticDetail, DiagnosticsResult } from './types.js';

export interface RelationshipOrphans {
  /** Quality-report table names (see `qualityTableName`). */
  childTable: string;
  columns: string[];
  parentTable: string;
  parentColumns: string[];
  /** Child rows whose (non-null) key matches no parent row. */
  orphans: number;
  /** Child rows the orphans were counted among. */
  checked: number;
  /** Where the count comes from, for the report's detail line. */
  source: 'validation gate' | 'sample against every parent key';
  /** Set when nothing could be counted; the relationship is then shown without a score. */
  skipped?: string;
}

function label(r: RelationshipOrphans): string {
  const cols = (c: string[]) => (c.length === 1 ? c[0]! : `(${c.join(', ')})`);
  return `${r.childTable}.${cols(r.columns)} → ${r.parentTable}.${cols(r.parentColumns)}`;
}

/** Relationships declared more than once (PostgreSQL: the same FK on several partitions) count once, worst count kept. */
function distinctRelationships(counts: readonly RelationshipOrphans[]): RelationshipOrphans[] {
  const byLabel = new Map<string, RelationshipOrphans>();
  for (const c of counts) {
    const seen = byLabel.get(label(c));
    if (!seen || (seen.skipped && !c.skipped) || c.orphans > seen.orphans) byLabel.set(label(c), c);
  }
  return [...byLabel.values()];
}

/** The diagnostics with their ReferentialIntegrity entries (and the relationship validity) taken from `counts`. */
export function withReferentialCounts(diagnostics: DiagnosticsResult, counts: readonly RelationshipOrphans[]): DiagnosticsResult {
  const relationships: DiagnosticDetail[] = distinctRelationships(counts).map((r) => {
    const detail: DiagnosticDetail = {
      table: r.childTable,
      column: r.columns.join(', '),
      relationship: label(r),
      metric: 'ReferentialIntegrity',
      score: r.skipped ? null : r.checked === 0 ? 1 : 1 - r.orphans / r.checked,
      detail: r.skipped ?? `${r.orphans} orphan${r.orphans === 1 ? '' : 's'} in ${r.checked} row${r.checked === 1 ? '' : 's'} (${r.source})`,
    };
    return detail;
  });
  const details = [...diagnostics.details.filter((d) => d.metric !== 'ReferentialIntegrity'), ...relationships];
  const mean = nanMean(relationships.map((d) => d.score ?? NaN));
  return { ...diagnostics, relationshipValidity: Number.isNaN(mean) ? null : mean, details };
}

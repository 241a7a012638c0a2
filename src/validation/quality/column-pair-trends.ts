/** Column Pair Trends: every pair of scorable columns inside each table (metadata column order). */
import { columnCells } from './cells.js';
import { scorePairs, type PairTrendOptions } from './pair-trends.js';
import type { ColumnPairDetail, QualityData, QualityMetadata, Sdtype } from './types.js';

function* combinations(names: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) yield [names[i]!, names[j]!];
}

export function columnPairTrends(
  real: QualityData,
  synthetic: QualityData,
  metadata: QualityMetadata,
  options: PairTrendOptions,
): ColumnPairDetail[] {
  const out: ColumnPairDetail[] = [];
  for (const [table, meta] of Object.entries(metadata.tables)) {
    const columns: Record<string, Sdtype> = {};
    for (const [c, m] of Object.entries(meta.columns)) columns[c] = m.sdtype;
    const rows = scorePairs(
      (c) => columnCells(real[table]!, table, c),
      (c) => columnCells(synthetic[table]!, table, c),
      columns,
      combinations(Object.keys(columns)),
      options,
      table,
    );
    for (const r of rows) out.push({ table, ...r });
  }
  return out;
}

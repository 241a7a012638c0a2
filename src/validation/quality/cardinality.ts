/**
 * Cardinality: CardinalityShapeSimilarity per relationship — KSComplement between the real and synthetic
 * distributions of "children per parent row" (parents without children count 0; null foreign keys are not
 * children of anyone).
 */
import { columnCells, discreteKey } from './cells.js';
import { ksStatistic } from './stats.js';
import type { CardinalityDetail, QualityData, Relationship } from './types.js';

export function childCounts(data: QualityData, rel: Relationship): number[] {
  const perKey = new Map<string, number>();
  for (const c of columnCells(data[rel.childTable]!, rel.childTable, rel.childForeignKey)) {
    const k = discreteKey(c);
    if (k !== null) perKey.set(k, (perKey.get(k) ?? 0) + 1);
  }
  return columnCells(data[rel.parentTable]!, rel.parentTable, rel.parentPrimaryKey).map((c) => {
    const k = discreteKey(c);
    return k === null ? 0 : (perKey.get(k) ?? 0);
  });
}

export function cardinality(real: QualityData, synthetic: QualityData, relationships: readonly Relationship[]): CardinalityDetail[] {
  return relationships.map((rel) => {
    const row: CardinalityDetail = {
      childTable: rel.childTable,
      parentTable: rel.parentTable,
      foreignKey: rel.childForeignKey,
      metric: 'CardinalityShapeSimilarity',
      score: null,
    };
    const r = childCounts(real, rel);
    const s = childCounts(synthetic, rel);
    if (r.length === 0 || s.length === 0) row.error = 'ValueError: Data passed to ks_2samp must not be empty';
    else row.score = 1 - ksStatistic(r, s);
    return row;
  });
}

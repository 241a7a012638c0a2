/**
 * Cardinality: CardinalityShapeSimilarity per relationship — KSComplement between the real and synthetic
 * distributions of "children per parent row" (parents without children count 0; null foreign keys are not
 * children of anyone).
 *
 * SDMetrics scores the tables it is given. When those are samples, a parent's children in the child sample are a
 * thinned count, and two independent samples thin differently: with a handful of parents (8 tags of 1 250 rows
 * each, identical on both sides) the sampled counts scatter ±25 and KS reads noise (0.625 measured). Histograms
 * counted over all rows (`exactChildCounts`) give the metric on the whole tables, as SDMetrics would score them.
 */
import { columnCells, discreteKey } from './cells.js';
import { ksStatistic } from './stats.js';
import type { CardinalityDetail, ExactChildCounts, QualityData, Relationship } from './types.js';

/** The key `exactChildCounts` is looked up by. */
export function relationshipKey(rel: Relationship): string {
  return `${rel.childTable}.${rel.childForeignKey} -> ${rel.parentTable}.${rel.parentPrimaryKey}`;
}

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

/** The two-sample KS statistic of two distributions given as bins (value → weight): max |F₁ − F₂| over the values. */
export function ksStatisticOfBins(
  a: ReadonlyArray<{ children: number; parents: number }>,
  b: ReadonlyArray<{ children: number; parents: number }>,
): number {
  const weights = (bins: typeof a): Map<number, number> => {
    const m = new Map<number, number>();
    for (const e of bins) if (e.parents > 0) m.set(e.children, (m.get(e.children) ?? 0) + e.parents);
    return m;
  };
  const wa = weights(a);
  const wb = weights(b);
  const na = [...wa.values()].reduce((s, x) => s + x, 0);
  const nb = [...wb.values()].reduce((s, x) => s + x, 0);
  if (na === 0 || nb === 0) return NaN;
  let fa = 0;
  let fb = 0;
  let d = 0;
  for (const v of [...new Set([...wa.keys(), ...wb.keys()])].sort((x, y) => x - y)) {
    fa += wa.get(v) ?? 0;
    fb += wb.get(v) ?? 0;
    d = Math.max(d, Math.abs(fa / na - fb / nb));
  }
  return d;
}

export function cardinality(
  real: QualityData,
  synthetic: QualityData,
  relationships: readonly Relationship[],
  exact?: ReadonlyMap<string, ExactChildCounts>,
): CardinalityDetail[] {
  return relationships.map((rel) => {
    const row: CardinalityDetail = {
      childTable: rel.childTable,
      parentTable: rel.parentTable,
      foreignKey: rel.childForeignKey,
      metric: 'CardinalityShapeSimilarity',
      score: null,
    };
    const counted = exact?.get(relationshipKey(rel));
    const d = counted ? ksStatisticOfBins(counted.real, counted.synthetic) : NaN;
    if (!Number.isNaN(d)) {
      row.score = 1 - d;
      row.counted = 'all rows';
      return row;
    }
    const r = childCounts(real, rel);
    const s = childCounts(synthetic, rel);
    if (r.length === 0 || s.length === 0) row.error = 'ValueError: Data passed to ks_2samp must not be empty';
    else row.score = 1 - ksStatistic(r, s);
    return row;
  });
}

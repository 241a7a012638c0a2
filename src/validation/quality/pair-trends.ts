/**
 * SDMetrics' single-table ColumnPairTrends logic, shared by the Column Pair Trends property (pairs inside a
 * table) and Intertable Trends (parent × child pairs of a denormalised join).
 *
 * Continuous columns (numerical, datetime → epoch ns) are compared with CorrelationSimilarity; discrete ones
 * (categorical, boolean, ordinal) with ContingencySimilarity; a mixed pair uses the continuous column binned
 * into numpy's 10 equal-width bins over *each data set's own* range (real and synthetic are binned
 * separately, as SDMetrics does).
 */
import { continuousColumn, discreteKey } from './cells.js';
import { contingencySimilarity, digitize, histogramBinEdges, pearson, spearman } from './stats.js';
import type { Cell, PairTrendFields, Sdtype } from './types.js';

const SHAPE: Partial<Record<Sdtype, 'continuous' | 'discrete'>> = {
  numerical: 'continuous',
  datetime: 'continuous',
  categorical: 'discrete',
  boolean: 'discrete',
  ordinal: 'discrete',
};

export function pairShape(sdtype: Sdtype): 'continuous' | 'discrete' | undefined {
  return SHAPE[sdtype];
}

/** Column-oriented view of one data set: name → cells. */
export type ColumnSource = (column: string) => Cell[];

export interface PairTrendOptions {
  realCorrelationThreshold: number;
  realAssociationThreshold: number;
  correlationCoefficient: 'Pearson' | 'Spearman';
}

interface Prepared {
  continuous: Map<string, number[]>;
  constant: Set<string>;
  binned: Map<string, Array<string | null>>;
  discrete: Map<string, Array<string | null>>;
  failed: Map<string, string>;
}

function prepare(source: ColumnSource, columns: Record<string, Sdtype>, label: string): Prepared {
  const p: Prepared = { continuous: new Map(), constant: new Set(), binned: new Map(), discrete: new Map(), failed: new Map() };
  for (const [name, sdtype] of Object.entries(columns)) {
    const shape = SHAPE[sdtype];
    if (shape === undefined) continue;
    if (shape === 'discrete') {
      p.discrete.set(name, source(name).map(discreteKey));
      continue;
    }
    try {
      const values = continuousColumn(source(name), sdtype, label, name);
      p.continuous.set(name, values);
      if (isConstant(values)) p.constant.add(name);
      const edges = histogramBinEdges(values);
      p.binned.set(name, values.map((v) => `n:${digitize(v, edges)}`));
    } catch (e) {
      p.failed.set(name, e instanceof Error ? e.message : String(e));
    }
  }
  return p;
}

/** pandas `nunique() == 1`: exactly one distinct non-null value. */
function isConstant(v: readonly number[]): boolean {
  let first = NaN;
  for (const x of v) {
    if (Number.isNaN(x)) continue;
    if (Number.isNaN(first)) first = x;
    else if (x !== first) return false;
  }
  return !Number.isNaN(first);
}

/**
 * Scores `pairs` (column names as in `columns`); pairs with a type SDMetrics does not score are skipped.
 * `realSource`/`syntheticSource` must return equally long columns within each data set.
 */
export function scorePairs(
  realSource: ColumnSource,
  syntheticSource: ColumnSource,
  columns: Record<string, Sdtype>,
  pairs: Iterable<[string, string]>,
  options: PairTrendOptions,
  label: string,
): PairTrendFields[] {
  const real = prepare(realSource, columns, label);
  const syn = prepare(syntheticSource, columns, label);
  const out: PairTrendFields[] = [];
  for (const [c1, c2] of pairs) {
    const s1 = SHAPE[columns[c1] ?? 'other'];
    const s2 = SHAPE[columns[c2] ?? 'other'];
    if (s1 === undefined || s2 === undefined) continue;
    const metric = s1 === 'continuous' && s2 === 'continuous' ? 'CorrelationSimilarity' : 'ContingencySimilarity';
    const row: PairTrendFields = {
      column1: c1,
      column2: c2,
      metric,
      score: null,
      realCorrelation: null,
      syntheticCorrelation: null,
      realAssociation: null,
      meetsThreshold: null,
    };
    out.push(row);
    const failure = [c1, c2].map((c) => real.failed.get(c) ?? syn.failed.get(c)).find((f) => f !== undefined);
    if (failure !== undefined) {
      row.error = failure;
      continue;
    }
    if (metric === 'CorrelationSimilarity') {
      const r1 = real.continuous.get(c1)!;
      const r2 = real.continuous.get(c2)!;
      const y1 = syn.continuous.get(c1)!;
      const y2 = syn.continuous.get(c2)!;
      if ([real, syn].some((p) => p.constant.has(c1) || p.constant.has(c2))) {
        // SDMetrics returns no correlations for a constant column, and the report records it as an error.
        row.error = 'One or both of the input arrays is constant; the correlation is undefined.';
        continue;
      }
      const fill = (v: number[]): number[] => v.map((x) => (Number.isNaN(x) ? 0 : x));
      const corr = options.correlationCoefficient === 'Spearman' ? spearman : pearson;
      let rc = corr(fill(r1), fill(r2));
      let sc = corr(fill(y1), fill(y2));
      if (Number.isNaN(rc)) rc = 0;
      if (Number.isNaN(sc)) sc = 0;
      row.realCorrelation = rc;
      row.syntheticCorrelation = sc;
      const t = options.realCorrelationThreshold;
      row.meetsThreshold = t <= 0 ? true : Math.abs(rc) > t;
      // Below the threshold SDMetrics' CorrelationSimilarity returns NaN: the pair has no trend worth keeping.
      row.score = row.meetsThreshold ? 1 - Math.abs(rc - sc) / 2 : null;
      continue;
    }
    const pick = (p: Prepared, c: string): Array<string | null> => (p.discrete.get(c) ?? p.binned.get(c))!;
    const { score, realAssociation } = contingencySimilarity(
      [pick(real, c1), pick(real, c2)],
      [pick(syn, c1), pick(syn, c2)],
      options.realAssociationThreshold,
    );
    row.score = Number.isNaN(score) ? null : score;
    row.realAssociation = Number.isNaN(realAssociation) ? null : realAssociation;
    const t = options.realAssociationThreshold;
    row.meetsThreshold = t > 0 ? !Number.isNaN(realAssociation) && realAssociation > t : true;
  }
  return out;
}

/** Property average over the pairs that meet the real-data threshold (SDMetrics "Meets Threshold?"). */
export function thresholdAverage(rows: ReadonlyArray<PairTrendFields>): number {
  let s = 0;
  let n = 0;
  for (const r of rows) {
    if (r.meetsThreshold !== true || r.score === null) continue;
    s += r.score;
    n++;
  }
  return n === 0 ? NaN : s / n;
}

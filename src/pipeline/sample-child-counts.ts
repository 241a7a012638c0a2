/**
 * Child-count histograms of big child tables from a sample of their parents: the children of each sampled parent
 * are counted by key (an index lookup where the FK is indexed, one pass of the child otherwise), instead of grouping
 * the whole child table by its FK. The histogram's shape is what generation uses (counts are scaled to the child's
 * row count), so an estimate with a stated error is enough; small tables keep the exact server-side histogram.
 */
import { createHash } from 'node:crypto';
import type { SourceConnector } from '../connectors/connector.js';
import type { ChildCountHistogram, TableSample } from '../generation/model.js';
import { valueKey } from '../generation/metadata.js';
import { tableKey, type ForeignKey, type Table } from '../schema/model.js';
import type { Row } from '../schema/values.js';
import { keysOf } from './sample-keys.js';

/**
 * Child tables with at least this many rows, and at least SAMPLE_FRACTION_INVERSE times the training sample, have
 * their child counts estimated from the parents' sample: below that the exact histogram is cheap.
 */
export const CHILD_COUNT_ESTIMATE_MIN_ROWS = 100_000;
const SAMPLE_FRACTION_INVERSE = 50;

export type ChildCountEstimate = NonNullable<ChildCountHistogram['estimate']>;

/** Whether this FK's histogram should be estimated, decided before the parent's sample may have been read. */
export function wantsChildCountEstimate(source: SourceConnector, child: Table, fk: ForeignKey, childSample: TableSample, sampleRows: number): boolean {
  const self = fk.references.schema === child.schema && fk.references.name === child.name;
  const big = childSample.totalRows >= Math.max(CHILD_COUNT_ESTIMATE_MIN_ROWS, SAMPLE_FRACTION_INVERSE * sampleRows);
  return !self && source.countChildrenByKeys !== undefined && big;
}

/**
 * The histogram from the children of the parents in `parentSample`, scaled to its table's parents, with the 95 %
 * margin of the mean children per parent. Null when the sample is the whole parent table (the exact histogram costs
 * no more then), lacks the referenced columns, or is empty.
 */
export async function estimateChildCounts(
  source: SourceConnector,
  child: Table,
  fk: ForeignKey,
  parentSample: TableSample | undefined,
): Promise<Pick<ChildCountHistogram, 'counts' | 'estimate'> | null> {
  if (!parentSample || !source.countChildrenByKeys || parentSample.rows.length === 0 || parentSample.rows.length >= parentSample.totalRows) return null;
  const keys = keysOf(parentSample, fk.references.columns);
  if (!keys) return null;
  const perParent = await source.countChildrenByKeys(child, fk, keys);
  return histogramFromSample(perParent, parentSample.totalRows);
}

/**
 * Scales the per-parent counts of a uniform sample of parents to `parents` (bins rounded, the largest absorbing the
 * rounding so they sum to `parents`), with the mean's 95 % margin (finite-population corrected).
 */
export function histogramFromSample(perParent: number[], parents: number): Pick<ChildCountHistogram, 'counts' | 'estimate'> {
  const n = perParent.length;
  const bins = new Map<number, number>();
  for (const c of perParent) bins.set(c, (bins.get(c) ?? 0) + 1);
  const counts = [...bins.entries()].sort((a, b) => a[0] - b[0]).map(([children, k]) => ({ children, parents: Math.round((k * parents) / n) }));
  const largest = counts.reduce((a, b) => (b.parents > a.parents ? b : a), counts[0]!);
  largest.parents += parents - counts.reduce((s, c) => s + c.parents, 0);
  const mean = perParent.reduce((s, c) => s + c, 0) / n;
  const variance = n > 1 ? perParent.reduce((s, c) => s + (c - mean) ** 2, 0) / (n - 1) : 0;
  const fpc = parents > 1 ? Math.sqrt(Math.max(0, (parents - n) / (parents - 1))) : 0;
  const margin = 1.96 * Math.sqrt(variance / n) * fpc;
  return { counts: counts.filter((c) => c.parents > 0), estimate: { parentsSampled: n, parents, meanChildren: mean, margin } };
}

/**
 * The source with its `countChildrenByKeys` answers kept for the run: the sample stage's estimate, the fan-out rules
 * (learn-rules.ts) and the learned count heads (train-context.ts) all count the children of the same parent sample,
 * and where the FK has no index each count is a scan of the child table. Answers are keyed by child, FK and a digest
 * of the keys, so only an identical question is answered from memory.
 */
export function withChildCountCache(source: SourceConnector): SourceConnector {
  const count = source.countChildrenByKeys?.bind(source);
  if (!count) return source;
  const answers = new Map<string, Promise<number[]>>();
  const cached: SourceConnector = Object.create(source) as SourceConnector;
  cached.countChildrenByKeys = (child: Table, fk: ForeignKey, keys: Row[]) => {
    const digest = createHash('sha256');
    for (const k of keys) digest.update(k.map(valueKey).join('\u0001')).update('\u0002');
    const id = `${tableKey(child)}\u0000${fk.name}\u0000${keys.length}\u0000${digest.digest('hex')}`;
    let answer = answers.get(id);
    if (!answer) {
      answer = count(child, fk, keys);
      answers.set(id, answer);
      // A failed count is not remembered: the caller sees the error, a later call asks again.
      answer.catch(() => answers.delete(id));
    }
    // Callers may change their copy; the kept answer stays as the source gave it.
    return answer.then((a) => [...a]);
  };
  return cached;
}

/**
 * The key tuples of sampled rows and the child-count histogram of one FK: what the rule learners and the learned
 * model's context ask of the samples before they count or read children by key.
 */
import type { ChildCountHistogram, TableSample } from '../generation/model.js';
import { tableKey, type TableRef } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';

/** Each sampled row's values of `columns`, or null when the sample lacks one of them. */
export function keysOf(sample: TableSample, columns: string[]): Row[] | null {
  const idx = columns.map((c) => sample.columns.indexOf(c));
  if (idx.some((i) => i < 0)) return null;
  return sample.rows.map((r) => idx.map((i) => (r[i] ?? null) as Value));
}

/** The sampled children-per-parent histogram of `child`'s FK `foreignKey`. */
export function histogramOf(histograms: ChildCountHistogram[], child: TableRef, foreignKey: string): ChildCountHistogram | undefined {
  return histograms.find((h) => tableKey(h.child) === tableKey(child) && h.foreignKey === foreignKey);
}

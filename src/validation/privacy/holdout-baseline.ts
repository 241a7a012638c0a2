/**
 * How often a real row the model never saw is itself a "copy" of the training rows: the holdout baseline of the copy
 * filters. SDMetrics' DCRBaselineProtection and DCROverfittingProtection judge synthetic rows by the same comparison:
 * a synthetic row close to a training row says something about that row only when it is closer than a held-out real
 * row would be. In a dense table (TPC-H's partsupp: two numeric columns, 20 000 training rows) a fresh real row
 * matches some training row within 1 % about as often as a generated one does, so moving generated rows out of those
 * matches protects no one while it costs CPU and bends the columns' distribution.
 *
 * The training sample is split once (seeded): up to a tenth, at most MAX_HELD_OUT rows, is held out, and a filter
 * built with the same options on the rest classifies the held-out rows. The near share sets how many near copies a
 * table may let through un-nudged (PrivacyRun.filterRows): the lower end of its 95 % Wilson interval, 0 with fewer
 * than MIN_HELD_OUT held-out rows, so a sparse or small table keeps the filters' full behaviour. Exact copies are
 * never allowed.
 */
import type { RowBatch } from '../../schema/values.js';
import { PrivacyFilter, type FilterOptions } from './filters.js';

/** Held-out rows at most (the share's interval is then a couple of points wide; more only costs the index). */
const MAX_HELD_OUT = 2000;
/** Below this many held-out rows the share is not trusted: nothing is allowed. */
const MIN_HELD_OUT = 50;
/** z of the one-sided bound (95 % two-sided). */
const Z = 1.96;

export interface HoldoutBaseline {
  /** Held-out real rows classified. */
  heldOut: number;
  /** Training rows they were compared with (the rest of the sample). */
  indexed: number;
  /** Held-out rows the filter calls near copies (a copy within tolerance, not exact). */
  near: number;
  /** Held-out rows equal to a training row on every compared column. */
  exact: number;
  /** near / heldOut (0 when nothing was held out). */
  nearShare: number;
  /** exact / heldOut. */
  exactShare: number;
  /**
   * The share of a table's generated rows that may be near copies and go through un-nudged: the lower 95 % Wilson
   * bound of nearShare, 0 below MIN_HELD_OUT held-out rows.
   */
  allowance: number;
}

/** Lower end of the Wilson score interval of k successes in n trials. */
export function wilsonLower(k: number, n: number, z = Z): number {
  if (n <= 0 || k <= 0) return 0;
  const p = k / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.max(0, (centre - spread) / (1 + z2 / n));
}

/**
 * The holdout baseline of `training` under the filter `options` (matchTolerance or nearThreshold alike). `random`
 * (uniform in [0, 1)) picks the held-out rows; the same seed gives the same split.
 */
export function holdoutBaseline(training: RowBatch, options: FilterOptions, random: () => number): HoldoutBaseline {
  const n = training.rows.length;
  const h = Math.min(MAX_HELD_OUT, Math.floor(n / 10));
  if (h < MIN_HELD_OUT) return { heldOut: 0, indexed: n, near: 0, exact: 0, nearShare: 0, exactShare: 0, allowance: 0 };
  // A partial Fisher–Yates: the last h positions of `order` are the held-out rows.
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i >= n - h; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const kept = Array.from(order.subarray(0, n - h), (i) => training.rows[i]!);
  const held = Array.from(order.subarray(n - h), (i) => training.rows[i]!);
  const filter = new PrivacyFilter({ columns: training.columns, rows: kept }, options);
  const counts = filter.filterBatch({ columns: training.columns, rows: held }, false).counts;
  const near = counts.nearCopies;
  const exact = counts.exactCopies;
  return { heldOut: h, indexed: n - h, near, exact, nearShare: near / h, exactShare: exact / h, allowance: wilsonLower(near, h) };
}

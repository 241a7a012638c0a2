/**
 * Order invariants under differential privacy. Without DP, learn-rules.ts finds `a ≤ b` pairs by looking at every
 * sample row and keeps the exact gap quantiles; under privacy both would be published without accounting. Here the
 * candidate pairs come from the schema alone (date/timestamp columns of one table, and a child's date vs its primary
 * parent's through that FK), and each is decided and measured with Laplace releases on the run's ledger: a noisy
 * count of the sample rows that break `a ≤ b` (the decision), and for an accepted pair a noisy histogram of the gaps
 * `b − a` over log-spaced bins in the column's unit. The invariant's gap quantiles are read off that histogram
 * (uniform within a bin), so enforcement goes through the same path as the non-private rules (order-invariants.ts).
 *
 * Releases are few, because each costs a share of a small budget: a row falls into exactly one bin of a release, so
 * bins over disjoint rows are one release (parallel composition). An own pair (x, y) releases its two violation
 * counts, x > y and y > x, together, then one gap histogram for the direction kept. A parent pair releases its
 * violations as one more bin of its gap histogram: a single release decides and measures it.
 */
import type { Column, ForeignKey, Table } from '../../schema/model.js';
import { tableKey } from '../../schema/model.js';
import type { Row, Value } from '../../schema/values.js';
import { parseEpoch } from '../conform.js';
import { keyColumnNames } from '../metadata.js';
import { DEFAULT_MIN_SUPPORT, type OrderInvariant } from '../order-invariants.js';
import type { TableSample } from '../model.js';
import { dpHistogram, type DpContext } from './mechanisms.js';

/** Share of a table's statistics budget spent on its order invariants (the rest goes to the other statistics). */
export const INVARIANT_SHARE = 0.15;
/**
 * Row level: children of one parent counted per FK candidate, so that adding or removing one parent row moves at
 * most this many counted rows (the releases' sensitivity). One is the best cap for the signal-to-noise ratio: a cap
 * of c keeps at most c rows a parent for c times the noise, so a parent with fewer than c children in the sample
 * loses relative to c = 1 and one with more gains nothing. (At 2 the gaps of an 800-row sample were read off
 * histograms whose noise scale was ~80 rows a bin, and drew ship dates weeks after their orders in 1 run of 4.)
 */
export const FK_CHILD_CAP = 1;
/** A pair is kept when its noisy violations stay under this share of the sample (plus the noise's own slack). */
const VIOLATION_SHARE = 0.01;
/**
 * The slack, in noise scales: a pair that holds everywhere is dropped with probability ½·e^−4 ≈ 1 %. Dropping a
 * true invariant ships rows out of order; keeping one that a few percent of rows break only pulls those rows in.
 */
const SLACK_SCALES = 4;
const QUANTILES = 256;
const DAY = 86_400_000;

function isTime(c: Column | undefined): c is Column {
  return c !== undefined && c.generated === null && (c.type.kind === 'date' || c.type.kind === 'timestamp');
}

function timeColumns(table: Table): Column[] {
  const keys = keyColumnNames(table);
  return table.columns.filter((c) => isTime(c) && !keys.has(c.name));
}

/**
 * The releases a table's invariants may make, from the schema only: an own pair its two violation counts (one
 * release) and one gap histogram, a parent pair one histogram whose first bin counts the violations.
 */
export function plannedInvariantReleases(table: Table, parent: { fk: ForeignKey; table: Table } | null): number {
  const own = timeColumns(table).length;
  const pairs = (own * (own - 1)) / 2;
  const fkPairs = parent ? timeColumns(parent.table).length * own : 0;
  return 2 * pairs + fkPairs;
}

/** Milliseconds per unit of the gap histogram: days for dates, seconds for timestamps. */
function unitOf(column: Column): { ms: number; bins: number } {
  // Log-spaced bins: 0, (0, 1), [1, 2), [2, 4), … up to 2^14 days or 2^31 seconds (longer gaps join the last bin).
  return column.type.kind === 'date' ? { ms: DAY, bins: 17 } : { ms: 1000, bins: 34 };
}

function binOf(gapMs: number, unit: { ms: number; bins: number }): number {
  const g = gapMs / unit.ms;
  if (g <= 0) return 0;
  if (g < 1) return 1;
  return Math.min(unit.bins - 1, 2 + Math.floor(Math.log2(g)));
}

function binRange(bin: number, unit: { ms: number }): [number, number] {
  if (bin === 0) return [0, 0];
  if (bin === 1) return [0, unit.ms];
  return [2 ** (bin - 2) * unit.ms, 2 ** (bin - 1) * unit.ms];
}

/**
 * Post-processing of the noisy bins: the run of bins around the fullest one that clear `cut`, plus the zero-gap bin
 * when it clears it alone (created = updated is common). With some thirty mostly empty bins, a cut alone still lets
 * a noisy bin years away through now and then; gaps are rarely spread that way, so isolated bins are dropped.
 * `date`: the (0, 1 day) bin cannot hold a gap and does not break the run.
 */
function keptBins(noisy: number[], cut: number, date: boolean): number[] {
  const out = new Array<number>(noisy.length).fill(0);
  if (noisy[0]! >= cut) out[0] = noisy[0]!;
  let top = 1;
  for (let i = 2; i < noisy.length; i++) if (noisy[i]! > noisy[top]!) top = i;
  const passes = (i: number): boolean => noisy[i]! >= cut || (date && i === 1);
  if (noisy[top]! >= cut) {
    for (let i = top; i >= 1 && passes(i); i--) out[i] = noisy[i]!;
    for (let i = top; i < noisy.length && passes(i); i++) out[i] = noisy[i]!;
  }
  if (date) out[1] = 0;
  if (!out.some((c) => c > 0)) {
    // Nothing clears the cut: the fullest bin alone (for dates, one that can hold a gap).
    const possible = noisy.map((c, i) => (date && i === 1 ? -Infinity : c));
    out[possible.indexOf(Math.max(...possible))] = 1;
  }
  return out;
}

/** Evenly spaced quantiles (ms) of the piecewise-uniform distribution the noisy bins describe. */
function gapQuantiles(counts: number[], unit: { ms: number }): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let bin = 0;
  let below = 0;
  for (let i = 0; i < QUANTILES; i++) {
    const target = ((i + 0.5) / QUANTILES) * total;
    while (bin < counts.length - 1 && below + counts[bin]! <= target) below += counts[bin++]!;
    const [lo, hi] = binRange(bin, unit);
    const within = counts[bin]! > 0 ? (target - below) / counts[bin]! : 0;
    out.push(bin === 0 ? 0 : Math.floor(lo + within * (hi - lo)));
  }
  return out;
}

interface Pair {
  lo: Array<number | null>;
  hi: Array<number | null>;
  loColumn: Column;
  hiColumn: Column;
  foreignKey?: string;
}

function values(sample: { columns: string[] }, rows: ReadonlyArray<Row | null>, column: string): Array<number | null> {
  const i = sample.columns.indexOf(column);
  return rows.map((r) => (r && i >= 0 ? parseEpoch(r[i] as Value) : null));
}

export interface DpInvariantInput {
  table: Table;
  sample: TableSample;
  /**
   * The primary parent through `fk`, with its sample: used when every child finds its parent in it, i.e. the whole
   * parent table was sampled, or `byKey` (the parent rows the child's sample points at, read by key).
   */
  parent: { fk: ForeignKey; table: Table; sample: TableSample; byKey?: boolean } | null;
  /** ε of each release (Laplace). */
  epsilon: number;
  /** The table's DP estimate of its sample size (the violation threshold is relative to it). */
  sampleSize: number;
  /** Ledger, randomness and the table's contribution bound m (own pairs). */
  ctx: Omit<DpContext, 'label'>;
  /** Sensitivity of the parent pairs' releases: FK_CHILD_CAP at row level, m under the entity unit. */
  parentSensitivity: number;
  /** Row level: count at most FK_CHILD_CAP children per parent. */
  capChildren: boolean;
}

/** The rows where both values are known: how many break `lo ≤ hi`, and the gaps `hi − lo` of the others. */
function compare(pair: Pair): { violations: number; gaps: number[] } {
  let violations = 0;
  const gaps: number[] = [];
  for (let r = 0; r < pair.lo.length; r++) {
    const a = pair.lo[r];
    const b = pair.hi[r];
    if (a === null || a === undefined || b === null || b === undefined) continue;
    if (a > b) violations++;
    else gaps.push(b - a);
  }
  return { violations, gaps };
}

/**
 * `compare` of the pair and of its reverse (hi ≤ lo) in one pass over the rows: a row breaks at most one of the two
 * orders, and a row where the values are equal holds both (gap 0 each way).
 */
function compareBothWays(pair: Pair): { up: { violations: number; gaps: number[] }; down: { violations: number; gaps: number[] } } {
  const up = { violations: 0, gaps: [] as number[] };
  const down = { violations: 0, gaps: [] as number[] };
  for (let r = 0; r < pair.lo.length; r++) {
    const a = pair.lo[r];
    const b = pair.hi[r];
    if (a === null || a === undefined || b === null || b === undefined) continue;
    if (a > b) up.violations++;
    else up.gaps.push(b - a);
    if (b > a) down.violations++;
    else down.gaps.push(a - b);
  }
  return { up, down };
}

/**
 * Whether a pair whose noisy violation count is `noisy`, out of about `rows` compared rows, holds: the slack keeps a
 * pair that holds everywhere from being dropped by its noise at small ε; a pair broken on a real share of rows still
 * fails, and none is kept that fails on most of them.
 */
function holds(noisy: number, rows: number, scale: number): boolean {
  return noisy <= VIOLATION_SHARE * rows + SLACK_SCALES * scale && noisy < 0.5 * rows;
}

/** The invariant a pair's noisy gap bins describe; null when they hold too few rows to be read. */
function invariantOf(pair: Pair, input: DpInvariantInput, noisyBins: number[], scale: number): OrderInvariant | null {
  const support = noisyBins.reduce((a, b) => a + b, 0);
  if (support < DEFAULT_MIN_SUPPORT) return null;
  const unit = unitOf(pair.hiColumn);
  const counts = keptBins(noisyBins, 2 * scale, pair.hiColumn.type.kind === 'date');
  return {
    table: { schema: input.table.schema, name: input.table.name },
    column: pair.hiColumn.name,
    anchor: { column: pair.loColumn.name, ...(pair.foreignKey ? { foreignKey: pair.foreignKey } : {}) },
    kind: 'time',
    sameType: pair.loColumn.type.kind === pair.hiColumn.type.kind,
    support,
    gaps: gapQuantiles(counts, unit),
  };
}

/** One Laplace histogram over bin indexes 0 … bins − 1 (each value one row in one bin). */
function noisyBins(bins: number[], count: number, input: DpInvariantInput, contribution: number, label: string): number[] {
  const edges = Array.from({ length: count + 1 }, (_, i) => i);
  return dpHistogram(
    bins.map((b) => b + 0.5),
    edges,
    { epsilon: input.epsilon },
    { ...input.ctx, contribution, label },
  ).counts;
}

/**
 * An own pair (x, y): both directions' violation counts in one release (a row breaks at most one of x ≤ y and
 * y ≤ x), then the gap histogram of the direction kept; when both hold (x = y nearly everywhere), the one that
 * broke less.
 */
function releaseOwn(x: Pair, input: DpInvariantInput, m: number, label: string): OrderInvariant | null {
  const y: Pair = { lo: x.hi, hi: x.lo, loColumn: x.hiColumn, hiColumn: x.loColumn };
  const { up, down } = compareBothWays(x);
  const scale = m / input.epsilon;
  const [upNoisy, downNoisy] = noisyBins(
    [...new Array<number>(up.violations).fill(0), ...new Array<number>(down.violations).fill(1)],
    2,
    input,
    m,
    `${label} violations`,
  ) as [number, number];
  const upHolds = holds(upNoisy, input.sampleSize, scale);
  const downHolds = holds(downNoisy, input.sampleSize, scale);
  if (!upHolds && !downHolds) return null;
  const [pair, gaps] = upHolds && (!downHolds || upNoisy <= downNoisy) ? [x, up.gaps] : [y, down.gaps];
  const unit = unitOf(pair.hiColumn);
  const bins = noisyBins(
    gaps.map((g) => binOf(g, unit)),
    unit.bins,
    input,
    m,
    `${tableKey(input.table)} invariant ${pair.loColumn.name} ≤ ${pair.hiColumn.name} gaps`,
  );
  return invariantOf(pair, input, bins, scale);
}

/**
 * A parent pair: one histogram whose bin 0 counts the rows that break the order and whose other bins are the gap
 * bins; the decision reads bin 0 and is judged against the rows the histogram counted (all of its bins, noisy).
 */
function releaseParent(pair: Pair, input: DpInvariantInput, contribution: number, label: string): OrderInvariant | null {
  const { violations, gaps } = compare(pair);
  const unit = unitOf(pair.hiColumn);
  const all = noisyBins(
    [...new Array<number>(violations).fill(0), ...gaps.map((g) => 1 + binOf(g, unit))],
    1 + unit.bins,
    input,
    contribution,
    `${label} violations and gaps`,
  );
  const scale = contribution / input.epsilon;
  const rows = all.reduce((a, b) => a + b, 0);
  if (!holds(all[0]!, Math.min(rows, input.sampleSize), scale)) return null;
  return invariantOf(pair, input, all.slice(1), scale);
}

/** The parent row of each sample row (null where unknown), at most FK_CHILD_CAP children per parent when capped. */
function alignParent(input: DpInvariantInput): Array<Row | null> | null {
  const p = input.parent;
  if (!p || (!p.byKey && p.sample.rows.length < p.sample.totalRows)) return null;
  const idx = p.fk.columns.map((c) => input.sample.columns.indexOf(c));
  const ref = p.fk.references.columns.map((c) => p.sample.columns.indexOf(c));
  if (idx.some((i) => i < 0) || ref.some((i) => i < 0)) return null;
  const key = (r: Row, cols: number[]): string | null => (cols.some((i) => r[i] === null || r[i] === undefined) ? null : JSON.stringify(cols.map((i) => String(r[i]))));
  const byKey = new Map<string, Row>();
  for (const r of p.sample.rows) {
    const k = key(r, ref);
    if (k !== null) byKey.set(k, r);
  }
  const seen = new Map<string, number>();
  return input.sample.rows.map((r) => {
    const k = key(r, idx);
    if (k === null) return null;
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    return input.capChildren && n >= FK_CHILD_CAP ? null : (byKey.get(k) ?? null);
  });
}

/** The invariants of one table, each decided and measured under DP; every release is charged to `ctx.ledger`. */
export function fitDpOrderInvariants(input: DpInvariantInput): OrderInvariant[] {
  const { table, sample } = input;
  const key = tableKey(table);
  const m = input.ctx.contribution ?? 1;
  const own = timeColumns(table).filter((c) => sample.columns.includes(c.name));
  const out: OrderInvariant[] = [];
  for (let i = 0; i < own.length; i++) {
    for (let j = i + 1; j < own.length; j++) {
      const [x, y] = [own[i]!, own[j]!];
      const pair = { lo: values(sample, sample.rows, x.name), hi: values(sample, sample.rows, y.name), loColumn: x, hiColumn: y };
      const kept = releaseOwn(pair, input, m, `${key} invariant ${x.name} vs ${y.name}`);
      if (kept) out.push(kept);
    }
  }
  const parentRows = alignParent(input);
  if (input.parent && parentRows) {
    const p = input.parent;
    for (const lo of timeColumns(p.table)) {
      const vlo = values(p.sample, parentRows, lo.name);
      for (const hi of own) {
        const pair = { lo: vlo, hi: values(sample, sample.rows, hi.name), loColumn: lo, hiColumn: hi, foreignKey: p.fk.name };
        const r = releaseParent(pair, input, input.parentSensitivity, `${key} invariant ${p.fk.name} → ${lo.name} ≤ ${hi.name}`);
        if (r) out.push(r);
      }
    }
  }
  return out;
}

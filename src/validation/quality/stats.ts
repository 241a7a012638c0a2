/**
 * The statistics under SDMetrics' metrics, written to give the same float64 results as the numpy/scipy
 * calls SDMetrics makes (same formulas, same order of operations where it changes the last bits).
 */

/** numpy `round(x, decimals)`: multiply, round half to even, divide. */
export function roundDecimals(x: number, decimals: number): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** decimals;
  return rint(x * f) / f;
}

/** Round half to even, like numpy's rint. */
export function rint(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; numpy rounds ties to even.
  if (Math.abs(x - Math.trunc(x)) === 0.5) return 2 * Math.round(x / 2);
  return r;
}

const byNumber = (a: number, b: number): number => a - b;

/** scipy.stats.ks_2samp statistic D: the largest gap between the two empirical CDFs. */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort(byNumber);
  const y = [...b].sort(byNumber);
  const n1 = x.length;
  const n2 = y.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && (x[i] as number) <= (y[j] as number)) ? (x[i] as number) : (y[j] as number);
    while (i < n1 && (x[i] as number) <= v) i++;
    while (j < n2 && (y[j] as number) <= v) j++;
    const diff = Math.abs(i / n1 - j / n2);
    if (diff > d) d = diff;
  }
  return d;
}

/** SDMetrics KSComplement on already-numeric values: drop NaN, optionally round to 14 decimals, 1 − D. */
export function ksComplement(
  real: readonly number[],
  synthetic: readonly number[],
  roundReal: boolean,
  roundSynthetic = roundReal,
): number {
  const prep = (v: readonly number[], round: boolean): number[] => {
    const out: number[] = [];
    for (const x of v) if (!Number.isNaN(x)) out.push(round ? roundDecimals(x, 14) : x);
    return out;
  };
  const r = prep(real, roundReal);
  const s = prep(synthetic, roundSynthetic);
  if (r.length === 0 || s.length === 0) return NaN;
  return 1 - ksStatistic(r, s);
}

/**
 * SDMetrics TVComplement over discrete keys (nulls dropped), following `get_frequencies`: categories only in
 * the synthetic data get a 1e-6 pseudo-count in the real counter, and sums run in Counter insertion order.
 */
export function tvComplement(real: ReadonlyArray<string | null>, synthetic: ReadonlyArray<string | null>): number {
  const realCounts = new Map<string, number>();
  const synCounts = new Map<string, number>();
  for (const k of real) if (k !== null) realCounts.set(k, (realCounts.get(k) ?? 0) + 1);
  for (const k of synthetic) if (k !== null) synCounts.set(k, (synCounts.get(k) ?? 0) + 1);
  if (realCounts.size === 0 || synCounts.size === 0) return NaN;
  for (const k of synCounts.keys()) if (!realCounts.has(k)) realCounts.set(k, 1e-6);
  let realTotal = 0;
  for (const c of realCounts.values()) realTotal += c;
  let synTotal = 0;
  for (const c of synCounts.values()) synTotal += c;
  let tv = 0;
  for (const [k, c] of realCounts) tv += Math.abs((synCounts.get(k) ?? 0) / synTotal - c / realTotal);
  return 1 - 0.5 * tv;
}

function mean(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** scipy.stats.pearsonr r (scaled by the max deviation first, as scipy does, then clipped to [-1, 1]). */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return NaN;
  const mx = mean(x);
  const my = mean(y);
  const xm = x.map((v) => v - mx);
  const ym = y.map((v) => v - my);
  if (n === 2) return Math.sign(xm[1]! - xm[0]!) * Math.sign(ym[1]! - ym[0]!) || NaN;
  let xmax = 0;
  let ymax = 0;
  for (let i = 0; i < n; i++) {
    xmax = Math.max(xmax, Math.abs(xm[i]!));
    ymax = Math.max(ymax, Math.abs(ym[i]!));
  }
  if (xmax === 0 || ymax === 0) return NaN;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < n; i++) {
    xm[i] = xm[i]! / xmax;
    ym[i] = ym[i]! / ymax;
    nx += xm[i]! * xm[i]!;
    ny += ym[i]! * ym[i]!;
  }
  const normx = Math.sqrt(nx);
  const normy = Math.sqrt(ny);
  let r = 0;
  for (let i = 0; i < n; i++) r += (xm[i]! / normx) * (ym[i]! / normy);
  return Math.max(Math.min(r, 1), -1);
}

/** Average ranks (ties share the mean rank), as scipy.stats.rankdata. */
export function rank(v: readonly number[]): number[] {
  const idx = v.map((_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const out = new Array<number>(v.length);
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]!] === v[idx[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[idx[k]!] = r;
    i = j + 1;
  }
  return out;
}

export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(rank(x), rank(y));
}

/** numpy.histogram_bin_edges(values without NaN), 10 equal-width bins over the data's own range. */
export function histogramBinEdges(values: readonly number[], bins = 10): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) {
    lo = 0;
    hi = 1;
  } else if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  return linspace(lo, hi, bins + 1);
}

/** numpy.linspace(start, stop, num) with endpoint. */
export function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  const out = new Array<number>(num);
  for (let i = 0; i < num; i++) out[i] = (step === 0 ? (i / div) * delta : i * step) + start;
  out[num - 1] = stop;
  return out;
}

/** numpy.digitize(x, edges) for increasing edges: how many edges are ≤ x (NaN sorts last: edges.length). */
export function digitize(x: number, edges: readonly number[]): number {
  if (Number.isNaN(x)) return edges.length;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((edges[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type Keys = ReadonlyArray<string | null>;

/** Integer codes for the categories of one column across both data sets (null is a category of its own). */
function encode(a: Keys, b: Keys): { a: Int32Array; b: Int32Array; size: number } {
  const dict = new Map<string | null, number>();
  const code = (v: Keys): Int32Array => {
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const k = v[i] ?? null;
      let c = dict.get(k);
      if (c === undefined) {
        c = dict.size;
        dict.set(k, c);
      }
      out[i] = c;
    }
    return out;
  };
  const ca = code(a);
  const cb = code(b);
  return { a: ca, b: cb, size: dict.size };
}

function countPairs(x: Int32Array, y: Int32Array, width: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < x.length; i++) {
    const k = x[i]! * width + y[i]!;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Cramér's V of a contingency table given as pair counts, without continuity correction (scipy `association`). */
function cramersVFromCounts(x: Int32Array, y: Int32Array, width: number): number {
  const n = x.length;
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    rows.set(x[i]!, (rows.get(x[i]!) ?? 0) + 1);
    cols.set(y[i]!, (cols.get(y[i]!) ?? 0) + 1);
  }
  if (n === 0 || rows.size < 2 || cols.size < 2) return NaN;
  const cells = countPairs(x, y, width);
  let chi2 = 0;
  for (const [ra, rc] of rows) {
    for (const [cb, cc] of cols) {
      const expected = (rc * cc) / n;
      const observed = cells.get(ra * width + cb) ?? 0;
      chi2 += ((observed - expected) * (observed - expected)) / expected;
    }
  }
  return Math.sqrt(chi2 / n / (Math.min(rows.size, cols.size) - 1));
}

/** Cramér's V of two discrete columns (nulls form their own category, as pandas groupby dropna=False). */
export function cramersV(a: Keys, b: Keys): number {
  const ea = encode(a, []);
  const eb = encode(b, []);
  return cramersVFromCounts(ea.a, eb.a, eb.size);
}

/**
 * SDMetrics ContingencySimilarity on two discrete columns: 1 − total variation distance between the joint
 * frequency tables (null cells are a group of their own). With a positive association threshold the pair is
 * only scored when the real Cramér's V exceeds it (NaN otherwise), as in SDMetrics.
 */
export function contingencySimilarity(
  real: [Keys, Keys],
  synthetic: [Keys, Keys],
  realAssociationThreshold = 0,
): { score: number; realAssociation: number } {
  const e1 = encode(real[0], synthetic[0]);
  const e2 = encode(real[1], synthetic[1]);
  let realAssociation = NaN;
  if (realAssociationThreshold > 0) {
    realAssociation = cramersVFromCounts(e1.a, e2.a, e2.size);
    if (Number.isNaN(realAssociation) || realAssociation <= realAssociationThreshold) return { score: NaN, realAssociation };
  }
  const nr = real[0].length;
  const ns = synthetic[0].length;
  const rc = countPairs(e1.a, e2.a, e2.size);
  const sc = countPairs(e1.b, e2.b, e2.size);
  // pandas combines the real groups first, then the synthetic-only ones.
  const keys = [...rc.keys(), ...[...sc.keys()].filter((k) => !rc.has(k))];
  let variation = 0;
  for (const k of keys) {
    const diff = Math.abs((rc.get(k) ?? 0) / nr - (sc.get(k) ?? 0) / ns);
    variation += Number.isNaN(diff) ? 0 : diff / 2;
  }
  return { score: 1 - variation, realAssociation };
}

/** Mean of the non-NaN values (pandas `Series.mean`); NaN when there are none. */
export function nanMean(values: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    s += v;
    n++;
  }
  return n === 0 ? NaN : s / n;
}

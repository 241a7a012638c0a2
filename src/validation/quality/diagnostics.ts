/**
 * Diagnostics, with SDMetrics' metric definitions: KeyUniqueness (primary keys), BoundaryAdherence
 * (numerical/datetime), CategoryAdherence (categorical/boolean/ordinal), ReferentialIntegrity (per
 * relationship) and NewRowSynthesis (per table).
 */
import { columnCells, columnIndex, continuousColumn, discreteKey } from './cells.js';
import { nanMean } from './stats.js';
import type { DiagnosticDetail, DiagnosticsResult, QualityData, QualityMetadata, Sdtype, TableData } from './types.js';

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const toScore = (v: number): number | null => (Number.isNaN(v) ? null : v);
/** 0.01 → "1 %": the datetime band as the report words it. */
export const percent = (share: number): string => `${Number((share * 100).toPrecision(6))} %`;

/** Share of synthetic keys that are neither null nor a repeat of an earlier key. */
export function keyUniqueness(synthetic: ReadonlyArray<string | null>): number {
  if (synthetic.length === 0) return NaN;
  const seen = new Set<string>();
  let bad = 0;
  for (const k of synthetic) {
    if (k === null || seen.has(k)) bad++;
    else seen.add(k);
  }
  return 1 - bad / synthetic.length;
}

/**
 * Share of synthetic values inside the real [min, max]. As in SDMetrics, synthetic nulls count as outside
 * unless the real column has nulls too (then nulls are dropped from both).
 */
export function boundaryAdherence(real: readonly number[], synthetic: readonly number[]): number {
  const realHasNull = real.some((v) => Number.isNaN(v));
  const r = realHasNull ? real.filter((v) => !Number.isNaN(v)) : real;
  const s = realHasNull ? synthetic.filter((v) => !Number.isNaN(v)) : synthetic;
  if (s.length === 0) return NaN;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of r) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  let ok = 0;
  for (const v of s) if (v >= lo && v <= hi) ok++;
  return ok / s.length;
}

/** Share of synthetic values (null included) that appear in the real column. */
export function categoryAdherence(real: ReadonlyArray<string | null>, synthetic: ReadonlyArray<string | null>): number {
  if (synthetic.length === 0) return NaN;
  const known = new Set(real);
  let ok = 0;
  for (const k of synthetic) if (known.has(k)) ok++;
  return ok / synthetic.length;
}

/** Share of non-null synthetic foreign keys that exist among the synthetic parent keys. */
export function referentialIntegrity(parentKeys: ReadonlyArray<string | null>, foreignKeys: ReadonlyArray<string | null>): number {
  const parents = new Set(parentKeys.filter((k) => k !== null));
  let n = 0;
  let ok = 0;
  for (const k of foreignKeys) {
    if (k === null) continue;
    n++;
    if (parents.has(k)) ok++;
  }
  return n === 0 ? 1 : ok / n;
}

type FieldKind = 'numerical' | 'categorical';

/** The sdtypes NewRowSynthesis compares. */
const NEW_ROW_SDTYPES: ReadonlySet<Sdtype> = new Set(['numerical', 'datetime', 'categorical', 'boolean', 'ordinal']);

/**
 * SDMetrics NewRowSynthesis: a synthetic row is a copy when some real row matches it on every numerical field
 * within |tolerance × value|, on every datetime field within tolerance × that field's range in the real data, and
 * on every categorical/boolean field exactly (null matches null). Returns the share of synthetic rows that are
 * new. Real rows are bucketed by their categorical fields so each synthetic row only scans its own bucket.
 *
 * Datetimes deviate from SDMetrics on purpose: it compares their epoch values within |tolerance × value|, and 1 %
 * of an epoch time around 2020 is about six months, so nearly every row of a table of dates "matched" a real one.
 */
export function newRowSynthesis(
  real: TableData,
  synthetic: TableData,
  table: string,
  columns: Record<string, Sdtype>,
  tolerance = 0.01,
  sampleSize = 10_000,
): { score: number; newRows: number; checkedRows: number; datetimeTolerance?: number } {
  const fields: Array<{ name: string; kind: FieldKind; sdtype: Sdtype }> = [];
  for (const [name, sdtype] of Object.entries(columns)) {
    if (sdtype === 'numerical' || sdtype === 'datetime') fields.push({ name, kind: 'numerical', sdtype });
    else if (sdtype === 'categorical' || sdtype === 'boolean' || sdtype === 'ordinal') fields.push({ name, kind: 'categorical', sdtype });
  }
  if (fields.length === 0 || synthetic.rows.length === 0) return { score: NaN, newRows: 0, checkedRows: 0 };
  const load = (d: TableData): { num: number[][]; cat: Array<Array<string | null>> } => ({
    num: fields.filter((f) => f.kind === 'numerical').map((f) => continuousColumn(columnCells(d, table, f.name), f.sdtype, table, f.name)),
    cat: fields.filter((f) => f.kind === 'categorical').map((f) => columnCells(d, table, f.name).map(discreteKey)),
  });
  const r = load(real);
  const s = load(synthetic);
  // Per numerical field: the absolute band of a datetime (tolerance × real range), NaN for |tolerance × value|.
  const bands = fields
    .filter((f) => f.kind === 'numerical')
    .map((f, k) => {
      if (f.sdtype !== 'datetime') return NaN;
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of r.num[k]!) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return hi >= lo ? Math.abs(tolerance) * (hi - lo) : 0;
    });
  const band = (f: number, v: number): number => (Number.isNaN(bands[f]!) ? Math.abs(tolerance * v) : bands[f]!);
  const buckets = new Map<string, number[]>();
  for (let i = 0; i < real.rows.length; i++) {
    const key = JSON.stringify(r.cat.map((c) => c[i]));
    const b = buckets.get(key);
    if (b) b.push(i);
    else buckets.set(key, [i]);
  }
  // Inside a bucket, rows are sorted on the first numerical field (nulls last) so a synthetic value only
  // scans the real rows within its tolerance window.
  const lead = r.num[0];
  if (lead) {
    for (const b of buckets.values()) {
      b.sort((x, y) => {
        const a = lead[x]!;
        const c = lead[y]!;
        return Number.isNaN(a) ? (Number.isNaN(c) ? 0 : 1) : Number.isNaN(c) ? -1 : a - c;
      });
    }
  }
  const lowerBound = (b: number[], value: number): number => {
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const v = lead![b[mid]!]!;
      if (!Number.isNaN(v) && v < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const matchesRest = (i: number, ri: number): boolean =>
    s.num.every((col, f) => {
      const v = col[i]!;
      const rv = r.num[f]![ri]!;
      if (Number.isNaN(v)) return Number.isNaN(rv);
      return Math.abs(rv - v) <= band(f, v);
    });
  // A deterministic stride sample keeps the check bounded on big tables.
  const step = Math.max(1, Math.ceil(synthetic.rows.length / sampleSize));
  let checked = 0;
  let fresh = 0;
  for (let i = 0; i < synthetic.rows.length; i += step) {
    checked++;
    const b = buckets.get(JSON.stringify(s.cat.map((c) => c[i])));
    let matched = false;
    if (b && !lead) matched = true;
    else if (b && lead) {
      const v = s.num[0]![i]!;
      if (Number.isNaN(v)) {
        for (let k = lowerBound(b, Infinity); k < b.length && !matched; k++) {
          if (Number.isNaN(lead[b[k]!]!)) matched = matchesRest(i, b[k]!);
        }
      } else {
        const tol = band(0, v);
        // Widen by an ulp-scale margin; the exact test below decides.
        const from = lowerBound(b, v - tol - Math.abs(v) * 1e-12);
        for (let k = from; k < b.length && !matched; k++) {
          const rv = lead[b[k]!]!;
          if (Number.isNaN(rv) || rv - v > tol + Math.abs(v) * 1e-12) break;
          matched = matchesRest(i, b[k]!);
        }
      }
    }
    if (!matched) fresh++;
  }
  const result = { score: fresh / checked, newRows: fresh, checkedRows: checked };
  return fields.some((f) => f.sdtype === 'datetime') ? { ...result, datetimeTolerance: tolerance } : result;
}

export function diagnostics(
  real: QualityData,
  synthetic: QualityData,
  metadata: QualityMetadata,
  options: { numericalMatchTolerance: number; sampleSize: number },
): DiagnosticsResult {
  const details: DiagnosticDetail[] = [];
  for (const [table, meta] of Object.entries(metadata.tables)) {
    const rt = real[table]!;
    const st = synthetic[table]!;
    if (meta.primaryKey !== undefined) {
      const keys = columnCells(st, table, meta.primaryKey).map(discreteKey);
      details.push({ table, column: meta.primaryKey, metric: 'KeyUniqueness', score: toScore(keyUniqueness(keys)) });
    }
    const columns: Record<string, Sdtype> = {};
    for (const [column, { sdtype }] of Object.entries(meta.columns)) {
      columns[column] = sdtype;
      if (column === meta.primaryKey) continue;
      if (sdtype === 'numerical' || sdtype === 'datetime') {
        try {
          const rv = continuousColumn(columnCells(rt, table, column), sdtype, table, column);
          const sv = continuousColumn(columnCells(st, table, column), sdtype, table, column);
          details.push({ table, column, metric: 'BoundaryAdherence', score: toScore(boundaryAdherence(rv, sv)) });
        } catch (e) {
          details.push({ table, column, metric: 'BoundaryAdherence', score: null, detail: msg(e) });
        }
      } else if (sdtype === 'categorical' || sdtype === 'boolean' || sdtype === 'ordinal') {
        const rv = columnCells(rt, table, column).map(discreteKey);
        const sv = columnCells(st, table, column).map(discreteKey);
        details.push({ table, column, metric: 'CategoryAdherence', score: toScore(categoryAdherence(rv, sv)) });
      }
    }
    // A column with one value in the real data matches every synthetic row that keeps it: it cannot tell a copy
    // from a new row, so it does not decide "new" (with only such columns there is nothing to decide).
    const comparable = Object.entries(columns).filter(([, t]) => NEW_ROW_SDTYPES.has(t)).map(([c]) => c);
    const constant = comparable.filter((c) => new Set(columnCells(rt, table, c).map(discreteKey)).size <= 1);
    const compared = Object.fromEntries(Object.entries(columns).filter(([c]) => !constant.includes(c)));
    if (constant.length > 0 && constant.length === comparable.length) {
      details.push({ table, metric: 'NewRowSynthesis', score: null, detail: `not measured: every compared column (${constant.join(', ')}) holds a single value in the real data` });
      continue;
    }
    try {
      const nrs = newRowSynthesis(rt, st, table, compared, options.numericalMatchTolerance, options.sampleSize);
      details.push({
        table,
        metric: 'NewRowSynthesis',
        score: toScore(nrs.score),
        detail: `${nrs.newRows} of ${nrs.checkedRows} checked synthetic rows are new${nrs.datetimeTolerance !== undefined ? ` (datetimes compared within ${percent(nrs.datetimeTolerance)} of their range)` : ''}`,
        checkedRows: nrs.checkedRows,
        newRows: nrs.newRows,
        ...(nrs.datetimeTolerance !== undefined ? { datetimeTolerance: nrs.datetimeTolerance } : {}),
      });
    } catch (e) {
      details.push({ table, metric: 'NewRowSynthesis', score: null, detail: msg(e) });
    }
  }
  for (const rel of metadata.relationships) {
    const parent = synthetic[rel.parentTable]!;
    const child = synthetic[rel.childTable]!;
    const pk = columnIndex(parent, rel.parentTable, rel.parentPrimaryKey);
    const fk = columnIndex(child, rel.childTable, rel.childForeignKey);
    const score = referentialIntegrity(
      parent.rows.map((r) => discreteKey(r[pk] ?? null)),
      child.rows.map((r) => discreteKey(r[fk] ?? null)),
    );
    details.push({
      table: rel.childTable,
      column: rel.childForeignKey,
      relationship: `${rel.childTable}.${rel.childForeignKey} → ${rel.parentTable}.${rel.parentPrimaryKey}`,
      metric: 'ReferentialIntegrity',
      score,
    });
  }
  const meanOf = (pred: (d: DiagnosticDetail) => boolean): number | null =>
    toScore(nanMean(details.filter(pred).map((d) => d.score ?? NaN)));
  return {
    dataValidity: meanOf((d) => d.metric === 'KeyUniqueness' || d.metric === 'BoundaryAdherence' || d.metric === 'CategoryAdherence'),
    relationshipValidity: meanOf((d) => d.metric === 'ReferentialIntegrity'),
    newRowSynthesis: meanOf((d) => d.metric === 'NewRowSynthesis'),
    details,
  };
}

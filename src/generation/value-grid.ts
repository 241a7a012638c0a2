/**
 * The grid a column's values sit on in the source: a DATETIME an application fills with dates only holds midnights,
 * a double holding percentages has one decimal. A model draws between the sampled values (a random time of day,
 * `1.8811862`) where the application never would; snapping the drawn value to the grid keeps it one the application
 * could have written. Learned from the training sample (a data-dependent decision: never under `privacy`, whose fit
 * does not call `withColumnGrids`).
 */
import type { Column, Table } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';
import { formatEpoch, parseEpoch, toNumber } from './conform.js';
import { columnValues, valueKey } from './metadata.js';
import type { AttributeModel, ColumnMeta, Rng, TableSample } from './model.js';

/** Timestamps: every sampled value is a whole `unit`. Numbers: no sampled value has more than `decimals` decimals. */
export type ValueGrid = { unit: 'day' | 'minute' | 'second'; lo: number; hi: number } | { decimals: number; lo: number; hi: number };

const UNIT_MS = { day: 86_400_000, minute: 60_000, second: 1000 } as const;

/** Fewest non-NULL sampled values, and distinct ones, for the sample to say anything about a grid. */
const MIN_VALUES = 20;
const MIN_DISTINCT = 10;
/** Past this many decimals a float is continuous, not written to a grid. */
const MAX_DECIMALS = 6;

/** Decimals of a number's shortest spelling (`1.5` → 1), or null when it has an exponent or is not finite. */
export function decimalsOf(v: Value): number | null {
  const s = typeof v === 'string' ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;
  if (s === null || /[eE]/.test(s) || !/^[-+]?\d*\.?\d*$/.test(s)) return null;
  const dot = s.indexOf('.');
  if (dot < 0) return 0;
  let end = s.length;
  while (end > dot + 1 && s.charCodeAt(end - 1) === 48) end--; // numeric's trailing zeros (`1.50`) are no precision
  return end - dot - 1;
}

/**
 * The column's grid, or null: timestamps without time zone (a timestamptz's midnight is the writer's, not UTC's),
 * floats and numerics without a declared scale (a declared scale is already the column's grid), never a PK or UNIQUE
 * column (snapping to whole days would make distinct values collide), only for the roles a model draws continuously.
 */
export function valueGrid(table: Table, column: Column, role: ColumnMeta['role'], values: readonly Value[]): ValueGrid | null {
  if (role !== 'numerical' && role !== 'datetime') return null;
  if (table.primaryKey?.columns.includes(column.name) || table.uniques.some((u) => u.columns.includes(column.name))) return null;
  const t = column.type;
  const timestamp = t.kind === 'timestamp' && !t.withTimeZone;
  const number = t.kind === 'float' || (t.kind === 'decimal' && t.scale === null);
  if (!timestamp && !number) return null;
  const nonNull = values.filter((v) => v !== null);
  if (nonNull.length < MIN_VALUES || new Set(nonNull.map(valueKey)).size < MIN_DISTINCT) return null;
  let lo = Infinity;
  let hi = -Infinity;
  if (timestamp) {
    let unit: 'day' | 'minute' | 'second' | null = 'day';
    for (const v of nonNull) {
      const ms = parseEpoch(v);
      if (ms === null) return null;
      if (ms < lo) lo = ms;
      if (ms > hi) hi = ms;
      while (unit !== null && ms % UNIT_MS[unit] !== 0) unit = unit === 'day' ? 'minute' : unit === 'minute' ? 'second' : null;
      if (unit === null) return null;
    }
    return unit === null ? null : { unit, lo, hi };
  }
  let decimals = 0;
  for (const v of nonNull) {
    const d = decimalsOf(v);
    const n = toNumber(v);
    if (d === null || n === null || d > MAX_DECIMALS) return null;
    if (d > decimals) decimals = d;
    if (n < lo) lo = n;
    if (n > hi) hi = n;
  }
  return { decimals, lo, hi };
}

/** `meta` with each column's grid from the sample (the non-private fit's metadata; see the module comment). */
export function withColumnGrids(table: Table, sample: TableSample, meta: ColumnMeta[]): ColumnMeta[] {
  return meta.map((m) => {
    const column = table.columns.find((c) => c.name === m.column);
    const grid = column ? valueGrid(table, column, m.role, columnValues(sample, m.column)) : null;
    return grid ? { ...m, grid } : m;
  });
}

/**
 * Rounds to the grid, monotone (an order invariant a ≤ b holds after snapping both), and toward the sampled range
 * outside it: a value inside [lo, hi] stays inside (lo and hi are on the grid), one outside moves toward it, so a
 * CHECK bound every sampled value and the drawn value satisfy is still satisfied.
 */
function snapNumber(x: number, step: number, lo: number, hi: number): number {
  const q = x / step;
  const k = x > hi ? Math.floor(q) : x < lo ? Math.ceil(q) : Math.round(q);
  return k * step;
}

/** The value on `grid`, in the form conform gives the column (NULL and unreadable values pass through). */
export function snapValue(v: Value, column: Column, grid: ValueGrid): Value {
  if (v === null) return v;
  if ('unit' in grid) {
    const ms = parseEpoch(v);
    if (ms === null) return v;
    const snapped = snapNumber(ms, UNIT_MS[grid.unit], grid.lo, grid.hi);
    return snapped === ms ? v : formatEpoch(snapped, 'timestamp', false, true);
  }
  const n = toNumber(v);
  if (n === null) return v;
  const f = 10 ** grid.decimals;
  // Scaled to an integer first: k / 10^d is the double nearest the decimal, whose shortest spelling has ≤ d decimals.
  const k = snapNumber(n * f, 1, grid.lo * f, grid.hi * f);
  const out = k / f + 0;
  if (!Number.isFinite(out) || Math.abs(k) > Number.MAX_SAFE_INTEGER) return v;
  if (column.type.kind === 'float') return column.type.bytes === 4 ? Math.fround(out) : out;
  return String(out).includes('e') ? v : String(out);
}

/**
 * Makes `model.sample` return its rows snapped to the grids in `meta`, in place: the rows stay the objects the model
 * returned (the learned model recognises its last rows when it predicts their child counts). The model's artifact is
 * unchanged; the grids travel in the metadata, and loading a stored model set applies them again. A model without a
 * gridded column is returned untouched (no cost where no column has a grid).
 */
export function applyColumnGrids<M extends AttributeModel>(model: M, table: Table, meta: readonly ColumnMeta[]): M {
  const snaps: Array<{ at: number; column: Column; grid: ValueGrid }> = [];
  for (const m of meta) {
    if (!m.grid) continue;
    const at = model.columns.indexOf(m.column);
    const column = table.columns.find((c) => c.name === m.column);
    if (at >= 0 && column) snaps.push({ at, column, grid: m.grid });
  }
  if (snaps.length === 0) return model;
  const target: AttributeModel = model;
  const sample = target.sample.bind(model);
  target.sample = (n: number, context: Row[] | null, rng: Rng): Row[] => {
    const rows = sample(n, context, rng);
    for (const row of rows) for (const s of snaps) row[s.at] = snapValue(row[s.at] ?? null, s.column, s.grid);
    return rows;
  };
  return model;
}

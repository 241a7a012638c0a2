/**
 * Cell conversions, done the way pandas sees the data SDMetrics receives: numbers as float64, datetimes as
 * nanoseconds since the epoch (what `pd.to_numeric` gives for datetime64[ns]), nulls as NaN.
 */
import { SynthError } from '../../errors.js';
import { utc } from '../../generation/conform.js';
import type { Cell, Sdtype, TableData } from './types.js';

export function columnIndex(table: TableData, tableName: string, column: string): number {
  const i = table.columns.indexOf(column);
  if (i < 0) {
    throw new SynthError('VALIDATION_FAILED', `Quality report: table "${tableName}" has no column "${column}" in its data.`, {
      table: tableName,
      column,
      hint: 'The metadata and the data must name the same columns; rebuild the metadata from the schema the data was read with.',
    });
  }
  return i;
}

export function columnCells(table: TableData, tableName: string, column: string): Cell[] {
  const i = columnIndex(table, tableName, column);
  return table.rows.map((r) => r[i] ?? null);
}

/** Numerical cell to float64; numeric strings (exact decimals) are parsed. NaN for null or non-numbers. */
export function toNumber(cell: Cell): number {
  if (cell === null) return NaN;
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  const t = cell.trim();
  return t === '' ? NaN : Number(t);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Datetime cell to epoch nanoseconds as float64 (the exact integer rounded once, like pandas' int64 → float64).
 * Numbers are epoch milliseconds. Returns NaN for null and undefined for text that is not a date.
 */
export function datetimeToNs(cell: Cell): number | undefined {
  if (cell === null) return NaN;
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) return NaN;
    return Number.isInteger(cell) ? cell * 1e6 : Number(BigInt(Math.round(cell * 1000)) * 1000n);
  }
  if (typeof cell !== 'string') return undefined;
  const m = ISO.exec(cell.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  let ms = utc(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0));
  if (Number.isNaN(ms)) return undefined;
  if (tz && tz.toUpperCase() !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    const offMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
    ms -= sign * offMin * 60_000;
  }
  // Without a fraction ms × 1e6 is one correctly rounded product, the same double as the exact integer.
  if (!frac || /^0+$/.test(frac)) return ms * 1e6;
  return Number(BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0')));
}

/** Converts a datetime column; throws a SynthError naming the first value that is not a date. */
export function datetimeColumn(cells: Cell[], table: string, column: string): number[] {
  const out = new Array<number>(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const v = datetimeToNs(cells[i] ?? null);
    if (v === undefined) {
      throw new SynthError('VALIDATION_FAILED', `Column "${table}.${column}" is a datetime but holds ${JSON.stringify(cells[i])}.`, {
        table,
        column,
        hint: 'Give datetimes as ISO-8601 strings or epoch milliseconds, or mark the column as text.',
      });
    }
    out[i] = v;
  }
  return out;
}

export function numericColumn(cells: Cell[], table: string, column: string): number[] {
  const out = new Array<number>(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i] ?? null;
    const v = toNumber(c);
    if (Number.isNaN(v) && c !== null && !(typeof c === 'number')) {
      throw new SynthError('VALIDATION_FAILED', `Column "${table}.${column}" is numerical but holds ${JSON.stringify(c)}.`, {
        table,
        column,
        hint: 'Mark the column as categorical or text in the metadata, or fix the values.',
      });
    }
    out[i] = v;
  }
  return out;
}

/** Column of a continuous sdtype as float64 values (NaN = null). */
export function continuousColumn(cells: Cell[], sdtype: Sdtype, table: string, column: string): number[] {
  return sdtype === 'datetime' ? datetimeColumn(cells, table, column) : numericColumn(cells, table, column);
}

/**
 * Hashable key of a discrete cell, null for null. Numbers and numeric-looking strings stay distinct, as
 * they are in a pandas object column.
 */
export function discreteKey(cell: Cell): string | null {
  if (cell === null) return null;
  if (typeof cell === 'number') return Number.isNaN(cell) ? null : `n:${cell}`;
  if (typeof cell === 'boolean') return cell ? 'b:1' : 'b:0';
  return `s:${cell}`;
}

/** Human label of a discrete key (for plots). */
export function keyLabel(key: string | null): string {
  if (key === null) return '(null)';
  if (key.startsWith('b:')) return key === 'b:1' ? 'true' : 'false';
  return key.slice(2);
}

export function isNull(cell: Cell): boolean {
  return cell === null || (typeof cell === 'number' && Number.isNaN(cell));
}

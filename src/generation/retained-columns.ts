/**
 * A few columns of every generated row of a parent table, kept while its children are generated (the order date a
 * line's ship date follows, a learned child's parent context). A row array per parent row costs ~60 bytes plus a
 * fresh value per cell, which at a million parents is the biggest thing a run holds: here each column is stored on
 * its own, in the most compact form its values allow so far:
 * - numbers: an Int32Array while every value is a 32-bit integer, else a Float64Array (exact for every JS number),
 *   with a byte per row for NULL once there is one; a JS array of numbers mixed with NULLs boxes every non-integer
 *   (~24 bytes a row);
 * - decimal strings ('1234.50', how decimal and money values travel) of one scale that a double spells back
 *   exactly with `toFixed`: the value × 10^scale in an Int32Array while it fits (prices, amounts), else the value in
 *   a Float64Array, ~40 bytes a row less than a fresh string each;
 * - strings of few distinct spellings (dates, categories): codes into one copy of each spelling, a byte a row for up
 *   to 255 spellings, two for up to 65 535, else four;
 * - anything else (bigints, bytes, JSON, or strings past `MAX_INTERNED` distinct ones): a plain array.
 * A column moves to a plainer form, keeping what it holds, the first time a value does not fit its form. The narrow
 * forms halve what a big parent's columns take (SF1's 1.5 M orders: a date, a status, a price).
 */
import type { Value } from '../schema/values.js';

/** Distinct strings a column keeps one copy of; past this it stores what it gets (a column of unique texts). */
const MAX_INTERNED = 1 << 16;

/** Spelling codes: 0 is NULL, k the spelling at k − 1. */
type Codes = Uint8Array | Uint16Array | Uint32Array;

/**
 * One column's values in its current form; `RetainedWire` carries these as they are. `isNull` is null until a NULL
 * comes; a decimal's Int32Array holds value × 10^scale.
 */
export type RetainedColumn =
  | { kind: 'empty'; nulls: number }
  | { kind: 'number'; values: Int32Array | Float64Array; isNull: Uint8Array | null }
  | { kind: 'decimal'; values: Int32Array | Float64Array; isNull: Uint8Array | null; scale: number }
  | { kind: 'string'; codes: Codes; spellings: string[]; index: Map<string, number> | null }
  | { kind: 'any'; values: Value[] };

type Column = RetainedColumn;

/**
 * Sealed retained columns as a plain object of typed arrays, for a structured clone to another process (the parallel
 * load's workers get their parent's anchor values this way instead of generating the parent again).
 */
export interface RetainedWire {
  columns: readonly string[];
  rows: number;
  store: readonly RetainedColumn[];
}

/** A plain decimal spelling: optional minus, digits, optional fraction; at most 15 significant digits (exact in a double). */
const DECIMAL = /^-?\d{1,15}(?:\.\d{1,15})?$/;

/** The scale of `v` when it is a decimal a double spells back exactly with toFixed(scale), else -1. */
function decimalScale(v: string): number {
  if (!DECIMAL.test(v) || v.replace(/[-.]/g, '').replace(/^0+/, '').length > 15) return -1;
  const dot = v.indexOf('.');
  const scale = dot < 0 ? 0 : v.length - dot - 1;
  return Number(v).toFixed(scale) === v ? scale : -1;
}

/** A typed array twice as long (or `min`), holding `a`'s first `used` elements. */
function grow<T extends Float64Array | Int32Array | Uint8Array | Uint16Array | Uint32Array>(a: T, used: number, min: number): T {
  const next = new (a.constructor as new (n: number) => T)(Math.max(min, a.length * 2, 1024));
  next.set(a.subarray(0, used) as never);
  return next;
}

/** A JS number an Int32Array holds as it is (not -0, NaN, a fraction or past 32 bits). */
function isInt32(v: number): boolean {
  return (v | 0) === v && !Object.is(v, -0);
}

/** Codes wide enough for `code`, holding `codes` (the same length). */
function widen(codes: Codes, code: number): Codes {
  if (code <= 0xff && codes instanceof Uint8Array) return codes;
  if (code <= 0xffff && !(codes instanceof Uint32Array)) return codes instanceof Uint16Array ? codes : Uint16Array.from(codes);
  return codes instanceof Uint32Array ? codes : Uint32Array.from(codes);
}

/** Room for row `i` in a number or decimal column (its NULL bytes too, once there are any). */
function reserve(col: Extract<RetainedColumn, { kind: 'number' | 'decimal' }>, i: number): void {
  if (i < col.values.length) return;
  col.values = grow(col.values, i, i + 1);
  if (col.isNull) col.isNull = grow(col.isNull, i, col.values.length);
}

function setNull(col: Extract<RetainedColumn, { kind: 'number' | 'decimal' }>, i: number): void {
  col.isNull ??= new Uint8Array(col.values.length);
  col.isNull[i] = 1;
}

export class RetainedColumns {
  private readonly store: Column[];
  /** Columns whose strings turned out not to be decimals of one scale: they stay plain strings. */
  private readonly notDecimal = new Set<number>();
  private count = 0;

  constructor(readonly columns: readonly string[]) {
    this.store = columns.map(() => ({ kind: 'empty', nulls: 0 }));
  }

  get rows(): number {
    return this.count;
  }

  /** Sealed columns rebuilt from `toWire` (the values, their forms, nothing to copy). */
  static fromWire(wire: RetainedWire): RetainedColumns {
    const r = new RetainedColumns(wire.columns);
    r.store.splice(0, r.store.length, ...wire.store);
    r.count = wire.rows;
    return r;
  }

  /** The sealed values for another process (call after `seal`: an interning map does not travel). */
  toWire(): RetainedWire {
    return { columns: this.columns, rows: this.count, store: this.store };
  }

  /** Appends `row[at[c]]` for each column c (-1 or a missing value: NULL). */
  push(row: readonly Value[], at: readonly number[]): void {
    const i = this.count;
    for (let c = 0; c < this.store.length; c++) {
      const j = at[c]!;
      this.append(c, i, j >= 0 ? (row[j] ?? null) : null);
    }
    this.count++;
  }

  /** The value of `column` (an index into `columns`) at row `row`; NULL outside. */
  get(row: number, column: number): Value {
    const col = this.store[column];
    if (!col || row < 0 || row >= this.count) return null;
    switch (col.kind) {
      case 'empty':
        return null;
      case 'number':
        return col.isNull?.[row] === 1 ? null : col.values[row]!;
      case 'decimal':
        if (col.isNull?.[row] === 1) return null;
        // value × 10^scale ÷ 10^scale is the double nearest the decimal, as Number(spelling) was: the same spelling.
        return (col.values instanceof Int32Array ? col.values[row]! / 10 ** col.scale : col.values[row]!).toFixed(col.scale);
      case 'string': {
        const code = col.codes[row]!;
        return code === 0 ? null : col.spellings[code - 1]!;
      }
      case 'any':
        return col.values[row] ?? null;
    }
  }

  /** The row's retained values, in `columns` order (undefined outside the rows kept). */
  row(row: number): Value[] | undefined {
    if (row < 0 || row >= this.count) return undefined;
    return this.store.map((_, c) => this.get(row, c));
  }

  /** No more rows come: the interning maps are dropped and the typed arrays trimmed, the values stay. */
  seal(): this {
    const n = this.count;
    for (let c = 0; c < this.store.length; c++) {
      const col = this.store[c]!;
      if ((col.kind === 'number' || col.kind === 'decimal') && col.values.length > n) this.store[c] = { ...col, values: col.values.slice(0, n), isNull: col.isNull?.slice(0, n) ?? null };
      else if (col.kind === 'string') this.store[c] = { kind: 'string', codes: col.codes.length > n ? col.codes.slice(0, n) : col.codes, spellings: col.spellings, index: null };
    }
    return this;
  }

  /** Bytes the retained values take, about (the typed arrays exactly; plain arrays at 8 bytes a cell). */
  bytes(): number {
    let total = 0;
    for (const col of this.store) {
      if (col.kind === 'number' || col.kind === 'decimal') total += col.values.byteLength + (col.isNull?.byteLength ?? 0);
      else if (col.kind === 'string') total += col.codes.byteLength + col.spellings.reduce((a, s) => a + 16 + s.length, 0);
      else if (col.kind === 'any') total += col.values.length * 8;
    }
    return total;
  }

  private append(c: number, i: number, v: Value): void {
    let col = this.store[c]!;
    if (col.kind === 'empty') {
      if (v === null) {
        col.nulls++;
        return;
      }
      // The first value decides the form; the NULLs before it are written into it.
      const scale = typeof v === 'string' && !this.notDecimal.has(c) ? decimalScale(v) : -1;
      const size = Math.max(1024, i + 1);
      // Narrow to start with (32-bit integers, or decimals as such); append widens on the first value that does not fit.
      const numbers = () => ({ values: new Int32Array(size), isNull: i > 0 ? new Uint8Array(size).fill(1, 0, i) : null });
      col = this.store[c] = typeof v === 'number'
        ? { kind: 'number', ...numbers() }
        : scale >= 0
          ? { kind: 'decimal', ...numbers(), scale }
          : typeof v === 'string'
            ? { kind: 'string', codes: new Uint8Array(size), spellings: [], index: new Map() }
            : { kind: 'any', values: new Array<Value>(i).fill(null) };
    }
    if (col.kind === 'decimal') {
      if (v === null || (typeof v === 'string' && decimalScale(v) === col.scale)) {
        reserve(col, i);
        if (v === null) return setNull(col, i);
        const x = Number(v);
        if (col.values instanceof Int32Array) {
          // Exact: the decimal has at most 15 significant digits, so x × 10^scale is within far less than ½ of it.
          const scaled = Math.round(x * 10 ** col.scale);
          if (isInt32(scaled)) {
            col.values[i] = scaled;
            return;
          }
          const pow = 10 ** col.scale;
          col.values = Float64Array.from(col.values, (k) => k / pow);
        }
        col.values[i] = x;
        return;
      }
      // Not one scale's decimals after all: the rows so far are written again as strings (interned if few).
      this.notDecimal.add(c);
      const before = Array.from({ length: i }, (_, r) => this.getUpTo(c, r));
      this.store[c] = { kind: 'empty', nulls: 0 };
      for (let r = 0; r < i; r++) this.append(c, r, before[r]!);
      this.append(c, i, v);
      return;
    }
    if (col.kind === 'number') {
      if (v === null || typeof v === 'number') {
        reserve(col, i);
        if (v === null) return setNull(col, i);
        if (col.values instanceof Int32Array && !isInt32(v)) col.values = Float64Array.from(col.values);
        col.values[i] = v;
        return;
      }
      col = this.toAny(c, i);
    } else if (col.kind === 'string') {
      if (v === null || typeof v === 'string') {
        let code = 0;
        if (v !== null) {
          const index = col.index;
          const known = index?.get(v);
          if (known !== undefined) code = known;
          else if (index && index.size < MAX_INTERNED) {
            code = col.spellings.push(v);
            index.set(v, code);
            col.codes = widen(col.codes, code);
          } else {
            col = this.toAny(c, i);
            col.values.push(v);
            return;
          }
        }
        if (i >= col.codes.length) col.codes = grow(col.codes, i, i + 1);
        col.codes[i] = code;
        return;
      }
      col = this.toAny(c, i);
    }
    col.values.push(v);
  }

  /** Turns column `c`'s first `i` rows into a plain array (a value its form cannot hold came). */
  private toAny(c: number, i: number): Extract<Column, { kind: 'any' }> {
    const values = new Array<Value>(i);
    for (let r = 0; r < i; r++) values[r] = this.getUpTo(c, r);
    const col: Extract<Column, { kind: 'any' }> = { kind: 'any', values };
    this.store[c] = col;
    return col;
  }

  /** `get` without the bound on the rows pushed (used while row `count` is being written). */
  private getUpTo(c: number, row: number): Value {
    const saved = this.count;
    this.count = Math.max(saved, row + 1);
    try {
      return this.get(row, c);
    } finally {
      this.count = saved;
    }
  }
}

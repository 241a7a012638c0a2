/**
 * Last line of defence before a value leaves generation: whatever a model drew, the value fits the column's
 * declared type, so the bulk load never fails on length, range, precision or domain.
 */
import { SynthError } from '../errors.js';
import type { Column, NeutralType } from '../schema/model.js';
import type { Value } from '../schema/values.js';

export function integerRange(type: { bytes: 1 | 2 | 3 | 4 | 8; unsigned: boolean }): [bigint, bigint] {
  const bits = BigInt(type.bytes * 8);
  if (type.unsigned) return [0n, (1n << bits) - 1n];
  return [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
}

// Two-digit fields (months, days, hours, minutes, seconds) by value: formatting dates is the hot loop of a load.
const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const pad2 = (n: number): string => PAD2[n] ?? String(n).padStart(2, '0');
const DAY_MS = 86_400_000;

/** A neutral value as a number (exact decimals, money text, bigints, booleans as 0/1), or null when it is none. */
export function toNumber(v: Value): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    // Number() trims the same whitespace the pattern strips, and fails on `$`, `,` or inner spaces: a finite result
    // here is the one the stripped text gives, without a regex pass over every value.
    const direct = Number(v);
    if (Number.isFinite(direct)) return direct;
    const n = Number(v.replace(/[$,\s]/g, ''));
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** integerRange's bounds as numbers, by bytes and sign: exact for 1–4 bytes, the nearest doubles for 8. */
const NUMBER_RANGES = new Map<string, [number, number]>();

function numberRange(type: { bytes: 1 | 2 | 3 | 4 | 8; unsigned: boolean }): [number, number] {
  const key = `${type.bytes}${type.unsigned ? 'u' : 's'}`;
  let r = NUMBER_RANGES.get(key);
  if (!r) {
    const [lo, hi] = integerRange(type);
    NUMBER_RANGES.set(key, (r = [Number(lo), Number(hi)]));
  }
  return r;
}

function conformInteger(v: Value, type: { bytes: 1 | 2 | 3 | 4 | 8; unsigned: boolean }): number | bigint | null {
  // A number whose rounding is a safe integer (every value a model draws) is clamped as a number: the same result as
  // the BigInt path below (a clamp to a bound that is not safe, only for 8 bytes, is never reached from a safe
  // integer), without the half-dozen BigInts per value that path allocates, a large part of the generation's GC.
  if (typeof v === 'number') {
    const n = Math.round(v);
    if (n >= Number.MIN_SAFE_INTEGER && n <= Number.MAX_SAFE_INTEGER) {
      const [lo, hi] = numberRange(type);
      // `+ 0`: BigInt(-0) is 0n, so the BigInt path writes -0 as 0.
      return (n < lo ? lo : n > hi ? hi : n) + 0;
    }
  }
  const [lo, hi] = integerRange(type);
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) b = BigInt(v.trim());
  else {
    const n = toNumber(v);
    if (n === null) return null;
    b = BigInt(Math.round(n));
  }
  if (b < lo) b = lo;
  if (b > hi) b = hi;
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** Rounds to `scale` digits and clamps into what numeric(precision, scale) can hold; exact string out. */
export function conformDecimal(v: Value, precision: number | null, scale: number | null): string | null {
  const n = toNumber(v);
  if (n === null) return null;
  const s = scale ?? (precision === null ? null : 0);
  if (s === null) {
    // Unconstrained numeric: keep what we have, in plain notation.
    if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return v.trim();
    return String(Number(n.toPrecision(15)));
  }
  const m = Math.round(n * 10 ** s);
  let x = m / 10 ** s;
  if (precision !== null) {
    const max = 10 ** (precision - s) - 10 ** -s;
    if (x > max) x = max;
    if (x < -max) x = -max;
  }
  // x is still m / 10^s: toFixed(s) writes m's digits (its error is far below 10^-s while |m| < 2^50), and writing
  // them costs a fraction of toFixed, which was most of the generation's CPU on decimal columns.
  if (x === m / 10 ** s && s <= 15 && Math.abs(m) < 2 ** 50) return scaledText(m, s);
  const out = x.toFixed(s);
  return out === `-${(0).toFixed(s)}` ? (0).toFixed(s) : out;
}

/** The fraction digits of scales 1–3 by value ('05' for 5 at scale 2): one string less to build per decimal. */
const FRACTION_TEXTS = [1, 2, 3].map((s) => Array.from({ length: 10 ** s }, (_, i) => String(i).padStart(s, '0')));

/** The integer m / 10^s in fixed notation with s decimals (`-0.00` as `0.00`, as conformDecimal writes it). */
function scaledText(m: number, s: number): string {
  const a = Math.abs(m);
  if (s === 0) return m < 0 ? `-${a}` : `${a}`;
  const unit = 10 ** s;
  const whole = Math.floor(a / unit);
  const known = FRACTION_TEXTS[s - 1]?.[a - whole * unit];
  if (known !== undefined) return `${m < 0 ? '-' : ''}${whole}.${known}`;
  const frac = String(a - whole * unit);
  return `${m < 0 ? '-' : ''}${whole}.${frac.length < s ? '0'.repeat(s - frac.length) + frac : frac}`;
}

function isoDate(d: Date): string {
  const y = d.getUTCFullYear();
  return `${String(y).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/**
 * Epoch milliseconds → neutral date/timestamp string. A fractional millisecond is kept to the microsecond, the
 * precision of PostgreSQL's timestamps and MySQL's DATETIME(6).
 */
export function formatEpoch(ms: number, kind: 'date' | 'timestamp', withTimeZone = false, fraction = false): string {
  const micros = Math.round(Math.min(MAX_EPOCH, Math.max(MIN_EPOCH, ms)) * 1000);
  const whole = Math.floor(micros / 1000);
  const day = Math.floor(whole / DAY_MS);
  const date = dayText(day);
  if (kind === 'date') return date;
  // Time of day from the millisecond within the day (never negative, also before 1970).
  const inDay = whole - day * DAY_MS;
  const secs = Math.floor(inDay / 1000);
  let t = `${date} ${pad2(Math.floor(secs / 3600))}:${pad2(Math.floor(secs / 60) % 60)}:${pad2(secs % 60)}`;
  const subSecond = (inDay - secs * 1000) * 1000 + (micros - whole * 1000);
  if (fraction && subSecond > 0) t += `.${String(subSecond).padStart(6, '0').replace(/0+$/, '').padEnd(3, '0')}`;
  return withTimeZone ? `${t}+00` : t;
}

const MIN_EPOCH = utc(1, 0, 1);
const MAX_EPOCH = Date.UTC(9999, 11, 31, 23, 59, 59);
/**
 * `YYYY-MM-DD` by day since 1970: a table's dates span a few thousand days, each formatted once. Days of 1900–2258
 * sit in an array by index (a Map lookup per date value was ~10x the cost, 0.1–0.2 CPU-s of an SF0.1 generation);
 * others in the Map.
 */
const dayTexts = new Map<number, string>();
const NEAR_DAYS_FROM = -25_567;
const nearDayTexts: Array<string | undefined> = Array.from({ length: 1 << 17 });

function dayText(day: number): string {
  const i = day - NEAR_DAYS_FROM;
  const near = i >= 0 && i < nearDayTexts.length;
  let text = near ? nearDayTexts[i] : dayTexts.get(day);
  if (text === undefined) {
    text = isoDate(new Date(day * DAY_MS));
    if (near) nearDayTexts[i] = text;
    else {
      if (dayTexts.size >= 100_000) dayTexts.clear();
      dayTexts.set(day, text);
    }
  }
  return text;
}

/**
 * `Date.UTC`, except that years 0–99 are those years: `Date.UTC` reads them as 1900–1999 (the two-digit-year
 * rule), which turned a date of year 0050 into 1950. The day is set together with the year, so 0004-02-29 stays a
 * leap day although 1904's rules are not consulted.
 */
export function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  // The proleptic Gregorian day of the month's first day, by arithmetic: Date.UTC was the largest single cost of
  // parsing the dates generation writes and reads back. Days, hours, minutes and seconds past their range carry
  // over linearly, as in Date.UTC; other months and years go through it.
  if (mo >= 0 && mo <= 11 && y >= 100 && y <= 9999 && Number.isInteger(y) && Number.isInteger(mo) && Number.isInteger(d) && Number.isInteger(h) && Number.isInteger(mi) && Number.isInteger(s)) {
    return (daysBeforeMonth(y, mo) + d - 1) * DAY_MS + h * 3_600_000 + mi * 60_000 + s * 1000;
  }
  if (y < 0 || y > 99) return Date.UTC(y, mo, d, h, mi, s);
  const date = new Date(Date.UTC(2000, 0, 1, h, mi, s));
  date.setUTCFullYear(y, mo, d);
  return date.getTime();
}

/** Days from 1970-01-01 to the first of month `mo` (0–11) of year `y` (100–9999), Gregorian (H. Hinnant's days_from_civil). */
function daysBeforeMonth(y: number, mo: number): number {
  const yy = mo < 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = mo < 2 ? mo + 10 : mo - 2;
  const doy = Math.floor((153 * mp + 2) / 5);
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The digit at `i` of `s` (0–9), or -1. */
function digitAt(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** The number of the `len` digits of `s` at `i`, or -1 when one is not a digit. */
function digitsAt(s: string, i: number, len: number): number {
  let n = 0;
  for (let k = 0; k < len; k++) {
    const d = digitAt(s, i + k);
    if (d < 0) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * `YYYY-MM-DD` and `YYYY-MM-DD HH:MM:SS`, the spellings generation itself writes, without the general pattern;
 * null for anything else (the pattern then decides). Same arithmetic as the pattern's path.
 */
function parseCanonicalEpoch(v: string): number | null {
  if ((v.length !== 10 && v.length !== 19) || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45) return null;
  const y = digitsAt(v, 0, 4);
  const mo = digitsAt(v, 5, 2);
  const d = digitsAt(v, 8, 2);
  if (y < 0 || mo < 0 || d < 0) return null;
  if (v.length === 10) return utc(y, mo - 1, d);
  if (v.charCodeAt(10) !== 32 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return null;
  const h = digitsAt(v, 11, 2);
  const mi = digitsAt(v, 14, 2);
  const s = digitsAt(v, 17, 2);
  if (h < 0 || mi < 0 || s < 0) return null;
  const t = utc(y, mo - 1, d, h, mi, s);
  return Number.isNaN(t) ? null : t;
}

/** Parses neutral date/timestamp strings (and Date objects) to epoch milliseconds. */
export function parseEpoch(v: Value | Date): number | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  const canonical = parseCanonicalEpoch(v);
  if (canonical !== null) return canonical;
  const m = /^(\d{4,})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(v.trim());
  if (!m) return null;
  // Microseconds stay as the fraction of a millisecond (Date.UTC would truncate them).
  const ms = m[7] ? Number(m[7]) * 1000 : 0;
  let t = utc(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) + ms;
  const tz = m[8];
  if (tz && tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0)) * 60000;
  }
  return Number.isNaN(t) ? null : t;
}

export function parseTimeOfDay(v: Value): number | null {
  if (typeof v !== 'string') return typeof v === 'number' ? v : null;
  const m = /^(\d{1,3}):(\d{2})(?::(\d{2})(\.\d+)?)?/.exec(v.trim());
  if (!m) return null;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0);
}

/** Seconds since midnight → `HH:MM:SS`, with up to six fractional digits when `fraction` (time(6) keeps microseconds). */
export function formatTimeOfDay(seconds: number, withTimeZone = false, fraction = false): string {
  // Past midnight clamps to the last whole second (a clock value, not a fraction of one, was out of range).
  const micros = seconds >= 86400 ? 86399e6 : Math.min(86399999999, Math.round(Math.max(0, seconds) * 1e6));
  let s = fraction ? Math.floor(micros / 1e6) : Math.min(86399, Math.round(micros / 1e6));
  const sub = fraction ? micros - s * 1e6 : 0;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  let t = `${pad2(h)}:${pad2(m)}:${pad2(s)}`;
  if (sub > 0) t += `.${String(sub).padStart(6, '0').replace(/0+$/, '')}`;
  return withTimeZone ? `${t}+00` : t;
}

function truncateChars(s: string, max: number | null): string {
  // UTF-16 length bounds the code-point count from above: most values need no splitting at all.
  if (max === null || s.length <= max) return s;
  const chars = Array.from(s);
  return chars.length > max ? chars.slice(0, max).join('') : s;
}

/** The value a NOT NULL column gets when a model produced nothing usable. */
function fallback(type: NeutralType, column: Column): Value {
  switch (type.kind) {
    case 'integer':
      return 0;
    case 'decimal':
      return conformDecimal(0, type.precision, type.scale);
    case 'money':
      return '0.00';
    case 'float':
      return 0;
    case 'boolean':
      return false;
    case 'text':
      return '';
    case 'binary':
      return new Uint8Array(0);
    case 'date':
      return '1970-01-01';
    case 'time':
      return type.withTimeZone ? '00:00:00+00' : '00:00:00';
    case 'timestamp':
      return type.withTimeZone ? '1970-01-01 00:00:00+00' : '1970-01-01 00:00:00';
    case 'interval':
      return '00:00:00';
    case 'year':
      return 2000;
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'json':
      return {};
    case 'enum':
      return type.values[0] ?? '';
    case 'set':
      return [];
    case 'array':
      return [];
    case 'bit':
      return '0'.repeat(type.varying ? Math.min(1, type.length ?? 1) : (type.length ?? 1));
    case 'network':
      return type.family === 'macaddr' ? '00:00:00:00:00:00' : '0.0.0.0';
    case 'tsvector':
      return '';
    case 'geometry':
      return 'POINT(0 0)';
    case 'xml':
      return '<x/>';
    case 'unsupported':
      throw unsupported(column, type.reason);
  }
}

function unsupported(column: Column, reason: string): SynthError {
  return new SynthError('UNSUPPORTED_TYPE', `Column ${column.name} has type ${column.nativeType}, which synth cannot generate (${reason}).`, {
    column: column.name,
    hint: 'Create the table empty with `tables: { <table>: { skip: true } }`, or leave its schema out with `schemas`.',
  });
}

function conformTyped(value: Value, type: NeutralType, column: Column): Value {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'integer':
      return conformInteger(value, type);
    case 'decimal':
      return conformDecimal(value, type.precision, type.scale);
    case 'money':
      return conformDecimal(value, null, 2);
    case 'float': {
      const n = toNumber(value);
      if (n === null) return null;
      return type.bytes === 4 ? Math.fround(Math.max(-3.4e38, Math.min(3.4e38, n))) : n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') return /^(t|true|y|yes|1|on)$/i.test(value.trim());
      return Boolean(toNumber(value));
    case 'network':
      if (type.family === 'cidr' && typeof value === 'string') return cidrHostBitsZeroed(value);
      return typeof value === 'string' ? value : String(value);
    case 'text':
    case 'xml':
    case 'tsvector':
    case 'interval':
    case 'geometry': {
      const s = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
      return type.kind === 'text' ? truncateChars(s, type.maxLength) : s;
    }
    case 'binary': {
      const b = value instanceof Uint8Array ? value : new TextEncoder().encode(String(value));
      return type.maxLength !== null && b.length > type.maxLength ? b.slice(0, type.maxLength) : b;
    }
    case 'date': {
      const t = parseEpoch(value);
      return t === null ? null : formatEpoch(t, 'date');
    }
    case 'timestamp': {
      const t = parseEpoch(value);
      return t === null ? null : formatEpoch(t, 'timestamp', type.withTimeZone, true);
    }
    case 'time': {
      const s = parseTimeOfDay(value);
      return s === null ? null : formatTimeOfDay(s, type.withTimeZone, true);
    }
    case 'year': {
      const n = toNumber(value);
      if (n === null) return null;
      return Math.min(2155, Math.max(1901, Math.round(n)));
    }
    case 'uuid': {
      const s = String(value).toLowerCase();
      return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s) ? s : null;
    }
    case 'json': {
      // A composite or range is carried as an object: each part must fit its own type (a numeric(8,2) attribute
      // drawn by a DP generator can stray past 10^6, and the COPY of the whole record would fail).
      const st = type.structured;
      if (!st || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || value instanceof Date) return value as Value;
      const parts = st.form === 'composite' ? st.attributes : [{ name: 'lower', type: st.subtype }, { name: 'upper', type: st.subtype }];
      const out: Record<string, Value> = { ...(value as Record<string, Value>) };
      for (const p of parts) if (p.name in out) out[p.name] = conformTyped(out[p.name] ?? null, p.type, column);
      return out as Value;
    }
    case 'enum': {
      const s = String(value);
      return type.values.includes(s) ? s : null;
    }
    case 'set': {
      const items = Array.isArray(value) ? value.map(String) : String(value).split(',').filter((x) => x !== '');
      return [...new Set(items.filter((x) => type.values.includes(x)))];
    }
    case 'array': {
      if (!Array.isArray(value)) return null;
      const element = type.element;
      const inner = (v: Value, depth: number): Value =>
        Array.isArray(v) && depth > 1 ? v.map((x) => inner(x as Value, depth - 1)) : conformTyped(v, element, column);
      return value.map((v) => inner(v as Value, type.dimensions));
    }
    case 'bit': {
      let s = String(value).replace(/[^01]/g, '');
      if (type.length !== null) {
        if (s.length > type.length) s = s.slice(0, type.length);
        if (!type.varying && s.length < type.length) s = s.padEnd(type.length, '0');
      }
      return s;
    }
    case 'unsupported':
      throw unsupported(column, type.reason);
  }
}

/** Fits `value` into `column`: never null for NOT NULL, always within the declared type. */
export function conformValue(value: Value, column: Column): Value {
  const out = conformTyped(value, column.type, column);
  if (out === null && !column.nullable) return fallback(column.type, column);
  return out;
}

/** PostgreSQL rejects a cidr with bits set right of the mask (`10.1.2.3/16`); generated octets may set them. */
function cidrHostBitsZeroed(value: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(value);
  if (!m) return value;
  const prefix = Math.min(32, Number(m[5]));
  const ip = m.slice(1, 5).reduce((acc, o) => acc * 256 + (Number(o) & 255), 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (ip & mask) >>> 0;
  return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${prefix}`;
}

/**
 * Datetime cells for the copy filters: read as milliseconds (dates and timestamps since the epoch in UTC, times
 * of day since midnight), the step their values are written in, and a moved value written back in the shape the
 * cell had, so a nudged date stays a date and a timestamp keeps its separator, precision and zone suffix.
 */
import { formatEpoch, formatTimeOfDay, parseEpoch, parseTimeOfDay } from '../../generation/conform.js';
import type { Value } from '../../schema/values.js';

export const DAY_MS = 86_400_000;

const DATE_ONLY = /^\d{4,}-\d{2}-\d{2}$/;
const TIME_OF_DAY = /^\d{1,3}:\d{2}/;
const TIMESTAMP = /^(\d{4,}-\d{2}-\d{2})([ T])(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Milliseconds for a datetime cell (a fraction keeps microseconds); NaN for NULL or text that is no datetime. */
export function datetimeMs(v: Value): number {
  if (v === null) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'string') return NaN;
  const epoch = parseEpoch(v);
  if (epoch !== null) return epoch;
  if (TIME_OF_DAY.test(v.trim())) {
    const s = parseTimeOfDay(v);
    return s === null ? NaN : s * 1000;
  }
  return NaN;
}

const whole = (x: number, unit: number): boolean => {
  const q = x / unit;
  return Math.abs(q - Math.round(q)) < 1e-6;
};

/**
 * The coarsest unit every value is a whole number of: a day for dates (or timestamps that are all midnights), a
 * second, a millisecond, else a microsecond (the finest unit PostgreSQL and MySQL keep). Numbers (a year
 * column) step by 1 when they are all integers. Undefined when there is no value to judge by.
 */
export function datetimeStep(values: readonly Value[]): number | undefined {
  const ms: number[] = [];
  let numbers = false;
  for (const v of values) {
    if (typeof v === 'number' || typeof v === 'bigint') numbers = true;
    const x = datetimeMs(v);
    if (!Number.isNaN(x)) ms.push(x);
  }
  if (ms.length === 0) return undefined;
  if (numbers) return ms.every((x) => Number.isInteger(x)) ? 1 : undefined;
  for (const unit of [DAY_MS, 1000, 1]) if (ms.every((x) => whole(x, unit))) return unit;
  return 0.001;
}

function offsetMs(tz: string | undefined): number {
  if (!tz || tz.toUpperCase() === 'Z') return 0;
  const sign = tz.startsWith('-') ? -1 : 1;
  const digits = tz.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0)) * 60_000;
}

/** `ms` written the way `like` is: a date, a time of day, a timestamp with `like`'s separator and zone, or a number. */
export function formatDatetimeLike(ms: number, like: Value, step: number | undefined): Value {
  const rounded = step !== undefined && step >= 1 ? Math.round(ms / step) * step : ms;
  if (typeof like === 'bigint') return BigInt(Math.round(rounded));
  if (typeof like !== 'string') return rounded;
  const t = like.trim();
  if (DATE_ONLY.test(t)) return formatEpoch(Math.round(ms / DAY_MS) * DAY_MS, 'date');
  const m = TIMESTAMP.exec(t);
  if (m) {
    const [, , sep, , tz] = m;
    // The cell's own offset is kept: the same instant, written in the zone it came in.
    const body = formatEpoch(rounded + offsetMs(tz), 'timestamp', false, step === undefined || step < 1000);
    return `${sep === 'T' ? body.replace(' ', 'T') : body}${tz ?? ''}`;
  }
  if (TIME_OF_DAY.test(t)) {
    const tz = /([+-]\d{2}(?::?\d{2})?)$/.exec(t)?.[1];
    const body = formatTimeOfDay(rounded / 1000, false, step === undefined || step < 1000);
    return `${body}${tz ?? ''}`;
  }
  return like;
}

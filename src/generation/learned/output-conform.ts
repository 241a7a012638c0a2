/**
 * `conformValue` for the learned model's output columns, without the work it need not do. Conforming is a pure
 * function of the value and the column, and the learned model's values repeat (categories, bins, days) or are
 * already in the form conforming would give them (timestamps and decimals formatted from a number inside the
 * column's range): parsing them back took a third of the composed model's generation time.
 */
import { conformValue, integerRange, utc } from '../conform.js';
import type { Column } from '../../schema/model.js';
import type { Value } from '../../schema/values.js';
import { fromNumber, type ColumnEncoder, type NumericEncoderJSON } from './encoders.js';

/** Distinct values remembered per column: enough for every category, day or small integer a column draws. */
const REMEMBERED_VALUES = 4096;

/** Years conforming keeps as they are (it clamps timestamps to years 1–9999). */
const FIRST_MS = utc(1, 0, 1);
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * True when every non-null value `encoder` can decode is one `conformValue` returns unchanged for `col`: points
 * are checked one by one, and binned values lie between the first and last edge, formatted as conforming formats:
 * whole-second timestamps (conforming rewrites fractions) in years 1–9999, decimals of the column's scale within
 * its precision, integers within the type's range.
 */
export function decodesConformed(col: Column, encoder: ColumnEncoder): boolean {
  const spec = encoder.toJSON();
  if (spec.type !== 'numeric') return false;
  if (!spec.points.every((p) => 'v' in p && p.v !== null && conformValue(p.v, col) === p.v)) return false;
  const { numeric: nk, edges } = spec as NumericEncoderJSON;
  if (edges.length === 0) return true;
  const lo = edges[0] as number;
  const hi = edges[edges.length - 1] as number;
  const t = col.type;
  switch (nk.kind) {
    case 'timestamp':
      return t.kind === 'timestamp' && nk.fraction === 0 && nk.utc === t.withTimeZone && lo >= FIRST_MS && hi <= LAST_MS;
    case 'decimal': {
      if (t.kind !== 'decimal' || t.scale === null || t.scale !== nk.scale) return false;
      const max = t.precision === null ? Infinity : 10 ** (t.precision - t.scale) - 10 ** -t.scale;
      return Math.max(Math.abs(lo), Math.abs(hi)) <= max && Math.abs(hi) * 10 ** t.scale < Number.MAX_SAFE_INTEGER;
    }
    case 'integer': {
      if (t.kind !== 'integer') return false;
      const [min, maxInt] = integerRange(t);
      const [a, b] = [Math.floor(lo), Math.ceil(hi)];
      return Number.isSafeInteger(a) && Number.isSafeInteger(b) && BigInt(a) >= min && BigInt(b) <= maxInt;
    }
    case 'date':
      return t.kind === 'date' && conformValue(fromNumber(lo, nk), col) === fromNumber(lo, nk) && conformValue(fromNumber(hi, nk), col) === fromNumber(hi, nk);
    default:
      return false;
  }
}

/**
 * The conform step for one learned column: nothing but NULL handling where `decodesConformed` holds, otherwise
 * `conformValue` with its answers for strings and numbers remembered (values that never repeat fill the memory once
 * and are then conformed as before).
 */
export function learnedConformer(col: Column, encoder: ColumnEncoder | undefined): (v: Value) => Value {
  // NULL (NOT NULL columns get their fallback) and -0 (conformed to 0) still go through conformValue.
  if (encoder && decodesConformed(col, encoder)) return (v) => (v === null || Object.is(v, -0) ? conformValue(v, col) : v);
  const seen = new Map<string | number, Value>();
  return (v) => {
    // A Map does not tell -0 from 0.
    if ((typeof v !== 'string' && typeof v !== 'number') || Object.is(v, -0)) return conformValue(v, col);
    const hit = seen.get(v);
    if (hit !== undefined) return hit;
    const out = conformValue(v, col);
    if (seen.size < REMEMBERED_VALUES) seen.set(v, out);
    return out;
  };
}

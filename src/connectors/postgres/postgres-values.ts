/**
 * Conversion between PostgreSQL text representations and neutral values (schema/values.ts). Reads cast every
 * column to text in SQL, so the same decoding works for any driver (pg, PGlite) regardless of its parsers.
 */
import type { NeutralType, StructuredType } from '../../schema/model.js';
import type { Value } from '../../schema/values.js';

/**
 * SQL expression that selects a column as text in the neutral value's spelling. `physical` is the column's
 * actual type in this database (a MySQL-origin geometry is text here, a PostgreSQL one is a postgis type).
 */
export function selectAsText(quotedColumn: string, type: NeutralType, physical: string): string {
  if (physical === 'money') return `${quotedColumn}::numeric::text`;
  if (type.kind === 'json' && type.structured?.form === 'composite') return `to_jsonb(${quotedColumn})::text`;
  if (type.kind === 'json' && type.structured?.form === 'range') {
    const c = quotedColumn;
    return `CASE WHEN ${c} IS NULL THEN NULL WHEN isempty(${c}) THEN '"empty"' ELSE jsonb_build_object('lower', lower(${c}), 'upper', upper(${c}), 'bounds', CASE WHEN lower_inc(${c}) THEN '[' ELSE '(' END || CASE WHEN upper_inc(${c}) THEN ']' ELSE ')' END)::text END`;
  }
  if (physical.startsWith('geometry') || physical.startsWith('geography')) return `ST_AsText(${quotedColumn})`;
  if (type.kind === 'network' || physical === 'inet' || physical === 'cidr') {
    // inet's text() cast always appends the mask (/32); the output function prints it only when needed.
    // format() turns NULL into '', which no network value prints as.
    return `nullif(format('%s', ${quotedColumn}), '')`;
  }
  return `${quotedColumn}::text`;
}

export function decodeText(text: string | null, type: NeutralType): Value {
  if (text === null) return null;
  switch (type.kind) {
    case 'integer':
      if (type.bytes === 8 || (type.bytes === 4 && type.unsigned)) {
        const b = BigInt(text);
        return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
      }
      return Number(text);
    case 'float':
    case 'year':
      return Number(text);
    case 'boolean':
      return text === 't' || text === 'true';
    case 'binary':
      return hexToBytes(text);
    case 'json':
      return JSON.parse(text) as Value;
    case 'set':
      return parseArrayLiteral(text, (s) => s) as Value[];
    case 'array':
      return parseArrayLiteral(text, (s) => decodeText(s, type.element));
    default:
      return text;
  }
}

function hexToBytes(text: string): Uint8Array {
  if (text.startsWith('\\x')) return new Uint8Array(Buffer.from(text.slice(2), 'hex'));
  // Escape format (bytea_output = escape) as a fallback.
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') {
      if (text[i + 1] === '\\') {
        out.push(92);
        i++;
      } else {
        out.push(parseInt(text.slice(i + 1, i + 4), 8));
        i += 3;
      }
    } else out.push(text.charCodeAt(i));
  }
  return new Uint8Array(out);
}

/** Parses a PostgreSQL array literal such as `{1,NULL,"a b",{2,3}}`; elements go through `element`. */
export function parseArrayLiteral(text: string, element: (s: string | null) => Value): Value[] {
  let src = text;
  // Non-default lower bounds print as `[0:1]={…}`.
  if (src.startsWith('[')) src = src.slice(src.indexOf('=') + 1);
  let i = 0;
  const parse = (): Value[] => {
    if (src[i] !== '{') throw new Error(`malformed array literal: ${text}`);
    i++;
    const out: Value[] = [];
    if (src[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (src[i] === '{') out.push(parse());
      else if (src[i] === '"') {
        i++;
        let s = '';
        while (src[i] !== '"') {
          if (src[i] === '\\') i++;
          s += src[i];
          i++;
        }
        i++;
        out.push(element(s));
      } else {
        let s = '';
        while (src[i] !== ',' && src[i] !== '}') {
          s += src[i];
          i++;
        }
        out.push(s === 'NULL' ? element(null) : element(s.trim()));
      }
      if (src[i] === ',') {
        i++;
        continue;
      }
      if (src[i] === '}') {
        i++;
        return out;
      }
      throw new Error(`malformed array literal: ${text}`);
    }
  };
  return parse();
}

/** The PostgreSQL text input form of a neutral value (before COPY escaping). */
export function encodeText(v: Exclude<Value, null>, type: NeutralType): string {
  switch (type.kind) {
    case 'boolean':
      return v === true || v === 1 || v === '1' || v === 't' || v === 'true' ? 't' : 'f';
    case 'binary':
      return `\\x${Buffer.from(v as Uint8Array).toString('hex')}`;
    case 'json':
      return type.structured ? structuredLiteral(v, type.structured) : JSON.stringify(v);
    case 'set':
      return arrayLiteral(Array.isArray(v) ? v : String(v).split(',').filter((s) => s !== ''), { kind: 'text', maxLength: null, fixedLength: false });
    case 'array':
      return arrayLiteral(v as Value[], type.element);
    default:
      if (typeof v === 'number' && Object.is(v, -0)) return '-0';
      if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
      if (typeof v === 'object') return JSON.stringify(v);
      return String(v);
  }
}

/** A part of a record or range literal: bare when safe, else double-quoted with `"` and `\` escaped. */
function literalPart(v: Value | undefined, type: NeutralType): string {
  if (v === null || v === undefined) return '';
  const text = encodeText(v, type);
  return text !== '' && !/[(),"\\\s\[\]]/.test(text) ? text : `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The PostgreSQL literal of a composite value (`(1.5,2.5)` from `{ latitude: 1.5, longitude: 2.5 }`) or of a range
 * (`[1,5)` from `{ lower: 1, upper: 5, bounds: '[)' }`, or `empty`). A generated range whose ends came out reversed is
 * put in order rather than refused by the database.
 */
export function structuredLiteral(v: Exclude<Value, null>, st: StructuredType): string {
  const obj = (typeof v === 'string' ? (v === 'empty' ? v : JSON.parse(v)) : v) as Record<string, Value> | string;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'empty';
  if (st.form === 'composite') return `(${st.attributes.map((a) => literalPart(obj[a.name], a.type)).join(',')})`;
  let lower = obj['lower'] ?? null;
  let upper = obj['upper'] ?? null;
  if (lower !== null && upper !== null && compareParts(lower, upper) > 0) [lower, upper] = [upper, lower];
  const bounds = typeof obj['bounds'] === 'string' && /^[[(][\])]$/.test(obj['bounds']) ? obj['bounds'] : '[)';
  return `${bounds[0]}${literalPart(lower, st.subtype)},${literalPart(upper, st.subtype)}${bounds[1]}`;
}

function compareParts(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const na = Number(a);
  const nb = Number(b);
  if (typeof a !== 'boolean' && typeof b !== 'boolean' && a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  // Dates and timestamps in one spelling order as text.
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function arrayLiteral(values: Value[], element: NeutralType): string {
  const parts = values.map((x) => {
    if (x === null) return 'NULL';
    if (Array.isArray(x) && element.kind !== 'json') return arrayLiteral(x, element);
    return `"${encodeText(x, element).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${parts.join(',')}}`;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function copyEscape(text: string): string {
  return COPY_SPECIAL.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : text;
}

/** COPY text format field: `\N` for NULL, backslash escapes for the delimiter and line breaks. */
export function copyField(v: Value, type: NeutralType): string {
  if (v === null || v === undefined) return '\\N';
  return copyEscape(encodeText(v, type));
}

/** A row encoder specialised per column type once per stream (the hot loop of every load). */
export function copyRowEncoder(types: NeutralType[]): (row: Value[]) => string {
  const fields = types.map((type): ((v: Value) => string) => {
    switch (type.kind) {
      case 'integer':
      case 'float':
      case 'year':
        return (v) => (v === null || v === undefined ? '\\N' : typeof v === 'number' && !Object.is(v, -0) ? String(v) : copyField(v, type));
      case 'decimal':
      case 'money':
      case 'date':
      case 'timestamp':
      case 'time':
      case 'uuid':
      case 'text':
      case 'enum':
      case 'xml':
      case 'network':
      case 'tsvector':
      case 'interval':
      case 'bit':
      case 'geometry':
        return (v) => (v === null || v === undefined ? '\\N' : typeof v === 'string' ? copyEscape(v) : copyField(v, type));
      default:
        return (v) => copyField(v, type);
    }
  });
  const n = fields.length;
  return (row) => {
    let line = n > 0 ? fields[0]!(row[0] ?? null) : '';
    for (let i = 1; i < n; i++) line += '\t' + fields[i]!(row[i] ?? null);
    return line + '\n';
  };
}

/**
 * Per-column marginals of the baseline model: what is learned from a sample (fit) and how a value is drawn
 * from it (draw). Specs are plain JSON so they go into artifacts as they are.
 */
import { SynthError } from '../../errors.js';
import type { Column, NeutralType, StructuredType } from '../../schema/model.js';
import type { JsonValue, Value } from '../../schema/values.js';
import type { ColumnRole, Rng } from '../model.js';
import { conformValue, formatEpoch, formatTimeOfDay, parseEpoch, parseTimeOfDay, toNumber } from '../conform.js';
import { isLowCardinality, MIN_CATEGORY_COUNT, valueKey } from '../metadata.js';
import { loremText, loremWord, randomToken, type CharProfile } from './text.js';
import { IDENTIFYING_KINDS, type PiiKind } from '../privacy/pii-config.js';
import { freshFake } from '../privacy/pii-transform.js';

export type ColumnSpec =
  | { type: 'null' }
  | { type: 'constant'; value: JsonValue }
  /** `decimals`: digits kept after the point when the type does not fix a scale (unconstrained numeric). */
  | { type: 'numeric'; quantiles: number[]; integer: boolean; decimals?: number }
  | { type: 'categorical'; values: JsonValue[]; weights: number[] }
  | { type: 'boolean'; pTrue: number }
  | { type: 'epoch'; unit: 'date' | 'timestamp' | 'time'; quantiles: number[]; fraction: boolean; withTimeZone: boolean }
  | {
      type: 'text';
      lengths: number[];
      wordShare: number;
      capitalShare: number;
      upperShare: number;
      chars: CharProfile;
      /** Character-class masks (A upper, a lower, 9 digit, punctuation kept) when a few cover most values: codes, phones, postcodes. */
      masks?: Array<{ mask: string; weight: number }>;
    }
  | { type: 'uuid' }
  /**
   * Personal data (names, emails, phones …): fresh fakes of the kind, drawn from the run's generator, so nothing
   * of a real value is kept; `masks` keep a format (digit layout of phones, postcodes) where the values share one.
   */
  | { type: 'fake'; kind: PiiKind; masks?: Array<{ mask: string; weight: number }> }
  | { type: 'json'; shapes: Shape[] }
  /**
   * A PostgreSQL composite (or range) value learned part by part with each part's own type; `range` draws the two
   * ends in order and keeps the source's share of empty ranges and its bounds.
   */
  | { type: 'record'; fields: Array<{ name: string; nullRate: number; spec: ColumnSpec }>; range?: { emptyShare: number; bounds: ColumnSpec } }
  | { type: 'array'; lengths: number[]; element: ColumnSpec }
  | { type: 'set'; values: string[]; probs: number[] }
  | {
      type: 'template';
      templates: string[];
      low: number;
      high: number;
      decimals: number;
      /**
       * Per template, each number slot's own observed range: a global range across slots turns `3 days 04:00:00`
       * into `250 days 55:126:230`, and an IP octet or CIDR prefix into something the database rejects.
       */
      slots?: Array<Array<{ lo: number; hi: number; decimals: number }>>;
      /** Slots are hex byte pairs (macaddr) rather than decimal numbers. */
      hex?: boolean;
    }
  | { type: 'binary'; lengths: number[] }
  | { type: 'bits'; lengths: number[]; pOne: number };

export interface ColumnModelSpec {
  column: string;
  nullRate: number;
  spec: ColumnSpec;
}

export type Shape =
  | { k: 'null' }
  | { k: 'bool' }
  | { k: 'num'; int: boolean; lo: number; hi: number }
  | { k: 'str'; len: number }
  | { k: 'arr'; items: Shape[]; len: number }
  | { k: 'obj'; fields: Array<[string, Shape]> };

const QUANTILES = 101;
const MAX_CATEGORIES = 1000;

// ---- value encoding for JSON artifacts ----

export function encodeValue(v: Value): JsonValue {
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (v instanceof Uint8Array) return { $hex: Buffer.from(v).toString('hex') };
  return v as JsonValue;
}

export function decodeValue(v: JsonValue): Value {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    if (typeof v.$bigint === 'string' && Object.keys(v).length === 1) return BigInt(v.$bigint);
    if (typeof v.$hex === 'string' && Object.keys(v).length === 1) return new Uint8Array(Buffer.from(v.$hex, 'hex'));
  }
  return v;
}

// ---- helpers ----

export function quantiles(values: number[]): number[] {
  if (values.length === 0) return [];
  const s = [...values].sort((a, b) => a - b);
  const out: number[] = [];
  for (let i = 0; i < QUANTILES; i++) {
    const pos = (i / (QUANTILES - 1)) * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(s.length - 1, lo + 1);
    out.push(s[lo]! + (s[hi]! - s[lo]!) * (pos - lo));
  }
  return out;
}

/** Picks a quantile bin uniformly, then a point uniformly inside it: continuous values, same marginal. */
export function drawQuantile(q: number[], rng: Rng): number {
  if (q.length === 0) return 0;
  if (q.length === 1) return q[0]!;
  const bins = q.length - 1;
  const b = rng.int(bins);
  return q[b]! + (q[b + 1]! - q[b]!) * rng.next();
}

function drawWeighted(weights: number[], rng: Rng): number {
  let total = 0;
  for (const w of weights) total += w;
  return pickWeighted(weights, total, rng);
}

/** drawWeighted with the weights' sum (added in their order, so the same double) given. */
function pickWeighted(weights: number[], total: number, rng: Rng): number {
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/**
 * `minCount`: values seen fewer times are left out (a value seen once names its row), so their rows draw from the
 * frequent ones; kept when no value is frequent.
 */
function categorical(values: Value[], minCount = 1): ColumnSpec {
  const counts = new Map<string, { v: Value; n: number }>();
  for (const v of values) {
    const k = valueKey(v);
    const e = counts.get(k);
    if (e) e.n++;
    else counts.set(k, { v, n: 1 });
  }
  const frequent = [...counts.values()].filter((e) => e.n >= minCount);
  const top = (frequent.length > 0 ? frequent : [...counts.values()]).sort((a, b) => b.n - a.n || valueKey(a.v).localeCompare(valueKey(b.v))).slice(0, MAX_CATEGORIES);
  return { type: 'categorical', values: top.map((e) => encodeValue(e.v)), weights: top.map((e) => e.n) };
}

function profileText(values: string[]): ColumnSpec {
  const lengths = values.map((s) => Array.from(s).length);
  let upper = 0;
  let lower = 0;
  let digit = 0;
  let words = 0;
  let capital = 0;
  let allUpper = 0;
  for (const s of values) {
    for (const ch of s) {
      if (ch >= 'A' && ch <= 'Z') upper++;
      else if (ch >= 'a' && ch <= 'z') lower++;
      else if (ch >= '0' && ch <= '9') digit++;
    }
    if (/\s/.test(s.trim())) words++;
    if (/^[A-Z]/.test(s)) capital++;
    if (/[A-Z]/.test(s) && !/[a-z]/.test(s)) allUpper++;
  }
  const n = values.length || 1;
  const maskCounts = new Map<string, number>();
  for (const v of values) {
    const m = v.replace(/[A-Z]/g, 'A').replace(/[a-z]/g, 'a').replace(/[0-9]/g, '9');
    maskCounts.set(m, (maskCounts.get(m) ?? 0) + 1);
  }
  const topMasks = [...maskCounts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 20);
  const covered = topMasks.reduce((acc, [, c]) => acc + c, 0);
  // Only masks that carry no letters-in-words: a mask with a long lowercase run is just a word's length.
  const useMasks = values.length >= 10 && covered >= 0.8 * values.length && topMasks.every(([m]) => !/[Aa]{4,}/.test(m) && /9/.test(m));
  return {
    ...(useMasks ? { masks: topMasks.map(([mask, weight]) => ({ mask, weight })) } : {}),
    type: 'text',
    lengths: quantiles(lengths),
    wordShare: words / n,
    capitalShare: capital / n,
    upperShare: allUpper / n,
    chars: { upper, lower, digit },
  };
}

function shapeOf(v: JsonValue, depth = 0): Shape {
  if (v === null || depth > 8) return { k: 'null' };
  if (typeof v === 'boolean') return { k: 'bool' };
  if (typeof v === 'number') return { k: 'num', int: Number.isInteger(v), lo: Math.min(0, v), hi: Math.max(0, v) };
  if (typeof v === 'string') return { k: 'str', len: v.length };
  if (Array.isArray(v)) return { k: 'arr', items: v.slice(0, 3).map((x) => shapeOf(x, depth + 1)), len: v.length };
  return { k: 'obj', fields: Object.keys(v).map((key) => [key, shapeOf(v[key]!, depth + 1)] as [string, Shape]) };
}

function shapeSignature(s: Shape): string {
  switch (s.k) {
    case 'arr':
      return `[${s.items.map(shapeSignature).join(',')}]`;
    case 'obj':
      return `{${s.fields.map(([k, f]) => `${k}:${shapeSignature(f)}`).join(',')}}`;
    default:
      return s.k;
  }
}

function drawShape(s: Shape, rng: Rng): JsonValue {
  switch (s.k) {
    case 'null':
      return null;
    case 'bool':
      return rng.next() < 0.5;
    case 'num': {
      const x = s.lo + (s.hi - s.lo) * rng.next();
      return s.int ? Math.round(x) : Math.round(x * 100) / 100;
    }
    case 'str':
      return loremText(rng, s.len);
    case 'arr': {
      if (s.items.length === 0) return [];
      const len = Math.max(0, Math.round(s.len * (0.5 + rng.next())));
      return Array.from({ length: len }, (_, i) => drawShape(s.items[i % s.items.length]!, rng));
    }
    case 'obj':
      return Object.fromEntries(s.fields.map(([k, f]) => [k, drawShape(f, rng)]));
  }
}

const NUMBER_RE = /-?\d+(?:\.\d+)?/g;

const HEX_RE = /[0-9a-fA-F]{2}/g;
// Dotted quads are integers: `10.5.7.9` read with NUMBER_RE is the two decimals 10.5 and 7.9.
const INT_RE = /\d+/g;

export function slotRe(kind: NeutralType['kind'], hex: boolean): RegExp {
  return hex ? HEX_RE : kind === 'network' ? INT_RE : NUMBER_RE;
}

/** A value's skeleton: numbers become `\u0001`, free text (xml text nodes, tsvector lexemes) `\u0002`. */
export function templateOf(s: string, kind: NeutralType['kind'], hex = false): string {
  let t = s;
  if (kind === 'xml') t = t.replace(/>([^<]+)</g, '>\u0002<');
  if (kind === 'tsvector') t = t.replace(/'[^']*'/g, "'\u0002'");
  return t.replace(slotRe(kind, hex), '\u0001');
}

/** Each template's slots with the range and decimals seen at that position. */
function templateSlots(strs: string[], templates: string[], kind: NeutralType['kind'], hex: boolean): Array<Array<{ lo: number; hi: number; decimals: number }>> {
  const index = new Map(templates.map((t, i) => [t, i]));
  const slots: Array<Array<{ lo: number; hi: number; decimals: number }>> = templates.map(() => []);
  for (const s of strs) {
    const i = index.get(templateOf(s, kind, hex));
    if (i === undefined) continue;
    const masked = kind === 'tsvector' ? s.replace(/'[^']*'/g, "''") : kind === 'xml' ? s.replace(/>([^<]+)</g, '><') : s;
    const nums = masked.match(slotRe(kind, hex)) ?? [];
    nums.forEach((m, j) => {
      const n = hex ? parseInt(m, 16) : Number(m);
      const d = hex ? 0 : (m.split('.')[1]?.length ?? 0);
      const slot = slots[i]![j];
      if (!slot) slots[i]![j] = { lo: n, hi: n, decimals: d };
      else {
        slot.lo = Math.min(slot.lo, n);
        slot.hi = Math.max(slot.hi, n);
        slot.decimals = Math.max(slot.decimals, d);
      }
    });
  }
  return slots;
}

// ---- fit ----

function unsupportedType(tableName: string, column: Column, reason: string): SynthError {
  return new SynthError(
    'UNSUPPORTED_TYPE',
    `Cannot generate ${tableName}.${column.name}: type ${column.nativeType} is not supported (${reason}).`,
    {
      table: tableName,
      column: column.name,
      hint:
        (column.nullable ? `Write NULL there with \`tables: { '${tableName}': { columns: { '${column.name}': { transform: 'redact' } } } }\`, create` : 'Create') +
        ` ${tableName} empty with \`tables: { '${tableName}': { skip: true } }\`, or leave its schema out with \`schemas\`.`,
    },
  );
}

export function fitColumnSpec(tableName: string, column: Column, role: ColumnRole, values: Value[], pii?: PiiKind): ColumnModelSpec {
  const type = column.type;
  const nonNull = values.filter((v) => v !== null);
  const nullRate = values.length ? (values.length - nonNull.length) / values.length : column.nullable ? 0 : 0;
  const out = (spec: ColumnSpec): ColumnModelSpec => ({ column: column.name, nullRate, spec });
  // An unsupported column with nothing to learn (skipped table, all NULL) is generated as NULL, not refused.
  if (nonNull.length === 0) return { column: column.name, nullRate: column.nullable ? 1 : 0, spec: { type: 'null' } };
  if (type.kind === 'unsupported') throw unsupportedType(tableName, column, type.reason);
  if (role === 'constant') return out({ type: 'constant', value: encodeValue(nonNull[0]!) });
  // A personal column keeps its fakes: text is a category for it only when it has a handful of values, not merely
  // because its values repeat (a large table's repeated street names or notes would be copied back otherwise).
  if (pii && role === 'categorical' && type.kind === 'text' && !isLowCardinality(new Set(nonNull.map(valueKey)).size, nonNull.length)) role = 'text';
  const spec = fitTyped(tableName, column, type, role, nonNull);
  // Free text that holds personal data becomes fakes of its kind (keeping only a shared digit layout); so do
  // categories of a kind that names a person by itself (a few hundred customers' first names are categories too).
  if (pii && pii !== 'free-text' && role === 'text' && spec.type === 'text') return out({ type: 'fake', kind: pii, ...(spec.masks ? { masks: spec.masks } : {}) });
  if (pii && role === 'categorical' && IDENTIFYING_KINDS.has(pii)) return out({ type: 'fake', kind: pii });
  return out(spec);
}

function fitTyped(tableName: string, column: Column, type: NeutralType, role: ColumnRole, nonNull: Value[]): ColumnSpec {
  // Enum values are the schema's, not the rows': only values read off the rows are protected.
  if (role === 'categorical' && type.kind !== 'set') return categorical(nonNull, type.kind === 'enum' ? 1 : MIN_CATEGORY_COUNT);
  switch (type.kind) {
    case 'integer':
    case 'decimal':
    case 'float':
    case 'money':
    case 'year': {
      const nums = nonNull.map(toNumber).filter((x): x is number => x !== null);
      const spec: ColumnSpec = { type: 'numeric', quantiles: quantiles(nums), integer: type.kind === 'integer' || type.kind === 'year' };
      if (type.kind === 'decimal' && type.scale === null) {
        spec.decimals = Math.min(12, Math.max(0, ...nonNull.map((v) => String(v).split('.')[1]?.length ?? 0)));
      }
      return spec;
    }
    case 'boolean':
      return { type: 'boolean', pTrue: nonNull.filter((v) => v === true || v === 't' || v === 1).length / nonNull.length };
    case 'date':
    case 'timestamp': {
      const ms = nonNull.map((v) => parseEpoch(v)).filter((x): x is number => x !== null);
      return {
        type: 'epoch',
        unit: type.kind,
        quantiles: quantiles(ms),
        fraction: ms.some((x) => x % 1000 !== 0),
        withTimeZone: type.kind === 'timestamp' && type.withTimeZone,
      };
    }
    case 'time': {
      const secs = nonNull.map(parseTimeOfDay).filter((x): x is number => x !== null);
      return { type: 'epoch', unit: 'time', quantiles: quantiles(secs), fraction: secs.some((x) => x % 1 !== 0), withTimeZone: type.withTimeZone };
    }
    case 'text':
      return profileText(nonNull.map((v) => (typeof v === 'string' ? v : String(v))));
    case 'uuid':
      return { type: 'uuid' };
    case 'enum':
      return categorical(nonNull);
    case 'set': {
      const sets = nonNull.map((v) => (Array.isArray(v) ? v.map(String) : String(v).split(',')));
      return { type: 'set', values: type.values, probs: type.values.map((x) => sets.filter((s) => s.includes(x)).length / sets.length) };
    }
    case 'json': {
      if (type.structured) return fitRecord(tableName, column, type.structured, nonNull);
      const bySig = new Map<string, Shape>();
      for (const v of nonNull) {
        const s = shapeOf(v as JsonValue);
        const sig = shapeSignature(s);
        const prev = bySig.get(sig);
        bySig.set(sig, prev ? mergeShape(prev, s) : s);
        if (bySig.size >= 20) break;
      }
      return { type: 'json', shapes: [...bySig.values()] };
    }
    case 'array': {
      const flat: Value[] = [];
      const lengths: number[] = [];
      for (const v of nonNull) {
        if (!Array.isArray(v)) continue;
        const items = (v as Value[]).flat(Math.max(0, type.dimensions - 1) as 0) as Value[];
        lengths.push(items.length);
        for (const x of items) if (x !== null) flat.push(x);
      }
      const elementCol: Column = { ...column, type: type.element, nullable: true };
      const element: ColumnSpec =
        flat.length === 0 ? { type: 'null' } : fitTyped(tableName, elementCol, type.element, roleForElement(type.element, flat), flat);
      return { type: 'array', lengths: quantiles(lengths), element };
    }
    case 'binary':
      return { type: 'binary', lengths: quantiles(nonNull.map((v) => (v instanceof Uint8Array ? v.length : String(v).length))) };
    case 'bit': {
      const strs = nonNull.map(String);
      const ones = strs.reduce((n, s) => n + (s.match(/1/g)?.length ?? 0), 0);
      const total = strs.reduce((n, s) => n + s.length, 0) || 1;
      return { type: 'bits', lengths: quantiles(strs.map((s) => s.length)), pOne: ones / total };
    }
    case 'interval':
    case 'network':
    case 'geometry':
    case 'xml':
    case 'tsvector': {
      const strs = nonNull.map(String);
      const hex = type.kind === 'network' && type.family === 'macaddr';
      const templates = [...new Set(strs.map((s) => templateOf(s, type.kind, hex)))].slice(0, 20);
      const nums = strs.flatMap((s) => (s.match(NUMBER_RE) ?? []).map(Number));
      const decimals = Math.max(0, ...strs.flatMap((s) => (s.match(NUMBER_RE) ?? []).map((m) => m.split('.')[1]?.length ?? 0)));
      return {
        type: 'template',
        templates,
        low: nums.length ? Math.min(...nums) : 0,
        high: nums.length ? Math.max(...nums) : 0,
        decimals: Math.min(decimals, 6),
        slots: templateSlots(strs, templates, type.kind, hex),
        ...(hex ? { hex } : {}),
      };
    }
    case 'unsupported':
      throw unsupportedType(tableName, column, type.reason);
  }
}

function roleForElement(type: NeutralType, values: Value[]): ColumnRole {
  const distinct = new Set(values.map(valueKey)).size;
  if (type.kind === 'text' && distinct <= 20 && distinct <= values.length / 2) return 'categorical';
  return 'numerical';
}

function mergeShape(a: Shape, b: Shape): Shape {
  if (a.k === 'num' && b.k === 'num') return { k: 'num', int: a.int && b.int, lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
  if (a.k === 'str' && b.k === 'str') return { k: 'str', len: Math.round((a.len + b.len) / 2) };
  if (a.k === 'obj' && b.k === 'obj')
    return { k: 'obj', fields: a.fields.map(([k, s], i) => [k, mergeShape(s, b.fields[i]?.[1] ?? s)] as [string, Shape]) };
  if (a.k === 'arr' && b.k === 'arr') return { k: 'arr', items: a.items, len: Math.round((a.len + b.len) / 2) };
  return a;
}

function fitRecord(tableName: string, column: Column, st: StructuredType, nonNull: Value[]): ColumnSpec {
  const objects = nonNull.filter((v): v is { [key: string]: JsonValue } => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array));
  const parts = st.form === 'composite' ? st.attributes : [{ name: 'lower', type: st.subtype }, { name: 'upper', type: st.subtype }];
  const fields = parts.map((p) => {
    const values = objects.map((o) => (o[p.name] ?? null) as Value);
    const present = values.filter((v) => v !== null);
    const nullRate = values.length ? (values.length - present.length) / values.length : 1;
    const spec: ColumnSpec = present.length === 0 ? { type: 'null' } : fitTyped(tableName, { ...column, name: `${column.name}.${p.name}`, type: p.type }, p.type, roleOfPart(p.type), present);
    return { name: p.name, nullRate, spec };
  });
  if (st.form === 'composite') return { type: 'record', fields };
  return {
    type: 'record',
    fields,
    range: { emptyShare: nonNull.length ? (nonNull.length - objects.length) / nonNull.length : 0, bounds: objects.length ? categorical(objects.map((o) => o['bounds'] ?? '[)')) : { type: 'constant', value: '[)' } },
  };
}

/** Parts of a composite or range are learned as what their type suggests (no metadata pass sees inside them). */
function roleOfPart(type: NeutralType): ColumnRole {
  if (type.kind === 'enum') return 'categorical';
  if (type.kind === 'boolean') return 'boolean';
  if (type.kind === 'text') return 'text';
  if (type.kind === 'date' || type.kind === 'timestamp' || type.kind === 'time') return 'datetime';
  return 'numerical';
}

// ---- draw ----

const DAY_MS = 86_400_000;

/**
 * `conformValue(drawSpec(spec, rng), column)` as one function decided per column before the rows are drawn (same
 * values, same draws): a category's conformed value is computed once, not per row, and a date is written once
 * instead of written, parsed back and written again by conform, which was most of the baseline's cost per row.
 */
export function columnDrawer(spec: ColumnSpec, column: Column): (rng: Rng) => Value {
  if (spec.type === 'categorical') {
    let total = 0;
    for (const w of spec.weights) total += w;
    const conformed = (): Value[] | null => {
      try {
        return [...spec.values.map((v) => conformValue(decodeValue(v ?? null), column)), conformValue(null, column)];
      } catch {
        return null; // a type conform refuses: refused when a row is drawn, as before
      }
    };
    const values = conformed();
    // Only immutable values are shared between rows; an object (JSON, bytes, arrays) is drawn fresh each time.
    if (values && values.every((v) => v === null || typeof v !== 'object')) {
      const missing = values.pop() ?? null;
      const weights = spec.weights;
      return (rng) => values[pickWeighted(weights, total, rng)] ?? missing;
    }
  }
  if (spec.type === 'epoch' && spec.unit === 'date' && column.type.kind === 'date') {
    const q = spec.quantiles;
    // formatEpoch writes a date in range that conform reads back to the same day and writes alike; a non-finite
    // draw (no such quantiles) still goes through conform.
    return (rng) => {
      const x = drawQuantile(q, rng);
      const v = formatEpoch(Math.floor(x / DAY_MS) * DAY_MS, 'date');
      return Number.isFinite(x) ? v : conformValue(v, column);
    };
  }
  return (rng) => conformValue(drawSpec(spec, rng), column);
}

export function drawSpec(spec: ColumnSpec, rng: Rng): Value {
  switch (spec.type) {
    case 'null':
      return null;
    case 'constant':
      return decodeValue(spec.value);
    case 'numeric': {
      const x = drawQuantile(spec.quantiles, rng);
      if (spec.integer) return Math.round(x);
      return spec.decimals === undefined ? x : x.toFixed(spec.decimals);
    }
    case 'categorical':
      return decodeValue(spec.values[drawWeighted(spec.weights, rng)] ?? null);
    case 'boolean':
      return rng.next() < spec.pTrue;
    case 'epoch': {
      const x = drawQuantile(spec.quantiles, rng);
      if (spec.unit === 'time') return formatTimeOfDay(x, spec.withTimeZone, spec.fraction);
      if (spec.unit === 'date') return formatEpoch(Math.floor(x / 86400000) * 86400000, 'date');
      return formatEpoch(spec.fraction ? x : Math.round(x / 1000) * 1000, 'timestamp', spec.withTimeZone, spec.fraction);
    }
    case 'text': {
      if (spec.masks && spec.masks.length > 0) {
        const mask = spec.masks[drawWeighted(spec.masks.map((m) => m.weight), rng)]!.mask;
        return mask.replace(/[Aa9]/g, (c) => randomToken(rng, 1, c === 'A' ? { upper: 1, lower: 0, digit: 0 } : c === 'a' ? { upper: 0, lower: 1, digit: 0 } : { upper: 0, lower: 0, digit: 1 }));
      }
      const len = Math.max(0, Math.round(drawQuantile(spec.lengths, rng)));
      if (rng.next() < spec.wordShare) {
        let s = loremText(rng, len);
        if (rng.next() < spec.upperShare) s = s.toUpperCase();
        else if (rng.next() < spec.capitalShare) s = s.charAt(0).toUpperCase() + s.slice(1);
        return s;
      }
      const profile = rng.next() < spec.upperShare ? { upper: 1, lower: 0, digit: spec.chars.digit ? 0.1 : 0 } : spec.chars;
      const s = randomToken(rng, len, profile);
      return rng.next() < spec.capitalShare ? s.charAt(0).toUpperCase() + s.slice(1) : s;
    }
    case 'uuid':
      return randomUuid(rng);
    case 'fake':
      return freshFake(spec.kind, rng, spec.masks);
    case 'json': {
      const shape = spec.shapes[rng.int(spec.shapes.length)];
      return shape ? drawShape(shape, rng) : null;
    }
    case 'record': {
      if (spec.range && rng.next() < spec.range.emptyShare) return 'empty';
      const out: Record<string, JsonValue> = {};
      for (const f of spec.fields) out[f.name] = rng.next() < f.nullRate ? null : encodeValue(drawSpec(f.spec, rng));
      if (spec.range) out['bounds'] = encodeValue(drawSpec(spec.range.bounds, rng));
      return out;
    }
    case 'array': {
      const len = Math.max(0, Math.round(drawQuantile(spec.lengths, rng)));
      return Array.from({ length: len }, () => drawSpec(spec.element, rng));
    }
    case 'set':
      return spec.values.filter((_, i) => rng.next() < (spec.probs[i] ?? 0));
    case 'template': {
      const i = rng.int(spec.templates.length);
      const t = spec.templates[i] ?? '';
      const slots = spec.slots?.[i];
      let j = 0;
      return t
        .replace(/\u0001/g, () => {
          const slot = slots?.[j++] ?? { lo: spec.low, hi: spec.high, decimals: spec.decimals };
          const x = slot.lo + (slot.hi - slot.lo) * rng.next();
          if (spec.hex) return Math.round(x).toString(16).padStart(2, '0');
          return slot.decimals === 0 ? String(Math.round(x)) : x.toFixed(Math.min(slot.decimals, 6));
        })
        .replace(/\u0002/g, () => loremWord(rng));
    }
    case 'binary': {
      const len = Math.max(0, Math.round(drawQuantile(spec.lengths, rng)));
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = rng.int(256);
      return b;
    }
    case 'bits': {
      const len = Math.max(0, Math.round(drawQuantile(spec.lengths, rng)));
      let s = '';
      for (let i = 0; i < len; i++) s += rng.next() < spec.pOne ? '1' : '0';
      return s;
    }
  }
}

export function randomUuid(rng: Rng): string {
  const hex = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += rng.int(16).toString(16);
    return s;
  };
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + rng.int(4)).toString(16)}${hex(3)}-${hex(12)}`;
}

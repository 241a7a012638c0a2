/**
 * Key assignment by construction. Every primary-key/unique value is a deterministic function of the row
 * index (`keyAt(i)`), so a foreign key only needs a parent *index* to know the parent's key value: nothing
 * generated has to be remembered across tables, and cycles can be assigned up front because every table's
 * row count is known before anything is generated.
 */
import { SynthError } from '../errors.js';
import type { Column, DatabaseSchema, ForeignKey, Table } from '../schema/model.js';
import { findColumn, findTable, tableKey } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';
import type { HydrationPlan } from '../graph/plan.js';
import { conformDecimal, formatEpoch, formatTimeOfDay, integerRange, parseEpoch } from './conform.js';
import { columnValues, partitionOnlyKeyColumn } from './metadata.js';
import type { ChildCountHistogram, Rng, TableSample } from './model.js';
import { createRng, hash32, hashWords } from './rng.js';
import { allocateInSupport, dealDistinct, fanOutKey, type FanOutRule } from './fan-out.js';

// ---------------------------------------------------------------------------------------------------------
// Key statistics (learned at fit time) and per-column key functions (built at generation time, knowing N)
// ---------------------------------------------------------------------------------------------------------

export type KeyColumnStats =
  | { column: string; kind: 'integer'; start: string; step: number }
  | { column: string; kind: 'decimal'; start: number; step: number }
  | { column: string; kind: 'float'; start: number; step: number }
  | { column: string; kind: 'text-pattern'; prefix: string; suffix: string; width: number; offset: number }
  | { column: string; kind: 'text-alphabet'; classes: string; length: number }
  | { column: string; kind: 'uuid' }
  | { column: string; kind: 'date'; start: number }
  | { column: string; kind: 'timestamp'; start: number; span: number }
  | { column: string; kind: 'time' }
  | { column: string; kind: 'year'; start: number }
  | { column: string; kind: 'domain' }
  | { column: string; kind: 'binary'; length: number }
  | { column: string; kind: 'unsupported'; reason: string };

export interface TableKeyStats {
  columns: KeyColumnStats[];
  /** Column → NULL share in the sample, for nullable UNIQUE columns (NULLs never collide there). */
  nullRates?: Record<string, number>;
  /**
   * Self-referencing FK name → the source hierarchy level by level (level 0 = roots): how many rows sit at that
   * depth and how many of them have children. Lets the generator keep depth and fan-out instead of drawing a
   * random tree (which grows far deeper than a real org chart). Only learned from a complete sample.
   */
  hierarchies?: Record<string, HierarchyLevel[]>;
}

export interface HierarchyLevel {
  nodes: number;
  parents: number;
}

const MAX_LEVELS = 10_000;

/** Breadth-first levels of a self-reference in the sample, or null when the sample is not the whole table. */
export function fitHierarchy(table: Table, fk: ForeignKey, sample: TableSample): HierarchyLevel[] | null {
  if (sample.rows.length === 0 || sample.rows.length < sample.totalRows) return null;
  const own = fk.references.columns.map((c) => sample.columns.indexOf(c));
  const ref = fk.columns.map((c) => sample.columns.indexOf(c));
  if ([...own, ...ref].some((i) => i < 0)) return null;
  // Numbers and bigints of the same value must meet (an int8 FK to an int4 PK).
  const norm = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'bigint' || typeof v === 'number' ? `n${String(v)}` : `s${String(v)}`);
  const keyOf = (row: readonly unknown[], idx: number[]): string | null => {
    const parts = idx.map((i) => row[i]);
    return parts.some((v) => v === null || v === undefined) ? null : parts.map(norm).join('\u0000');
  };
  const ids = new Set<string>();
  for (const r of sample.rows) {
    const k = keyOf(r, own);
    if (k !== null) ids.add(k);
  }
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const r of sample.rows) {
    const id = keyOf(r, own);
    if (id === null) continue;
    const parent = keyOf(r, ref);
    if (parent === null || parent === id || !ids.has(parent)) roots.push(id);
    else {
      const list = children.get(parent);
      if (list) list.push(id);
      else children.set(parent, [id]);
    }
  }
  if (roots.length === 0) return null;
  const levels: HierarchyLevel[] = [];
  const seen = new Set<string>(roots);
  let level = roots;
  while (level.length > 0 && levels.length < MAX_LEVELS) {
    const next: string[] = [];
    let parents = 0;
    for (const id of level) {
      const kids = (children.get(id) ?? []).filter((k) => !seen.has(k));
      if (kids.length > 0) parents++;
      for (const k of kids) {
        seen.add(k);
        next.push(k);
      }
    }
    levels.push({ nodes: level.length, parents });
    level = next;
  }
  return levels;
}

/** Columns that must hold distinct values on their own or as part of a PK/UNIQUE. */
function ownKeyColumns(table: Table): string[] {
  const out = new Set<string>();
  for (const c of table.primaryKey?.columns ?? []) out.add(c);
  for (const u of table.uniques) for (const c of u.columns) out.add(c);
  for (const c of table.columns) if (c.autoIncrement !== null) out.add(c.name);
  // In a key only because PostgreSQL requires the partition key there: an attribute (see partitionOnlyKeyColumn).
  const partitionColumn = partitionOnlyKeyColumn(table);
  if (partitionColumn !== null) out.delete(partitionColumn);
  return [...out];
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

function fitColumnKey(column: Column, values: Value[]): KeyColumnStats {
  const nonNull = values.filter((v) => v !== null);
  const name = column.name;
  const t = column.type;
  switch (t.kind) {
    case 'integer': {
      const ints = nonNull.map((v) => BigInt(typeof v === 'number' ? Math.round(v) : String(v)));
      if (ints.length === 0) return { column: name, kind: 'integer', start: '1', step: 1 };
      const min = ints.reduce((a, b) => (b < a ? b : a));
      let g = 0n;
      for (const x of ints) g = gcd(g, x - min);
      // A step only when the sample clearly shows one (ids like 10, 20, 30); small samples mislead.
      const step = ints.length >= 5 && g > 1n && g <= 1000n ? Number(g) : 1;
      return { column: name, kind: 'integer', start: String(min), step };
    }
    case 'decimal':
    case 'money': {
      const nums = nonNull.map(Number).filter(Number.isFinite);
      return { column: name, kind: 'decimal', start: nums.length ? Math.min(...nums) : 1, step: 1 };
    }
    case 'float': {
      const nums = nonNull.map(Number).filter(Number.isFinite);
      return { column: name, kind: 'float', start: nums.length ? Math.min(...nums) : 1, step: 1 };
    }
    case 'text': {
      const strs = nonNull.map(String);
      const parts = strs.map((s) => /^(\D*?)(\d+)(\D*)$/.exec(s));
      const first = parts[0];
      if (first && parts.every((p) => p && p[1] === first[1] && p[3] === first[3])) {
        const digits = parts.map((p) => p![2]!);
        const widths = new Set(digits.map((d) => d.length));
        const padded = widths.size === 1 && digits.some((d) => d.startsWith('0'));
        const offset = Math.min(...digits.map(Number));
        return { column: name, kind: 'text-pattern', prefix: first[1]!, suffix: first[3]!, width: padded ? digits[0]!.length : 0, offset };
      }
      let classes = '';
      if (strs.some((s) => /[A-Z]/.test(s))) classes += 'U';
      if (strs.some((s) => /[a-z]/.test(s))) classes += 'L';
      if (strs.some((s) => /[0-9]/.test(s))) classes += 'D';
      const lengths = strs.map((s) => s.length).sort((a, b) => a - b);
      const length = t.fixedLength && t.maxLength ? t.maxLength : (lengths[Math.floor(lengths.length / 2)] ?? 8);
      return { column: name, kind: 'text-alphabet', classes: classes || 'LD', length: Math.max(1, length) };
    }
    case 'uuid':
      return { column: name, kind: 'uuid' };
    case 'date': {
      const ms = nonNull.map((v) => parseEpoch(v)).filter((x): x is number => x !== null);
      return { column: name, kind: 'date', start: ms.length ? Math.min(...ms) : Date.UTC(2000, 0, 1) };
    }
    case 'timestamp': {
      const ms = nonNull.map((v) => parseEpoch(v)).filter((x): x is number => x !== null);
      const min = ms.length ? Math.min(...ms) : Date.UTC(2000, 0, 1);
      const max = ms.length ? Math.max(...ms) : min;
      return { column: name, kind: 'timestamp', start: min, span: max - min };
    }
    case 'time':
      return { column: name, kind: 'time' };
    case 'year': {
      const ys = nonNull.map(Number).filter(Number.isFinite);
      return { column: name, kind: 'year', start: ys.length ? Math.min(...ys) : 1901 };
    }
    case 'boolean':
    case 'enum':
      return { column: name, kind: 'domain' };
    case 'binary':
      return { column: name, kind: 'binary', length: Math.max(4, ...nonNull.map((v) => (v instanceof Uint8Array ? v.length : 0))) };
    default:
      return { column: name, kind: 'unsupported', reason: `${column.nativeType} cannot be generated as a distinct key` };
  }
}

export function fitKeyStats(table: Table, sample: TableSample): TableKeyStats {
  const nullRates: Record<string, number> = {};
  for (const c of ownKeyColumns(table)) {
    const values = columnValues(sample, c);
    if (!findColumn(table, c)!.nullable || values.length === 0) continue;
    const rate = values.filter((v) => v === null).length / values.length;
    if (rate > 0) nullRates[c] = rate;
  }
  const hierarchies: Record<string, HierarchyLevel[]> = {};
  for (const fk of table.foreignKeys) {
    if (fk.references.schema !== table.schema || fk.references.name !== table.name) continue;
    const levels = fitHierarchy(table, fk, sample);
    if (levels) hierarchies[fk.name] = levels;
  }
  return {
    columns: ownKeyColumns(table).map((c) => fitColumnKey(findColumn(table, c)!, columnValues(sample, c))),
    nullRates,
    ...(Object.keys(hierarchies).length > 0 ? { hierarchies } : {}),
  };
}

function impossible(table: Table, column: string, message: string, hint: string): SynthError {
  return new SynthError('UNIQUENESS_IMPOSSIBLE', `${tableKey(table)}.${column}: ${message}`, {
    table: tableKey(table),
    column,
    hint,
  });
}

const CLASS_CHARS: Record<string, string> = { U: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', L: 'abcdefghijklmnopqrstuvwxyz', D: '0123456789' };

/** An affine bijection on [0, cap): spreads sequential indexes over the key space, still collision-free. */
function affine(cap: bigint, base: bigint, seedText: string): (i: bigint) => bigint {
  const [w0, w1, w2] = hashWords(seedText);
  const a = base * (BigInt(w0) % 1000003n + 1n) + 1n; // ≡ 1 mod every prime of base, so coprime to base^L
  const b = ((BigInt(w1) << 32n) | BigInt(w2)) % cap;
  return (i) => (a * i + b) % cap;
}

export type KeyFn = (i: number) => Value;

/** Builds `keyAt` for one column of a table with `n` rows, or explains why n distinct values cannot exist. */
export function makeKeyFn(table: Table, column: Column, stats: KeyColumnStats | undefined, n: number, seed: number): KeyFn {
  const s = stats ?? fitColumnKey(column, []);
  const t = column.type;
  const lengthHint = `Widen ${tableKey(table)}.${column.name}, lower the scale for ${tableKey(table)}, or exclude the table.`;
  switch (s.kind) {
    case 'integer': {
      if (t.kind !== 'integer') break;
      const [lo, hi] = integerRange(t);
      let start = BigInt(s.start);
      let step = BigInt(s.step);
      const count = BigInt(Math.max(0, n - 1));
      if (start + step * count > hi) step = 1n;
      if (start + step * count > hi) start = hi - count;
      if (start < lo) {
        throw impossible(table, column.name, `${n} distinct values do not fit in ${column.nativeType}.`, lengthHint);
      }
      const safe = start + step * count <= BigInt(Number.MAX_SAFE_INTEGER) && start >= BigInt(Number.MIN_SAFE_INTEGER);
      if (safe) {
        const st = Number(start);
        const sp = Number(step);
        return (i) => st + sp * i;
      }
      return (i) => {
        const v = start + step * BigInt(i);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
      };
    }
    case 'decimal': {
      const precision = t.kind === 'decimal' ? t.precision : null;
      const scale = t.kind === 'decimal' ? t.scale : t.kind === 'money' ? 2 : null;
      const sc = scale ?? 0;
      let step = 1;
      let start = Math.ceil(s.start);
      if (precision !== null) {
        const max = 10 ** (precision - sc);
        if (start + n > max) start = Math.max(-max + 1, max - n);
        if (start + n > max) {
          step = 10 ** -sc;
          start = -max + step;
          if (n * step >= 2 * max - step) throw impossible(table, column.name, `${n} distinct values do not fit in ${column.nativeType}.`, lengthHint);
        }
      }
      return (i) => conformDecimal(start + step * i, precision, scale);
    }
    case 'float':
      return (i) => s.start + s.step * i;
    case 'text-pattern': {
      const max = t.kind === 'text' ? t.maxLength : null;
      const width = Math.max(s.width, 0);
      const longest = s.prefix.length + Math.max(width, String(s.offset + n - 1).length) + s.suffix.length;
      if (max === null || longest <= max) {
        return (i) => `${s.prefix}${String(s.offset + i).padStart(width, '0')}${s.suffix}`;
      }
      // The source's pattern is too long for n rows: fall back to packing the index in the column's length.
      return makeKeyFn(table, column, { column: column.name, kind: 'text-alphabet', classes: 'UD', length: max }, n, seed);
    }
    case 'text-alphabet': {
      const max = t.kind === 'text' ? t.maxLength : null;
      let classes = s.classes;
      let alphabet = [...classes].map((c) => CLASS_CHARS[c] ?? '').join('');
      let length = s.length;
      const fits = (): boolean => BigInt(alphabet.length) ** BigInt(length) >= BigInt(n);
      while (!fits() && (max === null || length < max)) length++;
      if (!fits()) {
        classes = 'ULD';
        alphabet = CLASS_CHARS.U! + CLASS_CHARS.L! + CLASS_CHARS.D!;
        length = s.length;
        while (!fits() && (max === null || length < max)) length++;
      }
      if (!fits()) {
        throw impossible(
          table,
          column.name,
          `${column.nativeType} cannot hold ${n} distinct values (at most ${alphabet.length}^${length}).`,
          lengthHint,
        );
      }
      const base = BigInt(alphabet.length);
      const cap = base ** BigInt(length);
      const perm = affine(cap, base, `${seed}:${tableKey(table)}.${column.name}`);
      return (i) => {
        let x = perm(BigInt(i));
        let out = '';
        for (let k = 0; k < length; k++) {
          out = alphabet[Number(x % base)]! + out;
          x /= base;
        }
        return out;
      };
    }
    case 'uuid':
      return (i) => {
        const w = hashWords(`${seed}:${tableKey(table)}.${column.name}:${i}`);
        const h = w.map((x) => x.toString(16).padStart(8, '0')).join('');
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
      };
    case 'date': {
      const day = 86400000;
      const maxDay = Math.floor(Date.UTC(9999, 11, 31) / day);
      let start = Math.floor(s.start / day);
      if (start + n - 1 > maxDay) start = maxDay - n + 1;
      if (start < Math.floor(Date.UTC(1, 0, 1) / day)) throw impossible(table, column.name, `${n} distinct dates do not exist.`, lengthHint);
      return (i) => formatEpoch((start + i) * day, 'date');
    }
    case 'timestamp': {
      const step = Math.max(1000, Math.floor(s.span / Math.max(1, n) / 1000) * 1000);
      const tz = t.kind === 'timestamp' && t.withTimeZone;
      return (i) => formatEpoch(s.start + step * i, 'timestamp', tz);
    }
    case 'time': {
      if (n > 86400) throw impossible(table, column.name, `a time column holds at most 86400 distinct whole seconds, ${n} needed.`, lengthHint);
      const tz = t.kind === 'time' && t.withTimeZone;
      return (i) => formatTimeOfDay(i, tz);
    }
    case 'year': {
      const start = Math.max(1901, Math.min(s.start, 2156 - n));
      if (n > 255) throw impossible(table, column.name, `YEAR holds 255 distinct values, ${n} needed.`, lengthHint);
      return (i) => start + i;
    }
    case 'domain': {
      const values: Value[] = t.kind === 'boolean' ? [false, true] : t.kind === 'enum' ? t.values : [];
      if (n > values.length) {
        throw impossible(table, column.name, `${column.nativeType} has ${values.length} possible values, ${n} distinct needed.`, lengthHint);
      }
      return (i) => values[i]!;
    }
    case 'binary': {
      const length = Math.max(s.length, Math.ceil(Math.log2(Math.max(2, n)) / 8));
      if (t.kind === 'binary' && t.maxLength !== null && length > t.maxLength) {
        throw impossible(table, column.name, `${column.nativeType} cannot hold ${n} distinct values.`, lengthHint);
      }
      return (i) => {
        const b = new Uint8Array(length);
        let x = i;
        for (let k = length - 1; k >= 0 && x > 0; k--) {
          b[k] = x % 256;
          x = Math.floor(x / 256);
        }
        return b;
      };
    }
    case 'unsupported':
      break;
  }
  throw new SynthError('UNSUPPORTED_TYPE', `${tableKey(table)}.${column.name} (${column.nativeType}) is part of a key, and synth cannot generate distinct values of this type.`, {
    table: tableKey(table),
    column: column.name,
    hint: `Exclude ${tableKey(table)} in the config, or drop the key on ${column.name} from the schema you hydrate.`,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Foreign keys: parent index per child row
// ---------------------------------------------------------------------------------------------------------

/** Draws one count per parent from the histogram, then scales them so they sum to exactly `total`. */
export function allocateCounts(
  histogram: Array<{ children: number; parents: number }> | undefined,
  parents: number,
  total: number,
  rng: Rng,
  cap = Number.POSITIVE_INFINITY,
): Uint32Array {
  const counts = new Uint32Array(parents);
  if (parents === 0 || total === 0) return counts;
  const raw = new Uint32Array(parents);
  const entries = (histogram ?? []).filter((e) => e.parents > 0);
  let rawSum = 0;
  if (entries.length > 0) {
    const cum: number[] = [];
    let acc = 0;
    for (const e of entries) cum.push((acc += e.parents));
    // Stratified draws (parent i takes the quantile (i + u) / parents of the histogram), then shuffled: the counts
    // follow the source's distribution without the sampling noise of independent draws, which with a handful of
    // parents (3 shippers, 9 employees) would otherwise decide the whole cardinality shape.
    for (let i = 0; i < parents; i++) {
      const u = ((i + rng.next()) / parents) * acc;
      let lo = 0;
      let hi = cum.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cum[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      raw[i] = entries[lo]!.children;
      rawSum += raw[i]!;
    }
    for (let i = parents - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = raw[i]!;
      raw[i] = raw[j]!;
      raw[j] = t;
    }
  }
  return scaleCounts(raw, total, rng, cap, rawSum);
}

/**
 * Scales per-parent counts (drawn from a histogram, or predicted per parent row by a learned count head) so they
 * sum to exactly `total`, each at most `cap`; parents with a zero count stay at zero unless nothing else can take rows.
 */
export function scaleCounts(
  rawIn: ArrayLike<number>,
  total: number,
  rng: Rng,
  cap = Number.POSITIVE_INFINITY,
  rawSumIn?: number,
): Uint32Array {
  const parents = rawIn.length;
  const counts = new Uint32Array(parents);
  if (parents === 0 || total === 0) return counts;
  const raw = rawIn instanceof Uint32Array ? rawIn : Uint32Array.from(rawIn, (x) => Math.max(0, Math.round(x)));
  let rawSum = rawSumIn ?? raw.reduce((a, b) => a + b, 0);
  let sum = 0;
  if (rawSum === 0) {
    raw.fill(1);
    rawSum = parents;
  }
  const f = total / rawSum;
  for (let i = 0; i < parents; i++) {
    const c = Math.min(cap, Math.floor(raw[i]! * f + rng.next()));
    counts[i] = c;
    sum += c;
  }
  // Random ±1 corrections to land exactly on `total`; only ~sqrt(parents) of them are needed.
  while (sum < total) {
    let i = rng.int(parents);
    for (let tries = 0; tries < 20 && (raw[i] === 0 || counts[i]! >= cap); tries++) i = rng.int(parents);
    if (counts[i]! >= cap) {
      const start = i;
      while (counts[i]! >= cap) {
        i = (i + 1) % parents;
        if (i === start) throw new Error('internal: capacity below total');
      }
    }
    counts[i]!++;
    sum++;
  }
  while (sum > total) {
    let i = rng.int(parents);
    while (counts[i] === 0) i = (i + 1) % parents;
    counts[i]!--;
    sum--;
  }
  return counts;
}

/**
 * Hands the histogram's counts to the parents in the order of their predicted counts (ties broken at random): the
 * marginal stays exactly the source's (and any cap holds), while which parent gets many children follows the
 * parent's attributes as the model predicts.
 */
export function rankMatch(counts: Uint32Array, predicted: ArrayLike<number>, rng: Rng): Uint32Array {
  const n = counts.length;
  const byPrediction = Array.from({ length: n }, (_, i) => i);
  const jitter = Float64Array.from({ length: n }, () => rng.next());
  byPrediction.sort((x, y) => (predicted[y]! - predicted[x]!) || jitter[y]! - jitter[x]!);
  const sorted = Uint32Array.from(counts).sort().reverse();
  const out = new Uint32Array(n);
  for (let k = 0; k < n; k++) out[byPrediction[k]!] = sorted[k]!;
  return out;
}

function shuffle(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** How a table's FKs are assigned, derived once from the schema and the plan. */
interface FkAssignment {
  fk: ForeignKey;
  parent: Table;
  mode: 'grouped' | 'shuffled' | 'one-to-one' | 'link-first' | 'link-second' | 'self';
  /** For link-second: the FK whose groups it must stay distinct within. */
  partner?: string;
  nullable: boolean;
  deferred: 'null-then-update' | 'constraint-after-load' | null;
}

export interface KeyContextOptions {
  schema: DatabaseSchema;
  plan: HydrationPlan;
  rowCounts: Map<string, number>;
  keyStats: Map<string, TableKeyStats>;
  histograms: Map<string, ChildCountHistogram[]>;
  /** Per table key, per FK name: share of source rows whose FK is NULL. */
  fkNullRates: Map<string, Record<string, number>>;
  seed: number;
  /**
   * Children per parent row predicted from the parent's generated attributes (learned count heads), by child
   * table key and FK name; replaces the histogram draw for grouped, shuffled and link-first FKs when present.
   */
  childCountWeights?: (childKey: string, foreignKey: string) => ArrayLike<number> | undefined;
  /** Exact fan-outs by `fanOutKey(child, fk)`: their counts stay within the source's counts (80 stays 80). */
  fanOuts?: Map<string, FanOutRule>;
  /**
   * Real children per row of a copied parent (aligned with its copied rows), by child table key and FK name: such a
   * parent deals its children as in the source, scaled to the child's row count.
   */
  copiedParentCounts?: (childKey: string, foreignKey: string) => ArrayLike<number> | undefined;
  /** Tables copied verbatim (reference data) by table key: every key column takes the real row's value. */
  fixedRows?: Map<string, { columns: string[]; rows: Row[] }>;
}

/** Lazily builds and caches each table's key assigner; a child asks its parent for key values by index. */
export class KeyContext {
  private readonly cache = new Map<string, TableKeys>();
  constructor(readonly options: KeyContextOptions) {}

  table(ref: { schema: string; name: string }): TableKeys {
    const key = tableKey(ref);
    let k = this.cache.get(key);
    if (!k) {
      const table = findTable(this.options.schema, ref);
      if (!table) throw new Error(`internal: unknown table ${key}`);
      k = new TableKeys(this, table);
      this.cache.set(key, k);
    }
    return k;
  }

  /**
   * Throws now what generating `tables` would throw later (key spaces too small, too few distinct parent pairs,
   * NOT NULL FKs to empty parents), so an impossible scale is refused before a shadow exists.
   */
  assertFeasible(tables: Array<{ schema: string; name: string }>): void {
    for (const ref of tables) {
      const cached = this.cache.has(tableKey(ref));
      this.table(ref).assertFeasible();
      if (!cached) this.release(ref);
    }
  }

  /** Frees the parent-index arrays of a table once its rows are out; they are rebuilt on demand. */
  release(ref: { schema: string; name: string }): void {
    this.cache.delete(tableKey(ref));
  }

  rows(ref: { schema: string; name: string }): number {
    return this.options.rowCounts.get(tableKey(ref)) ?? 0;
  }
}

export class TableKeys {
  readonly rows: number;
  readonly assignments: FkAssignment[];
  /** Column → the FK that determines it. */
  private readonly fkOfColumn = new Map<string, FkAssignment>();
  private readonly keyFns = new Map<string, KeyFn>();
  private readonly parentIdx = new Map<string, Int32Array>();
  private readonly key: string;

  constructor(
    private readonly ctx: KeyContext,
    readonly table: Table,
  ) {
    this.key = tableKey(table);
    this.rows = ctx.rows(table);
    this.assignments = this.planAssignments();
    for (const a of this.assignments) for (const c of a.fk.columns) if (!this.fkOfColumn.has(c)) this.fkOfColumn.set(c, a);
    const fixed = ctx.options.fixedRows?.get(this.key);
    if (fixed) {
      // A copied table keeps its real keys (and its real FK values, which point at copied parents).
      for (const c of new Set([...ownKeyColumns(table), ...this.fkOfColumn.keys()])) {
        const idx = fixed.columns.indexOf(c);
        if (idx >= 0) this.keyFns.set(c, (i) => (fixed.rows[i]?.[idx] ?? null) as Value);
      }
    }
    const stats = ctx.options.keyStats.get(this.key)?.columns ?? [];
    for (const c of ownKeyColumns(table)) {
      if (this.keyFns.has(c)) continue;
      if (this.fkOfColumn.has(c)) continue;
      const col = findColumn(table, c)!;
      this.keyFns.set(c, makeKeyFn(table, col, stats.find((s) => s.column === c), this.rows, ctx.options.seed));
    }
    if (fixed) return;
    this.useLineNumbers(stats);
    this.keepUniqueNulls(ctx.options.keyStats.get(this.key)?.nullRates ?? {});
  }

  /** Nullable UNIQUE columns keep their NULL share, unless a FK points at them (a child needs a value). */
  private keepUniqueNulls(rates: Record<string, number>): void {
    const { schema, seed } = this.ctx.options;
    for (const [c, rate] of Object.entries(rates)) {
      const fn = this.keyFns.get(c);
      if (!fn || !(rate > 0) || this.table.primaryKey?.columns.includes(c)) continue;
      const sets = this.table.uniques.filter((u) => u.columns.includes(c));
      if (sets.some((u) => !u.nullsDistinct)) continue;
      const referenced = schema.tables.some((t) =>
        t.foreignKeys.some((f) => tableKey(f.references) === this.key && f.references.columns.includes(c)),
      );
      if (referenced) continue;
      const label = `${seed}:null:${this.key}.${c}:`;
      this.keyFns.set(c, (i) => (hash32(label + i) / 4294967296 < rate ? null : fn(i)));
    }
  }

  /**
   * A key like order_line(order_id, line_no): the extra integer column numbers the rows within each parent
   * (1, 2, 3 … per order, as in the source) instead of running globally; the pair stays unique because the
   * grouped FK puts each parent's rows next to each other.
   */
  private useLineNumbers(stats: KeyColumnStats[]): void {
    const grouped = this.assignments.find((a) => a.mode === 'grouped' && !a.nullable);
    if (!grouped) return;
    const sets = [...(this.table.primaryKey ? [this.table.primaryKey.columns] : []), ...this.table.uniques.map((u) => u.columns)];
    for (const set of sets) {
      if (set.length !== grouped.fk.columns.length + 1 || !grouped.fk.columns.every((c) => set.includes(c))) continue;
      const extra = set.find((c) => !grouped.fk.columns.includes(c))!;
      const col = findColumn(this.table, extra);
      if (!col || col.type.kind !== 'integer' || col.autoIncrement !== null || this.fkOfColumn.has(extra)) continue;
      if (sets.some((other) => other !== set && other.includes(extra))) continue;
      const st = stats.find((x) => x.column === extra);
      const start = st?.kind === 'integer' ? Number(st.start) : 1;
      const step = st?.kind === 'integer' ? st.step : 1;
      const [, hi] = integerRange(col.type);
      let ordinals: Int32Array | null = null;
      this.keyFns.set(extra, (i) => {
        if (!ordinals) {
          const parents = this.parentIndexes(grouped.fk.name);
          ordinals = new Int32Array(parents.length);
          for (let k = 1; k < parents.length; k++) ordinals[k] = parents[k] === parents[k - 1] ? ordinals[k - 1]! + 1 : 0;
        }
        const v = start + step * ordinals[i]!;
        if (BigInt(v) > hi) throw impossible(this.table, extra, `a parent gets more rows than ${col.nativeType} can number.`, `Widen ${extra} or lower the scale of ${this.key}.`);
        return v;
      });
    }
  }

  /** Columns whose values come from here (own keys and FK columns), in table order. */
  get keyColumns(): string[] {
    return this.table.columns.filter((c) => this.keyFns.has(c.name) || this.fkOfColumn.has(c.name)).map((c) => c.name);
  }

  isKeyColumn(column: string): boolean {
    return this.keyFns.has(column) || this.fkOfColumn.has(column);
  }

  /**
   * FKs loaded as NULL and filled by UPDATE. Without a row identity to UPDATE by, the values are written
   * directly instead: the shadow has no constraints during the load, so that is equally valid.
   */
  nullFirstForeignKeys(): ForeignKey[] {
    if (this.rowIdentity() === null) return [];
    return this.assignments.filter((a) => a.deferred === 'null-then-update').map((a) => a.fk);
  }

  private planAssignments(): FkAssignment[] {
    const { schema, plan } = this.ctx.options;
    const step = plan.steps.find((s) => tableKey(s.table) === this.key);
    const uniqueSets = [
      ...(this.table.primaryKey ? [this.table.primaryKey.columns] : []),
      ...this.table.uniques.map((u) => u.columns),
    ];
    const fks = this.table.foreignKeys.filter((fk) => findTable(schema, fk.references));
    const out: FkAssignment[] = [];
    // A unique set made only of FK columns: one FK → one-to-one; several → a link table of distinct pairs.
    const linkSet = uniqueSets.find((set) => {
      const covering = fks.filter((fk) => fk.columns.every((c) => set.includes(c)));
      return covering.length >= 2 && set.every((c) => covering.some((fk) => fk.columns.includes(c)));
    });
    const linkFks = linkSet ? fks.filter((fk) => fk.columns.every((c) => linkSet.includes(c))) : [];
    if (linkFks.length >= 2) {
      const primary = linkFks.find((f) => f.name === step?.primaryParent) ?? linkFks[0]!;
      const second = linkFks.find((f) => f !== primary && tableKey(f.references) !== this.key) ?? linkFks.find((f) => f !== primary)!;
      linkFks.splice(0, linkFks.length, primary, second);
    }
    const haveGrouped = { done: false };
    for (const fk of fks) {
      const parent = findTable(schema, fk.references)!;
      const d = step?.deferred.find((x) => x.foreignKey === fk.name);
      const nullable = fk.columns.every((c) => findColumn(this.table, c)?.nullable ?? false);
      let mode: FkAssignment['mode'];
      let partner: string | undefined;
      if (tableKey(parent) === this.key) mode = 'self';
      else if (linkFks[0] === fk) mode = 'link-first';
      else if (linkFks[1] === fk) {
        mode = 'link-second';
        partner = linkFks[0]!.name;
      } else if (uniqueSets.some((set) => set.length === fk.columns.length && set.every((c) => fk.columns.includes(c)))) mode = 'one-to-one';
      else if (!d && !haveGrouped.done && (step?.primaryParent === fk.name || step?.primaryParent == null)) {
        mode = 'grouped';
        haveGrouped.done = true;
      } else mode = 'shuffled';
      out.push({ fk, parent, mode, partner, nullable, deferred: d?.strategy ?? null });
    }
    return out;
  }

  private nullCount(a: FkAssignment): number {
    if (!a.nullable) return 0;
    const rate = this.ctx.options.fkNullRates.get(this.key)?.[a.fk.name] ?? 0;
    return Math.min(this.rows, Math.round(this.rows * rate));
  }

  private histogram(a: FkAssignment): Array<{ children: number; parents: number }> | undefined {
    return this.ctx.options.histograms.get(this.key)?.find((h) => h.foreignKey === a.fk.name)?.counts;
  }

  /** Parent row index of each row for this FK (-1: NULL). Built once, deterministic from the seed. */
  parentIndexes(fkName: string): Int32Array {
    const cached = this.parentIdx.get(fkName);
    if (cached) return cached;
    const a = this.assignments.find((x) => x.fk.name === fkName);
    if (!a) throw new Error(`internal: ${this.key} has no FK ${fkName}`);
    const rng = createRng(this.ctx.options.seed, `fk:${this.key}:${fkName}`);
    const arr = this.computeParents(a, rng);
    this.parentIdx.set(fkName, arr);
    return arr;
  }

  /** Throws the error generation would hit for an impossible FK or key, without computing anything per row. */
  assertFeasible(): void {
    for (const a of this.assignments) {
      const impossible = this.infeasibility(a);
      if (impossible instanceof SynthError) throw impossible;
    }
  }

  /** Why this FK cannot be assigned at the planned row counts; `no-parents` when it is simply left NULL. */
  private infeasibility(a: FkAssignment): SynthError | 'no-parents' | null {
    const n = this.rows;
    if (n === 0) return null;
    const np = this.ctx.rows(a.parent);
    const m = n - this.nullCount(a);
    const fkText = `${this.key}.${a.fk.name}(${a.fk.columns.join(', ')})`;
    if (m > 0 && np === 0 && a.mode !== 'self') {
      if (a.nullable) return 'no-parents';
      return new SynthError('IMPOSSIBLE_CONSTRAINT', `${fkText} is NOT NULL but its parent ${tableKey(a.parent)} gets 0 rows.`, {
        table: this.key,
        column: a.fk.columns.join(', '),
        hint: `Give ${tableKey(a.parent)} rows (raise its scale), or exclude ${this.key}.`,
      });
    }
    if (a.mode === 'one-to-one' && m > np) {
      return new SynthError('UNIQUENESS_IMPOSSIBLE', `${fkText} is unique, so ${m} rows need ${m} distinct parents, but ${tableKey(a.parent)} gets only ${np}.`, {
        table: this.key,
        column: a.fk.columns.join(', '),
        hint: `Scale ${tableKey(a.parent)} up or ${this.key} down so the child has no more rows than the parent.`,
      });
    }
    if (a.mode === 'link-first') {
      const second = this.assignments.find((x) => x.mode === 'link-second')!;
      const nb = this.ctx.rows(second.parent);
      if (np * nb < m) {
        const columns = [...a.fk.columns, ...second.fk.columns].join(', ');
        return new SynthError(
          'UNIQUENESS_IMPOSSIBLE',
          `${this.key} needs ${m} distinct (${columns}) pairs but ${tableKey(a.parent)} × ${tableKey(second.parent)} = ${np} × ${nb} = ${np * nb}.`,
          { table: this.key, column: columns, hint: `Lower the scale of ${this.key} or raise the scale of its parents.` },
        );
      }
    }
    return null;
  }

  private computeParents(a: FkAssignment, rng: Rng): Int32Array {
    const n = this.rows;
    const out = new Int32Array(n).fill(-1);
    if (n === 0) return out;
    const np = this.ctx.rows(a.parent);
    const nulls = this.nullCount(a);
    const m = n - nulls;
    const impossible = this.infeasibility(a);
    if (impossible === 'no-parents') return out;
    if (impossible) throw impossible;
    switch (a.mode) {
      case 'self':
        return this.selfParents(a, rng);
      case 'one-to-one': {
        const ids = new Int32Array(np);
        for (let i = 0; i < np; i++) ids[i] = i;
        shuffle(ids, rng);
        for (let i = 0; i < m; i++) out[i] = ids[i]!;
        shuffle(out, rng);
        return out;
      }
      case 'link-second':
        return this.linkSecond(a, rng, m);
      case 'link-first': {
        const second = this.assignments.find((x) => x.mode === 'link-second')!;
        const nb = this.ctx.rows(second.parent);
        return this.expand(this.childCounts(a, np, m, rng, nb), n, false, rng);
      }
      case 'grouped':
        return this.expand(this.childCounts(a, np, m, rng), n, false, rng);
      case 'shuffled':
        return this.expand(this.childCounts(a, np, m, rng), n, true, rng);
    }
  }

  /** Children per parent: the learned prediction for the generated parents when there is one, else the histogram. */
  private childCounts(a: FkAssignment, np: number, m: number, rng: Rng, cap = Number.POSITIVE_INFINITY): Uint32Array {
    const real = this.ctx.options.copiedParentCounts?.(this.key, a.fk.name);
    if (real && real.length === np) return scaleCounts(Uint32Array.from(real), m, rng, cap);
    const counts = this.fanOut(a) ? allocateInSupport(this.histogram(a), np, m, rng, cap) : allocateCounts(this.histogram(a), np, m, rng, cap);
    const predicted = this.ctx.options.childCountWeights?.(this.key, a.fk.name);
    return predicted && predicted.length === np ? rankMatch(counts, predicted, rng) : counts;
  }

  private fanOut(a: FkAssignment): FanOutRule | undefined {
    return this.ctx.options.fanOuts?.get(fanOutKey(this.table, a.fk.name));
  }

  private expand(counts: Uint32Array, n: number, shuffled: boolean, rng: Rng): Int32Array {
    const out = new Int32Array(n).fill(-1);
    let pos = 0;
    for (let p = 0; p < counts.length; p++) for (let c = counts[p]!; c > 0; c--) out[pos++] = p;
    if (shuffled) shuffle(out, rng);
    return out;
  }

  /** Distinct second parents within each group of the first FK, weighted by the second FK's child counts. */
  private linkSecond(a: FkAssignment, rng: Rng, m: number): Int32Array {
    const n = this.rows;
    const out = new Int32Array(n).fill(-1);
    const first = this.parentIndexes(a.partner!);
    const nb = this.ctx.rows(a.parent);
    if (this.fanOut(a)) {
      // An exact fan-out on the second parent too (80 part-suppliers per supplier): deal the exact counts.
      const dealt = dealDistinct(first, allocateInSupport(this.histogram(a), nb, m, rng), rng);
      if (dealt) return dealt;
    }
    const weights = allocateCounts(this.histogram(a), nb, Math.max(m, nb), rng);
    const cum = new Float64Array(nb);
    let acc = 0;
    for (let i = 0; i < nb; i++) cum[i] = acc += weights[i]! + 0.01;
    const draw = (): number => {
      const u = rng.next() * acc;
      let lo = 0;
      let hi = nb - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cum[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    };
    let i = 0;
    while (i < n) {
      const groupParent = first[i]!;
      let j = i;
      while (j < n && first[j] === groupParent) j++;
      if (groupParent < 0) {
        i = j;
        continue;
      }
      const size = j - i;
      const used = new Set<number>();
      if (size * 2 <= nb) {
        for (let k = i; k < j; k++) {
          let b = draw();
          for (let tries = 0; used.has(b) && tries < 32; tries++) b = draw();
          while (used.has(b)) b = (b + 1) % nb;
          used.add(b);
          out[k] = b;
        }
      } else {
        const ids = new Int32Array(nb);
        for (let k = 0; k < nb; k++) ids[k] = k;
        shuffle(ids, rng);
        for (let k = i; k < j; k++) out[k] = ids[k - i]!;
      }
      i = j;
    }
    return out;
  }

  /** Self-reference: a forest in breadth-first order, so every row points at an earlier row. */
  private selfParents(a: FkAssignment, rng: Rng): Int32Array {
    const n = this.rows;
    const out = new Int32Array(n).fill(-1);
    let roots = this.nullCount(a);
    if (a.nullable && roots === 0) roots = 1;
    if (!a.nullable) {
      // NOT NULL self-reference: the first row is its own parent (the only way to start the chain).
      out[0] = 0;
      roots = 1;
    }
    const levels = this.ctx.options.keyStats.get(this.key)?.hierarchies?.[a.fk.name] ?? this.ctx.options.histograms.get(this.key)?.find((h) => h.foreignKey === a.fk.name)?.levels;
    if (levels && levels.length > 1) return this.levelledParents(levels, out, roots, rng);
    const counts = allocateCounts(this.histogram(a), n, n - roots, rng);
    let p = 0;
    let remaining = counts[0] ?? 0;
    for (let i = roots; i < n; i++) {
      while (remaining === 0 && p < i - 1) remaining = counts[++p]!;
      if (remaining > 0 && p < i) {
        out[i] = p;
        remaining--;
      } else out[i] = rng.int(i);
    }
    return out;
  }

  /**
   * A forest with the source's level sizes (scaled) and, per level, the source's share of rows that have children:
   * rows are laid out level by level, so depth and mean fan-out follow the source and every parent is an earlier row.
   */
  private levelledParents(levels: HierarchyLevel[], out: Int32Array, roots: number, rng: Rng): Int32Array {
    const n = this.rows;
    const below = levels.slice(1);
    const total = below.reduce((acc, l) => acc + l.nodes, 0);
    const rest = n - roots;
    // Largest-remainder apportionment of the non-root rows over the source's levels.
    const exact = below.map((l) => (total === 0 ? 0 : (l.nodes * rest) / total));
    const sizes = exact.map(Math.floor);
    let left = rest - sizes.reduce((acc, x) => acc + x, 0);
    const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((p, q) => q[0] - p[0] || p[1] - q[1]);
    for (let k = 0; left > 0; k = (k + 1) % order.length, left--) sizes[order[k]![1]]!++;
    // A level that rounds to zero would cut the tree: its rows (and deeper ones) join the last non-empty level.
    const firstEmpty = sizes.findIndex((x) => x === 0);
    if (firstEmpty >= 0) {
      const moved = sizes.slice(firstEmpty).reduce((acc, x) => acc + x, 0);
      sizes.length = firstEmpty;
      if (sizes.length > 0) sizes[sizes.length - 1]! += moved;
    }
    let parentStart = 0;
    let parentCount = roots;
    let row = roots;
    for (let d = 0; d < sizes.length && parentCount > 0; d++) {
      const size = sizes[d]!;
      const src = levels[d]!;
      const share = src.nodes === 0 ? 1 : src.parents / src.nodes;
      const k = Math.max(1, Math.min(parentCount, size, Math.round(parentCount * share)));
      const pool = new Int32Array(parentCount);
      for (let i = 0; i < parentCount; i++) pool[i] = parentStart + i;
      shuffle(pool, rng);
      for (let j = 0; j < size; j++) out[row + j] = pool[j < k ? j : rng.int(k)]!;
      parentStart = row;
      parentCount = size;
      row += size;
    }
    // Rows the levels did not place (only when the tree was cut short) hang off earlier rows.
    for (; row < n; row++) out[row] = rng.int(row);
    return out;
  }

  /** Value of a key column (own key or FK column) for row i; FK columns resolve through the parent's keys. */
  valueAt(column: string, i: number): Value {
    const fn = this.keyFns.get(column);
    if (fn) return fn(i);
    const a = this.fkOfColumn.get(column);
    if (!a) throw new Error(`internal: ${this.key}.${column} is not a key column`);
    const p = this.parentIndexes(a.fk.name)[i]!;
    if (p < 0) return null;
    const refColumn = a.fk.references.columns[a.fk.columns.indexOf(column)]!;
    const parentKeys = tableKey(a.parent) === this.key ? this : this.ctx.table(a.parent);
    return parentKeys.valueAt(refColumn, p);
  }

  /** Columns that identify a row for deferred UPDATEs: the PK, else a NOT NULL unique without deferred columns. */
  rowIdentity(): string[] | null {
    const deferredCols = new Set(this.assignments.filter((a) => a.deferred === 'null-then-update').flatMap((a) => a.fk.columns));
    const candidates = [this.table.primaryKey?.columns ?? [], ...this.table.uniques.filter((u) => u.predicate === null).map((u) => u.columns)];
    for (const cols of candidates) {
      if (cols.length === 0) continue;
      if (cols.some((c) => deferredCols.has(c))) continue;
      if (cols.every((c) => !(findColumn(this.table, c)?.nullable ?? true))) return cols;
    }
    return null;
  }
}

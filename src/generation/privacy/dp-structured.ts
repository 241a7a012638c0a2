/**
 * Differentially private generators for the column types that hold structure rather than one scalar: arrays and
 * sets (a length histogram and the elements' marginal), json (whole small documents, or key shapes and their
 * leaves), composites and ranges (part by part), bit strings, and the types the baseline draws from templates
 * (geometry coordinates, network addresses, intervals, xml, tsvector). Every release is charged to the column's
 * ledger; `structuredCharges` lists the same charges from the schema alone, on each generator's longest path, so
 * the run's budget is split before any value is read.
 *
 * The trick used throughout: a release gets one value per row (one element drawn from each array, one number per
 * template slot), so its sensitivity stays that of a count however many elements a row holds.
 */
import type { Column, NeutralType, Table } from '../../schema/model.js';
import type { JsonValue, Value } from '../../schema/values.js';
import { slotRe, templateOf, type ColumnModelSpec, type ColumnSpec, type Shape } from '../baseline/column-spec.js';
import { binRange, contributionOf, dpBounds, dpCategoryVocabulary, dpCount, dpHistogram, dpQuantiles, magnitudeBin, MAGNITUDE_BINS, type DpContext } from './mechanisms.js';
import { PrivacyLedger, type LedgerCharge } from './rdp-accountant.js';

/** Array lengths above this share the last bin of the length histogram. */
export const MAX_ARRAY_LENGTH = 64;
/** Number slots per template with their own range; later slots reuse the last two (x/y of long geometries). */
export const MAX_SLOTS = 8;
/** Leaves of a json shape whose values are released (the rest get public defaults). */
export const MAX_JSON_LEAVES = 16;
const MAX_TEMPLATES = 20;
const MAX_SHAPES = 20;
const STRING_LENGTHS = 64;
const JSON_ARRAY_LENGTHS = 16;
const CATEGORICAL_COVERAGE = 0.7;
const LENGTH_QUANTILES = 21;

type Charge = LedgerCharge;

/** What a structured generator needs from dp-columns.ts (recursion into element and part columns). */
export interface StructuredInput {
  table: Table;
  column: Column;
  nonNull: Value[];
  /** ε left for the values once the NULL share is paid. */
  epsilon: number;
  delta: number;
  /** DP estimate of the non-NULL values in the sample. */
  noisyNonNull: number;
  ctx: DpContext;
  /** The DP spec of a derived column (an array's element, a composite's part): `dpColumnSpec` itself. */
  inner: (column: Column, values: Value[], epsilon: number, sampleSize: number) => ColumnModelSpec;
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0));

/** Noisy sums of a vector one unit changes by at most `l1` per row in L1 norm: one Laplace release at ε. */
function noisyVector(sums: number[], l1: number, epsilon: number, ctx: DpContext, what: string): number[] {
  ctx.ledger.charge(`${ctx.label} ${what}`, { mechanism: 'laplace', epsilon, count: 1 });
  const scale = (Math.max(1, l1) * contributionOf(ctx)) / epsilon;
  return sums.map((s) => Math.max(0, s + ctx.rng.laplace(scale)));
}

/** Equal-mass points of a histogram over integer values 0..counts.length-1 (post-processing). */
export function histogramQuantiles(counts: readonly number[], k = LENGTH_QUANTILES): number[] {
  const total = counts.reduce((a, b) => a + Math.max(0, b), 0);
  if (!(total > 0)) return [0];
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const target = (i / (k - 1)) * total;
    let acc = 0;
    let v = counts.length - 1;
    for (let b = 0; b < counts.length; b++) {
      acc += Math.max(0, counts[b]!);
      if (acc >= target && acc > 0) {
        v = b;
        break;
      }
    }
    out.push(v);
  }
  return out;
}

/** The derived column an array's elements are learned as (NOT NULL: NULL elements are not generated). */
export function elementColumn(column: Column, element: NeutralType): Column {
  return { ...column, name: `${column.name}[]`, type: element, nullable: false, default: null, autoIncrement: null };
}

function partColumn(column: Column, part: string, type: NeutralType): Column {
  return { ...column, name: `${column.name}.${part}`, type, nullable: true, default: null, autoIncrement: null };
}

function flatten(v: Value, dims: number): Value[] {
  if (!Array.isArray(v)) return [];
  return dims > 1 ? (v as Value[]).flatMap((x) => flatten(x, dims - 1)) : (v as Value[]);
}

// ---- arrays and sets ----

function dpArray(input: StructuredInput, type: Extract<NeutralType, { kind: 'array' }>): ColumnSpec {
  const { ctx, epsilon } = input;
  const lists = input.nonNull.map((v) => flatten(v, type.dimensions).filter((x) => x !== null));
  const edges = Array.from({ length: MAX_ARRAY_LENGTH + 2 }, (_, i) => i);
  const h = dpHistogram(
    lists.map((l) => Math.min(MAX_ARRAY_LENGTH, l.length)),
    edges,
    { epsilon: 0.3 * epsilon },
    { ...ctx, label: `${ctx.label} lengths` },
  );
  const total = h.counts.reduce((a, b) => a + b, 0);
  const nonEmptyShare = total > 0 ? clamp01(1 - h.counts[0]! / total) : 1;
  // One element drawn from each non-empty array: each row adds one value, as for a scalar column.
  const picks = lists.filter((l) => l.length > 0).map((l) => l[ctx.rng.int(l.length)]!);
  const element = input.inner(elementColumn(input.column, type.element), picks, 0.7 * epsilon, Math.max(1, input.noisyNonNull * nonEmptyShare));
  const lengths = denoise(h.counts, contributionOf(ctx) / (0.3 * epsilon));
  return { type: 'array', lengths: histogramQuantiles(lengths), element: element.spec };
}

function dpSet(input: StructuredInput, values: string[]): ColumnSpec {
  if (values.length === 0) return { type: 'set', values: [], probs: [] };
  const sums = values.map(() => 0);
  for (const v of input.nonNull) {
    const members = new Set(Array.isArray(v) ? v.map(String) : String(v).split(','));
    values.forEach((x, i) => members.has(x) && sums[i]!++);
  }
  // The labels are schema; a row holds each at most once, so the presence vector moves by at most |values|.
  const noisy = noisyVector(sums, values.length, input.epsilon, input.ctx, 'members');
  const n = Math.max(1, input.noisyNonNull);
  return { type: 'set', values, probs: noisy.map((c) => clamp01(c / n)) };
}

// ---- bits ----

function dpBits(input: StructuredInput, type: Extract<NeutralType, { kind: 'bit' }>): ColumnSpec {
  const { ctx, epsilon } = input;
  const strs = input.nonNull.map(String);
  const fixed = !type.varying && type.length !== null;
  let lengths: number[];
  let left = epsilon;
  if (fixed) lengths = [type.length!];
  else {
    const upper = Math.max(1, type.length ?? 256);
    const qs = Array.from({ length: LENGTH_QUANTILES }, (_, i) => i / (LENGTH_QUANTILES - 1));
    lengths = dpQuantiles(strs.map((s) => Math.min(upper, s.length)), qs, { lower: 0, upper }, 0.5 * epsilon, { ...ctx, label: `${ctx.label} lengths` })
      .map(Math.round)
      .sort((a, b) => a - b);
    left = 0.5 * epsilon;
  }
  // Each row adds its share of ones (in [0, 1]).
  const ones = strs.reduce((acc, s) => acc + (s.length > 0 ? (s.match(/1/g)?.length ?? 0) / s.length : 0), 0);
  const [noisy] = noisyVector([ones], 1, left, ctx, 'ones share');
  return { type: 'bits', lengths, pOne: clamp01(noisy! / Math.max(1, input.noisyNonNull)) };
}

// ---- templates: geometry, network, interval, xml, tsvector ----

/** A skeleton per kind used when no template of the data clears the vocabulary threshold (schema only). */
function publicTemplate(type: NeutralType): { template: string; hex: boolean } {
  switch (type.kind) {
    case 'network':
      if (type.family === 'macaddr') return { template: '08:00:2b:\u0001:\u0001:\u0001', hex: true };
      if (type.family === 'cidr') return { template: '10.\u0001.0.0/16', hex: false };
      return { template: '10.\u0001.\u0001.\u0001', hex: false };
    case 'interval':
      return { template: '\u0001 days', hex: false };
    case 'geometry':
      return { template: publicGeometry(type.subtype), hex: false };
    case 'xml':
      return { template: '<v>\u0002</v>', hex: false };
    default:
      return { template: "'\u0002':\u0001", hex: false };
  }
}

/** A shape of the column's geometry subtype that is valid whatever its slots hold (rings stay closed). */
function publicGeometry(subtype: string | null): string {
  switch (subtype?.toUpperCase()) {
    case 'POLYGON':
      return 'POLYGON((0 0,1 0,1 1,0 0))';
    case 'MULTIPOLYGON':
      return 'MULTIPOLYGON(((0 0,1 0,1 1,0 0)))';
    case 'LINESTRING':
      return 'LINESTRING(0 0,\u0001 \u0001)';
    case 'MULTILINESTRING':
      return 'MULTILINESTRING((0 0,\u0001 \u0001))';
    case 'MULTIPOINT':
      return 'MULTIPOINT(\u0001 \u0001)';
    case 'GEOMETRYCOLLECTION':
      return 'GEOMETRYCOLLECTION(POINT(\u0001 \u0001))';
    default:
      return 'POINT(\u0001 \u0001)';
  }
}

/** Public range of a template's numbers where the type fixes one (address octets and bytes). */
function publicSlotRange(type: NeutralType): { lower: number; upper: number } | null {
  if (type.kind === 'network') return { lower: 0, upper: 255 };
  // Lexeme positions.
  if (type.kind === 'tsvector') return { lower: 1, upper: 16_383 };
  return null;
}

/**
 * Whether a released skeleton can hold a value of the type: a MAC address is six byte slots. Training values can
 * come out of an earlier stage in another shape (a PII transform that took a MAC address for an IPv6 one).
 */
function fitsType(template: string, type: NeutralType): boolean {
  if (type.kind === 'network' && type.family === 'macaddr') return /^\u0001([:.-]?\u0001){5}$/.test(template);
  // A typed geometry column holds only its subtype.
  const sub = type.kind === 'geometry' ? type.subtype?.toUpperCase() : undefined;
  if (sub && sub !== 'GEOMETRY') return new RegExp(`^(SRID=\\d+;)?${sub}\\s*\\(`, 'i').test(template.replace(/\u0001/g, '0'));
  return true;
}

/** Bins of a slot's histogram inside its range (integers get one bin each while the range is narrow enough). */
const SLOT_BINS = 64;

/**
 * A slot's range as the outer edges of the outermost bins of a DP histogram over `range` whose noisy count clears
 * what noise alone reaches in any bin with probability 5 %. Quantiles by the exponential mechanism would do worse
 * here: a cluster of values far inside a wide DP range loses to the empty gap next to it. Null when no bin clears.
 */
function dpSlotRange(xs: number[], range: { lower: number; upper: number }, integer: boolean, epsilon: number, ctx: DpContext): { lo: number; hi: number; decimals: number } | null {
  const lower = integer ? Math.floor(range.lower) : range.lower;
  const upper = integer ? Math.ceil(range.upper) : range.upper;
  const unit = integer && upper - lower + 1 <= 256;
  const bins = unit ? upper - lower + 1 : SLOT_BINS;
  const width = unit ? 1 : (upper - lower) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lower + i * width);
  const h = dpHistogram(xs, edges, { epsilon }, ctx);
  const threshold = ((contributionOf(ctx) / epsilon) * Math.log(bins / (2 * 0.05)));
  const kept = h.counts.map((c, i) => (c > threshold ? i : -1)).filter((i) => i >= 0);
  if (kept.length === 0) return null;
  const first = kept[0]!;
  const last = kept[kept.length - 1]!;
  if (unit) return { lo: lower + first, hi: lower + last, decimals: 0 };
  const lo = edges[first]!;
  const hi = edges[last + 1]!;
  return integer ? { lo: Math.ceil(lo), hi: Math.max(Math.ceil(lo), Math.floor(hi)), decimals: 0 } : { lo, hi, decimals: 6 };
}

/** Noisy bins below what noise alone reaches in any of them with probability 5 % are taken as empty. */
function denoise(counts: number[], scale: number): number[] {
  const threshold = scale * Math.log(counts.length / (2 * 0.05));
  const kept = counts.map((c) => (c > threshold ? c : 0));
  if (kept.some((c) => c > 0)) return kept;
  // Nothing clears: the fullest bin alone (post-processing, so still private).
  const top = counts.indexOf(Math.max(...counts));
  return counts.map((c, i) => (i === top ? 1 : 0));
}

function slotNumbers(s: string, kind: NeutralType['kind'], hex: boolean): number[] {
  const masked = kind === 'tsvector' ? s.replace(/'[^']*'/g, "''") : kind === 'xml' ? s.replace(/>([^<]+)</g, '><') : s;
  return (masked.match(slotRe(kind, hex)) ?? []).map((m) => (hex ? parseInt(m, 16) : Number(m)));
}

const slotPosition = (j: number): number => (j < MAX_SLOTS ? j : MAX_SLOTS - 2 + (j % 2));

/**
 * Templates (values with their numbers taken out) through a DP vocabulary, then each slot's range as DP 2 %/98 %
 * quantiles. A row belongs to one template, so the per-template slot releases act on disjoint rows (parallel
 * composition): each slot position is charged once, whatever the number of templates.
 */
function dpTemplates(input: StructuredInput, type: NeutralType): ColumnSpec {
  const { ctx, epsilon, delta } = input;
  const hex = type.kind === 'network' && type.family === 'macaddr';
  const strs = input.nonNull.map(String);
  const skeletons = strs.map((s) => templateOf(s, type.kind, hex));
  const vocab = dpCategoryVocabulary(skeletons, { epsilon: 0.3 * epsilon }, { ...ctx, label: `${ctx.label} templates` }, { delta }).slice(0, MAX_TEMPLATES);
  const decimals = type.kind === 'geometry' ? 6 : 0;
  const fixedRange = publicSlotRange(type);
  const fitting = vocab.map((v) => v.value).filter((t) => fitsType(t, type));
  const released = fitting.length > 0 ? fitting : [publicTemplate(type).template];
  const byTemplate = new Map<string, number[][]>(released.map((t) => [t, []]));
  // The slot budget is split over the positions the released templates have (post-processing of the vocabulary).
  const positionsUsed = Math.max(1, ...released.map((t) => Math.min(MAX_SLOTS, (t.match(/\u0001/g) ?? []).length)));
  const perSlot = (0.7 * epsilon) / positionsUsed;
  strs.forEach((s, i) => {
    const slots = byTemplate.get(skeletons[i]!);
    if (!slots) return;
    slotNumbers(s, type.kind, hex).forEach((x, j) => {
      const p = slotPosition(j);
      (slots[p] ??= []).push(x);
    });
  });
  const used = new Set<number>();
  const templates: string[] = [];
  const slots: Array<Array<{ lo: number; hi: number; decimals: number }>> = [];
  for (const t of released) {
    const count = (t.match(/\u0001/g) ?? []).length;
    const values = byTemplate.get(t)!;
    const scratch: DpContext = { ...ctx, ledger: new PrivacyLedger(), label: `${ctx.label} slots` };
    const ranges: Array<{ lo: number; hi: number; decimals: number }> = [];
    const positions = new Map<number, { lo: number; hi: number; decimals: number } | null>();
    for (let j = 0; j < count; j++) {
      const p = slotPosition(j);
      used.add(p);
      if (!positions.has(p)) {
        const xs = values[p] ?? [];
        const range = fixedRange ?? dpBounds(xs, { epsilon: 0.3 * perSlot }, scratch);
        if (!range) positions.set(p, null);
        else if (!(range.upper > range.lower)) positions.set(p, { lo: range.lower, hi: range.lower, decimals });
        else positions.set(p, dpSlotRange(xs, range, decimals === 0, 0.7 * perSlot, scratch));
      }
      const r = positions.get(p);
      if (r) ranges.push(r);
    }
    // A template whose numbers the budget could not locate is left out rather than filled with made-up ranges.
    if (ranges.length < count) continue;
    templates.push(t);
    slots.push(ranges);
  }
  // Slot positions are charged as released, once each (see above); the bounds only where no public range holds.
  for (const p of [...used].sort((a, b) => a - b)) {
    if (!fixedRange) ctx.ledger.charge(`${ctx.label} slot ${p}`, { mechanism: 'laplace', epsilon: 0.3 * perSlot, count: 1 });
    ctx.ledger.charge(`${ctx.label} slot ${p}`, { mechanism: 'laplace', epsilon: 0.7 * perSlot, count: 1 });
  }
  if (templates.length === 0) {
    const fallback = publicTemplate(type);
    const count = (fallback.template.match(/\u0001/g) ?? []).length;
    const range = fixedRange ?? { lower: type.kind === 'tsvector' ? 1 : 0, upper: type.kind === 'interval' ? 30 : 1 };
    return {
      type: 'template',
      templates: [fallback.template],
      low: range.lower,
      high: range.upper,
      decimals,
      slots: [Array.from({ length: count }, () => ({ lo: range.lower, hi: range.upper, decimals }))],
      ...(fallback.hex ? { hex: true } : {}),
    };
  }
  return { type: 'template', templates, low: 0, high: 0, decimals, slots, ...(hex ? { hex: true } : {}) };
}

// ---- json ----

/** JSON with sorted keys: two documents that differ only in key order are one category. */
function canonical(v: JsonValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(v[k]!)}`)
    .join(',')}}`;
}

type Leaf = 'null' | 'bool' | 'int' | 'num' | 'str' | 'arr';

function leafOf(v: JsonValue): Leaf {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'num';
  if (typeof v === 'string') return 'str';
  return Array.isArray(v) ? 'arr' : 'null';
}

/** Key paths (to depth 3) with their leaf kinds: a document's shape without any of its values. */
function leavesOf(v: JsonValue, prefix: string[] = [], out: Array<[string[], Leaf]> = []): Array<[string[], Leaf]> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && prefix.length < 3) {
    for (const k of Object.keys(v).sort()) leavesOf(v[k]!, [...prefix, k], out);
    if (Object.keys(v).length === 0) out.push([prefix, 'null']);
    return out;
  }
  out.push([prefix, leafOf(v)]);
  return out;
}

const signatureOf = (v: JsonValue): string => JSON.stringify(leavesOf(v));
const pathKey = (path: string[]): string => JSON.stringify(path);

function valueAt(v: JsonValue, path: string[]): JsonValue | undefined {
  let cur: JsonValue | undefined = v;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** Histogram bins of one leaf's released statistic: magnitude bins for numbers, lengths for strings and arrays. */
function leafBins(leaf: Leaf): number {
  if (leaf === 'int' || leaf === 'num') return MAGNITUDE_BINS;
  if (leaf === 'str') return STRING_LENGTHS + 1;
  if (leaf === 'arr') return JSON_ARRAY_LENGTHS + 1;
  return 0;
}

function leafBin(leaf: Leaf, v: JsonValue | undefined): number | null {
  if (v === undefined || leafOf(v) !== leaf) return null;
  if (leaf === 'int' || leaf === 'num') return magnitudeBin(v as number);
  if (leaf === 'str') return Math.min(STRING_LENGTHS, (v as string).length);
  if (leaf === 'arr') return Math.min(JSON_ARRAY_LENGTHS, (v as JsonValue[]).length);
  return null;
}

function meanBin(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  return total > 0 ? Math.round(counts.reduce((a, c, i) => a + c * i, 0) / total) : 0;
}

function leafShape(leaf: Leaf, counts: number[] | undefined, threshold: number): Shape {
  switch (leaf) {
    case 'bool':
      return { k: 'bool' };
    case 'int':
    case 'num': {
      let first = -1;
      let last = -1;
      (counts ?? []).forEach((c, b) => {
        if (c > threshold) {
          if (first < 0) first = b;
          last = b;
        }
      });
      if (first < 0) return { k: 'num', int: leaf === 'int', lo: 0, hi: 100 };
      return { k: 'num', int: leaf === 'int', lo: binRange(first)[0], hi: binRange(last)[1] };
    }
    case 'str':
      return { k: 'str', len: Math.max(1, counts ? meanBin(counts) : 8) };
    case 'arr':
      return { k: 'arr', items: [{ k: 'str', len: 6 }], len: counts ? meanBin(counts) : 2 };
    default:
      return { k: 'null' };
  }
}

function shapeFromLeaves(leaves: Array<[string[], Leaf]>, leafShapeOf: (path: string[], leaf: Leaf) => Shape): Shape {
  if (leaves.length === 1 && leaves[0]![0].length === 0) return leafShapeOf([], leaves[0]![1]);
  const root: Shape = { k: 'obj', fields: [] };
  for (const [path, leaf] of leaves) {
    let node = root as Extract<Shape, { k: 'obj' }>;
    path.forEach((key, i) => {
      const last = i === path.length - 1;
      let field = node.fields.find(([k]) => k === key);
      if (!field) {
        field = [key, last ? leafShapeOf(path, leaf) : { k: 'obj', fields: [] }];
        node.fields.push(field);
      }
      if (!last && field[1].k === 'obj') node = field[1];
    });
  }
  return root;
}

/**
 * Whole documents through a DP vocabulary when a few cover most rows (settings, feature flags); otherwise key
 * shapes through a DP vocabulary and, per leaf of the released shapes, a DP histogram of its numbers' magnitudes or
 * its strings' lengths (one joint release: a row adds one value to each leaf).
 */
function dpJson(input: StructuredInput): ColumnSpec {
  const { ctx, epsilon, delta } = input;
  const docs = input.nonNull as JsonValue[];
  const whole = dpCategoryVocabulary(docs.map(canonical), { epsilon: 0.4 * epsilon }, { ...ctx, label: `${ctx.label} documents` }, { delta: delta / 2 });
  const covered = whole.reduce((a, v) => a + v.count, 0);
  if (whole.length > 0 && covered >= CATEGORICAL_COVERAGE * input.noisyNonNull) {
    return { type: 'categorical', values: whole.map((v) => JSON.parse(v.value) as JsonValue), weights: whole.map((v) => Math.max(1, v.count)) };
  }
  const shapes = dpCategoryVocabulary(docs.map(signatureOf), { epsilon: 0.2 * epsilon }, { ...ctx, label: `${ctx.label} shapes` }, { delta: delta / 2 }).slice(0, MAX_SHAPES);
  const released = shapes.map((s) => ({ leaves: JSON.parse(s.value) as Array<[string[], Leaf]>, weight: s.count }));
  const paths = new Map<string, { path: string[]; leaf: Leaf }>();
  for (const s of released) {
    for (const [path, leaf] of s.leaves) {
      const key = `${pathKey(path)}:${leaf}`;
      if (leafBins(leaf) > 0 && !paths.has(key) && paths.size < MAX_JSON_LEAVES) paths.set(key, { path, leaf });
    }
  }
  const leafList = [...paths.entries()];
  const offsets: number[] = [];
  let size = 0;
  for (const [, p] of leafList) {
    offsets.push(size);
    size += leafBins(p.leaf);
  }
  const sums = new Array<number>(size).fill(0);
  for (const d of docs) {
    leafList.forEach(([, p], i) => {
      const b = leafBin(p.leaf, valueAt(d, p.path));
      if (b !== null) sums[offsets[i]! + b]!++;
    });
  }
  const counts = leafList.length > 0 ? noisyVector(sums, leafList.length, 0.4 * epsilon, ctx, 'leaves') : [];
  // A magnitude bin is kept only above what noise alone reaches in any of the leaf's bins with probability 5 %.
  const scale = (Math.max(1, leafList.length) * contributionOf(ctx)) / (0.4 * epsilon);
  const threshold = scale * Math.log(MAGNITUDE_BINS / (2 * 0.05));
  const leafCounts = new Map(
    leafList.map(([key, p], i) => {
      const own = counts.slice(offsets[i]!, offsets[i]! + leafBins(p.leaf));
      return [key, p.leaf === 'str' || p.leaf === 'arr' ? denoise(own, scale) : own] as const;
    }),
  );
  const out: Shape[] = [];
  const totalWeight = released.reduce((a, s) => a + s.weight, 0) || 1;
  for (const s of released) {
    const shape = shapeFromLeaves(s.leaves, (path, leaf) => leafShape(leaf, leafCounts.get(`${pathKey(path)}:${leaf}`), threshold));
    // The baseline draws shapes uniformly: a frequent shape is listed more often.
    const copies = Math.max(1, Math.round((MAX_SHAPES * s.weight) / totalWeight));
    for (let i = 0; i < copies; i++) out.push(shape);
  }
  return { type: 'json', shapes: out.length > 0 ? out : [{ k: 'obj', fields: [] }] };
}

function dpRecord(input: StructuredInput, st: NonNullable<Extract<NeutralType, { kind: 'json' }>['structured']>): ColumnSpec {
  const { ctx, epsilon } = input;
  const objects = input.nonNull.filter((v): v is { [key: string]: JsonValue } => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array));
  const parts = st.form === 'composite' ? st.attributes : [{ name: 'lower', type: st.subtype }, { name: 'upper', type: st.subtype }];
  const share = (st.form === 'range' ? 0.9 : 1) * epsilon / Math.max(1, parts.length);
  let emptyShare = 0;
  if (st.form === 'range') {
    const empties = dpCount(input.nonNull.length - objects.length, { epsilon: 0.1 * epsilon }, { ...ctx, label: `${ctx.label} empty ranges` });
    emptyShare = clamp01(empties / Math.max(1, input.noisyNonNull));
  }
  const n = Math.max(1, input.noisyNonNull * (1 - emptyShare));
  const fields = parts.map((p) => {
    const r = input.inner(partColumn(input.column, p.name, p.type), objects.map((o) => (o[p.name] ?? null) as Value), share, n);
    return { name: p.name, nullRate: r.nullRate, spec: r.spec };
  });
  if (st.form === 'composite') return { type: 'record', fields };
  return { type: 'record', fields, range: { emptyShare, bounds: { type: 'constant', value: '[)' } } };
}

/** The DP spec of a structured column, or null when the type is a scalar one (dp-columns.ts handles those). */
export function dpStructuredSpec(input: StructuredInput): ColumnSpec | null {
  const type = input.column.type;
  switch (type.kind) {
    case 'array':
      return dpArray(input, type);
    case 'set':
      return dpSet(input, type.values);
    case 'bit':
      return dpBits(input, type);
    case 'json':
      return type.structured ? dpRecord(input, type.structured) : dpJson(input);
    case 'geometry':
    case 'network':
    case 'interval':
    case 'xml':
    case 'tsvector':
      return dpTemplates(input, type);
    default:
      return null;
  }
}

/**
 * The charges `dpStructuredSpec` makes at most for a column at ε (after its NULL share), or null for scalar types.
 * `inner` gives a derived column's charges (`columnCharges`).
 */
export function structuredCharges(column: Column, epsilon: number, delta: number, inner: (column: Column, epsilon: number) => Charge[]): Charge[] | null {
  const type = column.type;
  const laplace = (e: number): Charge => ({ mechanism: 'laplace', epsilon: e, count: 1 });
  const threshold = (d: number): Charge => ({ mechanism: 'approx-dp', epsilon: 0, delta: d, count: 1 });
  switch (type.kind) {
    case 'array':
      return [laplace(0.3 * epsilon), ...inner(elementColumn(column, type.element), 0.7 * epsilon)];
    case 'set':
      return type.values.length > 0 ? [laplace(epsilon)] : [];
    case 'bit':
      if (!type.varying && type.length !== null) return [laplace(epsilon)];
      return [{ mechanism: 'exponential', epsilon: (0.5 * epsilon) / LENGTH_QUANTILES, count: LENGTH_QUANTILES }, laplace(0.5 * epsilon)];
    case 'json': {
      if (type.structured) {
        const st = type.structured;
        const parts = st.form === 'composite' ? st.attributes : [{ name: 'lower', type: st.subtype }, { name: 'upper', type: st.subtype }];
        const share = (st.form === 'range' ? 0.9 : 1) * epsilon / Math.max(1, parts.length);
        return [...(st.form === 'range' ? [laplace(0.1 * epsilon)] : []), ...parts.flatMap((p) => inner(partColumn(column, p.name, p.type), share))];
      }
      return [laplace(0.4 * epsilon), threshold(delta / 2), laplace(0.2 * epsilon), threshold(delta / 2), laplace(0.4 * epsilon)];
    }
    case 'geometry':
    case 'network':
    case 'interval':
    case 'xml':
    case 'tsvector': {
      // The slots' share is split over as many positions as the released templates have: one position taking all
      // of it is the costliest case in RDP (each curve is convex in ε and 0 at 0), so it is what is planned.
      const slots = 0.7 * epsilon;
      return [
        laplace(0.3 * epsilon),
        threshold(delta),
        ...(publicSlotRange(type) ? [] : [laplace(0.3 * slots)]),
        laplace(0.7 * slots),
      ];
    }
    default:
      return null;
  }
}

/**
 * MST as a table's attribute model under DP: which tables get it (`mstChoice`, from the schema, sample size and
 * budget share alone, so the choice itself releases nothing), fitting it on the columns the table's DP specs
 * already code (categories of a DP vocabulary, bins of DP quantiles), and drawing rows from it (a bin's value
 * uniform inside the bin). Columns no spec codes (free text, uuids, faked personal columns) stay with the
 * independent DP marginals of the baseline.
 */
import { SynthError } from '../../errors.js';
import type { Column, ForeignKey, Table, TableRef } from '../../schema/model.js';
import { findColumn, tableKey } from '../../schema/model.js';
import type { Row } from '../../schema/values.js';
import { BaselineModel } from '../baseline/baseline-model.js';
import type { ColumnModelSpec } from '../baseline/column-spec.js';
import { conformValue } from '../conform.js';
import { hash32 } from '../rng.js';
import { encoderFromJSON, type ColumnEncoder, type EncoderJSON } from '../learned/encoders.js';
import type { AttributeModel, ModelArtifact, Rng, TableSample } from '../model.js';
import { encoderFromSpec } from './dp-columns.js';
import { fitMst, mstScales, sampleMst, sampleMstGiven, type MstModel } from './dp-mst.js';
import { contributionOf, type DpContext } from './mechanisms.js';

export const MST_VERSION = 1;
/** Share of an MST table's ε given to MST (the rest buys the row count, histograms and the columns' DP specs). */
export const MST_SHARE = 0.5;
/** MST is chosen when its 2-way noise (σ per cell, in rows) stays under this fraction of the training rows. */
export const MST_MAX_NOISE_SHARE = 0.02;

/** Column types a DP spec can code for MST (decided from the schema: a text column may still end up uncoded). */
const CODABLE = new Set(['integer', 'decimal', 'float', 'money', 'year', 'date', 'timestamp', 'boolean', 'enum', 'text']);

export interface MstChoice {
  mst: boolean;
  /** Candidate columns (private attributes of a codable type). */
  columns: number;
  rows: number;
  /** ρ (zCDP) MST would get, from the table's budget share. */
  rho: number;
  /** One line for `synth plan`. */
  reason: string;
}

/** ρ-zCDP whose (ε, δ) conversion (ρ + 2√(ρ ln 1/δ)) is ε: the MST share's ρ. */
export function rhoForEpsilon(epsilon: number, delta: number): number {
  const l = Math.log(1 / delta);
  return (Math.sqrt(l + epsilon) - Math.sqrt(l)) ** 2;
}

/**
 * Whether a table's attributes come from MST: at least two candidate columns, and the noise of each measured
 * 2-way marginal (σ₂ × contribution rows) small against the training rows, so the tree's tables say more than
 * noise. `epsilon`: the table's ε share, `contribution`: rows one privacy unit adds to it.
 */
export function mstChoice(candidates: number, rows: number, epsilon: number, delta: number, contribution = 1): MstChoice {
  const rho = rhoForEpsilon(epsilon * MST_SHARE, delta);
  const base = { columns: candidates, rows, rho };
  if (candidates < 2) return { ...base, mst: false, reason: `independent marginals: ${candidates} column(s) to correlate` };
  const noise = mstScales(candidates, rho).sigma2 * contribution;
  const share = rows > 0 ? noise / rows : Infinity;
  const figures = `${candidates} columns, ${rows} rows, ε share ${epsilon.toFixed(3)} (MST ρ ${rho.toPrecision(2)}): 2-way noise σ ${noise.toFixed(1)} rows = ${(share * 100).toFixed(1)} % of the rows`;
  return share <= MST_MAX_NOISE_SHARE
    ? { ...base, mst: true, reason: `MST: ${figures}` }
    : { ...base, mst: false, reason: `independent marginals: ${figures} (MST above ${MST_MAX_NOISE_SHARE * 100} %)` };
}

/** Candidate MST columns of a table, from the schema and config alone. */
export function mstCandidates(table: Table, attrs: Column[], isPublic: (c: string) => boolean, fake: (c: Column) => boolean): Column[] {
  return attrs.filter((c) => CODABLE.has(c.type.kind) && !isPublic(c.name) && !fake(c));
}

export interface MstArtifact extends ModelArtifact {
  kind: 'mst';
  /** Attribute columns in output order. */
  columns: string[];
  mst: MstModel;
  encoders: EncoderJSON[];
  /** Columns MST does not code, drawn independently. */
  rest: ColumnModelSpec[];
  /** Entity unit: the parent's coded columns, the tree's last attributes, given at sampling as evidence. */
  context?: MstContext;
  /** Family-size columns of the tree (after the context): children per row through each head (`child.fk`). */
  heads?: MstHead[];
  /** Per coded column, then per context column: DP bins per tree value (1: every bin its own value). */
  groups?: number[];
  contextGroups?: number[];
}

export interface MstHead {
  head: string;
  column: number;
}

/**
 * Children per sample row through one FK (`head` = `child table.fk`), counted in the child's sample: a thinned
 * count when the child is sampled, which is all ranking the generated parents needs (`rankMatch`).
 */
export interface FamilySizes {
  head: string;
  counts: ArrayLike<number>;
}

/** Public bins of a family size (lower bounds): the tree learns which rows have large families. */
export const FAMILY_BINS = [0, 1, 2, 3, 4, 5, 7, 10, 15, 25, 50, 100];

function familyBin(n: number): number {
  let b = 0;
  while (b + 1 < FAMILY_BINS.length && n >= FAMILY_BINS[b + 1]!) b++;
  return b;
}

/**
 * Numeric columns enter the tree as groups of `g` consecutive DP bins (equal-mass bins of the column's DP histogram),
 * so that a 2-way table has few enough cells for its noise; a drawn group is decoded to one of its bins at random
 * (they carry equal mass) and then inside it, so the column keeps the shape of its 1-way release.
 */
interface Grouping {
  first: number;
  fine: number;
  g: number;
}

function grouping(json: EncoderJSON, g: number): Grouping {
  return json.type === 'numeric' ? { first: (json.hasNull ? 1 : 0) + json.points.length, fine: Math.max(0, json.edges.length - 1), g } : { first: 0, fine: 0, g: 1 };
}

function groupedSize(vocab: number, x: Grouping): number {
  return x.g <= 1 ? vocab : x.first + Math.ceil(x.fine / x.g);
}

function toGroup(token: number, x: Grouping): number {
  return x.g <= 1 || token < x.first ? token : x.first + Math.floor((token - x.first) / x.g);
}

function fromGroup(code: number, x: Grouping, rng: { next(): number }): number {
  if (x.g <= 1 || code < x.first) return code;
  const lo = (code - x.first) * x.g;
  return x.first + lo + Math.floor(rng.next() * Math.max(1, Math.min(x.g, x.fine - lo)));
}

/** Bins a grouped numeric column keeps in the tree: about 8 noise scales (σ₂ × m rows) of rows per bin, 4..fine. */
function groupFor(json: EncoderJSON, rows: number, sigmaRows: number): number {
  if (json.type !== 'numeric') return 1;
  const fine = Math.max(0, json.edges.length - 1);
  const keep = Math.max(4, Math.floor(rows / (8 * Math.max(1e-9, sigmaRows))));
  return fine > keep ? Math.ceil(fine / keep) : 1;
}

export interface MstContext {
  columns: string[];
  encoders: EncoderJSON[];
}

export class MstAttributeModel implements AttributeModel {
  readonly kind = 'mst' as const;
  readonly table: TableRef;
  readonly contextColumns: string[];
  private readonly encoders: ColumnEncoder[];
  private readonly contextEncoders: ColumnEncoder[];
  private readonly groups: Grouping[];
  private readonly contextGroups: Grouping[];
  private readonly cols: Column[];
  private readonly rest: BaselineModel | null;

  constructor(
    table: Table,
    readonly columns: string[],
    private readonly mst: MstModel,
    private readonly encoderJson: EncoderJSON[],
    private readonly restSpecs: ColumnModelSpec[],
    private readonly context?: MstContext,
    private readonly heads: MstHead[] = [],
    private readonly groupSizes: number[] = [],
    private readonly contextGroupSizes: number[] = [],
  ) {
    this.table = { schema: table.schema, name: table.name };
    this.contextColumns = context?.columns ?? [];
    this.contextEncoders = (context?.encoders ?? []).map(encoderFromJSON);
    this.encoders = encoderJson.map(encoderFromJSON);
    this.groups = encoderJson.map((j, i) => grouping(j, groupSizes[i] ?? 1));
    this.contextGroups = (context?.encoders ?? []).map((j, i) => grouping(j, contextGroupSizes[i] ?? 1));
    this.cols = this.encoders.map((e) => {
      const c = findColumn(table, e.column);
      if (!c) {
        throw new SynthError('MODEL_NOT_FOUND', `The MST model of ${tableKey(table)} names column ${e.column}, which the schema does not have.`, {
          table: tableKey(table),
          column: e.column,
          hint: 'The schema changed since the model was trained: run `synth train` again.',
        });
      }
      return c;
    });
    this.rest = restSpecs.length > 0 ? new BaselineModel(table, restSpecs) : null;
  }

  /** Count heads (`child.fk`): the generator ranks each generated row's children by `predictChildCounts`. */
  get childCountForeignKeys(): string[] {
    return this.heads.map((h) => h.head);
  }

  /** The family-size bins drawn with `rows` (by the same `sample` call), as weights. */
  predictChildCounts(rows: Row[], foreignKey: string): number[] {
    const codes = this.drawn.get(rows);
    const head = this.heads.find((h) => h.head === foreignKey);
    return rows.map((_, r) => (codes && head ? FAMILY_BINS[codes[r]![head.column]!]! : 0));
  }

  private readonly drawn = new WeakMap<Row[], number[][]>();

  sample(n: number, context: Row[] | null, rng: Rng): Row[] {
    const codes = context && this.contextEncoders.length > 0 ? this.sampleGiven(n, context, rng.fork('mst')) : sampleMst(this.mst, n, rng.fork('mst'));
    const decode = rng.fork('mst-decode');
    const rest = this.rest?.sample(n, null, rng.fork('rest')) ?? [];
    const where = new Map<string, [number, number]>();
    this.encoders.forEach((e, i) => where.set(e.column, [0, i]));
    this.restSpecs.forEach((s, i) => where.set(s.column, [1, i]));
    const out: Row[] = new Array(n);
    for (let r = 0; r < n; r++) {
      out[r] = this.columns.map((c) => {
        const [src, i] = where.get(c)!;
        return src === 0 ? conformValue(this.encoders[i]!.decode(fromGroup(codes[r]![i]!, this.groups[i]!, decode), decode), this.cols[i]!) : rest[r]![i]!;
      });
    }
    if (this.heads.length > 0) this.drawn.set(out, codes);
    return out;
  }

  /** The parent's values of each row coded as evidence for the tree's context columns (an absent parent: none). */
  private sampleGiven(n: number, context: Row[], rng: Rng): number[][] {
    const first = this.encoders.length;
    const observed = this.contextEncoders.map((_, j) => first + j);
    const given = Array.from({ length: n }, (_, r) => {
      const parent = context[r];
      return this.contextEncoders.map((e, j) => (parent ? toGroup(Math.min(e.vocabSize - 1, Math.max(0, e.encode(parent[j] ?? null))), this.contextGroups[j]!) : -1));
    });
    return sampleMstGiven(this.mst, observed, given, rng);
  }

  toJSON(): MstArtifact {
    return {
      kind: 'mst',
      table: this.table,
      version: MST_VERSION,
      columns: this.columns,
      mst: this.mst,
      encoders: this.encoderJson,
      rest: this.restSpecs,
      ...(this.context ? { context: this.context } : {}),
      ...(this.heads.length > 0 ? { heads: this.heads } : {}),
      ...(this.groupSizes.some((g) => g > 1) ? { groups: this.groupSizes } : {}),
      ...(this.contextGroupSizes.some((g) => g > 1) ? { contextGroups: this.contextGroupSizes } : {}),
    };
  }
}

export function mstFromArtifact(artifact: ModelArtifact, table: Table): MstAttributeModel {
  const a = artifact as Partial<MstArtifact>;
  if (a.kind !== 'mst' || a.version !== MST_VERSION || !a.mst || !Array.isArray(a.encoders) || !Array.isArray(a.columns) || !Array.isArray(a.rest)) {
    throw new SynthError('MODEL_NOT_FOUND', `The stored model of ${tableKey(table)} is not an MST model of version ${MST_VERSION}.`, {
      table: tableKey(table),
      hint: 'Run `synth train` again to rebuild the models.',
    });
  }
  return new MstAttributeModel(table, a.columns, a.mst, a.encoders, a.rest, a.context, a.heads ?? [], a.groups ?? [], a.contextGroups ?? []);
}

/**
 * Fits MST at ρ on the attribute columns whose DP spec codes them (`encoderFromSpec`), charging `ctx.ledger`;
 * the other columns keep their spec. Null when fewer than two columns are coded (nothing to correlate): the
 * caller keeps the independent marginals and MST spends nothing.
 */
export function fitMstAttributes(
  table: Table,
  sample: TableSample,
  attrs: Column[],
  specs: Map<string, ColumnModelSpec>,
  candidates: ReadonlySet<string>,
  rho: number,
  ctx: DpContext,
  parent?: MstParent,
  families: FamilySizes[] = [],
): MstAttributeModel | null {
  const coded: Array<{ column: Column; encoder: ColumnEncoder }> = [];
  for (const c of attrs) {
    if (!candidates.has(c.name)) continue;
    const encoder = encoderFromSpec(c, specs.get(c.name)!);
    if (encoder && encoder.vocabSize >= 1) coded.push({ column: c, encoder });
  }
  const context = parent ? parentCoding(parent) : [];
  if (coded.length + context.length + families.length < 2 || coded.length === 0) return null;
  const code = (e: ColumnEncoder, v: Row[number] | undefined) => Math.min(e.vocabSize - 1, Math.max(0, e.encode(v ?? null)));
  const index = coded.map(({ column }) => sample.columns.indexOf(column.name));
  const parentRows = parent && context.length > 0 ? alignParentRows(sample, parent, context.map((c) => c.column)) : null;
  const keep = parentRows && parent?.familyCap !== undefined ? cappedFamilies(sample, parent.fk, parent.familyCap, parent.salt ?? '') : null;
  // Row level with a parent: one parent row moves its (at most familyCap) children's rows, one child row at most
  // two (itself, and a sibling taking its place under the cap): noise for familyCap rows. A family-size column
  // moves one row between two cells when a child row comes or goes: noise for 2 rows.
  const m = Math.max(contributionOf(ctx), keep ? parent!.familyCap! : 1, families.length > 0 ? 2 : 1);
  const k = coded.length + (parentRows ? context.length : 0) + families.length;
  // From the schema, sample size and ρ alone (the sample size is public here, as for DP-SGD's sampling rate).
  const sigmaRows = mstScales(k, rho).sigma2 * m;
  const ownGroups = coded.map(({ encoder }) => grouping(encoder.toJSON(), groupFor(encoder.toJSON(), sample.rows.length, sigmaRows)));
  const ctxGroups = context.map(({ encoder }) => grouping(encoder.toJSON(), groupFor(encoder.toJSON(), sample.rows.length, sigmaRows)));
  const rows: number[][] = [];
  sample.rows.forEach((row, r) => {
    const own = coded.map(({ encoder }, i) => toGroup(code(encoder, row[index[i]!]), ownGroups[i]!));
    const sizes = families.map((f) => familyBin(f.counts[r] ?? 0));
    if (!parentRows) return void rows.push([...own, ...sizes]);
    // A row whose parent is outside the sample has no context to learn from: left out (a per-row rule, so the
    // sensitivity of every count stays the contribution bound).
    const p = parentRows[r];
    if (p && (!keep || keep[r])) rows.push([...own, ...context.map(({ encoder }, j) => toGroup(code(encoder, p[j]), ctxGroups[j]!)), ...sizes]);
  });
  const columns = [
    ...coded.map(({ column, encoder }, i) => ({ name: column.name, size: groupedSize(encoder.vocabSize, ownGroups[i]!) })),
    ...(parentRows ? context.map(({ column, encoder }, j) => ({ name: column.name, size: groupedSize(encoder.vocabSize, ctxGroups[j]!) })) : []),
    ...families.map((f) => ({ name: `#${f.head}`, size: FAMILY_BINS.length })),
  ];
  const model = fitMst(rows, columns, rho, m > contributionOf(ctx) ? { ...ctx, contribution: m } : ctx);
  const all = [...coded, ...(parentRows ? context : [])];
  const codedNames = new Set(coded.map((x) => x.column.name));
  const rest = attrs.filter((c) => !codedNames.has(c.name)).map((c) => specs.get(c.name)!);
  const ctxJson = parentRows ? { columns: context.map((c) => c.column.name), encoders: context.map((c) => c.encoder.toJSON()) } : undefined;
  const heads = families.map((f, i) => ({ head: f.head, column: all.length + i }));
  return new MstAttributeModel(
    table,
    attrs.map((c) => c.name),
    model,
    coded.map((x) => x.encoder.toJSON()),
    rest,
    ctxJson,
    heads,
    ownGroups.map((x) => x.g),
    parentRows ? ctxGroups.map((x) => x.g) : [],
  );
}

/**
 * Entity unit: the owning parent (the plan's primary parent, see DpParentContext) whose coded attributes join the
 * child's tree. Its codes come from the parent's DP specs, never from raw values.
 */
export interface MstParent {
  fk: ForeignKey;
  parent: Table;
  sample: TableSample;
  specs: Map<string, ColumnModelSpec>;
  /** The parent's MST candidates (schema and config only). */
  candidates: ReadonlySet<string>;
  /**
   * Row level: children kept per parent (chosen by a keyed hash of each row, so which ones depends on that family
   * alone); the tree's noise is scaled to it.
   */
  familyCap?: number;
  /** Per-run secret of that hash. */
  salt?: string;
}

/** Per sample row, whether it is among the `cap` rows of its family with the smallest keyed hash. */
function cappedFamilies(sample: TableSample, fk: ForeignKey, cap: number, salt: string): boolean[] {
  const idx = fk.columns.map((c) => sample.columns.indexOf(c));
  const families = new Map<string, Array<[number, number]>>();
  sample.rows.forEach((row, r) => {
    const key = idx.map((i) => String(row[i] ?? null)).join('\u0001');
    const list = families.get(key) ?? [];
    list.push([hash32(`${salt}\u0000${JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`), r]);
    families.set(key, list);
  });
  const keep = new Array<boolean>(sample.rows.length).fill(false);
  for (const list of families.values()) {
    list.sort((a, b) => a[0] - b[0]);
    for (const [, r] of list.slice(0, cap)) keep[r] = true;
  }
  return keep;
}

function parentCoding(parent: MstParent): Array<{ column: Column; encoder: ColumnEncoder }> {
  const out: Array<{ column: Column; encoder: ColumnEncoder }> = [];
  for (const c of parent.parent.columns) {
    const spec = parent.specs.get(c.name);
    if (!parent.candidates.has(c.name) || !spec) continue;
    const encoder = encoderFromSpec(c, spec);
    if (encoder) out.push({ column: c, encoder });
  }
  return out;
}

/** Per child sample row, its parent's values of `columns` (null when the parent is not in the parent's sample). */
function alignParentRows(sample: TableSample, parent: MstParent, columns: Column[]): Array<Row | null> {
  const refIdx = parent.fk.references.columns.map((c) => parent.sample.columns.indexOf(c));
  const childIdx = parent.fk.columns.map((c) => sample.columns.indexOf(c));
  const valueIdx = columns.map((c) => parent.sample.columns.indexOf(c.name));
  if (refIdx.some((i) => i < 0) || childIdx.some((i) => i < 0) || valueIdx.some((i) => i < 0)) return sample.rows.map(() => null);
  const byKey = new Map<string, Row>();
  const keyOf = (vs: Row) => vs.map((v) => String(v)).join('\u0001');
  for (const p of parent.sample.rows) byKey.set(keyOf(refIdx.map((i) => p[i] ?? null)), valueIdx.map((i) => p[i] ?? null));
  return sample.rows.map((r) => {
    const k = childIdx.map((i) => r[i] ?? null);
    return k.some((v) => v === null) ? null : (byKey.get(keyOf(k)) ?? null);
  });
}

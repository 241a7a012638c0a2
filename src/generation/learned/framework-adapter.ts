/**
 * Glue to the generation framework as it stands (`fitModels`' positional LearnedFactory, `modelSetFromArtifact`'s
 * synchronous loader). The framework expects a table's model to produce every attribute column, so the learned
 * model is composed with the baseline for the columns it does not model (free text, PII, constants, structured),
 * and the primary parent's sample is aligned to the child's rows here through the foreign key.
 */
import { SynthError } from '../../errors.js';
import { findTable, tableKey, type Column, type DatabaseSchema, type ForeignKey, type Table, type TableRef } from '../../schema/model.js';
import type { AttributeModel, ColumnMeta, ModelArtifact, Rng, Row, TableSample, Value } from '../model.js';
import { fitBaseline, baselineFromArtifact } from '../baseline/baseline-model.js';
import { conformValue } from '../conform.js';
import { attributeColumns, describeColumns } from '../metadata.js';
import { fitLearnedModel, type LearnedFactoryArgs } from './fit.js';
import { learnedModelFromArtifact, type LearnedArtifact, type LearnedModel } from './learned-model.js';
import { learnedConformer } from './output-conform.js';
import { seedScope } from '../seed-scope.js';
import type { LearnedOptions } from './options.js';
import type { FitThreads } from './fit-threads.js';

/** Learned model for the columns it can model, baseline for the rest, in table order, conformed to the columns. */
export class ComposedLearnedModel implements AttributeModel {
  readonly kind = 'learned' as const;
  readonly table: TableRef;
  readonly columns: string[];
  readonly contextColumns: string[];
  private readonly cols: Column[];
  /** Per output column: [0, i] = learned column i, [1, i] = baseline column i. */
  private readonly from: Array<[0 | 1, number]>;
  /** Per output column, its conform step (`learnedConformer` for the learned model's columns). */
  private readonly conformers: Array<(v: Value) => Value>;
  private readonly learnedInOrder: boolean;
  /** The rows the last `sample` returned and the learned model's rows they came from (for `predictChildCounts`). */
  private last: { out: Row[]; learned: Row[] } | null = null;

  constructor(
    table: Table,
    readonly learned: LearnedModel,
    readonly baseline: AttributeModel | null,
  ) {
    this.table = { schema: table.schema, name: table.name };
    this.contextColumns = learned.contextColumns;
    const wanted = new Set([...learned.columns, ...(baseline?.columns ?? [])]);
    this.cols = table.columns.filter((c) => wanted.has(c.name));
    this.columns = this.cols.map((c) => c.name);
    this.from = this.columns.map((name) => {
      const i = learned.columns.indexOf(name);
      return i >= 0 ? [0, i] : [1, (baseline as AttributeModel).columns.indexOf(name)];
    });
    this.conformers = this.cols.map((col, c) => {
      const [src, i] = this.from[c] as [0 | 1, number];
      return src === 0 ? learnedConformer(col, learned.encoders[i]) : (v: Value) => conformValue(v, col);
    });
    this.learnedInOrder = this.from.every(([src, i], c) => src === 0 && i === c) && learned.columns.length === this.from.length;
  }

  sample(n: number, context: Row[] | null, rng: Rng): Row[] {
    const a = this.learned.sample(n, context, rng.fork('learned'));
    const b = this.baseline ? this.baseline.sample(n, null, rng.fork('baseline')) : [];
    const width = this.from.length;
    if (this.learnedInOrder) {
      // Every column is the learned model's, in order: its rows are conformed in place.
      for (const row of a) for (let c = 0; c < width; c++) row[c] = (this.conformers[c] as (v: Value) => Value)((row[c] ?? null) as Value);
      this.last = { out: a, learned: a };
      return a;
    }
    const out: Row[] = new Array(n);
    for (let r = 0; r < n; r++) {
      const ar = a[r];
      const br = b[r];
      const row: Value[] = new Array(width);
      for (let c = 0; c < width; c++) {
        const [src, i] = this.from[c] as [0 | 1, number];
        const v = ((src === 0 ? ar : br)?.[i] ?? null) as Value;
        row[c] = src === 0 ? (this.conformers[c] as (v: Value) => Value)(v) : conformValue(v, this.cols[c] as Column);
      }
      out[r] = row;
    }
    this.last = { out, learned: a };
    return out;
  }

  /**
   * Children per row of `parentRows`. For the rows the last `sample` call returned (the same array), the learned
   * model draws from the count probabilities of the tokens it sampled them from, computed in that pass.
   */
  predictChildCounts(parentRows: Row[], foreignKey: string, rng: Rng, context: Row[] | null = null): number[] {
    if (this.last?.out === parentRows) return this.learned.predictChildCounts(this.last.learned, foreignKey, rng, context);
    const pick = this.learned.columns.map((c) => this.columns.indexOf(c));
    return this.learned.predictChildCounts(
      parentRows.map((r) => pick.map((j) => (r[j] ?? null) as Value)),
      foreignKey,
      rng,
      context,
    );
  }

  /** FKs (referencing this table) whose children per row the model predicts. */
  get childCountForeignKeys(): string[] {
    return this.learned.network ? this.learned.countHeads.map((h) => h.foreignKey) : [];
  }

  toJSON(): ComposedArtifact {
    return { ...this.learned.toJSON(), baseline: this.baseline ? this.baseline.toJSON() : null };
  }
}

export interface ComposedArtifact extends LearnedArtifact {
  /** Baseline model of the attribute columns the learned model leaves alone. */
  baseline: ModelArtifact | null;
}

function keyOf(values: Value[]): string {
  return JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/**
 * Parent attributes per child sample row: the parent row the child's FK points at when the parent sample has it,
 * else null (the model then learns/samples that row without context). Key columns of the parent are not context.
 */
export function alignParent(
  table: Table,
  sample: TableSample,
  parentSample: TableSample,
  fk: ForeignKey,
): { columns: string[]; rows: Array<Row | null> } {
  const refIdx = fk.references.columns.map((c) => parentSample.columns.indexOf(c));
  const childIdx = fk.columns.map((c) => sample.columns.indexOf(c));
  if (refIdx.some((i) => i < 0) || childIdx.some((i) => i < 0)) {
    throw new SynthError('INTERNAL', `Cannot align ${tableKey(table)} with its parent through ${fk.name}: key columns missing from the samples.`, {
      table: tableKey(table),
      hint: 'Samples must include the foreign-key and referenced columns.',
    });
  }
  const ctxIdx = parentSample.columns.map((_, i) => i).filter((i) => !refIdx.includes(i));
  const byKey = new Map<string, Row>();
  for (const p of parentSample.rows) byKey.set(keyOf(refIdx.map((i) => (p[i] ?? null) as Value)), ctxIdx.map((i) => (p[i] ?? null) as Value));
  return {
    columns: ctxIdx.map((i) => parentSample.columns[i] as string),
    rows: sample.rows.map((r) => {
      const k = childIdx.map((i) => (r[i] ?? null) as Value);
      return k.some((v) => v === null) ? null : (byKey.get(keyOf(k)) ?? null);
    }),
  };
}

function withParentMeta(
  aligned: { columns: string[]; rows: Array<Row | null> },
  parentSample: TableSample,
  schema: DatabaseSchema | undefined,
): { columns: string[]; rows: Array<Row | null>; meta?: ColumnMeta[] } {
  const parent = schema ? findTable(schema, parentSample.table) : undefined;
  const own = withoutPersonal(aligned, parentSample.piiKinds);
  return parent ? { ...own, meta: describeColumns(parent, parentSample) } : own;
}

/**
 * The context without the parent's personal columns: the parent generates those as fresh fakes (names the sample
 * never held), so at generation every row's context would be a token the network never saw with that meaning.
 * employees' dept_emp, conditioned on 30 first and last names and the birth dates, drew its to_date marker for
 * 0.45-0.60 of its rows over 8 seeds (source 0.67); on the other context alone, 0.62-0.75.
 */
function withoutPersonal(aligned: { columns: string[]; rows: Array<Row | null> }, personal: TableSample['piiKinds']): { columns: string[]; rows: Array<Row | null> } {
  if (!personal || !aligned.columns.some((c) => personal[c] !== undefined)) return aligned;
  const keep = aligned.columns.map((c, i) => (personal[c] === undefined ? i : -1)).filter((i) => i >= 0);
  return { columns: keep.map((i) => aligned.columns[i]!), rows: aligned.rows.map((r) => (r ? keep.map((i) => (r[i] ?? null) as Value) : null)) };
}

/**
 * Batch size for a sample of n rows: a small table (a few hundred rows) would otherwise get two or three optimizer
 * steps per epoch and stop long before its marginals are learned; about 20 steps per epoch, between 32 and 256.
 */
export function smallSampleBatch(n: number): number {
  return Math.max(32, Math.min(256, 2 ** Math.round(Math.log2(Math.max(1, n / 20)))));
}

type Context = NonNullable<LearnedFactoryArgs['parentSample']>;

/** The primary parent's aligned columns followed by the other parents' (`fk::column`), as one context. */
function contextArg(primary: Context | null, other: Context | null, n: number): { parentSample?: Context } {
  if (!other || other.columns.length === 0) return primary ? { parentSample: primary } : {};
  if (!primary) return { parentSample: other };
  const rows = Array.from({ length: n }, (_, r) => {
    const p = primary.rows[r] ?? null;
    const o = other.rows[r] ?? null;
    if (!p && !o) return null;
    return [...(p ?? primary.columns.map(() => null)), ...(o ?? other.columns.map(() => null))];
  });
  const meta = primary.meta && other.meta ? [...primary.meta, ...other.meta] : undefined;
  return { parentSample: { columns: [...primary.columns, ...other.columns], rows, ...(meta ? { meta } : {}) } };
}

/**
 * From this many sample rows on, the default 3000-step cap binds (50 epochs of batches of 256 are more steps) and
 * training is most of a big run's fixed cost: such samples train for half the steps at 4× the step size. On the
 * scale fixture's 20 000-row samples (bench/learned-scale-gen.ts --train-only) that halves the training CPU with a
 * held-out loss as low or lower on every table (lineitem 18.63 → 18.55 nats, partsupp 8.98 → 8.61, orders 13.80 →
 * 12.34, part 11.39 → 11.39), where 1000 steps at the old rate lost 0.6–0.9 nats on lineitem and partsupp.
 * Smaller samples keep the defaults (chinook, northwind and world are measured on them).
 */
const LARGE_SAMPLE = 10_000;
const LARGE_SAMPLE_STEPS = 1500;
const LARGE_SAMPLE_LEARNING_RATE = 8e-3;

/** Below this many sample rows a held-out split is too small to early-stop on (a few rows of noise). */
const SMALL_SAMPLE = 1000;

/**
 * Small samples (below SMALL_SAMPLE rows) train a narrower network (64 units) for a fixed ~600 steps with smaller
 * batches and no held-out split: early stopping on six held-out rows stopped a 60-row table after 12 steps, before
 * it had learned how its columns go together, and the narrow network keeps the full-length run from memorizing
 * the sample (chinook invoice: 28 % new rows, against 5 % at 256 units). Large samples (LARGE_SAMPLE rows or more)
 * train a shorter budget at a larger step size. The caller's explicit settings win.
 */
export function sampleSizeOptions(options: Partial<LearnedOptions>, n: number): Partial<LearnedOptions> {
  const batchSize = options.batchSize ?? smallSampleBatch(n);
  const out: Partial<LearnedOptions> = { ...options, batchSize };
  if (options.epochs === undefined && n > 0 && n < SMALL_SAMPLE) {
    out.epochs = Math.max(50, Math.ceil(600 / Math.ceil(n / batchSize)));
    if (options.validationFraction === undefined) out.validationFraction = 0;
    if (options.hiddenSize === undefined) out.hiddenSize = 64;
  }
  if (n >= LARGE_SAMPLE && options.maxSteps === undefined && options.learningRate === undefined) {
    out.maxSteps = LARGE_SAMPLE_STEPS;
    out.learningRate = LARGE_SAMPLE_LEARNING_RATE;
  }
  return out;
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * A factory with `fitModels`' current LearnedFactory signature. `seed` (the run's seed) is mixed with the
 * table name, so tables train independently and reproducibly.
 */
export function learnedFactoryForFitModels(
  defaults: Partial<LearnedOptions> & {
    seed?: number;
    /** The source schema: lets the parent's column roles decide which parent columns become context. */
    schema?: DatabaseSchema;
    /** Big samples fit on these training threads (fit-threads.ts), several tables at once. */
    threads?: FitThreads | null;
  } = {},
): (
  table: Table,
  sample: TableSample,
  meta: ColumnMeta[],
  parentSample: TableSample | null,
  extra?: { childCounts?: LearnedFactoryArgs['childCounts']; otherParents?: NonNullable<LearnedFactoryArgs['parentSample']> },
) => Promise<ComposedLearnedModel> {
  const { seed = 0, schema, threads, ...options } = defaults;
  return async (table, sample, meta, parentSample, extra) => {
    const attrs = attributeColumns(table).map((c) => c.name);
    const fk = parentSample
      ? table.foreignKeys.find((f) => f.references.schema === parentSample.table.schema && f.references.name === parentSample.table.name)
      : undefined;
    // Personal columns (names, emails, phones) are the baseline's: it draws fresh fakes of their kind, where a
    // network would learn the real values as categories and hand them back.
    const personal = sample.piiKinds ?? {};
    const args: LearnedFactoryArgs = {
      table,
      sample,
      meta,
      attributeColumns: attrs.filter((c) => personal[c] === undefined),
      ...contextArg(fk && parentSample ? withParentMeta(alignParent(table, sample, parentSample, fk), parentSample, schema) : null, extra?.otherParents ?? null, sample.rows.length),
      ...(extra?.childCounts && extra.childCounts.length > 0 ? { childCounts: extra.childCounts } : {}),
      seed: (seed ^ hashString(seedScope(schema, table))) >>> 0,
      options: sampleSizeOptions(options, sample.rows.length),
    };
    const learned = await (threads ? threads.fit(args, () => fitLearnedModel(args)) : fitLearnedModel(args));
    const rest = attrs.filter((c) => !learned.columns.includes(c));
    const baseline = rest.length > 0 ? fitBaseline(table, sample, meta) : null;
    return new ComposedLearnedModel(table, learned, baseline);
  };
}

/**
 * Synchronous loader for `modelSetFromArtifact({ learnedFromArtifact })`. Runs on the current compute backend:
 * `await initCompute()` once beforehand to get wasm instead of the slower cpu default.
 */
export function learnedFromArtifactForTable(artifact: ModelArtifact, table: Table): AttributeModel {
  const learned = learnedModelFromArtifact(artifact);
  const b = (artifact as Partial<ComposedArtifact>).baseline;
  const baseline = b ? baselineFromArtifact(b, table) : null;
  return new ComposedLearnedModel(table, learned, baseline);
}

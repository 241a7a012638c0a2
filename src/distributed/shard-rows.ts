/**
 * The rows of one shard. Generation is index-based and seeded per table and batch, but a table's keys and
 * conditioning depend on its parents' generated rows (retained context, predicted child counts), so a worker
 * replays every earlier table of the plan without loading it, then draws only the batches of its own table that
 * overlap rows [start, end) (each batch is seeded by its number, and so are the copy filters' redraws and the fresh
 * credentials after it) and streams that slice. The shard's output is therefore a function of (seed, table, shard,
 * models, filter samples) alone, and equal to the same slice of a single-process run. A table that reads no more of
 * its parents than the values its order invariants anchor on can be given those instead (`anchorFeeds`): the
 * parallel load's main process has them anyway, and replaying the parent is most of a worker's CPU otherwise.
 */
import type { SynthConfig } from '../config/schema.js';
import { createGeneration, createRng, type Generation, type ModelSet } from '../generation/index.js';
import type { GeneratedBatch, GenerationState, RowWindow } from '../generation/generate.js';
import { claimedRows } from '../pipeline/load-windows.js';
import { CredentialScrubber } from '../generation/privacy/credential-fakes.js';
import { seedScope } from '../generation/seed-scope.js';
import { PrivacyRun } from '../generation/privacy/privacy-run.js';
import { addFilterCounts, type FilterReport } from '../validation/privacy/privacy-report.js';
import type { DatabaseSchema, Table } from '../schema/model.js';
import { findTable, tableKey } from '../schema/model.js';
import type { Row, RowBatch } from '../schema/values.js';
import { SynthError } from '../errors.js';
import type { RetainedColumns } from '../generation/retained-columns.js';
import type { KeyState } from '../generation/keys/index.js';
import type { CredentialPlans, RunBundle } from './run-bundle.js';

/** Credential columns as the coordinator's sample decided them, not re-guessed from names. */
class ShippedCredentials extends CredentialScrubber {
  constructor(seed: number, private readonly shipped: CredentialPlans, source: DatabaseSchema) {
    super(seed, undefined, source);
  }

  override plansFor(table: Table): ReturnType<CredentialScrubber['plansFor']> {
    return this.shipped[tableKey(table)] ?? [];
  }
}

export interface ShardRange {
  table: string;
  start: number;
  end: number;
}

export interface ShardOptions {
  /** The worker's config (the copy filters run with the bundle's `filters` settings over it). */
  config: SynthConfig;
  /** Filled with the copy filters' counts of the shard's own rows (each batch counted by the shard holding its first row). */
  counts?: FilterReport;
  /**
   * The final anchor values of every parent `anchorFeeds` names for the table, by parent key, as the process that
   * loaded the parent kept them. Given, only the ancestors whose generation the table reads otherwise (a conditioned
   * model's context, count heads) are replayed, and only their generation: what it keeps for children is drawn
   * before the copy filters, credentials and data rules, which are there for the anchors alone.
   */
  anchors?: ReadonlyMap<string, RetainedColumns>;
}

/** The copy filters of a run on a worker: the coordinator's settings and samples; null when the run has none. */
export function shippedFilters(bundle: RunBundle, config: SynthConfig): PrivacyRun | null {
  if (!bundle.filters) return null;
  const run = PrivacyRun.forConfig({ ...config, filters: { ...bundle.filters.config, enabled: true } });
  run?.remember(new Map(bundle.filters.samples.map(([key, s]) => [key, { table: { schema: '', name: key }, totalRows: s.rows.length, ...s }] as const)));
  return run;
}

export async function* shardRows(bundle: RunBundle, models: ModelSet, range: ShardRange, batchSize?: number, filters?: ShardOptions): AsyncIterable<RowBatch> {
  const chain = new ShardChain(bundle, models, filters?.config ?? null, filters?.anchors, batchSize);
  const { generation, privacy } = chain;
  const { plan } = bundle;
  const at = stepOf(bundle, range.table);
  const fed = filters?.anchors !== undefined;
  const replay = tablesToReplay(bundle, models, range.table, { anchors: !fed });
  for (const step of plan.steps.slice(0, at)) {
    if (!replay.has(tableKey(step.table))) continue;
    const t = mustFind(bundle.schema, step.table);
    for await (const _ of fed ? generation.rows(t) : chain.final(t, generation.rows(t))) void _;
  }
  const table = mustFind(bundle.schema, plan.steps[at]!.table);
  // Every stage after generation is seeded per batch (copy-filter redraws by batch number, fresh credentials by the
  // batch's first row, the filters' futility verdict by a probe of the model), so a shard draws only its own batches.
  let offset = 0;
  const stream = chain.final(table, generation.rows(table, range));
  const report = privacy?.filters[range.table];
  let seen = report ? { ...report } : undefined;
  for await (const batch of stream) {
    // A windowed batch says where it starts.
    const start = (batch as { start?: number }).start;
    if (start !== undefined) offset = start;
    if (report && seen) {
      if (offset >= range.start && offset < range.end && filters?.counts) {
        addFilterCounts(filters.counts, report, seen);
        // The columns' variety is the table's: every shard reports the same.
        if (report.variety) filters.counts.variety = report.variety;
        if (report.unguarded) filters.counts.unguarded = true;
      }
      seen = { ...report };
    }
    const from = Math.max(range.start - offset, 0);
    const to = Math.min(range.end - offset, batch.rows.length);
    offset += batch.rows.length;
    if (to > from) yield { columns: batch.columns, rows: from === 0 && to === batch.rows.length ? batch.rows : batch.rows.slice(from, to) };
    if (offset >= range.end) break;
  }
}

/**
 * A worker's generation with the same anchor values fed for every table it draws: the ancestors a table reads are
 * given (their generation state, `stateFeeds`) or else replayed once (generation only; the anchors are given), and
 * serve all of its windows and every later table's. The
 * windows of one table come from `next`, in ascending order, and are drawn by one stream (pipeline/load-windows.ts).
 */
export class WindowSource {
  private readonly chain: ShardChain;
  private readonly replayed = new Set<string>();

  constructor(
    private readonly bundle: RunBundle,
    private readonly models: ModelSet,
    config: SynthConfig,
    anchors: ReadonlyMap<string, RetainedColumns>,
    /** The worker's copy filters (one per process: their counts add up across its tables), null when the run has none. */
    privacy: PrivacyRun | null,
    /** Ancestors' generation state as the main process left it (`stateFeeds`): these are not replayed. */
    given: ReadonlyMap<string, GenerationState> = new Map(),
  ) {
    this.chain = new ShardChain(bundle, models, config, anchors, undefined, privacy, given);
    for (const key of given.keys()) this.replayed.add(key);
  }

  /** Parents another process drew for a table's keys (`Generation.keyState`): its windows do not draw them again. */
  adoptKeys(state: KeyState): void {
    this.chain.generation.adoptKeys(state);
  }

  /** Rows of `table` in the windows `next` hands out, after the same chain as the main process's load. */
  async *rows(table: string, next: () => RowWindow | null | Promise<RowWindow | null>): AsyncIterable<RowBatch> {
    const { plan, schema } = this.bundle;
    const at = stepOf(this.bundle, table);
    const replay = tablesToReplay(this.bundle, this.models, table, { anchors: false });
    for (const step of plan.steps.slice(0, at)) {
      const key = tableKey(step.table);
      if (!replay.has(key) || this.replayed.has(key)) continue;
      this.replayed.add(key);
      for await (const _ of this.chain.generation.rows(mustFind(schema, step.table))) void _;
    }
    const t = mustFind(schema, plan.steps[at]!.table);
    const n = this.chain.generation.rowCounts.get(table) ?? 0;
    yield* this.chain.final(t, claimedRows(n, (w) => this.chain.generation.rows(t, w), next));
  }
}

/** A worker's generation and what the load runs after it: copy filters, credentials, data rules. */
class ShardChain {
  readonly generation: Generation;
  readonly privacy: PrivacyRun | null;
  private readonly credentials: ShippedCredentials;
  private readonly reference: Map<string, { columns: string[]; rows: Row[] }>;

  constructor(
    private readonly bundle: RunBundle,
    private readonly models: ModelSet,
    config: SynthConfig | null,
    anchors: ReadonlyMap<string, RetainedColumns> | undefined,
    batchSize?: number,
    privacy?: PrivacyRun | null,
    given?: ReadonlyMap<string, GenerationState>,
  ) {
    this.reference = new Map(bundle.reference);
    this.generation = createGeneration(bundle.schema, bundle.plan, models, {
      reference: this.reference,
      conformAfter: true,
      scale: bundle.scale,
      seed: bundle.seed,
      tableScale: (t) => bundle.tableScales[tableKey(t)] ?? 1,
      ...(batchSize === undefined ? {} : { batchSize }),
      ...(anchors ? { anchors } : {}),
      ...(given && given.size > 0 ? { given } : {}),
    });
    this.credentials = new ShippedCredentials(bundle.seed, bundle.credentials, bundle.schema);
    this.privacy = privacy !== undefined ? privacy : config ? shippedFilters(bundle, config) : null;
    if (bundle.filters && !this.privacy) {
      throw new SynthError('INTERNAL', 'The run filters copies, but no config was given to run the filters with.');
    }
  }

  /** The same chain as the single-process load (pipeline/load.ts): copy filters, credentials, data rules. */
  final(table: Table, rows: AsyncIterable<GeneratedBatch>): AsyncIterable<RowBatch> {
    const key = tableKey(table);
    const tm = this.models.tables.get(key);
    const filtered = this.privacy !== null && tm !== undefined && !this.reference.has(key);
    const checked = filtered ? this.privacy!.filterRows(table, tm.meta, tm.model, rows, createRng(this.bundle.seed).fork(`privacy-filter:${seedScope(this.bundle.schema, table)}`)) : rows;
    return this.generation.conform(table, this.credentials.replaceIn(table, checked));
  }
}

function stepOf(bundle: RunBundle, table: string): number {
  const at = bundle.plan.steps.findIndex((s) => tableKey(s.table) === table);
  if (at < 0) {
    throw new SynthError('DISTRIBUTED', `The unit names ${table}, which is not in the run's plan.`, {
      table,
      hint: 'The coordinator and this worker disagree on the plan: run the same synth version on both.',
    });
  }
  return at;
}

/**
 * The earlier tables whose generated rows reach `table`: among its ancestors (through FKs), those whose rows a
 * descendant reads — as a conditioned model's context, through learned child-count heads, or (unless `anchors` is
 * false: the anchor values are given) as the anchor of an order invariant. Keys are index-based and need no replay;
 * other tables never touch this one's rows.
 */
export function tablesToReplay(bundle: RunBundle, models: ModelSet, table: string, options: { anchors?: boolean } = {}): Set<string> {
  const { schema } = bundle;
  const ancestors = new Set<string>();
  const visit = (key: string) => {
    for (const fk of schema.tables.find((t) => tableKey(t) === key)?.foreignKeys ?? []) {
      const parent = tableKey(fk.references);
      if (parent === table || ancestors.has(parent)) continue;
      ancestors.add(parent);
      visit(parent);
    }
  };
  visit(table);
  const readers = [table, ...ancestors];
  const needed = new Set<string>();
  for (const p of ancestors) {
    const model = models.tables.get(p)?.model as { childCountForeignKeys?: unknown } | undefined;
    const heads = Array.isArray(model?.childCountForeignKeys) && model.childCountForeignKeys.length > 0;
    const read = readers.some((r) => {
      const t = schema.tables.find((x) => tableKey(x) === r);
      const conditioned = (models.tables.get(r)?.model.contextColumns.length ?? 0) > 0;
      return (conditioned && t?.foreignKeys.some((f) => tableKey(f.references) === p)) || false;
    });
    const anchored =
      options.anchors !== false &&
      [...(models.rules?.invariants ?? []).map((inv) => ({ table: inv.table, fk: inv.anchor.foreignKey })), ...(models.rules?.parentCopies ?? []).map((c) => ({ table: c.table, fk: c.foreignKey }))].some((a) => {
        const t = schema.tables.find((x) => tableKey(x) === tableKey(a.table));
        const fk = a.fk === undefined ? undefined : t?.foreignKeys.find((f) => f.name === a.fk);
        return fk !== undefined && tableKey(fk.references) === p;
      });
    if (heads || read || anchored) needed.add(p);
  }
  return needed;
}

/**
 * The earlier tables whose generation `table` reads besides anchors (`tablesToReplay` with `anchors: false`), in plan
 * order: a process that generated them whole can hand over what they left (`Generation.state`) instead of a replay.
 * Given all of them, the table's generation replays nothing: it reads its parents' context values and predicted
 * counts, and its keys read the other ancestors' predicted counts (a composite FK to partsupp resolves through
 * partsupp's own FKs to part and supplier).
 */
export function stateFeeds(bundle: RunBundle, models: ModelSet, table: string): string[] {
  const replay = tablesToReplay(bundle, models, table, { anchors: false });
  return bundle.plan.steps.map((s) => tableKey(s.table)).filter((key) => replay.has(key));
}

/**
 * The final values of earlier tables that `table`'s own order invariants anchor on (a line's ship date after its
 * order's date): the anchor columns by parent table key. Given those (`ShardOptions.anchors`), a shard replays only
 * the generation of the ancestors it reads otherwise (`tablesToReplay` with `anchors: false`), none for a baseline.
 */
export function anchorFeeds(bundle: RunBundle, models: ModelSet, table: string): Map<string, string[]> {
  const feeds = new Map<string, string[]>();
  const t = bundle.schema.tables.find((x) => tableKey(x) === table);
  const order = bundle.plan.steps.map((s) => tableKey(s.table));
  // A column copied from its parent reads the parent's final value like an anchor (generation/parent-copies.ts).
  const anchors = [
    ...(models.rules?.invariants ?? []).map((inv) => ({ table: inv.table, foreignKey: inv.anchor.foreignKey, column: inv.anchor.column })),
    ...(models.rules?.parentCopies ?? []).map((c) => ({ table: c.table, foreignKey: c.foreignKey as string | undefined, column: c.parentColumn })),
  ];
  for (const inv of anchors) {
    if (tableKey(inv.table) !== table) continue;
    const fk = inv.foreignKey === undefined ? undefined : t?.foreignKeys.find((f) => f.name === inv.foreignKey);
    const parent = fk ? tableKey(fk.references) : '';
    // An anchor on the table's own rows (a self FK) or on a later table (a cycle's edge) is never there while the
    // table is drawn, in any process; waiting for it would wait for ever.
    const at = order.indexOf(parent);
    if (at < 0 || at >= order.indexOf(table)) continue;
    feeds.set(parent, [...new Set([...(feeds.get(parent) ?? []), inv.column])]);
  }
  return feeds;
}

function mustFind(schema: RunBundle['schema'], ref: { schema: string; name: string }): Table {
  const t = findTable(schema, ref);
  if (!t) throw new SynthError('DISTRIBUTED', `The run's plan names ${tableKey(ref)}, which its schema lacks.`, { hint: 'Run the same synth version on the coordinator and every worker.' });
  return t;
}

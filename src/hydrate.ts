/**
 * One hydration run: connector → graph → generation → connector (write) → validation → swap.
 * Each stage is a small function over the typed hand-offs (schema model, plan, samples, models, row batches);
 * this module only sequences them and decides nothing a stage already decided.
 */
import { randomBytes } from 'node:crypto';
import type { Shadow, SourceConnector, SwapResult, TargetConnector, TypeMappingNote } from './connectors/connector.js';
import { openSource, openTarget } from './connectors/index.js';
import type { SynthConfig } from './config/schema.js';
import { SynthError } from './errors.js';
import { type EventSink, silentSink, stage } from './events.js';
import { buildPlan, type HydrationPlan, type TableStep } from './graph/plan.js';
import { physicalSchema, withRelations } from './graph/virtual-fks.js';
import { runLevels } from './scheduler/run-queue.js';
import type { Row, RowBatch } from './schema/values.js';
import { createGeneration, createRng, fitModels, type Generation, type ModelSet } from './generation/index.js';
import type { ChildCountHistogram, TableSample } from './generation/model.js';
import type { DatabaseSchema, ForeignKey, Table, TableRef } from './schema/model.js';
import { tableKey, writableColumns } from './schema/model.js';
import { checkShadowIntegrity, formatIntegrityReport, type IntegrityReport } from './validation/integrity.js';
import { estimateChildCounts, wantsChildCountEstimate } from './child-count-estimate.js';
import { measureQuality, writeQualityReport } from './validation/measure-quality.js';
import { addParityToJsonReport, formatParity, parityRefusal, shadowParity, type SchemaParity } from './validation/schema-parity.js';
import { formatQualitySummary, type QualityReportResult } from './validation/quality/index.js';
import { PrivacyRun } from './generation/privacy/privacy-run.js';
import { CredentialScrubber } from './generation/privacy/credential-fakes.js';
import { readLearnedContext } from './training-context.js';
import { readEntityUnit } from './entity-samples.js';
import { formatRulesNote, learnDataRules, readReferenceRows } from './data-rules.js';
import { copiedTables } from './generation/reference-tables.js';
import { entityOwnership, histogramFromSamples, ownedTable } from './generation/privacy/entity-ownership.js';
import { detectPii } from './generation/privacy/pii-detect.js';
import { fakeKinds, planPiiTransforms } from './generation/privacy/pii-transform.js';
import type { EntityUnitInput } from './generation/privacy/dp-fit.js';
import { addPrivacyToJsonReport, formatFilterCounts, formatPrivacyResult, privacySummaryForReport, type PrivacyResult } from './validation/privacy/privacy-report.js';

export interface HydrateOptions {
  config: SynthConfig;
  target: string;
  emit?: EventSink;
  runId?: string;
  /** Keep a refused shadow for inspection instead of dropping it. */
  keepShadow?: boolean;
  /** Read from this URL instead of `config.source.url` (a schedule copying one target into another). */
  sourceUrl?: string;
  /** Orchestration (scheduler/hydrate-job.ts): locks, stale-shadow cleanup, model reuse, parallel loads, faults. */
  hooks?: HydrateHooks;
}

/** Named points where tests (SYNTH_FAULT) break a run on purpose; see scheduler/hydrate-job.ts. */
export const FAULT_POINTS = [
  'after-introspect',
  'during-train',
  'after-shadow',
  'mid-load',
  'connection-drop',
  'after-load-before-validate',
  'during-validate',
  'before-finalize',
  'during-finalize',
  'before-swap',
  'during-swap',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface HydrateHooks {
  /** Both connectors are open and nothing is written yet (stale-shadow cleanup goes here). */
  connected?(ctx: { source: SourceConnector; target: TargetConnector }): Promise<void>;
  /** Provides the models instead of fitting them (reuse of stored artifacts); `train` fits as usual. */
  models?(ctx: { source: SourceConnector; schema: DatabaseSchema; plan: HydrationPlan; train: () => Promise<ModelSet> }): Promise<ModelSet>;
  /** Called at each fault point; an injector throws or breaks something there. */
  fault?(point: FaultPoint, ctx: { target: TargetConnector; shadow: Shadow | null; table?: string }): Promise<void>;
  /** Right before the swap, the last moment to refuse it (the target lock was lost). */
  beforeSwap?(): void | Promise<void>;
  /** Tables of one plan level loaded at once (they never reference each other). Default 1. */
  parallel?: number;
  /** The run's privacy spend, once training is done (the orchestration records it with `recordPrivacySpend`). */
  privacySpent?(privacy: PrivacyResult): void | Promise<void>;
  /** The PII transform key synth manages for this source when none is configured (kept in synth's state). */
  piiKey?(source: SourceConnector): Promise<string>;
  /** Fires on an interruption (scheduler/interrupt.ts): loads stop at the next batch, with the signal's reason. */
  signal?: AbortSignal;
  /** Generates and loads every table instead of the in-process loop (`distributed`: shards on `synth worker`s). */
  loadTables?(ctx: LoadTablesContext): Promise<void>;
}

/** What the load stage has in hand, for a `loadTables` hook that does it elsewhere. */
export interface LoadTablesContext {
  target: TargetConnector;
  shadow: Shadow;
  schema: DatabaseSchema;
  plan: HydrationPlan;
  models: ModelSet;
  /** The in-process generation (row counts; a hook replays it when deferred updates need its key state). */
  generation: Generation;
  reference: Map<string, { columns: string[]; rows: Row[] }>;
  credentials: CredentialScrubber;
  /** Whether the copy filters would run on the generated rows (they need the training sample, so stay in-process). */
  filtering: boolean;
  runId: string;
  emit: EventSink;
  signal?: AbortSignal;
}

export interface HydrateResult {
  runId: string;
  status: 'ok' | 'refused';
  /** Why the swap was refused, when it was. */
  refusal: 'integrity' | 'quality' | null;
  integrity: IntegrityReport;
  quality: QualityReportResult | null;
  reportPaths: { html: string; json: string } | null;
  swap: SwapResult | null;
  rowCounts: Map<string, number>;
  mappingNotes: TypeMappingNote[];
  shadow: Shadow;
  /** ε/δ spent (total and per table), PII transforms and filter counts; absent when privacy is off. */
  privacy?: PrivacyResult;
  /** The shadow's schema against the source's, checked before the swap (absent when the run stopped earlier). */
  parity?: SchemaParity;
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  return `${stamp}_${randomBytes(3).toString('hex')}`;
}

export function targetUrl(config: SynthConfig, name: string): string {
  const target = config.targets[name];
  if (!target) {
    const names = Object.keys(config.targets);
    throw new SynthError('UNKNOWN_TARGET', `Unknown target '${name}'.`, {
      hint: `Pick one of: ${names.join(', ')} (the keys of \`targets\` in the config).`,
      path: `targets.${name}`,
    });
  }
  return target.url;
}

/** Introspects the source and builds the plan; shared by `plan`, `train` and `hydrate`. */
export async function introspectAndPlan(
  source: SourceConnector,
  config: SynthConfig,
  emit: EventSink = silentSink,
): Promise<{ schema: DatabaseSchema; plan: HydrationPlan }> {
  const introspectOptions = config.schemas ? { schemas: config.schemas } : {};
  const introspected = await stage(emit, 'introspect', () => source.introspect(introspectOptions), (s) => `${s.tables.length} tables`);
  if (introspected.tables.length === 0) {
    throw new SynthError('EMPTY_SOURCE', `The source has no tables in ${introspected.schemas.join(', ') || 'any schema'}.`, {
      hint: 'Check `schemas` in the config and that the source URL names the right database.',
      path: 'schemas',
    });
  }
  const schema = withRelations(introspected, config.relations);
  const plan = await stage(emit, 'plan', async () => buildPlan(schema), (p) => `${p.steps.length} steps, ${p.cycles.length} cycles`);
  return { schema, plan };
}

/** Reads a bounded sample of every table and the child-count histogram of every FK, then fits the models. */
export async function trainModels(
  source: SourceConnector,
  schema: DatabaseSchema,
  plan: HydrationPlan,
  config: SynthConfig,
  emit: EventSink = silentSink,
  privacy: PrivacyRun | null = PrivacyRun.forConfig(config),
  credentials: CredentialScrubber = new CredentialScrubber(config.seed),
): Promise<ModelSet> {
  const samples = new Map<string, TableSample>();
  const histograms: ChildCountHistogram[] = [];
  // privacy.unit 'entity': the tables the entity owns are read by entity, after the entity table's own sample.
  const ownership =
    privacy?.dp && config.privacy !== false && config.privacy.unit === 'entity'
      ? entityOwnership(schema, plan, config.privacy.entity ?? '', config.privacy.maxRowsPerEntity, (t) => tableConfig(config, t)?.maxRowsPerEntity)
      : null;
  // readEntityUnit reads them (a skipped one it leaves empty).
  const readByEntity = (t: TableRef) => (ownership ? ownedTable(ownership, t)?.via != null : false);
  let entityUnit: EntityUnitInput | undefined;
  const estimated: Array<{ table: Table; fk: ForeignKey }> = [];
  await stage(emit, 'sample', async () => {
    for (const table of schema.tables) {
      if (readByEntity(table)) continue;
      const started = Date.now();
      // A skipped table is created empty: nothing of it is read or learned (so unsupported types there do not matter).
      const raw = tableConfig(config, table)?.skip
        ? { table: { schema: table.schema, name: table.name }, totalRows: 0, columns: writableColumns(table).map((c) => c.name), rows: [] }
        : await readSample(source, table, config.training.sampleRows, config.seed);
      // PII columns are replaced before anything is fitted, so no model ever sees the real values.
      // Credentials (passwords, hashes, tokens) are swapped for fresh ones first: nothing downstream sees a real one.
      const scrubbed = credentials.scrub(table, raw);
      const sample = privacy ? await privacy.transformSample(table, scrubbed) : scrubbed;
      // Without DP, the generators of personal free text (names, emails, phones) draw fresh fakes of their kind
      // (the transform above already planned them when it ran).
      if (!privacy?.dp) sample.piiKinds ??= fakeKinds(planPiiTransforms(detectPii(table, sample), tableConfig(config, table)?.columns ?? {}));
      samples.set(tableKey(table), sample);
      for (const fk of table.foreignKeys) {
        if (histogramFromSamples(ownership, table, fk)) continue;
        // A big child's counts come from its parents' sample, once every table is sampled (child-count-estimate.ts).
        if (!privacy?.dp && wantsChildCountEstimate(source, table, fk, sample, config.training.sampleRows)) {
          estimated.push({ table, fk });
          continue;
        }
        const counts = await source.childCountHistogram(table, fk);
        const histogram: ChildCountHistogram = { child: { schema: table.schema, name: table.name }, foreignKey: fk.name, counts };
        // A big hierarchy's depth and fan-out cannot be read off a sample: walk it in the source (exact counts, so never under DP).
        const self = fk.references.schema === table.schema && fk.references.name === table.name;
        if (self && sample.rows.length < sample.totalRows && !privacy?.dp && source.hierarchyLevels) {
          const levels = await source.hierarchyLevels(table, fk);
          if (levels) histogram.levels = levels;
        }
        histograms.push(histogram);
      }
      emit({ type: 'table', stage: 'sample', table: tableKey(table), rows: sample.rows.length, total: sample.totalRows, done: true, ms: Date.now() - started });
    }
    for (const { table, fk } of estimated) {
      const estimate = await estimateChildCounts(source, table, fk, samples.get(tableKey(fk.references)));
      histograms.push({ child: { schema: table.schema, name: table.name }, foreignKey: fk.name, ...(estimate ?? { counts: await source.childCountHistogram(table, fk) }) });
      const e = estimate?.estimate;
      if (e) emit({ type: 'info', message: `${tableKey(table)} (${fk.name}): ${e.meanChildren.toFixed(2)} ± ${e.margin.toFixed(2)} children per parent (95 %), counted for a sample of ${e.parentsSampled} of ${e.parents} parents.` });
    }
    if (ownership && privacy) {
      const started = Date.now();
      const read = await readEntityUnit(source, schema, ownership, samples, {
        sampleRows: config.training.sampleRows,
        rng: createRng(config.seed).fork('entity-samples'),
        transform: (t, s) => privacy.transformSample(t, credentials.scrub(t, s)),
        skip: (t) => tableConfig(config, t)?.skip === true,
      });
      entityUnit = read.unit;
      histograms.push(...read.histograms);
      for (const t of read.tables) {
        emit({ type: 'table', stage: 'sample', table: t.table, rows: t.rows, total: t.readRows, done: true, ms: Date.now() - started });
        if (t.readRows > t.keptRows) {
          emit({ type: 'info', message: `Privacy: ${t.table}: ${t.readRows - t.keptRows} of ${t.readRows} rows of the sampled entities left out (at most ${t.maxRows} per ${tableKey(ownership.root)} row; raise tables.${t.name}.maxRowsPerEntity to keep more, at the cost of more noise).` });
        }
      }
    }
  });
  // Reference tables, order invariants and exact fan-outs (data-rules.ts); copied tables need no model of their own.
  const rules = await learnDataRules(source, schema, samples, histograms, config);
  const copied = copiedTables(rules.reference);
  const ruleNote = formatRulesNote(rules);
  if (ruleNote) emit({ type: 'info', message: ruleNote });
  const modelFor = (t: TableRef) => (copied.has(tableKey(t)) ? 'baseline' : (tableConfig(config, t)?.model ?? config.model));
  const anyLearned = schema.tables.some((t) => modelFor(t) === 'learned');
  if (privacy?.dp) {
    return stage(emit, 'train', () =>
      privacy.fit(schema, plan, samples, histograms, {
        modelFor,
        // A declared copy is public: it is copied, not learned, and spends no budget.
        skipped: (t) => tableConfig(config, t)?.skip === true || copied.has(tableKey(t)),
        note: (message) => emit({ type: 'info', message: `Privacy: ${message}` }),
        warn: (message, table) => emit({ type: 'warning', message: `Privacy: ${message}`, table }),
        ...(entityUnit ? { entity: entityUnit } : {}),
      }),
    ).then((models) => ({ ...models, rules }));
  }
  return stage(emit, 'train', async () => {
    const options: Parameters<typeof fitModels>[4] = { seed: config.seed, modelFor };
    if (anyLearned) {
      options.learned = await learnedFactory(schema, config, emit);
      const context = await readLearnedContext(source, schema, plan, samples, (t) => modelFor(t) === 'learned', async (t, s) => (privacy ? privacy.transformSample(t, credentials.scrub(t, s)) : credentials.scrub(t, s)));
      options.parentRows = context.parentRows;
      options.childCounts = context.childCounts;
      options.otherParents = context.otherParents;
    }
    // The copy filters compare generated rows with the training rows (after PII transforms).
    if (privacy?.filtering) privacy.remember(samples);
    return { ...(await fitModels(schema, plan, samples, histograms, options)), rules };
  });
}

/** Loads the learned model (and its tfjs backend) only when a table asks for it. */
async function learnedFactory(schema: DatabaseSchema, config: SynthConfig, emit: EventSink): Promise<NonNullable<Parameters<typeof fitModels>[4]['learned']>> {
  const learned = await import('./generation/learned/index.js');
  await learned.initCompute();
  const notice = learned.computeBackendNotice();
  emit({ type: 'info', message: `Learned model: compute backend ${learned.computeBackendName()}${notice ? ` (${notice})` : ''}` });
  const options: Parameters<typeof learned.learnedFactoryForFitModels>[0] = { seed: config.seed, schema };
  if (config.training.epochs !== undefined) options.epochs = config.training.epochs;
  if (config.training.hidden !== undefined) options.hiddenSize = config.training.hidden;
  if (config.training.batchSize !== undefined) options.batchSize = config.training.batchSize;
  return learned.learnedFactoryForFitModels(options);
}

export async function readSample(source: SourceConnector, table: Table, limit: number, seed: number): Promise<TableSample> {
  const totalRows = await source.countRows(table);
  const columns = writableColumns(table).map((c) => c.name);
  const rows: TableSample['rows'] = [];
  const options = totalRows > limit ? { columns, limit, seed, totalRows } : { columns };
  for await (const batch of source.readRows(table, options)) rows.push(...batch.rows);
  return { table: { schema: table.schema, name: table.name }, totalRows, columns, rows };
}

export function tableConfig(config: SynthConfig, t: TableRef): SynthConfig['tables'][string] | undefined {
  return config.tables[`${t.schema}.${t.name}`] ?? config.tables[t.name];
}

/** The whole run. The live schema of the target changes only in the final swap, and only if validation passed. */
export async function hydrate(options: HydrateOptions): Promise<HydrateResult> {
  const { config } = options;
  const emit = options.emit ?? silentSink;
  const runId = options.runId ?? newRunId();
  const url = targetUrl(config, options.target);
  const hooks = options.hooks ?? {};
  const fault = async (point: FaultPoint, target: TargetConnector) => hooks.fault?.(point, { target, shadow: null });
  emit({ type: 'run', status: 'start', runId, target: options.target });

  const { source, target } = await stage(emit, 'connect', async () => {
    const source = await openSource(options.sourceUrl ?? config.source.url);
    try {
      const target = await openTarget(url);
      return { source, target };
    } catch (e) {
      await source.close();
      throw e;
    }
  });
  try {
    await refuseSourceAsTarget(source, target, options.target);
    await hooks.connected?.({ source, target });
    const { schema, plan } = await introspectAndPlan(source, config, emit);
    await fault('after-introspect', target);
    const mappingNotes = checkTypeMapping(target, schema, emit);
    const privacy = PrivacyRun.forConfig(config, process.env, hooks.piiKey ? () => hooks.piiKey!(source) : undefined);
    const credentials = new CredentialScrubber(config.seed);
    const train = async () => {
      await fault('during-train', target);
      return trainModels(source, schema, plan, config, emit, privacy, credentials);
    };
    const models = hooks.models ? await hooks.models({ source, schema, plan, train }) : await train();
    if (privacy?.dp && privacy.spend === null) {
      // Reused models were fitted under the same privacy settings (they are part of the training fingerprint):
      // generating from them again is post-processing and spends nothing; without a sample there are no filters.
      emit({ type: 'info', message: 'Privacy: models reused from an earlier DP training; no privacy budget spent by this run.' });
    }
    if (privacy) {
      const p = privacy.result();
      const text = formatPrivacyResult(p);
      if (text) emit({ type: 'info', message: text });
      await hooks.privacySpent?.(p);
    }
    for (const c of credentials.report()) {
      emit({ type: 'info', message: `Credentials: ${c.table}.${c.column} (${c.formats.join(', ')}) gets fresh values of its format; no real one is copied.` });
    }
    const result = await generateIntoTarget({ source, target, schema, plan, models, config, runId, emit, keepShadow: options.keepShadow ?? false, hooks, privacy, credentials });
    if (privacy) {
      result.privacy = privacy.result();
      const filtered = formatFilterCounts(result.privacy, result.quality);
      if (filtered) emit({ type: 'info', message: filtered });
    }
    emit({ type: 'run', status: result.status, runId, target: options.target });
    return { ...result, mappingNotes };
  } finally {
    await Promise.allSettled([source.close(), target.close()]);
  }
}

async function refuseSourceAsTarget(source: SourceConnector, target: TargetConnector, name: string): Promise<void> {
  const [a, b] = await Promise.all([source.identity(), target.identity()]);
  if (a === b) {
    throw new SynthError('SOURCE_IS_TARGET', `Target '${name}' is the source database itself (${target.displayUrl}).`, {
      hint: 'Point the target at another database; synth never writes to its source.',
      path: `targets.${name}.url`,
    });
  }
}

/** Decides lossy/impossible type mappings before anything is written. */
export function checkTypeMapping(target: TargetConnector, schema: DatabaseSchema, emit: EventSink): TypeMappingNote[] {
  const notes = target.describeMapping(schema);
  const impossible = notes.filter((n) => n.severity === 'impossible');
  if (impossible.length > 0) {
    const first = impossible[0]!;
    throw new SynthError(
      'UNSUPPORTED_TYPE',
      `Cannot map ${impossible.length} column(s) to ${target.dialect}:\n${impossible.map((n) => `  ${n.table}.${n.column}: ${n.from} → ${n.note}`).join('\n')}`,
      { table: first.table, column: first.column, hint: 'Exclude these tables with `schemas`, or hydrate into a target of the same dialect.' },
    );
  }
  for (const n of notes.filter((n) => n.severity === 'lossy')) {
    emit({ type: 'warning', message: `${n.table}.${n.column}: ${n.from} → ${n.to} (${n.note})`, table: n.table, column: n.column });
  }
  return notes;
}

interface GenerateIntoTarget {
  source: SourceConnector;
  target: TargetConnector;
  schema: DatabaseSchema;
  plan: HydrationPlan;
  models: ModelSet;
  config: SynthConfig;
  runId: string;
  emit: EventSink;
  keepShadow: boolean;
  hooks?: HydrateHooks;
  /** Copy/outlier filters on the generated rows and the report's privacy section. */
  privacy?: PrivacyRun | null;
  /** Credential columns get fresh values in every generated batch and stay out of the quality report. */
  credentials?: CredentialScrubber;
}

/** Generates every table into a new shadow, validates it and swaps it in. */
export async function generateIntoTarget(args: GenerateIntoTarget): Promise<Omit<HydrateResult, 'mappingNotes'>> {
  const { source, target, schema, plan, models, config, runId, emit } = args;
  const credentials = args.credentials ?? new CredentialScrubber(config.seed);
  // A table declared `mode: copy` is copied verbatim, except its credentials.
  const reference = new Map([...(await readReferenceRows(source, schema, models.rules))].map(([key, rows]) => {
    const table = schema.tables.find((t) => tableKey(t) === key);
    return [key, table ? credentials.scrub(table, rows) : rows] as const;
  }));
  const generation = createGeneration(schema, plan, models, {
    reference,
    conformAfter: true,
    scale: config.scale,
    seed: config.seed,
    tableScale: (t: TableRef) => {
      const tc = tableConfig(config, t);
      return tc?.skip ? 0 : (tc?.scale ?? 1);
    },
  });
  const hooks = args.hooks ?? {};
  const shadow = await stage(emit, 'shadow', () => target.createShadow(runId, physicalSchema(schema)), (s) => s.namespaces.map((n) => n.shadow).join(', '));
  const fault = async (point: FaultPoint, table?: string) =>
    hooks.fault?.(point, table === undefined ? { target, shadow } : { target, shadow, table });
  let swapped = false;
  try {
    await fault('after-shadow');
    await stage(emit, 'load', async () => {
      if (hooks.loadTables) {
        const filtering = args.privacy?.filtering ?? false;
        return hooks.loadTables({ target, shadow, schema, plan, models, generation, reference, credentials, filtering, runId, emit, ...(hooks.signal ? { signal: hooks.signal } : {}) });
      }
      // Tables of one level never reference each other, and each table's rows are seeded by the table alone.
      const levels: TableStep[][] = [];
      for (const step of plan.steps) (levels[step.level] ??= []).push(step);
      await runLevels(levels.filter((l) => l !== undefined), hooks.parallel ?? 1, async (step) => {
        const table = mustFind(schema, step.table);
        const key = tableKey(table);
        const total = generation.rowCounts.get(key) ?? 0;
        const started = Date.now();
        // A table's bar appears (and parallel loads show as overlapping) as soon as its load starts.
        emit({ type: 'table', stage: 'load', table: key, rows: 0, total });
        const tm = models.tables.get(key);
        // Copied reference rows are the source's on purpose: the copy filters leave them alone.
        const filtered = args.privacy && tm && !reference.has(key) ? args.privacy.filterRows(table, tm.meta, tm.model, generation.rows(table), createRng(config.seed).fork(`privacy-filter:${key}`)) : generation.rows(table);
        // The data rules go last, so no filter or replacement after them can break an order invariant again.
        const generated = generation.conform(table, credentials.replaceIn(table, filtered));
        const rows = await target.load(shadow, table, afterFirstBatch(generated, async () => {
          await fault('mid-load', key);
          await fault('connection-drop', key);
        }, hooks.signal), (n) => emit({ type: 'table', stage: 'load', table: key, rows: n, total }));
        emit({ type: 'table', stage: 'load', table: key, rows, total, done: true, ms: Date.now() - started });
      });
    });
    const nullThenUpdate = plan.deferred.filter((d) => d.strategy === 'null-then-update');
    if (nullThenUpdate.length > 0) {
      await stage(emit, 'update', async () => {
        const tables = new Set(nullThenUpdate.map((d) => tableKey(d.table)));
        for (const key of tables) {
          const table = schema.tables.find((t) => tableKey(t) === key)!;
          const rows = await target.update(shadow, table, generation.deferredUpdates(table));
          emit({ type: 'table', stage: 'update', table: key, rows, done: true });
        }
      });
    }
    await fault('after-load-before-validate');
    const repaired = await stage(emit, 'repair', () => repairChecks(target, shadow, schema, emit), (r) => `${r.total} rows resampled`);
    const integrity = await stage(emit, 'validate', async () => {
      await fault('during-validate');
      return checkShadowIntegrity(target, shadow, schema);
    }, (r) =>
      r.ok ? 'no violations' : `${r.totalViolations} violations`,
    );
    integrity.resampled = repaired.byTable;
    emit({ type: 'info', message: formatIntegrityReport(integrity), section: 'validation' });
    const base = { runId, integrity, rowCounts: generation.rowCounts, shadow, swap: null, quality: null, reportPaths: null };
    if (!integrity.ok) {
      emit({ type: 'warning', message: 'Validation refused the swap; the live schema is untouched.' });
      return { ...base, status: 'refused', refusal: 'integrity' };
    }
    let quality: QualityReportResult | null = null;
    let reportPaths: { html: string; json: string } | null = null;
    if (config.quality.enabled) {
      // A credential column is scored as 'other': never plotted, its values never in the report.
      const meta = [...models.tables.values()].flatMap((t) => t.meta).map((m) => {
        const table = schema.tables.find((x) => x.schema === m.table.schema && x.name === m.table.name);
        return table && credentials.isCredential(table, m.column) ? { ...m, role: 'pii' as const, piiKind: 'credential' } : m;
      });
      quality = await stage(emit, 'quality', () =>
        measureQuality({ source, target, shadow, schema, meta, sampleRows: config.quality.sampleRows, seed: config.seed, integrity, histograms: [...models.tables.values()].flatMap((t) => t.histograms) }),
        (q) => `overall ${q.overall === null ? 'n/a' : q.overall.toFixed(3)}`,
      );
      reportPaths = writeQualityReport(quality, config.outDir, runId, args.privacy?.dp ? { privacy: privacySummaryForReport(args.privacy.result()) } : {});
      if (args.privacy) addPrivacyToJsonReport(reportPaths.json, args.privacy.result());
      emit({ type: 'info', message: `${formatQualitySummary(quality)}\nQuality report: ${reportPaths.html}`, section: 'quality' });
      const min = config.quality.minOverall;
      if (min !== undefined && (quality.overall ?? 0) < min) {
        emit({ type: 'warning', message: `Quality ${quality.overall?.toFixed(3) ?? 'n/a'} is below quality.minOverall ${min}; the swap is refused and the live schema is untouched.` });
        return { ...base, quality, reportPaths, status: 'refused', refusal: 'quality' };
      }
    }
    await fault('before-finalize');
    await stage(emit, 'finalize', async () => {
      await fault('during-finalize');
      await target.finalize(shadow, physicalSchema(schema));
    });
    const parity = await stage(emit, 'parity', () => shadowParity(target, shadow, physicalSchema(schema)), formatParity);
    if (reportPaths) addParityToJsonReport(reportPaths.json, parity);
    if (parity.differences.length > 0) throw parityRefusal(parity, shadow);
    await fault('before-swap');
    await hooks.beforeSwap?.();
    const swap = await stage(emit, 'swap', async () => {
      await fault('during-swap');
      return target.swap(shadow, physicalSchema(schema));
    });
    swapped = true;
    for (const note of swap.notes) emit({ type: 'info', message: note });
    return { ...base, swap, quality, reportPaths, status: 'ok', refusal: null, parity };
  } finally {
    if (!swapped && !args.keepShadow) await target.dropShadow(shadow).catch(() => undefined);
  }
}

/**
 * Generated rows that violate a CHECK are resampled in the shadow (the connector borrows the checked columns from
 * rows that satisfy it). Key columns are never touched; a few rounds settle checks that share columns.
 */
export async function repairChecks(
  target: TargetConnector,
  shadow: Shadow,
  schema: DatabaseSchema,
  emit: EventSink,
): Promise<{ total: number; byTable: Record<string, number> }> {
  const byTable: Record<string, number> = {};
  let total = 0;
  for (const table of schema.tables) {
    if (table.checks.length === 0) continue;
    const keyColumns = new Set([
      ...(table.primaryKey?.columns ?? []),
      ...table.uniques.flatMap((u) => u.columns),
      ...table.foreignKeys.flatMap((f) => f.columns),
    ]);
    for (let round = 0; round < 3; round++) {
      let changed = 0;
      for (const check of table.checks) {
        const columns = check.columns.filter((c) => !keyColumns.has(c));
        if (columns.length === 0) continue;
        changed += await target.repairCheck(shadow, table, check, columns);
      }
      if (changed === 0) break;
      byTable[tableKey(table)] = (byTable[tableKey(table)] ?? 0) + changed;
      total += changed;
    }
    const n = byTable[tableKey(table)];
    if (n) emit({ type: 'info', message: `${tableKey(table)}: resampled ${n} row(s) that violated CHECK constraints` });
  }
  return { total, byTable };
}

/**
 * Passes batches through, running `after` once the first batch was consumed (the mid-load fault points), and
 * stopping between batches once `signal` fires, so an interrupted load ends within a batch.
 */
async function* afterFirstBatch(batches: AsyncIterable<RowBatch>, after: () => Promise<void>, signal?: AbortSignal): AsyncIterable<RowBatch> {
  let first = true;
  for await (const batch of batches) {
    signal?.throwIfAborted();
    yield batch;
    if (first) {
      first = false;
      await after();
    }
  }
}

function mustFind(schema: DatabaseSchema, ref: TableRef): Table {
  const t = schema.tables.find((x) => x.schema === ref.schema && x.name === ref.name);
  if (!t) throw new SynthError('INTERNAL', `Plan names a table not in the schema: ${tableKey(ref)}`);
  return t;
}

export { formatIntegrityReport };

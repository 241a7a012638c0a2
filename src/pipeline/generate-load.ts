/**
 * Shadow → generate + load → deferred updates → repair → validate (integrity, quality report) → finalize → schema
 * parity → swap. The live schema changes only in the swap; a shadow that is refused or fails is dropped.
 */
import type { Shadow, SourceConnector, TargetConnector } from '../connectors/connector.js';
import type { SynthConfig } from '../config/schema.js';
import { SynthError } from '../errors.js';
import { type EventSink, stage } from '../events.js';
import type { HydrationPlan, TableStep } from '../graph/plan.js';
import { physicalSchema } from '../graph/virtual-fks.js';
import { runLevels } from '../scheduler/run-queue.js';
import type { RowBatch } from '../schema/values.js';
import { createGeneration, createRng, type ModelSet } from '../generation/index.js';
import type { DatabaseSchema, Table, TableRef } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import { checkShadowIntegrity, formatIntegrityReport } from '../validation/integrity.js';
import { measureQuality, writeQualityReport } from '../validation/measure-quality.js';
import { addParityToJsonReport, formatParity, parityRefusal, shadowParity } from '../validation/schema-parity.js';
import { formatQualitySummary, type QualityReportResult } from '../validation/quality/index.js';
import type { PrivacyRun } from '../generation/privacy/privacy-run.js';
import { CredentialScrubber } from '../generation/privacy/credential-fakes.js';
import { addPrivacyToJsonReport, privacySummaryForReport } from '../validation/privacy/privacy-report.js';
import type { FaultPoint, HydrateHooks, HydrateResult } from './hydrate.js';
import { readReferenceRows } from './learn-rules.js';
import { repairChecks } from './repair.js';
import { tableConfig } from './table-config.js';

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

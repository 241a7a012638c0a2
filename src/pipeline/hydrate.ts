/**
 * One hydration run, as a short sequencer over the stages of this folder (index.ts lists them in order). Each stage
 * is a small function over the typed hand-offs (schema model, plan, samples, models, row batches); this module only
 * sequences them and decides nothing a stage already decided.
 */
import type { Shadow, SourceConnector, SwapResult, TargetConnector, TypeMappingNote } from '../connectors/connector.js';
import { openSource, openTarget } from '../connectors/index.js';
import type { SynthConfig } from '../config/schema.js';
import { type EventSink, silentSink, stage } from '../events.js';
import type { HydrationPlan } from '../graph/plan.js';
import type { Row } from '../schema/values.js';
import type { Generation, ModelSet } from '../generation/index.js';
import type { DatabaseSchema } from '../schema/model.js';
import type { IntegrityReport } from '../validation/integrity.js';
import type { SchemaParity } from '../validation/schema-parity.js';
import type { QualityReportResult } from '../validation/quality/index.js';
import { PrivacyRun } from '../generation/privacy/privacy-run.js';
import { CredentialScrubber } from '../generation/privacy/credential-fakes.js';
import { formatFilterCounts, formatPrivacyResult, type PrivacyResult } from '../validation/privacy/privacy-report.js';
import { newRunId, refuseSourceAsTarget, targetUrl } from './connect.js';
import { checkTargetsCanLoad, checkTypeMapping, introspectAndPlan } from './introspect-plan.js';
import { trainModels, type FitElsewhere } from './train.js';
import { sampleForFilters } from './sample.js';
import { generateIntoTarget } from './generate-load.js';

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
  /** Fits the models elsewhere from the coordinator's samples (`distributed`: one training unit per table); not under DP. */
  fitModels?: FitElsewhere;
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
  /** Whether the copy filters would run on the generated rows. */
  filtering: boolean;
  /** The run's privacy side: its training samples travel to the workers for the copy filters, which count into it. */
  privacy?: PrivacyRun | null;
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
    checkTargetsCanLoad(schema, config, [{ name: options.target, dialect: target.dialect }]);
    const privacy = PrivacyRun.forConfig(config, process.env, hooks.piiKey ? () => hooks.piiKey!(source) : undefined);
    const credentials = CredentialScrubber.forConfig(config, schema);
    const train = async () => {
      await fault('during-train', target);
      return trainModels(source, schema, plan, config, emit, privacy, credentials, hooks.fitModels);
    };
    const models = hooks.models ? await hooks.models({ source, schema, plan, train }) : await train();
    await sampleForFilters(source, schema, models, config, emit, privacy, credentials);
    if (privacy?.dp && privacy.spend === null) {
      // Reused models were fitted under the same privacy settings (they are part of the training fingerprint):
      // generating from them again is post-processing and spends nothing.
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
    const result = await generateIntoTarget({ source, target, schema, plan, models, config, runId, emit, keepShadow: options.keepShadow ?? false, hooks: withPrivacy(hooks, privacy), privacy, credentials, targetName: options.target });
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

/** A `loadTables` hook (scale-out) also gets the privacy run: the copy filters run where the rows are generated. */
function withPrivacy(hooks: HydrateHooks, privacy: PrivacyRun | null): HydrateHooks {
  const load = hooks.loadTables;
  return load && privacy ? { ...hooks, loadTables: (ctx) => load({ ...ctx, privacy }) } : hooks;
}

/**
 * The run's second half, from the trained models to the swap, as a short sequencer over its stages: shadow →
 * generate + load → deferred updates → derive (parent aggregates) → repair → keys (finalize's keys and indexes,
 * built first where the target can) → validate → quality report → finalize (foreign keys and the rest) → schema
 * parity → swap (one file each, index.ts lists them). The live schema changes only in the swap; a shadow that is
 * refused or fails is dropped.
 */
import type { SourceConnector, TargetConnector } from '../connectors/connector.js';
import type { SynthConfig } from '../config/schema.js';
import type { EventSink } from '../events.js';
import type { HydrationPlan } from '../graph/plan.js';
import type { ModelSet } from '../generation/index.js';
import type { DatabaseSchema } from '../schema/model.js';
import type { PrivacyRun } from '../generation/privacy/privacy-run.js';
import { CredentialScrubber } from '../generation/privacy/credential-fakes.js';
import type { HydrateHooks, HydrateResult } from './hydrate.js';
import { createShadow, dropShadow, shadowFault } from './shadow.js';
import { loadShadow, prepareGeneration } from './load.js';
import { applyDeferredUpdates } from './update.js';
import { deriveAggregates } from './derive-aggregates.js';
import { repairShadow } from './repair.js';
import { validateShadow } from './validate.js';
import { reportRunQuality } from './report.js';
import { finalizeShadow } from './finalize.js';
import { checkShadowParity } from './parity.js';
import { swapShadow } from './swap.js';

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
  /** The config's target name, for load worker threads' own connections (pipeline/load-parallel.ts). */
  targetName?: string;
}

/** Generates every table into a new shadow, validates it and swaps it in. */
export async function generateIntoTarget(args: GenerateIntoTarget): Promise<Omit<HydrateResult, 'mappingNotes'>> {
  const { source, target, schema, plan, models, config, runId, emit, privacy } = args;
  const credentials = args.credentials ?? CredentialScrubber.forConfig(config, schema);
  const { reference, generation } = await prepareGeneration(source, schema, plan, models, config, credentials);
  const hooks = args.hooks ?? {};
  const shadow = await createShadow(target, schema, runId, emit);
  const fault = shadowFault(hooks, target, shadow);
  let swapped = false;
  try {
    await fault('after-shadow');
    await loadShadow({ target, shadow, schema, plan, models, config, runId, emit, hooks, fault, reference, generation, credentials, privacy, ...(args.targetName === undefined ? {} : { targetName: args.targetName }) });
    await applyDeferredUpdates(target, shadow, schema, plan, generation, emit);
    await deriveAggregates(target, shadow, schema, models, emit);
    await fault('after-load-before-validate');
    const repaired = await repairShadow(target, shadow, schema, emit);
    const integrity = await validateShadow(target, shadow, schema, repaired.byTable, fault, emit);
    const base = { runId, integrity, rowCounts: generation.rowCounts, shadow, swap: null, quality: null, reportPaths: null };
    if (!integrity.ok) return { ...base, status: 'refused', refusal: 'integrity' };
    const { quality, reportPaths, belowMinimum } = await reportRunQuality({ source, target, shadow, schema, models, config, runId, integrity, credentials, privacy, emit });
    if (belowMinimum) return { ...base, quality, reportPaths, status: 'refused', refusal: 'quality' };
    await fault('before-finalize');
    await finalizeShadow(target, shadow, schema, fault, emit);
    const parity = await checkShadowParity(target, shadow, schema, reportPaths, emit);
    await fault('before-swap');
    const swap = await swapShadow(target, shadow, schema, hooks, fault, emit);
    swapped = true;
    for (const note of swap.notes) emit({ type: 'info', message: note });
    return { ...base, swap, quality, reportPaths, status: 'ok', refusal: null, parity };
  } finally {
    if (!swapped && !args.keepShadow) await dropShadow(target, shadow);
  }
}

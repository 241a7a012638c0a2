/**
 * Learn rules + train: the data rules learned from the samples (learn-rules.ts), then one model per table, fitted
 * under DP when privacy asks for it, with the learned model's extra context (train-context.ts) when a table uses it.
 */
import type { SourceConnector } from '../connectors/connector.js';
import type { SynthConfig } from '../config/schema.js';
import { type EventSink, silentSink, stage } from '../events.js';
import type { HydrationPlan } from '../graph/plan.js';
import { fitModels, type ModelSet } from '../generation/index.js';
import type { FitThreads } from '../generation/learned/fit-threads.js';
import { PrivacyRun } from '../generation/privacy/privacy-run.js';
import { CredentialScrubber } from '../generation/privacy/credential-fakes.js';
import { copiedTables } from '../generation/reference-tables.js';
import { samplesForFit } from '../generation/copied-fit.js';
import type { AlignedContext, SampleChildCounts } from '../generation/fit.js';
import type { ChildCountHistogram, TableSample } from '../generation/model.js';
import type { DatabaseSchema, TableRef } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import { formatRulesNote, learnDataRules } from './learn-rules.js';
import { sampleSource, scrubbed } from './sample.js';
import { withChildCountCache } from './sample-child-counts.js';
import { tableConfig } from './table-config.js';
import { readLearnedContext } from './train-context.js';

/** What fitting one model per table needs, for a fit that runs elsewhere (`distributed`: training units on workers). */
export interface FitInput {
  schema: DatabaseSchema;
  plan: HydrationPlan;
  samples: Map<string, TableSample>;
  histograms: ChildCountHistogram[];
  seed: number;
  modelFor: (t: TableRef) => 'baseline' | 'learned';
  learned?: { epochs?: number; hiddenSize?: number; batchSize?: number };
  parentRows?: Map<string, TableSample>;
  childCounts?: Map<string, SampleChildCounts[]>;
  otherParents?: Map<string, AlignedContext>;
}

export type FitElsewhere = (input: FitInput) => Promise<ModelSet>;

/** Reads a bounded sample of every table and the child-count histogram of every FK, then fits the models. */
export async function trainModels(
  source: SourceConnector,
  schema: DatabaseSchema,
  plan: HydrationPlan,
  config: SynthConfig,
  emit: EventSink = silentSink,
  privacy: PrivacyRun | null = PrivacyRun.forConfig(config),
  credentials: CredentialScrubber = CredentialScrubber.forConfig(config, schema),
  fitElsewhere?: FitElsewhere,
): Promise<ModelSet> {
  // The sample stage, the fan-out rules and the learned count heads count the children of the same parent samples.
  source = withChildCountCache(source);
  const { samples, histograms, entityUnit } = await sampleSource(source, schema, plan, config, emit, privacy, credentials);
  // Reference tables, order invariants and exact fan-outs (learn-rules.ts); copied tables need no model of their own.
  const rules = await learnDataRules(source, schema, samples, histograms, config);
  const copied = copiedTables(rules.reference);
  const ruleNote = formatRulesNote(rules);
  if (ruleNote) emit({ type: 'info', message: ruleNote });
  const modelFor = (t: TableRef) => (copied.has(tableKey(t)) ? 'baseline' : (tableConfig(config, t)?.model ?? config.model));
  const anyLearned = schema.tables.some((t) => modelFor(t) === 'learned');
  if (privacy?.dp) {
    // Row level: MST children take their parent's rows read by key, and parents their children counted by key.
    const byKey =
      !entityUnit && config.privacy !== false && config.privacy.mst === 'auto'
        ? await readLearnedContext(source, schema, plan, samples, () => true, (t, s) => scrubbed(t, s, privacy, credentials))
        : null;
    // Under DP the order invariants come from the fit (dp-order-invariants.ts), charged to the run's ledger.
    return stage(emit, 'train', () =>
      privacy.fit(schema, plan, samples, histograms, {
        ...(byKey ? { byKey: { parentRows: byKey.parentRows, childCounts: byKey.childCounts } } : {}),
        modelFor,
        // A declared copy is public: it is copied, not learned, and spends no budget.
        skipped: (t) => tableConfig(config, t)?.skip === true || copied.has(tableKey(t)),
        note: (message) => emit({ type: 'info', message: `Privacy: ${message}` }),
        warn: (message, table) => emit({ type: 'warning', message: `Privacy: ${message}`, table }),
        ...(entityUnit ? { entity: entityUnit } : {}),
      }),
    ).then((models) => ({ ...models, rules: { ...rules, invariants: [...rules.invariants, ...(models.rules?.invariants ?? [])] } }));
  }
  if (fitElsewhere) {
    return stage(emit, 'train', async () => {
      const input: FitInput = { schema, plan, samples: samplesForFit(samples, schema, copied), histograms, seed: config.seed, modelFor, learned: learnedSettings(config) };
      if (anyLearned) {
        const context = await readLearnedContext(source, schema, plan, samples, (t) => modelFor(t) === 'learned', (t, s) => scrubbed(t, s, privacy, credentials));
        Object.assign(input, { parentRows: context.parentRows, childCounts: context.childCounts, otherParents: context.otherParents });
      }
      if (privacy?.filtering) privacy.remember(samples, schema);
      return { ...(await fitElsewhere(input)), rules };
    });
  }
  return stage(emit, 'train', async () => {
    const options: Parameters<typeof fitModels>[4] = { seed: config.seed, modelFor };
    let threads: FitThreads | null = null;
    if (anyLearned) {
      const learned = await learnedFactory(schema, config, emit, schema.tables.filter((t) => modelFor(t) === 'learned').length);
      options.learned = learned.factory;
      threads = learned.threads;
      const context = await readLearnedContext(source, schema, plan, samples, (t) => modelFor(t) === 'learned', (t, s) => scrubbed(t, s, privacy, credentials));
      options.parentRows = context.parentRows;
      options.childCounts = context.childCounts;
      options.otherParents = context.otherParents;
    }
    // The copy filters compare generated rows with the training rows (after PII transforms).
    if (privacy?.filtering) privacy.remember(samples, schema);
    try {
      return { ...(await fitModels(schema, plan, samplesForFit(samples, schema, copied), histograms, options)), rules };
    } finally {
      await threads?.close();
    }
  });
}

/**
 * Loads the learned model (and its tfjs backend) only when a table asks for it. Its tables train on threads, one
 * table a thread and up to one thread a core, where the machine has two cores or more (fit-threads.ts).
 */
async function learnedFactory(
  schema: DatabaseSchema,
  config: SynthConfig,
  emit: EventSink,
  tables: number,
): Promise<{ factory: NonNullable<Parameters<typeof fitModels>[4]['learned']>; threads: FitThreads | null }> {
  const learned = await import('../generation/learned/index.js');
  await learned.initCompute();
  const notice = learned.computeBackendNotice();
  emit({ type: 'info', message: `Learned model: compute backend ${learned.computeBackendName()}${notice ? ` (${notice})` : ''}` });
  const threads = learned.FitThreads.forTables(tables);
  return { factory: learned.learnedFactoryForFitModels({ seed: config.seed, schema, threads, ...learnedSettings(config) }), threads };
}

function learnedSettings(config: SynthConfig): { epochs?: number; hiddenSize?: number; batchSize?: number } {
  const out: { epochs?: number; hiddenSize?: number; batchSize?: number } = {};
  if (config.training.epochs !== undefined) out.epochs = config.training.epochs;
  if (config.training.hidden !== undefined) out.hiddenSize = config.training.hidden;
  if (config.training.batchSize !== undefined) out.batchSize = config.training.batchSize;
  return out;
}

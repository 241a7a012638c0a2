/**
 * Training as work units: the coordinator samples the source as usual, publishes a training bundle (the samples,
 * histograms and learned-model context it read), and queues one unit per table; a worker fits that table's model
 * exactly as `fitModels` would (each table's fit is seeded by the table, and a learned child reads its parents'
 * sample rows, never their models, so no unit waits on another) and returns it as a model artifact.
 */
import { deserialize, serialize } from 'node:v8';
import { Job, Queue } from 'bullmq';
import type { SynthConfig } from '../config/schema.js';
import { SynthError } from '../errors.js';
import type { EventSink } from '../events.js';
import { fitModels, MODEL_SET_VERSION, type FitOptions, type ModelSet, type ModelSetArtifact } from '../generation/index.js';
import type { AlignedContext, SampleChildCounts } from '../generation/fit.js';
import type { FitInput } from '../pipeline/train.js';
import type { ChildCountHistogram, TableSample } from '../generation/model.js';
import type { HydrationPlan } from '../graph/plan.js';
import type { DatabaseSchema } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import { modelsFromArtifact } from './run-bundle.js';
import { QUEUE_NAME, queueConnection, reachQueue, type TrainJobData, type UnitResult } from './unit-queue.js';
import { requireDistributed } from './unit-worker.js';

export const TRAINING_BUNDLE_VERSION = 1;
const POLL_MS = 200;
const BUNDLE_TTL_SECONDS = 2 * 24 * 3600;

/** What `fitModels` is given in the coordinator, minus the learned factory, which a worker builds from `learned`. */
export type TrainingInput = FitInput;

export interface TrainingBundle {
  version: number;
  schema: DatabaseSchema;
  plan: HydrationPlan;
  samples: Array<[string, TableSample]>;
  histograms: ChildCountHistogram[];
  seed: number;
  kinds: Record<string, 'baseline' | 'learned'>;
  learned: { epochs?: number; hiddenSize?: number; batchSize?: number };
  parentRows: Array<[string, TableSample]>;
  childCounts: Array<[string, SampleChildCounts[]]>;
  otherParents: Array<[string, AlignedContext]>;
}

export function makeTrainingBundle(input: TrainingInput): TrainingBundle {
  const kinds: Record<string, 'baseline' | 'learned'> = {};
  for (const step of input.plan.steps) kinds[tableKey(step.table)] = input.modelFor(step.table);
  return {
    version: TRAINING_BUNDLE_VERSION,
    schema: input.schema,
    plan: input.plan,
    samples: [...input.samples],
    histograms: input.histograms,
    seed: input.seed,
    kinds,
    learned: input.learned ?? {},
    parentRows: [...(input.parentRows ?? [])],
    childCounts: [...(input.childCounts ?? [])],
    otherParents: [...(input.otherParents ?? [])],
  };
}

export function encodeTrainingBundle(b: TrainingBundle): string {
  return serialize(b).toString('base64');
}

export function decodeTrainingBundle(text: string): TrainingBundle {
  let b: Partial<TrainingBundle> | null = null;
  try {
    b = deserialize(Buffer.from(text, 'base64')) as Partial<TrainingBundle> | null;
  } catch {
    b = null;
  }
  if (!b || b.version !== TRAINING_BUNDLE_VERSION || !b.schema || !b.plan || !b.samples) {
    throw new SynthError('DISTRIBUTED', 'The training bundle on the queue was written by another synth version.', {
      hint: 'Run the same synth version on the coordinator and every worker (`synth --version`).',
    });
  }
  return b as TrainingBundle;
}

export function trainBundleKey(prefix: string, runId: string): string {
  return `${prefix}:run:${runId}:training`;
}

/** BullMQ's job ids may not contain `:`. */
export function trainJobId(runId: string, table: string): string {
  return `${runId}|train|${table}`.replaceAll(':', '_');
}

/** Fits one table's model from the bundle, as `fitModels` fits it in one process; returns its artifact entry, encoded. */
export async function fitTrainingUnit(bundle: TrainingBundle, table: string): Promise<string> {
  const step = bundle.plan.steps.find((s) => tableKey(s.table) === table);
  if (!step) {
    throw new SynthError('DISTRIBUTED', `The training unit names ${table}, which is not in the run's plan.`, { table, hint: 'Run the same synth version on the coordinator and every worker.' });
  }
  const kind = bundle.kinds[table] ?? 'baseline';
  const options: FitOptions = {
    seed: bundle.seed,
    modelFor: (t) => bundle.kinds[tableKey(t)] ?? 'baseline',
    parentRows: new Map(bundle.parentRows),
    childCounts: new Map(bundle.childCounts),
    otherParents: new Map(bundle.otherParents),
  };
  if (kind === 'learned') {
    const learned = await import('../generation/learned/index.js');
    await learned.initCompute();
    options.learned = learned.learnedFactoryForFitModels({ seed: bundle.seed, schema: bundle.schema, ...definedOnly(bundle.learned) });
  }
  // The plan cut to this one step: fitModels fits each step from its own sample and context only.
  const set = await fitModels(bundle.schema, { ...bundle.plan, steps: [step] }, new Map(bundle.samples), bundle.histograms, options);
  const t = set.tables.get(table)!;
  const entry: ModelSetArtifact['tables'][number] = { table: t.table, meta: t.meta, model: t.model.toJSON(), sourceRows: t.sourceRows, histograms: t.histograms, keyStats: t.keyStats, fkNullRates: t.fkNullRates };
  return serialize(entry).toString('base64');
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The coordinator's training stage on the workers: one unit per table, all queued at once, models assembled in
 * plan order. Returns the ModelSet `fitModels` would have returned in this process.
 */
export async function trainOnWorkers(config: SynthConfig, runId: string, input: TrainingInput, emit: EventSink, signal?: AbortSignal): Promise<ModelSet> {
  const dist = requireDistributed(config);
  const tables = input.plan.steps.map((s) => tableKey(s.table));
  const queue = new Queue<TrainJobData, UnitResult>(QUEUE_NAME, { connection: queueConnection(dist), prefix: dist.prefix });
  queue.on('error', () => undefined);
  try {
    await reachQueue(queue.waitUntilReady(), dist);
    const client = await queue.client;
    await client.set(trainBundleKey(dist.prefix, runId), encodeTrainingBundle(makeTrainingBundle(input)), { EX: BUNDLE_TTL_SECONDS });
    emit({ type: 'info', message: `Distributed: ${tables.length} training units on ${dist.prefix}/${QUEUE_NAME}.` });
    if ((await queue.getWorkersCount()) === 0) {
      emit({ type: 'warning', message: `No synth worker is connected to ${dist.prefix}/${QUEUE_NAME} yet: the units wait until one starts (npx synth worker --config <this config>).` });
    }
    await queue.addBulk(
      tables.map((train) => ({
        name: 'train',
        data: { runId, train },
        opts: { jobId: trainJobId(runId, train), attempts: dist.attempts, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: false, removeOnFail: false },
      })),
    );
    const entries = new Map<string, ModelSetArtifact['tables'][number]>();
    while (entries.size < tables.length) {
      signal?.throwIfAborted();
      for (const table of tables.filter((t) => !entries.has(t))) {
        const state = await queue.getJobState(trainJobId(runId, table));
        if (state === 'failed') {
          const job = await Job.fromId<TrainJobData, UnitResult>(queue, trainJobId(runId, table));
          throw new SynthError('DISTRIBUTED', `Training unit of ${table} failed: ${job?.failedReason ?? 'unknown'}`, { table, hint: 'The worker logs (`synth worker --json`) have the whole error; fix its cause and run the hydrate again.' });
        }
        if (state !== 'completed') continue;
        const job = await Job.fromId<TrainJobData, UnitResult>(queue, trainJobId(runId, table));
        const model = job?.returnvalue?.model;
        if (!model) throw new SynthError('DISTRIBUTED', `Training unit of ${table} finished without a model.`, { table, hint: 'Run the same synth version on the coordinator and every worker.' });
        entries.set(table, deserialize(Buffer.from(model, 'base64')) as ModelSetArtifact['tables'][number]);
        emit({ type: 'table', stage: 'train', table, rows: 1, total: 1, done: true, ms: job.returnvalue.ms });
      }
      if (entries.size < tables.length) await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const artifact: ModelSetArtifact = { format: 'synth-models', version: MODEL_SET_VERSION, seed: input.seed, tables: tables.map((t) => entries.get(t)!) };
    return await modelsFromArtifact(artifact, input.schema);
  } finally {
    const client = await queue.client.catch(() => null);
    await client?.del(trainBundleKey(dist.prefix, runId)).catch(() => undefined);
    for (const t of tables) await queue.remove(trainJobId(runId, t)).catch(() => undefined);
    await queue.close().catch(() => undefined);
  }
}

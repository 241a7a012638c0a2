/**
 * What a worker needs to produce any shard of a run, built once by the coordinator: the schema, the plan, the
 * models, the copied reference rows, the credential decisions, the copy filters' samples and the generation
 * settings. It travels through the queue's Redis (one key per run), serialized with v8's structured clone (so dates, bigints and bytes survive) and
 * base64-encoded, since the queue's Redis client speaks strings.
 */
import { deserialize, serialize } from 'node:v8';
import type { Shadow } from '../connectors/connector.js';
import type { SynthConfig } from '../config/schema.js';
import type { CredentialScrubber } from '../generation/privacy/credential-fakes.js';
import { modelSetFromArtifact, modelSetToArtifact, type ModelSet, type ModelSetArtifact } from '../generation/index.js';
import type { ModelArtifact } from '../generation/model.js';
import type { HydrationPlan } from '../graph/plan.js';
import type { DatabaseSchema, Table, TableRef } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import type { Row } from '../schema/values.js';
import { SynthError } from '../errors.js';
import type { LoadTablesContext } from '../pipeline/hydrate.js';
import { tableScale } from '../pipeline/table-config.js';

export const RUN_BUNDLE_VERSION = 2;

/** The credential columns the coordinator's sample decided, per table key (workers never see a sample). */
export type CredentialPlans = Record<string, ReturnType<CredentialScrubber['plansFor']>>;

export interface RunBundle {
  version: number;
  runId: string;
  /** The config's target name; each worker resolves its URL from its own config, so no password travels. */
  target: string;
  shadow: Shadow;
  seed: number;
  scale: number;
  /** `tables.<name>.scale` (0 for a skipped table) by table key, as the coordinator's config resolved it. */
  tableScales: Record<string, number>;
  schema: DatabaseSchema;
  plan: HydrationPlan;
  models: ModelSetArtifact;
  reference: Array<[string, { columns: string[]; rows: Row[] }]>;
  credentials: CredentialPlans;
  /**
   * The copy filters as the coordinator runs them (null when off): its `filters` settings and each table's training
   * sample (after PII transforms, bounded by `training.sampleRows`), which workers compare generated rows with.
   */
  filters: ShippedFilters | null;
}

export interface ShippedFilters {
  config: SynthConfig['filters'];
  samples: Array<[string, { columns: string[]; rows: Row[] }]>;
}

export interface BundleInput {
  runId: string;
  target: string;
  shadow: Shadow;
  seed: number;
  scale: number;
  tableScale: (t: TableRef) => number;
  schema: DatabaseSchema;
  plan: HydrationPlan;
  models: ModelSet;
  reference: Map<string, { columns: string[]; rows: Row[] }>;
  credentials: CredentialScrubber;
  /** Present when the copy filters run: the coordinator's settings and samples. */
  filters?: { config: SynthConfig['filters']; samples: Map<string, { columns: string[]; rows: Row[] }> } | null;
}

export function makeRunBundle(input: BundleInput): RunBundle {
  const tableScales: Record<string, number> = {};
  const credentials: CredentialPlans = {};
  for (const t of input.schema.tables) {
    tableScales[tableKey(t)] = input.tableScale(t);
    credentials[tableKey(t)] = input.credentials.plansFor(t);
  }
  return {
    version: RUN_BUNDLE_VERSION,
    runId: input.runId,
    target: input.target,
    shadow: input.shadow,
    seed: input.seed,
    scale: input.scale,
    tableScales,
    schema: input.schema,
    plan: input.plan,
    models: modelSetToArtifact(input.models),
    reference: [...input.reference],
    credentials,
    filters: input.filters ? { config: input.filters.config, samples: [...input.filters.samples] } : null,
  };
}

/**
 * The bundle of a load that runs in other processes (scale-out units, the parallel load's workers), from the run's
 * config and what the load stage has in hand; `filterSamples`: the copy filters' training samples when they run.
 */
export function loadBundle(
  config: SynthConfig,
  target: string,
  load: Pick<LoadTablesContext, 'runId' | 'shadow' | 'schema' | 'plan' | 'models' | 'reference' | 'credentials'>,
  filterSamples: Map<string, { columns: string[]; rows: Row[] }> | null,
): RunBundle {
  return makeRunBundle({
    runId: load.runId,
    target,
    shadow: load.shadow,
    seed: config.seed,
    scale: config.scale,
    tableScale: (t) => tableScale(config, t),
    schema: load.schema,
    plan: load.plan,
    models: load.models,
    reference: load.reference,
    credentials: load.credentials,
    filters: filterSamples ? { config: config.filters, samples: filterSamples } : null,
  });
}

export function encodeRunBundle(bundle: RunBundle): string {
  return serialize(bundle).toString('base64');
}

export function decodeRunBundle(text: string): RunBundle {
  let b: Partial<RunBundle> | null;
  try {
    b = deserialize(Buffer.from(text, 'base64')) as Partial<RunBundle> | null;
  } catch {
    b = null;
  }
  if (!b || b.version !== RUN_BUNDLE_VERSION || !b.schema || !b.plan || !b.models || b.filters === undefined) {
    throw new SynthError('DISTRIBUTED', 'The run bundle on the queue was written by another synth version.', {
      hint: 'Run the same synth version on the coordinator and every worker (`synth --version`).',
    });
  }
  return b as RunBundle;
}

/** The bundle's models as a ModelSet; the learned-model module is loaded only when a table has a learned model. */
export function bundleModels(bundle: RunBundle): Promise<ModelSet> {
  return modelsFromArtifact(bundle.models, bundle.schema);
}

/** A model set from its artifact; the learned-model module is loaded only when a table has a learned model. */
export async function modelsFromArtifact(models: ModelSetArtifact, schema: DatabaseSchema): Promise<ModelSet> {
  const learned = models.tables.some((t) => t.model.kind === 'learned');
  if (!learned) return modelSetFromArtifact(models, schema);
  const mod = await import('../generation/learned/index.js');
  await mod.initCompute();
  return modelSetFromArtifact(models, schema, { learnedFromArtifact: (a: ModelArtifact, t: Table) => mod.learnedFromArtifactForTable(a, t) });
}

/**
 * The learned per-table attribute model (MADE-style autoregressive network over column tokens, conditioned on
 * the primary parent's attributes, with child-count heads). Plugs into the generation framework as an
 * AttributeModel through `createLearnedFactory`.
 */
import type { ModelArtifact } from '../model.js';
import { initCompute } from '../compute/index.js';
import { fitLearnedModel, type LearnedFactory, type LearnedFactoryArgs } from './fit.js';
import { learnedModelFromArtifact, type LearnedModel } from './learned-model.js';
import type { LearnedOptions } from './options.js';

export { computeBackendName, computeBackendNotice, initCompute } from '../compute/index.js';
export { defaultLearnedOptions, type LearnedOptions, type BatchSampler } from './options.js';
export type { LearnedFactory, LearnedFactoryArgs } from './fit.js';
export type { LearnedArtifact, CountHead } from './learned-model.js';
export { LearnedModel } from './learned-model.js';
export type { DpHook, EncodedBatch, StepResult } from './made.js';
export { MadeNetwork } from './made.js';
export { train, shuffledBatches, type TrainReport } from './train.js';
export { seededRng } from './seeded-rng.js';
export { FitThreads, MIN_THREAD_ROWS } from './fit-threads.js';

/** The factory the framework calls per table; `defaults` are overridden by each call's `options`. */
export function createLearnedFactory(defaults: Partial<LearnedOptions> = {}): LearnedFactory {
  return (args: LearnedFactoryArgs) => fitLearnedModel({ ...args, options: { ...defaults, ...args.options } });
}

/** Rebuilds a learned model from its artifact (initializes the compute backend first). */
export async function learnedFromArtifact(a: ModelArtifact): Promise<LearnedModel> {
  await initCompute();
  return learnedModelFromArtifact(a);
}
export {
  ComposedLearnedModel,
  alignParent,
  learnedFactoryForFitModels,
  learnedFromArtifactForTable,
  type ComposedArtifact,
} from './framework-adapter.js';

export * from './model.js';
export { createRng, hash32 } from './rng.js';
export { conformValue, integerRange } from './conform.js';
export { describeColumns, attributeColumns, keyColumnNames } from './metadata.js';
export { fitBaseline, baselineFromArtifact, BaselineModel, type BaselineArtifact } from './baseline/index.js';
export {
  KeyContext,
  TableKeys,
  allocateCounts,
  fitKeyStats,
  makeKeyFn,
  type KeyColumnStats,
  type TableKeyStats,
  type KeyContextOptions,
} from './keys/index.js';
export { fitModels, foreignKeyNullRates, type FitOptions, type LearnedFactory, type ModelSet, type TableModel } from './fit.js';
export { modelSetToArtifact, modelSetFromArtifact, MODEL_SET_VERSION, type ModelSetArtifact, type FromArtifactOptions } from './artifact.js';
export { createGeneration, plannedRowCounts, DEFAULT_BATCH_SIZE, type Generation, type GenerationOptions } from './generate.js';

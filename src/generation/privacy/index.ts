/** The privacy building blocks other stages use: accountant, DP mechanisms, DP-SGD helpers, PII handling. */
export * from './rdp-accountant.js';
export * from './secure-random.js';
export {
  dpBinEdges,
  dpBounds,
  dpCategoryVocabulary,
  dpCount,
  dpHistogram,
  dpNumericEdges,
  dpQuantiles,
  type DpBudget,
  type DpContext,
  type DpHistogram,
  type DpVocabularyEntry,
} from './mechanisms.js';
export * from './dp-sgd.js';
export * from './pii-config.js';
export { detectPii, ibanValid, luhnValid, type DetectOptions, type PiiFinding } from './pii-detect.js';
export {
  columnTransformer,
  planPiiTransforms,
  transformBatches,
  transformValue,
  type PiiKey,
  type PiiPlan,
} from './pii-transform.js';

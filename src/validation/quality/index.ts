export * from './types.js';
export { qualityReport, DEFAULT_REAL_ASSOCIATION_THRESHOLD, DEFAULT_REAL_CORRELATION_THRESHOLD } from './report.js';
export { metadataFromSchema, qualityTableName } from './metadata-from-schema.js';
export { relationshipKey } from './cardinality.js';
export { formatQualitySummary, formatScore } from './summary.js';
export { ksComplement, tvComplement, contingencySimilarity, pearson, spearman, cramersV } from './stats.js';
export { boundaryAdherence, categoryAdherence, keyUniqueness, newRowSynthesis, referentialIntegrity } from './diagnostics.js';
export { qualityDataFromSamples, tableDataFromBatches, tableDataFromRows, toCell } from './from-samples.js';
export { assertQuality, weakestColumns } from './gate.js';

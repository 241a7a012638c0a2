export { BaselineModel, fitBaseline, baselineFromArtifact, BASELINE_VERSION, type BaselineArtifact } from './baseline-model.js';
export { fitColumnSpec, drawSpec, type ColumnSpec, type ColumnModelSpec } from './column-spec.js';

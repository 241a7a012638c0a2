export * from './backend.js';
export * as ops from './ops.js';
export type { Mat, Vec, AdamState } from './ops.js';

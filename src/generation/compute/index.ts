export * from './backend.js';
export * as ops from './ops.js';
export type { Mat, AdamState } from './ops.js';

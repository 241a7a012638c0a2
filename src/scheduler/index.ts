/** Orchestration building blocks: state store, target lock, schedules, run queue, shadow cleanup, previews. */
export * from './state-store.js';
export * from './target-lock.js';
export * from './schedules.js';
export * from './run-queue.js';
export * from './run-recorder.js';
export * from './cleanup.js';
export * from './preview.js';

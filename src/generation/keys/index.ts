/**
 * Key assignment by construction. Every primary-key/unique value is a deterministic function of the row
 * index (`keyAt(i)`), so a foreign key only needs a parent *index* to know the parent's key value: nothing
 * generated has to be remembered across tables, and cycles can be assigned up front because every table's
 * row count is known before anything is generated.
 */
export { fitKeyStats, type KeyColumnStats, type TableKeyStats } from './key-stats.js';
export { fitHierarchy, type HierarchyLevel } from './hierarchy.js';
export { makeKeyFn, type KeyFn } from './key-values.js';
export { allocateCounts, scaleCounts, rankMatch } from './child-counts.js';
export { KeyContext, type KeyContextOptions, type KeyState } from './key-context.js';
export { TableKeys } from './table-keys.js';

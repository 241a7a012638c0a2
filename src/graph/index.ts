export { buildFkGraph, stronglyConnected, edgeName, isNullableForeignKey, type FkEdge, type FkGraph } from './fk-graph.js';
export { buildPlan, type DeferredForeignKey, type HydrationPlan, type TableStep } from './plan.js';
export { formatPlan } from './format-plan.js';

/**
 * The hydration run, one file per stage, in the order they run (hydrate.ts sequences them; orchestration — locks,
 * workers, schedules — wraps it from outside, in src/scheduler/ and src/distributed/):
 *
 *   connect.ts            open source and target, refuse a target that is the source
 *   introspect-plan.ts    introspect the source, build the FK plan, decide the type mappings
 *   sample.ts             bounded samples and child-count histograms (sample-child-counts.ts, sample-entities.ts)
 *   learn-rules.ts        reference tables, order invariants, exact fan-outs
 *   train.ts              fit one model per table (train-context.ts: the learned model's parent context)
 *   generate-load.ts      shadow, generate + load, deferred updates, then repair → validate → finalize → parity → swap
 *   repair.ts             resample rows that violate a CHECK
 *   report.ts             `synth report`: the quality report of what is live in a target, without a run
 */
export {
  FAULT_POINTS,
  hydrate,
  type FaultPoint,
  type HydrateHooks,
  type HydrateOptions,
  type HydrateResult,
  type LoadTablesContext,
} from './hydrate.js';
export { formatIntegrityReport } from '../validation/integrity.js';
export { newRunId, targetUrl } from './connect.js';
export { checkTypeMapping, introspectAndPlan } from './introspect-plan.js';
export { readSample } from './sample.js';
export { tableConfig } from './table-config.js';
export { formatRulesNote, learnDataRules, planDataRules, readReferenceRows } from './learn-rules.js';
export { trainModels } from './train.js';
export { generateIntoTarget } from './generate-load.js';
export { repairChecks } from './repair.js';
export { reportOnTarget } from './report.js';

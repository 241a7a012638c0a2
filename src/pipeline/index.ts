/**
 * The hydration run, one file per stage, in the order they run (hydrate.ts sequences them; orchestration — locks,
 * workers, schedules — wraps it from outside, in src/scheduler/ and src/distributed/):
 *
 *   connect.ts            open source and target, refuse a target that is the source
 *   introspect-plan.ts    introspect the source, build the FK plan, decide the type mappings
 *   sample.ts             bounded samples and child-count histograms (sample-child-counts.ts, sample-entities.ts)
 *   learn-rules.ts        reference tables, order invariants, exact fan-outs, parent aggregates (learn-aggregates.ts)
 *   train.ts              fit one model per table (train-context.ts: the learned model's parent context)
 *   generate-load.ts      sequences the stages below, from the trained models to the swap (generateIntoTarget)
 *   shadow.ts             create the shadow next to the live schema; drop it unless it was swapped in
 *   load.ts               generate every table's rows (copied tables: the source's) and stream them into the shadow
 *   update.ts             write the FKs the plan deferred as null-then-update
 *   derive-aggregates.ts  parent columns summed from their loaded children, child shares scaled under their bound
 *   repair.ts             resample rows that violate a CHECK
 *   validate.ts           the keys and indexes finalize would build, first where the target can (stage `keys`),
 *                         then the integrity gate: any violation refuses the swap
 *   report.ts             the run's quality report (below quality.minOverall refuses the swap); `synth report`
 *   finalize.ts           keys, constraints, indexes and triggers onto the shadow after the data; sequences past it
 *   parity.ts             the shadow's schema against the source's: any difference refuses the swap
 *   swap.ts               make the shadow live, atomically
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
export { checkTargetsCanLoad, checkTypeMapping, introspectAndPlan } from './introspect-plan.js';
export { readSample } from './sample.js';
export { tableConfig, tableScale } from './table-config.js';
export { formatRulesNote, learnDataRules, planDataRules, readReferenceRows } from './learn-rules.js';
export { trainModels } from './train.js';
export { generateIntoTarget } from './generate-load.js';
export { repairChecks } from './repair.js';
export { reportOnTarget } from './report.js';

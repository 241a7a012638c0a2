/**
 * The coordinator's load stage when `distributed` is set: publishes the run's bundle, queues each plan level's
 * shards as units for `synth worker` processes, follows them (state, worker, rows, tries), and starts a level only
 * once the previous one is complete. Everything before and after the load (training, validation, swap) stays in
 * the coordinator's hydrate.
 */
import { Job, Queue } from 'bullmq';
import type { SynthConfig } from '../config/schema.js';
import { SynthError } from '../errors.js';
import type { LoadTablesContext } from '../pipeline/index.js';
import type { PrivacyRun } from '../generation/privacy/privacy-run.js';
import type { HydrationPlan } from '../graph/plan.js';
import { findTable, tableKey } from '../schema/model.js';
import type { Row } from '../schema/values.js';
import { addFilterCounts, emptyFilterReport } from '../validation/privacy/privacy-report.js';
import type { DistributedConfig } from './distributed-config.js';
import { encodeRunBundle, loadBundle } from './run-bundle.js';
import { planShards, type ShardUnit } from './shard-plan.js';
import { bundleKey, doneKey, QUEUE_NAME, queueConnection, reachQueue, unitJobId, type UnitJobData, type UnitProgress, type UnitResult } from './unit-queue.js';
import { requireDistributed } from './unit-worker.js';

const POLL_MS = 200;
/** A run's bundle outlives an abandoned coordinator by this long at most. */
const BUNDLE_TTL_SECONDS = 2 * 24 * 3600;

export interface FinishedUnit extends UnitResult {
  unit: ShardUnit;
}

export async function loadOnWorkers(config: SynthConfig, targetName: string, ctx: LoadTablesContext): Promise<FinishedUnit[]> {
  const dist = requireDistributed(config);
  // The copy filters run on the workers, against the training samples the bundle carries.
  if (ctx.filtering && !ctx.privacy) {
    throw new SynthError('INTERNAL', 'The copy filters are on, but the load stage passed no privacy run to ship their samples to the workers.', {
      hint: "Set filters: { enabled: false } to hydrate distributed without them, or report this as a bug.",
    });
  }
  const filterSamples = ctx.filtering && ctx.privacy ? ctx.privacy.filterSamples() : new Map<string, { columns: string[]; rows: Row[] }>();
  const bundle = loadBundle(config, targetName, ctx, filterSamples.size > 0 ? filterSamples : null);
  const levels = planShards(ctx.plan, ctx.generation.rowCounts, dist.shardRows);
  const queue = new Queue<UnitJobData, UnitResult>(QUEUE_NAME, { connection: queueConnection(dist), prefix: dist.prefix });
  queue.on('error', () => undefined);
  const finished: FinishedUnit[] = [];
  try {
    await reachQueue(queue.waitUntilReady(), dist);
    const client = await queue.client;
    await client.set(bundleKey(dist, ctx.runId), encodeRunBundle(bundle), { EX: BUNDLE_TTL_SECONDS });
    ctx.emit({ type: 'info', message: `Distributed: ${levels.flat().length} units in ${levels.length} levels (at most ${dist.shardRows} rows each) on ${dist.prefix}/${QUEUE_NAME}.` });
    // Units wait for a worker however long it takes; say so, rather than look stuck.
    if ((await queue.getWorkersCount()) === 0) {
      ctx.emit({ type: 'warning', message: `No synth worker is connected to ${dist.prefix}/${QUEUE_NAME} yet: the units wait until one starts (npx synth worker --config <this config>).` });
    }
    await ctx.target.unitMarkers?.create(ctx.shadow);
    for (const units of levels) finished.push(...(await runLevel(queue, dist, ctx, units)));
    await ctx.target.unitMarkers?.drop(ctx.shadow);
    if (ctx.privacy) mergeFilterCounts(ctx.privacy, ctx.plan, finished);
    // Cycle edges loaded as NULL are filled from the coordinator's key assignment, which depends on the parents'
    // generated rows (learned child counts): replay them here, without loading anything, before the update stage.
    if (ctx.plan.deferred.some((d) => d.strategy === 'null-then-update')) {
      for (const step of ctx.plan.steps) {
        const table = findTable(ctx.schema, step.table);
        if (table) for await (const _ of ctx.generation.conform(table, ctx.generation.rows(table))) void _;
      }
    }
    return finished;
  } finally {
    await cleanup(queue, dist, ctx.runId, levels.flat()).catch(() => undefined);
    await queue.close().catch(() => undefined);
  }
}

/** Queues one level's units and waits until every one is done; the first unit out of tries fails the run. */
async function runLevel(queue: Queue<UnitJobData, UnitResult>, dist: DistributedConfig, ctx: LoadTablesContext, units: ShardUnit[]): Promise<FinishedUnit[]> {
  const { emit, runId } = ctx;
  await queue.addBulk(
    units.map((unit) => ({
      name: 'shard',
      data: { runId, unit },
      opts: { jobId: unitJobId(runId, unit), attempts: dist.attempts, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: false, removeOnFail: false },
    })),
  );
  const totals = new Map<string, number>();
  for (const u of units) totals.set(u.table, (totals.get(u.table) ?? 0) + (u.end - u.start));
  const loaded = new Map<string, number>();
  const started = new Map<string, number>();
  const seen = new Map<string, string>();
  const pending = new Map(units.map((u) => [u.id, u] as const));
  const done: FinishedUnit[] = [];
  for (const t of totals.keys()) {
    emit({ type: 'table', stage: 'load', table: t, rows: 0, total: totals.get(t)! });
    started.set(t, Date.now());
  }
  while (pending.size > 0) {
    ctx.signal?.throwIfAborted();
    // All pending units at once (the Redis client pipelines the requests); per unit its state first, then the job:
    // a job read before its state turned `completed` has no return value yet.
    const polled = await Promise.all(
      [...pending.values()].map(async (unit) => {
        const state = await queue.getJobState(unitJobId(runId, unit));
        return { unit, state, job: await Job.fromId<UnitJobData, UnitResult>(queue, unitJobId(runId, unit)) };
      }),
    );
    for (const { unit, state, job } of polled) {
      if (!job || state === 'unknown') throw new SynthError('DISTRIBUTED', `Unit ${unit.id} of run ${runId} vanished from the queue.`, { table: unit.table, hint: 'Something else removed it (a queue flush?); run the hydrate again.' });
      const progress = job.progress as Partial<UnitProgress> | number;
      const holder = typeof progress === 'object' && progress.worker ? progress.worker : null;
      // Per-unit state and its holder, once per change (a retried unit shows its new worker and try).
      const label = `${state}${holder ? ` on ${holder}` : ''} (try ${Math.max(1, job.attemptsStarted)})`;
      if (seen.get(unit.id) !== label && state !== 'completed') {
        seen.set(unit.id, label);
        emit({ type: 'info', message: `unit ${unit.id} (${unit.shard + 1}/${unit.shards}): ${label}` });
      }
      if (state === 'completed') {
        const result = job.returnvalue;
        pending.delete(unit.id);
        done.push({ ...result, unit });
        // One step per unit in the run history: `synth runs show` lists it with its worker, time and tries.
        emit({ type: 'table', stage: 'load', table: `${unit.id} @${result.worker} try ${result.attempts}`, rows: result.rows, total: unit.end - unit.start, done: true, ms: result.ms });
        const n = (loaded.get(unit.table) ?? 0) + result.rows;
        loaded.set(unit.table, n);
        const total = totals.get(unit.table)!;
        const finishedTable = [...pending.values()].every((u) => u.table !== unit.table);
        emit({ type: 'table', stage: 'load', table: unit.table, rows: n, total, ...(finishedTable ? { done: true, ms: Date.now() - started.get(unit.table)! } : {}) });
      } else if (state === 'failed') {
        throw new SynthError('DISTRIBUTED', `Unit ${unit.id} of run ${runId} failed after ${job.attemptsMade} tries: ${job.failedReason}`, {
          table: unit.table,
          hint: 'The worker logs (`synth worker --json`) have the whole error; fix its cause and run the hydrate again.',
        });
      }
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return done;
}

/** The workers' copy-filter counts, per table, into the run's privacy report (as a single process counts them). */
function mergeFilterCounts(privacy: PrivacyRun, plan: HydrationPlan, finished: FinishedUnit[]): void {
  // Tables in plan order, as the single-process load adds them (the report lists them in that order).
  const order = new Map(plan.steps.map((s, i) => [tableKey(s.table), i] as const));
  const byPlan = [...finished].sort((a, b) => (order.get(a.unit.table) ?? 0) - (order.get(b.unit.table) ?? 0) || a.unit.shard - b.unit.shard);
  for (const { unit, filters } of byPlan) {
    if (!filters) continue;
    const into = (privacy.filters[unit.table] ??= emptyFilterReport());
    addFilterCounts(into, filters);
    // The columns' variety is the table's (every unit's filter is built on the same sample), not a count to add.
    if (filters.variety) into.variety = filters.variety;
    // So is whether the filters guard it at all (filter-scope.ts).
    if (filters.unguarded) into.unguarded = true;
  }
}

/** Removes the run's units, markers and bundle, so a worker that still picks one up stops at once. */
async function cleanup(queue: Queue<UnitJobData, UnitResult>, dist: DistributedConfig, runId: string, units: ShardUnit[]): Promise<void> {
  const client = await queue.client;
  await client.del(bundleKey(dist, runId));
  for (const unit of units) {
    // An active unit (coordinator interrupted) is locked by its worker and cannot be removed; its load then fails
    // on the dropped shadow, and the missing bundle stops its retries.
    await queue.remove(unitJobId(runId, unit)).catch(() => undefined);
    await client.del(doneKey(dist, runId, unit));
  }
}

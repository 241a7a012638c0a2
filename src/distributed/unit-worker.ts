/**
 * `synth worker`: takes generation + load units off the queue. A unit's rows go into the shadow through the
 * target's bulk load, one COPY / LOAD DATA statement, so a worker killed mid-unit leaves none of them visible; its
 * hold on the unit then lapses (`distributed.lockSeconds`) and another worker takes it again.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { openTarget } from '../connectors/index.js';
import type { TargetConnector } from '../connectors/connector.js';
import type { SynthConfig } from '../config/schema.js';
import { SynthError } from '../errors.js';
import type { EventSink } from '../events.js';
import type { ModelSet } from '../generation/index.js';
import { targetUrl } from '../pipeline/index.js';
import { tableKey } from '../schema/model.js';
import type { RowBatch } from '../schema/values.js';
import type { DistributedConfig } from './distributed-config.js';
import { bundleModels, decodeRunBundle, type RunBundle } from './run-bundle.js';
import { shardRows } from './shard-rows.js';
import { emptyFilterReport } from '../validation/privacy/privacy-report.js';
import { bundleKey, doneKey, QUEUE_NAME, queueConnection, reachQueue, workerName, type TrainJobData, type UnitJobData, type UnitProgress, type UnitResult } from './unit-queue.js';
import { decodeTrainingBundle, fitTrainingUnit, trainBundleKey } from './train-units.js';

export interface UnitWorkerOptions {
  config: SynthConfig;
  /** Units this process works on at once. */
  concurrency?: number;
  emit: EventSink;
  /** Milliseconds to wait after each batch of a unit (tests park a worker mid-unit to kill it there). */
  pauseMs?: number;
  /** Runs right after a unit's load committed, before anyone hears of it (tests kill the worker there). */
  afterCommit?: () => void | Promise<void>;
}

export interface UnitWorker {
  name: string;
  /** Finishes the units in hand, takes no new one, closes the connections. */
  stop(): Promise<void>;
}

// As long as a run bundle lives: a marker only matters while its run can still retry the unit.
const DONE_TTL_SECONDS = 2 * 24 * 3600;

export function requireDistributed(config: SynthConfig): DistributedConfig {
  if (config.distributed === undefined) {
    throw new SynthError('CONFIG_INVALID', 'This config has no `distributed` section, so there is no queue to work for.', {
      path: 'distributed',
      hint: "Add distributed: { queue: 'redis://host:6379' } to the config the coordinator uses, and start workers with that config.",
    });
  }
  return config.distributed;
}

export async function startUnitWorker(options: UnitWorkerOptions): Promise<UnitWorker> {
  const { config, emit } = options;
  const dist = requireDistributed(config);
  const name = workerName();
  // The last runs' bundles and models, and one connection per target: consecutive units of a run reuse them.
  const runs = new Map<string, Promise<{ bundle: RunBundle; models: ModelSet }>>();
  const targets = new Map<string, Promise<TargetConnector>>();
  const connection = queueConnection(dist);

  const worker = new Worker<UnitJobData | TrainJobData, UnitResult>(QUEUE_NAME, async (job) => ('train' in job.data ? train(job.data) : process(job as Job<UnitJobData, UnitResult>)), {
    connection,
    prefix: dist.prefix,
    concurrency: options.concurrency ?? 1,
    lockDuration: dist.lockSeconds * 1000,
    stalledInterval: dist.lockSeconds * 1000,
    // A unit whose holder died goes back to the queue this many times before the run fails.
    maxStalledCount: dist.attempts,
    autorun: false,
  });
  // A Redis outage repeats the same error on every reconnect: say it once per change.
  let lastError = '';
  worker.on('error', (e) => {
    if (e.message !== lastError) emit({ type: 'warning', message: `Queue: ${(lastError = e.message)}` });
  });

  async function loadRun(runId: string): Promise<{ bundle: RunBundle; models: ModelSet }> {
    let run = runs.get(runId);
    if (!run) {
      run = (async () => {
        const bytes = await (await worker.client).get(bundleKey(dist, runId));
        // The coordinator removed it: the run ended (or was interrupted) and wants nothing more from this unit.
        if (bytes === null) throw new UnrecoverableError(`run ${runId} has ended (its bundle is gone)`);
        const bundle = decodeRunBundle(bytes);
        return { bundle, models: await bundleModels(bundle) };
      })();
      runs.set(runId, run);
      run.catch(() => runs.delete(runId));
      for (const old of [...runs.keys()].slice(0, -4)) runs.delete(old);
    }
    return run;
  }

  function targetFor(target: string): Promise<TargetConnector> {
    let t = targets.get(target);
    if (!t) {
      t = openTarget(targetUrl(config, target));
      targets.set(target, t);
      t.catch(() => targets.delete(target));
    }
    return t;
  }

  async function train(data: TrainJobData): Promise<UnitResult> {
    const started = Date.now();
    const text = await (await worker.client).get(trainBundleKey(dist.prefix, data.runId));
    if (text === null) throw new UnrecoverableError(`run ${data.runId} has ended (its training bundle is gone)`);
    const model = await fitTrainingUnit(decodeTrainingBundle(text), data.train);
    emit({ type: 'info', message: `training unit ${data.train} of run ${data.runId}: fitted in ${Date.now() - started} ms` });
    return { rows: 0, worker: name, ms: Date.now() - started, attempts: 1, model };
  }

  async function process(job: Job<UnitJobData, UnitResult>): Promise<UnitResult> {
    const { runId, unit } = job.data;
    const client = await worker.client;
    // Loaded and committed before its worker died, but never acknowledged: the rows are there already.
    const done = await client.get(doneKey(dist, runId, unit));
    if (done !== null) return JSON.parse(done) as UnitResult;
    const { bundle, models } = await loadRun(runId);
    const table = bundle.schema.tables.find((t) => tableKey(t) === unit.table);
    if (!table) throw new UnrecoverableError(`unit ${unit.id} names a table the run's schema lacks`);
    const target = await targetFor(bundle.target);
    // The shadow's marker commits with the rows: a worker that died right after its commit left it behind.
    const committed = target.unitMarkers ? await target.unitMarkers.get(bundle.shadow, unit.id) : null;
    if (committed !== null) return JSON.parse(committed) as UnitResult;
    const started = Date.now();
    const attempts = Math.max(1, job.attemptsStarted);
    emit({ type: 'info', message: `unit ${unit.id} of run ${runId}: started (try ${attempts})` });
    await job.updateProgress({ worker: name, rows: 0 } satisfies UnitProgress);
    let reported = 0;
    const counts = bundle.filters ? emptyFilterReport() : undefined;
    const generated = shardRows(bundle, models, unit, undefined, { config, ...(counts ? { counts } : {}) });
    const progress = (n: number) => {
      if (Date.now() - reported < 500) return;
      reported = Date.now();
      void job.updateProgress({ worker: name, rows: n } satisfies UnitProgress).catch(() => undefined);
    };
    const resultOf = (rows: number): UnitResult => ({ rows, worker: name, ms: Date.now() - started, attempts, ...(counts ? { filters: counts } : {}) });
    const batches = paced(generated, options.pauseMs ?? 0);
    const rows = target.unitMarkers
      ? await target.unitMarkers.load(bundle.shadow, table, batches, { id: unit.id, note: (n) => JSON.stringify(resultOf(n)) }, progress)
      : await target.load(bundle.shadow, table, batches, progress, { concurrent: true });
    await options.afterCommit?.();
    if (rows !== unit.end - unit.start) {
      throw new SynthError('DISTRIBUTED', `unit ${unit.id} loaded ${rows} rows, planned ${unit.end - unit.start}.`, {
        table: unit.table,
        hint: 'The worker and the coordinator generate differently: run the same synth version everywhere.',
      });
    }
    const result = resultOf(rows);
    await client.set(doneKey(dist, runId, unit), JSON.stringify(result), { EX: DONE_TTL_SECONDS });
    emit({ type: 'info', message: `unit ${unit.id} of run ${runId}: ${rows} rows in ${result.ms} ms` });
    return result;
  }

  try {
    await reachQueue(worker.waitUntilReady(), dist);
  } catch (e) {
    await worker.close(true).catch(() => undefined);
    throw e;
  }
  void worker.run().catch((e: unknown) => emit({ type: 'warning', message: `Queue: ${e instanceof Error ? e.message : String(e)}` }));
  emit({ type: 'info', message: `worker ${name} takes units from ${dist.prefix}/${QUEUE_NAME} (concurrency ${options.concurrency ?? 1})` });
  return {
    name,
    async stop() {
      await worker.close();
      const open = await Promise.allSettled([...targets.values()]);
      await Promise.allSettled(open.map((t) => (t.status === 'fulfilled' ? t.value.close() : undefined)));
    },
  };
}

async function* paced(batches: AsyncIterable<RowBatch>, ms: number): AsyncIterable<RowBatch> {
  for await (const batch of batches) {
    yield batch;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }
}

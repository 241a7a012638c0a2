/**
 * `synth rollback` as the product runs it: under the target's lock (a hydrate swapping at the same moment would
 * otherwise collide with it inside the server), recorded in the run history as kind `rollback`, interruptible like a
 * hydrate. The connector's rollback exchanges live and backup, so running it twice goes forward again.
 */
import type { SynthConfig } from '../config/schema.js';
import type { SwapResult } from '../connectors/connector.js';
import { openTarget } from '../connectors/index.js';
import { redactSecrets } from '../errors.js';
import type { EventSink } from '../events.js';
import { silentSink } from '../events.js';
// connect.ts and abandoned-runs.ts, not pipeline/index.ts or hydrate-job.ts: a rollback loads no pipeline.
import { newRunId, targetUrl } from '../pipeline/connect.js';
import { reportAbandoned } from './abandoned-runs.js';
import { openConfiguredStateStore } from './state-configured.js';
import { failureOutcome, trackRun } from './run-liveness.js';
import type { RunRecord, StateStore } from './state-store.js';
import { acquireTargetLock, protocolOf, type TargetLock } from './target-lock.js';

export interface RollbackJobOptions {
  config: SynthConfig;
  target: string;
  emit?: EventSink;
  store?: StateStore;
  /** Wait for a run holding the target lock instead of failing with LOCKED. */
  wait?: boolean;
  lockTimeoutMs?: number;
  signal?: AbortSignal;
}

export async function runRollbackJob(options: RollbackJobOptions): Promise<{ run: RunRecord; result: SwapResult }> {
  const { config, target: name } = options;
  const url = targetUrl(config, name);
  const emit = options.emit ?? silentSink;
  const store = options.store ?? (await openConfiguredStateStore(config, options.emit));
  const runId = newRunId();
  try {
    await reportAbandoned(store, emit);
    await store.startRun({ id: runId, kind: 'rollback', sourceUrl: null, target: name });
    let lock: TargetLock | null = null;
    let stage = 'lock';
    // The heartbeat keeps a rollback waiting for the lock (--wait) from looking dead to another host.
    const tracker = trackRun(store, runId);
    try {
      // Embedded pglite:// targets are single-process folders and take none, as in a hydrate.
      if (protocolOf(url) !== 'pglite') {
        lock = await acquireTargetLock(url, {
          wait: options.wait ?? false,
          timeoutMs: options.lockTimeoutMs ?? 6 * 60 * 60 * 1000,
          holder: runId,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
        emit({ type: 'info', message: `Holding the lock on ${redactSecrets(url)} (${lock.description}).` });
      }
      stage = 'swap';
      options.signal?.throwIfAborted();
      await store.heartbeat(runId, stage);
      const target = await openTarget(url);
      let result: SwapResult;
      try {
        lock?.assertHeld();
        result = await target.rollback();
      } finally {
        await target.close();
      }
      await store.finishRun(runId, { status: 'succeeded' });
      return { run: (await store.getRun(runId))!, result };
    } catch (e) {
      // The rollback is one transaction (PostgreSQL) / one RENAME statement (MySQL): stopped, it changed nothing.
      const failure = failureOutcome(e, options.signal, stage, runId, 'the target lock is released and the live data unchanged');
      await store.finishRun(runId, failure).catch(() => undefined);
      throw failure.status === 'interrupted' ? failure.error : e;
    } finally {
      tracker.stop();
      await lock?.release();
    }
  } finally {
    if (options.store === undefined) await store.close();
  }
}

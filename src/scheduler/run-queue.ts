/**
 * Runs the tables of a plan level by level: the items of one level in parallel (up to `limit`), the next
 * level only once the previous one is complete. The first failure aborts everything still queued, signals
 * the running items, waits for them to settle, and is rethrown.
 */
import PQueue from 'p-queue';
import { SynthError } from '../errors.js';

export interface RunLevelsOptions {
  /** Aborting it stops the run like a failure would, rejecting with the signal's reason. */
  signal?: AbortSignal;
}

export async function runLevels<T, R>(
  levels: T[][],
  limit: number,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
  options: RunLevelsOptions = {},
): Promise<R[][]> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new SynthError('CONFIG_INVALID', `The parallelism limit must be a whole number ≥ 1 (got ${limit}).`, {
      hint: 'Set `parallel` to 1 or more.',
      path: 'parallel',
    });
  }
  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer !== undefined) {
    if (outer.aborted) throw abortReason(outer);
    outer.addEventListener('abort', onOuterAbort, { once: true });
  }
  const queue = new PQueue({ concurrency: limit });
  let failure: { error: unknown } | null = null;
  const results: R[][] = [];
  try {
    for (const level of levels) {
      const out = new Array<R>(level.length);
      level.forEach((item, i) => {
        // Failure is handled inside the task so the abort lands before p-queue starts the next item.
        void queue.add(async () => {
          if (controller.signal.aborted) return;
          try {
            out[i] = await fn(item, controller.signal);
          } catch (error) {
            if (failure === null) failure = { error };
            queue.clear();
            controller.abort(error);
          }
        });
      });
      await queue.onIdle();
      if (failure !== null) throw (failure as { error: unknown }).error;
      if (controller.signal.aborted) throw abortReason(controller.signal);
      results.push(out);
    }
    return results;
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

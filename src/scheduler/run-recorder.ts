/**
 * Turns a run's progress events into run_steps rows, so the pipeline only emits events and history comes for
 * free. Writing history must never fail a hydration: writes are queued in order, and their errors are
 * collected for `flush()` to hand back as warnings.
 */
import type { EventSink, RunEvent, Stage } from '../events.js';
import type { StateStore, StepKind } from './state-store.js';

const STEP_OF_STAGE: Partial<Record<Stage, StepKind>> = {
  introspect: 'introspect',
  train: 'train',
  load: 'load',
  update: 'load',
  validate: 'validate',
  // Its detail (`schema parity 186/186`) is what `synth runs show` prints for it.
  parity: 'validate',
  swap: 'swap',
};

export interface RunRecorder {
  sink: EventSink;
  /** Waits for every queued write; returns the errors of those that failed. */
  flush(): Promise<unknown[]>;
}

export function recordRunEvents(store: StateStore, runId: string, now: () => Date = () => new Date()): RunRecorder {
  let chain: Promise<void> = Promise.resolve();
  const errors: unknown[] = [];
  const write = (fn: () => Promise<unknown>) => {
    chain = chain.then(fn).then(
      () => undefined,
      (e: unknown) => void errors.push(e),
    );
  };
  const sink: EventSink = (event: RunEvent) => {
    if (event.type === 'table' && event.done === true) {
      const step = STEP_OF_STAGE[event.stage];
      if (step === undefined) return;
      const finishedAt = now();
      write(() =>
        store.recordStep(runId, {
          table: event.table,
          step,
          startedAt: new Date(finishedAt.getTime() - (event.ms ?? 0)),
          finishedAt,
          rows: event.rows,
        }),
      );
    } else if (event.type === 'stage' && event.status === 'done') {
      const step = STEP_OF_STAGE[event.stage];
      if (step === undefined) return;
      const finishedAt = now();
      write(() =>
        store.recordStep(runId, {
          table: null,
          step,
          startedAt: new Date(finishedAt.getTime() - (event.ms ?? 0)),
          finishedAt,
          detail: event.detail === undefined ? { stage: event.stage } : { stage: event.stage, detail: event.detail },
        }),
      );
    }
  };
  return {
    sink,
    async flush() {
      await chain;
      return errors.splice(0);
    },
  };
}

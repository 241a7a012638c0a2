/**
 * Progress and log events of a run. Stages emit them; the CLI renders them as progress bars on a TTY or as one
 * JSON line per event (`--json`, CI). No stage prints directly.
 */
export type Stage =
  | 'connect'
  | 'introspect'
  | 'plan'
  | 'sample'
  | 'train'
  | 'shadow'
  | 'load'
  | 'update'
  /** Parent aggregates written from the loaded children (pipeline/derive-aggregates.ts). */
  | 'derive'
  | 'repair'
  /** Finalize's keys and indexes, built before the gate (TargetConnector.buildKeys). */
  | 'keys'
  | 'validate'
  | 'finalize'
  | 'parity'
  | 'quality'
  | 'swap'
  | 'rollback';

export type RunEvent =
  | { type: 'run'; status: 'start' | 'ok' | 'refused' | 'failed'; runId: string; target?: string; detail?: string }
  | { type: 'stage'; stage: Stage; status: 'start' | 'done'; detail?: string; ms?: number }
  | { type: 'table'; stage: Stage; table: string; rows: number; total?: number; done?: boolean; ms?: number }
  | { type: 'warning'; message: string; table?: string; column?: string }
  /** `section` marks the run's closing tables (validation, quality), which a terminal shows last. */
  | { type: 'info'; message: string; section?: 'validation' | 'quality' }
  /** The last event of a failed command: what went wrong and what to do about it. */
  | { type: 'error'; code: string; message: string; hint?: string };

export type EventSink = (event: RunEvent) => void;

export const silentSink: EventSink = () => {};

/** Times a stage and emits start/done around it. */
export async function stage<T>(emit: EventSink, name: Stage, fn: () => Promise<T>, detail?: (r: T) => string): Promise<T> {
  const started = Date.now();
  emit({ type: 'stage', stage: name, status: 'start' });
  const result = await fn();
  const done: RunEvent = { type: 'stage', stage: name, status: 'done', ms: Date.now() - started };
  if (detail) done.detail = detail(result);
  emit(done);
  return result;
}

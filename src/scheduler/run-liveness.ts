/**
 * What keeps a run's row honest while it works: a heartbeat with the stage it is in (so a run whose process died is
 * recognisable as `abandoned`, and an interrupted one says where it stopped), the outcome an error means
 * (interrupted / aborted / failed), and `SYNTH_PAUSE`, which parks a run at a fault point so tests can signal or kill
 * a real process at a known stage.
 */
import type { EventSink, RunEvent } from '../events.js';
import type { FaultPoint } from '../pipeline/index.js';
import { SynthError } from '../errors.js';
import { InterruptedError } from './interrupt.js';
import { HEARTBEAT_INTERVAL_MS, type RunStatus, type StateStore } from './state-store.js';

export interface RunTracker {
  /** Compose into the run's sink: stage and table events move the stage. */
  sink: EventSink;
  /** `load (public.book)`, `train`, …; null before the first stage. */
  stage(): string | null;
  stop(): void;
}

export function trackRun(store: StateStore, runId: string, intervalMs = HEARTBEAT_INTERVAL_MS): RunTracker {
  let stage: string | null = null;
  let table: string | null = null;
  const label = () => (stage === null ? null : table === null ? stage : `${stage} (${table})`);
  let last: string | null = null;
  const beat = () => {
    last = label();
    void store.heartbeat(runId, last).catch(() => undefined);
  };
  const timer = setInterval(beat, intervalMs);
  // The heartbeat must never keep a finished process alive.
  timer.unref();
  return {
    sink(e: RunEvent) {
      if (e.type === 'stage' && e.status === 'start') {
        stage = e.stage;
        table = null;
      } else if (e.type === 'table' && e.done !== true && e.stage === stage) {
        table = e.table;
      } else {
        return;
      }
      // A new stage or table is written at once, so a kill right after it still names it.
      if (label() !== last) beat();
    },
    stage: label,
    stop: () => clearInterval(timer),
  };
}

/**
 * The status and recorded error a run ends with when it throws: a signal (its reason is an InterruptedError) or a
 * lost database connection make it `interrupted` at the stage it reached; the scheduler's shutdown `aborted`.
 */
export function failureOutcome(
  error: unknown,
  signal: AbortSignal | undefined,
  stage: string | null,
  runId: string | null = null,
  aftermath?: string,
): { status: Exclude<RunStatus, 'running'>; error: unknown } {
  const reason: unknown = signal?.aborted === true ? signal.reason : undefined;
  if (reason instanceof InterruptedError) return { status: 'interrupted', error: reason.at(stage, runId, aftermath) };
  if (signal?.aborted === true) return { status: 'aborted', error };
  const lost = connectionLossOf(error);
  if (lost !== null) return { status: 'interrupted', error: new InterruptedError('connection', stage, firstLine(lost), runId, aftermath) };
  return { status: 'failed', error };
}

/** PostgreSQL and MySQL/MariaDB ways of saying "the session went away", anywhere in the cause chain. */
export function isConnectionLoss(error: unknown): boolean {
  return connectionLossOf(error) !== null;
}

/** The driver's own error in the cause chain that says the connection was lost, or null. */
function connectionLossOf(error: unknown): unknown {
  // Never connecting is a connection failure, and a lost target lock its own refusal (LOCKED), not interruptions.
  if (error instanceof SynthError && (error.code === 'CONNECTION_FAILED' || error.code === 'LOCKED')) return null;
  for (let e: unknown = error, depth = 0; e != null && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    const errno = Number((e as { errno?: unknown }).errno);
    const message = e instanceof Error ? e.message : String(e);
    if (['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'ER_CONNECTION_KILLED'].includes(code)) return e;
    if (/^08/.test(code) || errno === 1927 || errno === 2013 || errno === 2006) return e;
    if (/Connection terminated|terminating connection|Connection was killed|Lost connection to|server has gone away|connection is in closed state/i.test(message)) return e;
  }
  return null;
}

/** SYNTH_PAUSE=point[,point]: the run waits at those fault points until its signal fires (or the process is killed). */
export function parsePauses(spec: string | undefined, known: readonly string[]): FaultPoint[] {
  if (spec === undefined || spec.trim() === '') return [];
  return spec
    .split(',')
    .map((p) => p.trim())
    .filter((p): p is FaultPoint => known.includes(p));
}

export async function pauseAt(point: FaultPoint, emit: EventSink, signal: AbortSignal | undefined): Promise<void> {
  emit({ type: 'info', message: `Paused at ${point} (SYNTH_PAUSE).` });
  await new Promise<void>((resolve) => {
    if (signal === undefined) return; // Only a kill ends it.
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}

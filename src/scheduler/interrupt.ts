/**
 * Ctrl-C, `kill`, a closed terminal: a command that writes to a target turns the signal into an AbortSignal the run
 * honours at its next step (the shadow is dropped, the lock released, the run recorded as `interrupted`), then prints
 * one line and exits 128+signal as shells expect. The terminal is restored first (progress bars hide the cursor),
 * a second signal or a cleanup that overruns its grace period exits at once, and whatever a forced exit leaves
 * behind (a shadow, a `running` row) is what the next run already cleans up (stale shadows, `abandoned`).
 */
import { SynthError } from '../errors.js';

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

const SIGNAL_NUMBER: Record<InterruptSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** The exit status a shell reports for a process ended by `signal`: 129, 130, 143. */
export function exitCodeFor(signal: InterruptSignal): number {
  return 128 + SIGNAL_NUMBER[signal];
}

/** What an interrupted hydrate leaves behind; other runs say their own (`at`). */
export const HYDRATE_AFTERMATH = 'the shadow is dropped, the target lock released and the live data unchanged';

/** The abort reason of an interrupted run; `stage` is filled in by whoever knows where the run was. */
export class InterruptedError extends SynthError {
  constructor(
    readonly signal: InterruptSignal | 'connection',
    readonly stage: string | null = null,
    readonly detail = '',
    /** The run recorded as interrupted, when there is one. */
    readonly runId: string | null = null,
    readonly aftermath: string = HYDRATE_AFTERMATH,
  ) {
    const by = signal === 'connection' ? 'a lost connection' : signal;
    super('INTERRUPTED', `Interrupted by ${by}${stage === null ? '' : ` during ${stage}`}${detail === '' ? '' : ` (${detail})`}; ${aftermath}.`, {
      hint: 'Run the command again; the next run starts from scratch.',
    });
  }

  /** The same interruption, placed: the stage the run reached and the run that records it. */
  at(stage: string | null, runId: string | null = this.runId, aftermath: string = this.aftermath): InterruptedError {
    return new InterruptedError(this.signal, stage, this.detail, runId, aftermath);
  }
}

/** Shows the cursor again (progress bars hide it) on whichever of the streams is a terminal. */
export function restoreTerminal(streams: Array<NodeJS.WriteStream | { isTTY?: boolean; write(s: string): unknown }> = [process.stderr, process.stdout]): void {
  for (const s of streams) {
    if (s.isTTY === true) s.write('\x1b[?25h');
  }
}

/**
 * Whether a signal repeats the one `received` at `at` rather than asking again: under bin/synth.js's relaunch
 * (SYNTH_RELAUNCHED) a SIGTERM sent to the whole process group (`timeout`, systemd) reaches this process twice, once
 * itself and once passed on by the launcher, within moments; the pair is one request to stop.
 */
export function repeatsSignal(sig: InterruptSignal, received: InterruptSignal | null, at: number, now = Date.now(), relaunched = process.env.SYNTH_RELAUNCHED === '1'): boolean {
  return relaunched && sig === 'SIGTERM' && received === 'SIGTERM' && now - at < RELAY_WINDOW_MS;
}

/** How long after a SIGTERM the launcher's copy of it may still arrive. */
const RELAY_WINDOW_MS = 1000;

export interface InterruptOptions {
  /** How long the run may take to clean up after the signal before the process exits anyway. Default 20 s. */
  graceMs?: number;
  /** Where the one line goes. */
  stderr?: { write(s: string): unknown };
  exit?: (code: number) => void;
  /** The signals to handle (tests); default SIGINT, SIGTERM, SIGHUP. */
  signals?: readonly InterruptSignal[];
}

/**
 * Runs `fn` with an AbortSignal that fires on SIGINT/SIGTERM/SIGHUP, whose reason is an InterruptedError. When `fn`
 * settles after a signal, one line is printed and the process exits 128+signal; without a signal `fn`'s result or
 * error passes through and the handlers are removed.
 */
export async function runInterruptible<T>(fn: (signal: AbortSignal) => Promise<T>, options: InterruptOptions = {}): Promise<T> {
  const controller = new AbortController();
  const stderr = options.stderr ?? process.stderr;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const graceMs = options.graceMs ?? 20_000;
  let received: InterruptSignal | null = null;
  let receivedAt = 0;
  let grace: NodeJS.Timeout | undefined;
  const handlers = new Map<InterruptSignal, () => void>();
  const detach = () => {
    for (const [sig, h] of handlers) process.off(sig, h);
    handlers.clear();
    clearTimeout(grace);
  };
  for (const sig of options.signals ?? INTERRUPT_SIGNALS) {
    const handler = () => {
      if (repeatsSignal(sig, received, receivedAt)) return;
      restoreTerminal();
      if (received !== null) {
        detach();
        stderr.write(`interrupted (${sig} again): exiting now; the next run cleans up what is left.\n`);
        exit(exitCodeFor(sig));
        return;
      }
      received = sig;
      receivedAt = Date.now();
      controller.abort(new InterruptedError(sig));
      grace = setTimeout(() => {
        detach();
        stderr.write(`interrupted (${sig}): cleanup did not finish within ${Math.round(graceMs / 1000)} s; exiting; the next run drops the shadow and marks the run abandoned.\n`);
        exit(exitCodeFor(sig));
      }, graceMs);
    };
    handlers.set(sig, handler);
    process.on(sig, handler);
  }
  let result: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    result = { ok: true, value: await fn(controller.signal) };
  } catch (error) {
    result = { ok: false, error };
  }
  detach();
  if (received !== null) {
    const sig: InterruptSignal = received;
    const error = result.ok ? null : result.error;
    const text = error instanceof InterruptedError ? `${error.message}${error.runId === null ? '' : ` Run ${error.runId} is recorded as interrupted.`}` : `Interrupted by ${sig}.`;
    stderr.write(`interrupted: ${text.replace(/\n/g, ' ')}\n`);
    exit(exitCodeFor(sig));
  }
  if (result.ok) return result.value;
  throw result.error;
}

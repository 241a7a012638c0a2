/**
 * The long-lived schedule runner: cron schedules (node-cron) and chains (`after`), one queue per target so two
 * jobs never write the same target at once, and a graceful stop on SIGTERM/SIGINT or an AbortSignal: queued jobs
 * are dropped, running ones get their AbortSignal fired and are awaited (they finish their step or abandon).
 */
import cron from 'node-cron';
import PQueue from 'p-queue';
import { z } from 'zod';
import { SynthError } from '../errors.js';
import { exitCodeFor, repeatsSignal, type InterruptSignal } from './interrupt.js';

const scheduleName = z.string().regex(/^[A-Za-z0-9_-]+$/, 'schedule names use letters, digits, - and _');

export const scheduleSchema = z
  .strictObject({
    name: scheduleName,
    /** 5 fields (minute…weekday) or 6 with seconds first, as node-cron reads them. */
    cron: z
      .string()
      .refine((c) => cron.validate(c), { message: 'is not a valid cron expression (e.g. "0 2 * * *" for 02:00 daily)' })
      .optional(),
    timezone: z.string().optional(),
    run: z.strictObject({
      target: z.string().min(1),
      /** Copy from the source (default) or from another target's latest hydrated data. */
      from: z.string().min(1).default('source'),
    }),
    /** Run after this schedule's job succeeds (chains such as prod→stage, then stage→dev). */
    after: scheduleName.optional(),
  })
  .refine((s) => s.cron !== undefined || s.after !== undefined, {
    message: 'needs `cron` (when to run) or `after` (which schedule it follows), or both',
  })
  .refine((s) => s.run.from !== s.run.target, { message: '`run.from` must differ from `run.target`', path: ['run', 'from'] });

export const schedulesConfigSchema = z.array(scheduleSchema).superRefine((list, ctx) => {
  const names = new Map<string, number>();
  list.forEach((s, i) => {
    if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate schedule name "${s.name}"` });
    names.set(s.name, i);
  });
  list.forEach((s, i) => {
    if (s.after !== undefined && !names.has(s.after)) {
      ctx.addIssue({ code: 'custom', path: [i, 'after'], message: `no schedule is named "${s.after}"; use one of: ${[...names.keys()].join(', ')}` });
    }
  });
  const byName = new Map(list.map((s) => [s.name, s]));
  for (const s of list) {
    const seen = new Set<string>();
    for (let cur: Schedule | undefined = s; cur?.after !== undefined; cur = byName.get(cur.after)) {
      if (seen.has(cur.name)) {
        ctx.addIssue({ code: 'custom', path: [names.get(s.name)!, 'after'], message: `"after" chain loops: ${[...seen, cur.name].join(' → ')}` });
        return;
      }
      seen.add(cur.name);
    }
  }
});

export type Schedule = z.output<typeof scheduleSchema>;
export type ScheduleInput = z.input<typeof scheduleSchema>;

/** Checks every schedule's target and `from` against the configured targets. */
export function checkScheduleTargets(schedules: Schedule[], targetNames: string[]): void {
  const known = new Set(targetNames);
  for (const [i, s] of schedules.entries()) {
    for (const [field, name] of [['target', s.run.target], ['from', s.run.from]] as const) {
      if (field === 'from' && name === 'source') continue;
      if (!known.has(name)) {
        throw new SynthError('UNKNOWN_TARGET', `Schedule "${s.name}" names target "${name}", which is not configured.`, {
          hint: `Use one of: ${targetNames.join(', ') || '(no targets)'}${field === 'from' ? ", or 'source'" : ''}.`,
          path: `schedules.${i}.run.${field}`,
        });
      }
    }
  }
}

export interface ScheduledJob {
  schedule: string;
  target: string;
  from: string;
  trigger: 'cron' | 'after' | 'manual';
  firedAt: Date;
  /** Fires on shutdown: finish the current step (or abandon cleanly), then return. */
  signal: AbortSignal;
}

/** Where cron ticks come from: node-cron by default, a hand-driven clock in tests. */
export interface CronClock {
  schedule(schedule: { name: string; cron: string; timezone?: string }, fire: (at: Date) => void): { stop(): void };
}

export const nodeCronClock: CronClock = {
  schedule(s, fire) {
    const task = cron.schedule(s.cron, (ctx) => fire(ctx.date), {
      name: `synth:${s.name}`,
      ...(s.timezone === undefined ? {} : { timezone: s.timezone }),
    });
    return { stop: () => void task.destroy() };
  },
};

/** A clock that fires only when told to, for tests and for `synth schedule --once`. */
export class ManualClock implements CronClock {
  private readonly handlers = new Map<string, (at: Date) => void>();

  schedule(s: { name: string }, fire: (at: Date) => void): { stop(): void } {
    this.handlers.set(s.name, fire);
    return { stop: () => void this.handlers.delete(s.name) };
  }

  /** Fires the cron of schedule `name`; false when it has none (or the runner stopped). */
  fire(name: string, at: Date = new Date()): boolean {
    const h = this.handlers.get(name);
    if (h === undefined) return false;
    h(at);
    return true;
  }
}

export type ScheduleEvent =
  | { type: 'fired'; schedule: string; trigger: ScheduledJob['trigger']; at: Date }
  | { type: 'skipped'; schedule: string; reason: string }
  | { type: 'started'; schedule: string; target: string }
  | { type: 'succeeded'; schedule: string; target: string; ms: number }
  | { type: 'failed'; schedule: string; target: string; error: unknown }
  | { type: 'aborted'; schedule: string; target: string }
  | { type: 'stopping'; reason: string }
  | { type: 'stopped' };

export interface RunSchedulesOptions {
  clock?: CronClock;
  signal?: AbortSignal;
  /** Stop gracefully on SIGTERM/SIGINT. Default true. */
  handleSignals?: boolean;
  onEvent?: (event: ScheduleEvent) => void;
  now?: () => Date;
}

export interface ScheduleRunner {
  /** Settles once stopped and every running job has returned. */
  readonly done: Promise<void>;
  /** Runs a schedule now (subject to the same no-overlap rules); false if unknown, skipped or stopping. */
  trigger(name: string): boolean;
  /** Resolves when no job is queued or running. */
  idle(): Promise<void>;
  stop(reason?: string): Promise<void>;
}

export function runSchedules(
  input: ScheduleInput[] | Schedule[],
  execute: (job: ScheduledJob) => Promise<void>,
  options: RunSchedulesOptions = {},
): ScheduleRunner {
  const parsed = schedulesConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SynthError('CONFIG_INVALID', `schedules.${issue.path.join('.')}: ${issue.message}`, {
      hint: 'Fix the schedule in synth.config.ts; see docs/orchestration.md for the format.',
      path: `schedules.${issue.path.join('.')}`,
    });
  }
  const schedules = parsed.data;
  const clock = options.clock ?? nodeCronClock;
  const now = options.now ?? (() => new Date());
  const emit = (e: ScheduleEvent) => {
    try {
      options.onEvent?.(e);
    } catch {
      // A failing logger must not take the scheduler down.
    }
  };

  const shutdown = new AbortController();
  const queues = new Map<string, PQueue>();
  const busy = new Set<string>(); // schedules queued or running
  const byName = new Map(schedules.map((s) => [s.name, s]));
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));

  const queueFor = (target: string) => {
    let q = queues.get(target);
    if (q === undefined) {
      q = new PQueue({ concurrency: 1 });
      queues.set(target, q);
    }
    return q;
  };

  const enqueue = (s: Schedule, trigger: ScheduledJob['trigger'], at: Date): boolean => {
    if (shutdown.signal.aborted) return false;
    emit({ type: 'fired', schedule: s.name, trigger, at });
    if (busy.has(s.name)) {
      emit({ type: 'skipped', schedule: s.name, reason: 'the previous run of this schedule is still queued or running' });
      return false;
    }
    busy.add(s.name);
    const job: ScheduledJob = { schedule: s.name, target: s.run.target, from: s.run.from, trigger, firedAt: at, signal: shutdown.signal };
    void queueFor(s.run.target).add(async () => {
      if (shutdown.signal.aborted) return;
      emit({ type: 'started', schedule: s.name, target: s.run.target });
      const t0 = Date.now();
      let ok = false;
      try {
        await execute(job);
        ok = !shutdown.signal.aborted;
        emit(ok ? { type: 'succeeded', schedule: s.name, target: s.run.target, ms: Date.now() - t0 } : { type: 'aborted', schedule: s.name, target: s.run.target });
      } catch (error) {
        emit(shutdown.signal.aborted ? { type: 'aborted', schedule: s.name, target: s.run.target } : { type: 'failed', schedule: s.name, target: s.run.target, error });
      } finally {
        busy.delete(s.name);
      }
      if (ok) {
        for (const next of schedules) if (next.after === s.name) enqueue(next, 'after', now());
      }
    });
    return true;
  };

  const tasks = schedules
    .filter((s) => s.cron !== undefined)
    .map((s) =>
      clock.schedule({ name: s.name, cron: s.cron!, ...(s.timezone === undefined ? {} : { timezone: s.timezone }) }, (at) => enqueue(s, 'cron', at)),
    );

  const idle = async () => {
    // Chains enqueue new work as jobs finish, so wait until a pass finds every queue empty.
    for (;;) {
      const qs = [...queues.values()];
      await Promise.all(qs.map((q) => q.onIdle()));
      if (qs.every((q) => q.size === 0 && q.pending === 0)) return;
    }
  };

  // The first signal stops gracefully; a second one ends the process as the default action would, unless it is the
  // launcher's copy of the first (repeatsSignal).
  let signalled: { sig: InterruptSignal; at: number } | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    const s = sig as InterruptSignal;
    if (signalled === null) {
      signalled = { sig: s, at: Date.now() };
      void stop(`received ${sig}`);
    } else if (!repeatsSignal(s, signalled.sig, signalled.at)) process.exit(exitCodeFor(s));
  };
  const handleSignals = options.handleSignals ?? true;
  if (handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  const onAbort = () => void stop('the abort signal fired');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  let stopping: Promise<void> | null = null;
  const stop = (reason = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      emit({ type: 'stopping', reason });
      for (const t of tasks) t.stop();
      for (const q of queues.values()) q.clear();
      busy.clear();
      shutdown.abort(new SynthError('INTERNAL', `Scheduler stopping: ${reason}.`, { hint: 'Finish or abandon the current step cleanly.' }));
      await Promise.all([...queues.values()].map((q) => q.onIdle()));
      if (handleSignals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      options.signal?.removeEventListener('abort', onAbort);
      emit({ type: 'stopped' });
      resolveDone();
    })();
    return stopping;
  };
  if (options.signal?.aborted === true) void stop('the abort signal fired');

  return {
    done,
    trigger(name) {
      const s = byName.get(name);
      return s === undefined ? false : enqueue(s, 'manual', now());
    },
    idle,
    stop,
  };
}

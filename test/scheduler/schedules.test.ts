import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SynthError } from '../../src/errors.js';
import {
  ManualClock,
  checkScheduleTargets,
  runSchedules,
  schedulesConfigSchema,
  type ScheduleEvent,
  type ScheduledJob,
} from '../../src/scheduler/schedules.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('schedulesConfigSchema', () => {
  it('accepts chains and fills defaults', () => {
    const parsed = schedulesConfigSchema.parse([
      { name: 'nightly', cron: '0 2 * * *', run: { target: 'stage' } },
      { name: 'dev-after', after: 'nightly', run: { target: 'dev', from: 'stage' } },
    ]);
    expect(parsed[0]!.run.from).toBe('source');
    expect(parsed[1]!.after).toBe('nightly');
  });

  it.each([
    [[{ name: 'a', cron: 'every night', run: { target: 'x' } }], /valid cron/],
    [[{ name: 'a', run: { target: 'x' } }], /needs `cron`/],
    [[{ name: 'a', after: 'nope', run: { target: 'x' } }], /no schedule is named "nope"/],
    [[{ name: 'a', cron: '* * * * *', run: { target: 'x' } }, { name: 'a', cron: '* * * * *', run: { target: 'y' } }], /duplicate/],
    [[{ name: 'a', after: 'b', run: { target: 'x' } }, { name: 'b', after: 'a', run: { target: 'y' } }], /loops/],
    [[{ name: 'a', cron: '* * * * *', run: { target: 'x', from: 'x' } }], /must differ/],
  ])('rejects %j', (input, message) => {
    const res = schedulesConfigSchema.safeParse(input);
    expect(res.success).toBe(false);
    expect(res.error!.issues.map((i) => i.message).join('\n')).toMatch(message);
  });

  it('runSchedules reports bad config as CONFIG_INVALID with the path', () => {
    const err = (() => {
      try {
        runSchedules([{ name: 'a', cron: 'nope', run: { target: 'x' } }], async () => undefined, { handleSignals: false });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SynthError);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', path: 'schedules.0.cron' });
  });

  it('checks targets against the configured ones', () => {
    const s = schedulesConfigSchema.parse([{ name: 'a', cron: '* * * * *', run: { target: 'dev', from: 'stage' } }]);
    expect(() => checkScheduleTargets(s, ['dev', 'stage'])).not.toThrow();
    expect(() => checkScheduleTargets(s, ['dev'])).toThrow(/target "stage"/);
  });
});

describe('runSchedules with a manual clock', () => {
  it('runs a chain in order: prod→stage, then stage→dev after it', async () => {
    const clock = new ManualClock();
    const jobs: ScheduledJob[] = [];
    const runner = runSchedules(
      [
        { name: 'stage-nightly', cron: '0 2 * * *', run: { target: 'stage' } },
        { name: 'dev-after', after: 'stage-nightly', run: { target: 'dev', from: 'stage' } },
      ],
      async (job) => {
        jobs.push(job);
        await sleep(20);
      },
      { clock, handleSignals: false },
    );
    expect(clock.fire('dev-after')).toBe(false); // no cron of its own
    expect(clock.fire('stage-nightly', new Date('2026-11-23T02:00:00Z'))).toBe(true);
    await runner.idle();
    expect(jobs.map((j) => [j.schedule, j.target, j.from, j.trigger])).toEqual([
      ['stage-nightly', 'stage', 'source', 'cron'],
      ['dev-after', 'dev', 'stage', 'after'],
    ]);
    expect(jobs[0]!.firedAt.toISOString()).toBe('2026-11-23T02:00:00.000Z');
    await runner.stop();
    expect(clock.fire('stage-nightly')).toBe(false);
  });

  it('never overlaps jobs on one target, runs other targets in parallel, skips a schedule already busy', async () => {
    const clock = new ManualClock();
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    const order: string[] = [];
    const events: ScheduleEvent[] = [];
    const runner = runSchedules(
      [
        { name: 'a', cron: '* * * * *', run: { target: 'stage' } },
        { name: 'b', cron: '* * * * *', run: { target: 'stage', from: 'dev' } },
        { name: 'c', cron: '* * * * *', run: { target: 'dev' } },
      ],
      async (job) => {
        running.set(job.target, (running.get(job.target) ?? 0) + 1);
        peak.set(job.target, Math.max(peak.get(job.target) ?? 0, running.get(job.target)!));
        order.push(`start ${job.schedule}`);
        await sleep(60);
        order.push(`end ${job.schedule}`);
        running.set(job.target, running.get(job.target)! - 1);
      },
      { clock, handleSignals: false, onEvent: (e) => events.push(e) },
    );
    clock.fire('a');
    clock.fire('b');
    clock.fire('c');
    clock.fire('a'); // still busy: skipped, not queued twice
    await runner.idle();
    await runner.stop();
    expect(peak.get('stage')).toBe(1);
    expect(order.indexOf('start b')).toBeGreaterThan(order.indexOf('end a'));
    // c (another target) ran while a was running.
    expect(order.indexOf('start c')).toBeLessThan(order.indexOf('end a'));
    expect(order.filter((o) => o === 'start a')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'skipped').map((e) => (e as { schedule: string }).schedule)).toEqual(['a']);
  });

  it('a failed job is reported and does not trigger its dependents', async () => {
    const clock = new ManualClock();
    const events: ScheduleEvent[] = [];
    const ran: string[] = [];
    const runner = runSchedules(
      [
        { name: 'up', cron: '* * * * *', run: { target: 'stage' } },
        { name: 'down', after: 'up', run: { target: 'dev', from: 'stage' } },
      ],
      async (job) => {
        ran.push(job.schedule);
        if (job.schedule === 'up') throw new SynthError('VALIDATION_FAILED', 'orphans');
      },
      { clock, handleSignals: false, onEvent: (e) => events.push(e) },
    );
    clock.fire('up');
    await runner.idle();
    await runner.stop();
    expect(ran).toEqual(['up']);
    const failed = events.find((e) => e.type === 'failed');
    expect(failed).toMatchObject({ schedule: 'up', error: { code: 'VALIDATION_FAILED' } });
  });

  it('aborting stops cleanly: the running job sees its signal and finishes, queued jobs never start', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const log: string[] = [];
    const runner = runSchedules(
      [
        { name: 'long', cron: '* * * * *', run: { target: 'stage' } },
        { name: 'queued', cron: '* * * * *', run: { target: 'stage' } },
      ],
      async (job) => {
        log.push(`start ${job.schedule}`);
        await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve()));
        await sleep(30);
        log.push(`finished step of ${job.schedule}`);
      },
      { clock, signal: controller.signal, handleSignals: false },
    );
    clock.fire('long');
    clock.fire('queued');
    await sleep(20);
    controller.abort();
    await runner.done;
    expect(log).toEqual(['start long', 'finished step of long']);
    expect(runner.trigger('long')).toBe(false);
  });
});

describe('runSchedules with node-cron', () => {
  it('fires a 1-second cron repeatedly without overlapping a slow job', async () => {
    const starts: number[] = [];
    const ends: number[] = [];
    const events: ScheduleEvent[] = [];
    const runner = runSchedules(
      [{ name: 'every-second', cron: '* * * * * *', run: { target: 'dev' } }],
      async () => {
        starts.push(Date.now());
        await sleep(1500);
        ends.push(Date.now());
      },
      { handleSignals: false, onEvent: (e) => events.push(e) },
    );
    await sleep(4700);
    await runner.stop();
    expect(starts.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < starts.length; i++) expect(starts[i]!).toBeGreaterThanOrEqual(ends[i - 1]!);
    expect(events.some((e) => e.type === 'skipped')).toBe(true);
    const count = starts.length;
    await sleep(1200);
    expect(starts.length).toBe(count); // stopped: no more firings
  });

  it('stops gracefully on SIGTERM in a real process', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/scheduler/fixtures/schedule-sigterm.ts'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const started = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('STARTED')) resolve();
      }),
    );
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await started;
    child.kill('SIGTERM');
    const code = await exit;
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines.indexOf('STEP-FINISHED')).toBeGreaterThan(lines.indexOf('EVENT stopping'));
    expect(lines.slice(-3)).toEqual(['EVENT aborted', 'EVENT stopped', 'DONE']);
  });
});

/**
 * Run liveness in a real state database: a `running` row whose process is gone is marked `abandoned` (same host:
 * the pid no longer exists; another host: the heartbeat stopped), live ones are left alone, the heartbeat carries
 * the stage, and errors are classified as interrupted (lost connection / signal) or failed.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { SynthError } from '../../src/errors.js';
import { InterruptedError } from '../../src/scheduler/interrupt.js';
import { failureOutcome, isConnectionLoss, trackRun } from '../../src/scheduler/run-liveness.js';
import { openStateStore, type StateStore } from '../../src/scheduler/state-store.js';
import { createPgDatabase, PG_SERVER, type TestDatabase } from '../support/databases.js';

let state: TestDatabase;
let store: StateStore;

beforeAll(async () => {
  state = await createPgDatabase('synth_live_state');
  store = await openStateStore({ url: state.url });
}, 60_000);
afterAll(async () => {
  await store?.close();
  await state?.drop();
});

const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());

describe('reapAbandoned', () => {
  it('marks runs of dead processes and silent hosts abandoned, and leaves live ones running', async () => {
    const now = new Date();
    const old = new Date(now.getTime() - 10 * 60_000);
    const ids = { dead: 'live_dead', silent: 'live_silent', elsewhere: 'live_elsewhere', mine: 'live_mine', done: 'live_done' };
    for (const id of Object.values(ids)) await store.startRun({ id, kind: 'hydrate', target: 'dev' });
    await store.finishRun(ids.done, { status: 'succeeded' });
    // Rows as other processes would have written them.
    await state.exec(`UPDATE synth.runs SET pid = ${deadPid()}, stage = 'load (public.book)' WHERE id = '${ids.dead}'`);
    await state.exec(`UPDATE synth.runs SET host = 'ci-runner-9', pid = 4242, heartbeat_at = '${old.toISOString()}' WHERE id = '${ids.silent}'`);
    await state.exec(`UPDATE synth.runs SET host = 'ci-runner-9', pid = 4243, heartbeat_at = '${now.toISOString()}' WHERE id = '${ids.elsewhere}'`);

    const reaped = await store.reapAbandoned({ now });
    expect(reaped.map((r) => r.id).sort()).toEqual([ids.dead, ids.silent].sort());
    const dead = await store.getRun(ids.dead);
    expect(dead).toMatchObject({ status: 'abandoned', errorCode: 'ABANDONED', host: hostname() });
    expect(dead!.errorMessage).toMatch(/^Abandoned during load \(public\.book\): its process \(pid \d+ on .*\) is gone/);
    expect((await store.getRun(ids.silent))!.errorMessage).toMatch(/no heartbeat since .* \(pid 4242 on ci-runner-9\)/);
    expect((await store.getRun(ids.elsewhere))!.status).toBe('running');
    expect((await store.getRun(ids.mine))!.status).toBe('running');
    expect((await store.getRun(ids.done))!.status).toBe('succeeded');
    // A second reaper finds nothing left to mark.
    expect(await store.reapAbandoned({ now })).toEqual([]);
  });

  it('the heartbeat keeps a run alive and records the stage a tracker saw', async () => {
    await store.startRun({ id: 'live_tracked', kind: 'hydrate', target: 'dev' });
    const tracker = trackRun(store, 'live_tracked', 60_000);
    try {
      tracker.sink({ type: 'stage', stage: 'load', status: 'start' });
      tracker.sink({ type: 'table', stage: 'load', table: 'public.book', rows: 0, total: 10 });
      expect(tracker.stage()).toBe('load (public.book)');
      await new Promise((r) => setTimeout(r, 300));
      const run = await store.getRun('live_tracked');
      expect(run!.stage).toBe('load (public.book)');
      expect(run!.heartbeatAt!.getTime()).toBeGreaterThan(run!.startedAt.getTime() - 1);
      // Staleness is judged against the heartbeat: ten minutes later without one, even this process's run is dead.
      expect(await store.reapAbandoned({ now: new Date(Date.now() + 60_000), staleAfterMs: 120_000 })).toEqual([]);
      expect((await store.reapAbandoned({ now: new Date(Date.now() + 10 * 60_000) })).map((r) => r.id)).toContain('live_tracked');
    } finally {
      tracker.stop();
    }
  });
});

describe('failureOutcome', () => {
  it('a terminated session is a lost connection: interrupted at the stage reached', async () => {
    const client = new pg.Client({ connectionString: state.url });
    client.on('error', () => undefined);
    await client.connect();
    const killer = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
    await killer.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const running = client.query('SELECT pg_sleep(30)').then(() => null, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    await killer.query('SELECT pg_terminate_backend($1)', [pid]);
    await killer.end();
    const error = await running;
    await client.end().catch(() => undefined);
    expect(isConnectionLoss(error)).toBe(true);
    const wrapped = new SynthError('LOAD_FAILED', 'Loading public.book failed', { cause: error });
    const outcome = failureOutcome(wrapped, undefined, 'load (public.book)', 'r9');
    expect(outcome.status).toBe('interrupted');
    expect(outcome.error).toMatchObject({ code: 'INTERRUPTED', runId: 'r9' });
    expect(String((outcome.error as Error).message)).toMatch(/^Interrupted by a lost connection during load \(public\.book\) \(.*terminat/);
  });

  it('a signal is interrupted, a scheduler shutdown aborted, anything else failed', () => {
    const signalled = new AbortController();
    signalled.abort(new InterruptedError('SIGTERM'));
    expect(failureOutcome(new Error('x'), signalled.signal, 'train', 'r1')).toMatchObject({ status: 'interrupted', error: { stage: 'train', runId: 'r1' } });
    const shutdown = new AbortController();
    shutdown.abort(new Error('scheduler stopping'));
    expect(failureOutcome(new Error('x'), shutdown.signal, 'train').status).toBe('aborted');
    expect(failureOutcome(new SynthError('VALIDATION_FAILED', 'no'), undefined, 'validate').status).toBe('failed');
  });
});

/**
 * Scale-out against the real queue (BullMQ on the local Redis) and real PostgreSQL: `synth worker` processes and a
 * `synth hydrate` coordinator hydrate SHOP_PG into a target with exactly the checksums of a single-process run; a
 * worker SIGKILLed mid-unit leaves no rows behind, its unit is retried on another worker (recorded in `synth runs
 * show`), and workers started after the run began take its units.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { bundleKey, QUEUE_NAME, queueConnection } from '../../src/distributed/unit-queue.js';
import { cliCommand, runCli } from '../support/cli.js';
import { createPgDatabase, uniqueName, type TestDatabase } from '../support/databases.js';
import { SHOP_PG } from '../support/fixtures.js';
import { liveChecksums } from '../scheduler/helpers.js';
import { spawnCoordinator, stopped, waitForMatch } from './processes.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-scaleout-'));
const REDIS = process.env.SYNTH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
let source: TestDatabase;
let single: TestDatabase;
let spread: TestDatabase;
let killed: TestDatabase;
let state: TestDatabase;
let singleConfig: string;
let distConfig: string;
let expected: Record<string, string>;
let singleOut = '';

/** The run's copy-filter summary line ('Copy filters: …'), as the hydrate's events print it. */
function filterCounts(stdout: string): string {
  return stdout.split('\n').map((l) => /"message":"((?:Filters|Copy filters|Privacy filters)[^"]*)"/i.exec(l)?.[1]).find((m) => m !== undefined) ?? '';
}
const workers: ChildProcess[] = [];

function writeConfig(name: string, distributed: boolean): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      source: { url: source.url },
      targets: { single: { url: single.url }, spread: { url: spread.url }, killed: { url: killed.url } },
      model: 'baseline',
      seed: 5,
      // The copy filters stay at their default (on): workers run them per shard against the shipped samples.
      quality: { enabled: false },
      state: { url: state.url },
      outDir: join(dir, 'out'),
      // A queue prefix of its own, so parallel test files (and stale units) never meet.
      ...(distributed ? { distributed: { queue: REDIS, shardRows: 400, lockSeconds: 2, prefix: uniqueName('synthtest') } } : {}),
    }),
  );
  return path;
}

/** Starts `synth worker` and resolves once it listens on the queue. */
async function startWorker(env: Record<string, string> = {}): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [...cliCommand(), 'worker', '--config', distConfig, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  workers.push(child);
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker never became ready:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('takes units from')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`worker exited:\n${out}`)));
  });
  return { child, out: () => out };
}

beforeAll(async () => {
  [source, single, spread, killed, state] = await Promise.all([
    createPgDatabase('synth_so_src'),
    createPgDatabase('synth_so_one'),
    createPgDatabase('synth_so_many'),
    createPgDatabase('synth_so_kill'),
    createPgDatabase('synth_so_state'),
  ]);
  await source.exec(SHOP_PG);
  singleConfig = writeConfig('single.json', false);
  distConfig = writeConfig('distributed.json', true);
  const one = await runCli(['hydrate', '--target', 'single', '--config', singleConfig, '--json']);
  expect(one.code, one.stderr).toBe(0);
  singleOut = one.stdout;
  expected = await liveChecksums(single.url);
}, 180_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  // The test's own queue prefix: nothing of it stays in Redis.
  if (distConfig) {
    const dist = parseConfig(JSON.parse((await import('node:fs')).readFileSync(distConfig, 'utf8'))).distributed!;
    const queue = new Queue(QUEUE_NAME, { connection: queueConnection(dist), prefix: dist.prefix });
    await queue.obliterate({ force: true }).finally(() => queue.close());
  }
  await Promise.all([source, single, spread, killed, state].map((d) => d?.drop()));
});

describe('synth worker + synth hydrate with distributed', () => {
  it('3 workers and a coordinator produce the checksums of a single-process run', async () => {
    const ws = await Promise.all([startWorker(), startWorker(), startWorker()]);
    const run = await runCli(['hydrate', '--target', 'spread', '--config', distConfig, '--json']);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect(run.stdout).toMatch(/Distributed: \d+ units/);
    // The models were fitted by training units on the workers, and still give the single process's rows.
    expect(run.stdout).toMatch(/Distributed: \d+ training units/);
    expect(await liveChecksums(spread.url)).toEqual(expected);
    // The workers' filter counts reach the coordinator's report, as a single process reports them.
    expect(filterCounts(run.stdout)).toEqual(filterCounts(singleOut));
    expect(filterCounts(run.stdout)).toMatch(/\d/);
    // Units went to more than one worker process.
    const holders = new Set([...run.stdout.matchAll(/"table":"[^"]*#\d+ @([^ "]+) try/g)].map((m) => m[1]));
    expect(holders.size).toBeGreaterThan(1);
    // SIGTERM: each worker finishes what it holds and exits 0.
    for (const w of ws) w.child.kill('SIGTERM');
    expect(await Promise.all(ws.map((w) => stopped(w.child)))).toEqual([0, 0, 0]);
  }, 300_000);

  it('a worker killed mid-unit leaves no rows; the unit is retried on a worker started after the run began', async () => {
    // The only worker at first parks after each batch of a unit, so it is mid-COPY when it is killed.
    const slow = await startWorker({ SYNTH_UNIT_PAUSE_MS: '60000' });
    const coordinator = spawnCoordinator('killed', distConfig);
    const unit = await waitForMatch(slow.out, /unit ([^ ]+) of run ([^:]+): started/);
    expect(unit, slow.out()).not.toBeNull();
    slow.child.kill('SIGKILL');
    await stopped(slow.child);
    // Two fresh workers join the run in progress and finish it.
    const late = await Promise.all([startWorker(), startWorker()]);
    expect(await coordinator.exited, coordinator.err() + coordinator.out().slice(-3000)).toBe(0);
    expect(coordinator.out()).toMatch(/"violations":0/);
    expect(await liveChecksums(killed.url)).toEqual(expected);
    const runId = unit![2]!;
    const show = await runCli(['runs', 'show', runId, '--config', distConfig, '--no-json']);
    expect(show.code, show.stderr).toBe(0);
    // The killed unit is listed with the worker that finished it and its second try.
    const line = show.stdout.split('\n').find((l) => l.includes(`${unit![1]!} @`));
    expect(line, show.stdout).toMatch(/try [2-9]/);
    expect(line).not.toContain(`:${slow.child.pid} `);
    for (const w of late) w.child.kill('SIGTERM');
    await Promise.all(late.map((w) => stopped(w.child)));
  }, 300_000);

  it('a worker killed between its unit\'s commit and the acknowledgement: the retry finds the shadow\'s marker and loads nothing twice', async () => {
    const dying = await startWorker({ SYNTH_UNIT_FAULT: 'after-commit' });
    const coordinator = spawnCoordinator('killed', distConfig);
    // The faulty worker dies (SIGKILL) right after its first unit committed.
    expect(await stopped(dying.child)).toBe('SIGKILL');
    const started = /unit ([^ ]+) of run ([^:]+): started/.exec(dying.out());
    expect(started, dying.out()).not.toBeNull();
    const late = await Promise.all([startWorker(), startWorker()]);
    expect(await coordinator.exited, coordinator.err() + coordinator.out().slice(-3000)).toBe(0);
    expect(coordinator.out()).toMatch(/"violations":0/);
    expect(await liveChecksums(killed.url)).toEqual(expected);
    // The markers' table stayed in the shadow only: the swapped-in schema has no trace of it.
    const left = await killed.query<{ n: string }>(`SELECT count(*)::text AS n FROM information_schema.tables WHERE table_name = '_synth_units'`);
    expect(left[0]!.n).toBe('0');
    // The committed unit was acknowledged by its retry (try 2) from the marker, not loaded again.
    const show = await runCli(['runs', 'show', started![2]!, '--config', distConfig, '--no-json']);
    const line = show.stdout.split('\n').find((l) => l.includes(`${started![1]!} @`));
    expect(line, show.stdout).toContain(`:${dying.child.pid} `);
    for (const w of late) w.child.kill('SIGTERM');
    await Promise.all(late.map((w) => stopped(w.child)));
  }, 300_000);

  it('a coordinator without any worker says so, and its units wait', async () => {
    const coordinator = spawnCoordinator('killed', distConfig);
    await waitForMatch(coordinator.out, /No synth worker is connected/);
    expect(coordinator.out()).toContain('npx synth worker --config');
    await new Promise((r) => setTimeout(r, 1000));
    // Training is the first work that waits for a worker.
    expect(coordinator.out()).toMatch(/Distributed: \d+ training units/);
    coordinator.child.kill('SIGTERM');
    expect(await coordinator.exited).toBe(143);
  }, 180_000);

  it('a coordinator stopped mid-run (SIGTERM) is recorded interrupted, leaves the live data alone and withdraws its units', async () => {
    const slow = await startWorker({ SYNTH_UNIT_PAUSE_MS: '4000' });
    const coordinator = spawnCoordinator('killed', distConfig);
    const runId = (await waitForMatch(slow.out, /unit [^ ]+ of run ([^:]+): started/))?.[1];
    expect(runId, slow.out()).toBeDefined();
    coordinator.child.kill('SIGTERM');
    expect(await coordinator.exited).toBe(143);
    const show = await runCli(['runs', 'show', runId!, '--config', distConfig, '--no-json']);
    expect(show.stdout).toMatch(/: interrupted/);
    expect(await liveChecksums(killed.url)).toEqual(expected);
    const dist = parseConfig(JSON.parse((await import('node:fs')).readFileSync(distConfig, 'utf8'))).distributed!;
    const queue = new Queue(QUEUE_NAME, { connection: queueConnection(dist), prefix: dist.prefix });
    try {
      expect(await (await queue.client).get(bundleKey(dist, runId!))).toBeNull();
      const left = (await queue.getJobs(['waiting', 'delayed', 'prioritized'])).filter((j) => (j.data as { runId?: string }).runId === runId);
      expect(left).toEqual([]);
    } finally {
      await queue.close();
    }
    slow.child.kill('SIGTERM');
    expect(await stopped(slow.child)).toBe(0);
  }, 300_000);
});

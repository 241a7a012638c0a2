/**
 * Scale-out into a MariaDB/MySQL target (units load with LOAD DATA): 2 workers and a coordinator hydrate SHOP_PG
 * across dialects with exactly the checksums of a single-process run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAME } from '../../src/distributed/unit-queue.js';
import { cliCommand, runCli } from '../support/cli.js';
import { createMysqlDatabase, createPgDatabase, uniqueName, type TestDatabase } from '../support/databases.js';
import { SHOP_PG } from '../support/fixtures.js';
import { liveChecksums } from '../scheduler/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-scaleout-my-'));
const REDIS = process.env.SYNTH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
let source: TestDatabase;
let single: TestDatabase;
let spread: TestDatabase;
let state: TestDatabase;
const workers: ChildProcess[] = [];
const prefix = uniqueName('synthtest');

function config(distributed: boolean): string {
  const path = join(dir, distributed ? 'distributed.json' : 'single.json');
  writeFileSync(path, JSON.stringify({
    source: { url: source.url },
    targets: { single: { url: single.url }, spread: { url: spread.url } },
    model: 'baseline',
    seed: 9,
    filters: { enabled: false },
    quality: { enabled: false },
    state: { url: state.url },
    outDir: join(dir, 'out'),
    ...(distributed ? { distributed: { queue: REDIS, shardRows: 500, lockSeconds: 2, prefix } } : {}),
  }));
  return path;
}

function startWorker(path: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...cliCommand(), 'worker', '--config', path, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  workers.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('takes units from')) resolve(child);
    });
    child.on('exit', () => reject(new Error(`worker exited:\n${out}`)));
  });
}

beforeAll(async () => {
  [source, single, spread, state] = await Promise.all([createPgDatabase('synth_som_src'), createMysqlDatabase('synth_som_one'), createMysqlDatabase('synth_som_many'), createPgDatabase('synth_som_state')]);
  await source.exec(SHOP_PG);
}, 120_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  // The test's own queue prefix: nothing of it stays in Redis.
  const queue = new Queue(QUEUE_NAME, { connection: { host: new URL(REDIS).hostname, port: Number(new URL(REDIS).port || 6379) }, prefix });
  await queue.obliterate({ force: true }).finally(() => queue.close());
  await Promise.all([source, single, spread, state].map((d) => d?.drop()));
});

describe('scale-out into MySQL/MariaDB', () => {
  it('2 workers load with LOAD DATA and match the single-process checksums', async () => {
    const one = await runCli(['hydrate', '--target', 'single', '--config', config(false), '--json']);
    expect(one.code, one.stderr + one.stdout.slice(-2000)).toBe(0);
    const path = config(true);
    await Promise.all([startWorker(path), startWorker(path)]);
    const many = await runCli(['hydrate', '--target', 'spread', '--config', path, '--json']);
    expect(many.code, many.stderr + many.stdout.slice(-2000)).toBe(0);
    expect(many.stdout).toMatch(/Distributed: \d+ units/);
    // Keyed by table name: in MySQL the schema part is the database, which differs between the two targets.
    const byTable = async (url: string) => Object.fromEntries(Object.entries(await liveChecksums(url)).map(([k, v]) => [k.slice(k.indexOf('.') + 1), v]));
    const expected = await byTable(single.url);
    expect(Object.keys(expected)).toHaveLength(7);
    expect(await byTable(spread.url)).toEqual(expected);
    for (const w of workers) w.kill('SIGTERM');
  }, 300_000);

  it('a worker killed right after its unit committed: the shadow\'s marker stops the retry from loading it twice', async () => {
    const path = config(true);
    const dying = await startWorker(path, { SYNTH_UNIT_FAULT: 'after-commit' });
    const died = new Promise((resolve) => dying.on('exit', (_code, sig) => resolve(sig)));
    const run = runCli(['hydrate', '--target', 'spread', '--config', path, '--json']);
    expect(await died).toBe('SIGKILL');
    await Promise.all([startWorker(path), startWorker(path)]);
    const many = await run;
    expect(many.code, many.stderr + many.stdout.slice(-2000)).toBe(0);
    const byTable = async (url: string) => Object.fromEntries(Object.entries(await liveChecksums(url)).map(([k, v]) => [k.slice(k.indexOf('.') + 1), v]));
    expect(await byTable(spread.url)).toEqual(await byTable(single.url));
    const left = await spread.query<{ n: number }>(`SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '_synth_units'`);
    expect(Number(left[0]!.n)).toBe(0);
  }, 300_000);
});

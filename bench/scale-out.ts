/**
 * `npm run bench -- scale-out`: generation + load rows/s of a distributed hydrate with 1, 2 and 4 `synth worker`
 * processes (next to the single-process load of the same run), and the queue's own cost per unit (BullMQ on the
 * local Redis, a no-op unit). Rows: SYNTH_SCALEOUT_ROWS orders (default 200 000) under 1/10 as many customers;
 * shard size SYNTH_SCALEOUT_SHARD (default 20 000). The copy filters run, as by default (SYNTH_SCALEOUT_FILTERS=0
 * turns them off). Workers are processes of their own, as in production; the machine's cores bound the scaling.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { parseConfig } from '../src/config/load-config.js';
import type { SynthConfigInput } from '../src/config/schema.js';
import { QUEUE_NAME, queueConnection } from '../src/distributed/unit-queue.js';
import type { RunEvent } from '../src/events.js';
import { runHydrateJob } from '../src/scheduler/hydrate-job.js';
import { exec, recreateDatabase } from './pg-fixture.js';

const SERVER = process.env.SYNTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const REDIS = process.env.SYNTH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROWS = Number(process.env.SYNTH_SCALEOUT_ROWS ?? 200_000);
const SHARD = Number(process.env.SYNTH_SCALEOUT_SHARD ?? 20_000);
const FILTERS = process.env.SYNTH_SCALEOUT_FILTERS !== '0';

function fixture(rows: number): string {
  return `
CREATE TABLE customer (customer_id int PRIMARY KEY, tier text NOT NULL, balance numeric(10,2) NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE orders (order_id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES customer, amount numeric(8,2) NOT NULL,
  status text NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO customer SELECT i, (ARRAY['free','pro','team'])[1 + i % 3], (i::bigint * 7919 % 100000) / 100.0, timestamptz '2020-01-01' + i * interval '1 hour'
  FROM generate_series(1, ${Math.max(1, Math.floor(rows / 10))}) i;
INSERT INTO orders SELECT i, 1 + (i::bigint * 31) % ${Math.max(1, Math.floor(rows / 10))}, (i::bigint * 104729 % 50000) / 100.0, (ARRAY['new','paid','shipped','returned'])[1 + i % 4],
  timestamptz '2021-01-01' + i * interval '5 minutes' FROM generate_series(1, ${rows}) i;`;
}

function startWorker(configPath: string): Promise<ChildProcess> {
  const loader = pathToFileURL(join(process.cwd(), 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', loader, join(process.cwd(), 'src', 'cli', 'main.ts'), 'worker', '--config', configPath, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('takes units from')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)));
  });
}

async function stopWorkers(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    c.removeAllListeners('exit');
    c.on('exit', () => resolve());
    c.kill('SIGTERM');
  })));
}

/** Milliseconds per unit the queue itself costs: add, take, run a no-op, complete, observed by the adder. */
async function queueOverheadMs(jobs: number): Promise<number> {
  const dist = { queue: REDIS, shardRows: 1, lockSeconds: 30, attempts: 1, prefix: `synthbench${Date.now()}` };
  const queue = new Queue('overhead', { connection: queueConnection(dist), prefix: dist.prefix });
  let done = 0;
  const finished = new Promise<void>((resolve) => {
    const worker = new Worker('overhead', async () => {
      if (++done === jobs) setImmediate(() => void worker.close().then(() => resolve()));
    }, { connection: queueConnection(dist), prefix: dist.prefix, concurrency: 1 });
  });
  const started = performance.now();
  await queue.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'noop', data: { i }, opts: { removeOnComplete: true } })));
  await finished;
  const ms = (performance.now() - started) / jobs;
  await queue.obliterate({ force: true });
  await queue.close();
  return ms;
}

export async function benchScaleOut(): Promise<Record<string, number | string>> {
  const src = await recreateDatabase(SERVER, 'synth_bench_scaleout_src');
  const dst = await recreateDatabase(SERVER, 'synth_bench_scaleout_dst');
  const state = await recreateDatabase(SERVER, 'synth_bench_scaleout_state');
  await exec(src, fixture(ROWS));
  const dir = mkdtempSync(join(tmpdir(), 'synth-scaleout-bench-'));
  const base: SynthConfigInput = {
    source: { url: src },
    targets: { bench: { url: dst } },
    model: 'baseline',
    filters: { enabled: FILTERS },
    quality: { enabled: false },
    reference: { maxRows: 0 },
    // The bench measures generation + load, not training: models are trained once and reused after, except with
    // the copy filters, which need the run's own sample (a run on reused models has none, so it filters nothing).
    ...(FILTERS ? {} : { training: { reuse: { maxAge: '24h' } } }),
    state: { url: state },
    outDir: join(dir, 'out'),
  };
  const distributed = { ...base, distributed: { queue: REDIS, shardRows: SHARD, prefix: `synthbench${Date.now()}` } };
  const configPath = join(dir, 'synth.config.json');
  writeFileSync(configPath, JSON.stringify(distributed));
  const run = async (input: SynthConfigInput): Promise<{ rows: number; loadMs: number }> => {
    let loadMs = 0;
    const emit = (e: RunEvent) => {
      if (e.type === 'stage' && e.status === 'done' && e.stage === 'load' && e.ms !== undefined) loadMs += e.ms;
    };
    const { result } = await runHydrateJob({ config: parseConfig(input), target: 'bench', emit });
    if (result.status !== 'ok') throw new Error(`hydrate refused: ${result.refusal}`);
    return { rows: [...result.rowCounts.values()].reduce((a, b) => a + b, 0), loadMs };
  };
  const out: Record<string, number | string> = { rows: ROWS + Math.floor(ROWS / 10), shardRows: SHARD, filters: FILTERS ? 'on' : 'off', cores: (await import('node:os')).availableParallelism() };
  try {
    const one = await run(base);
    out['single-process rows/s'] = Math.round(one.rows / (one.loadMs / 1000));
    for (const n of [1, 2, 4]) {
      const workers = await Promise.all(Array.from({ length: n }, () => startWorker(configPath)));
      try {
        const r = await run(distributed);
        out[`${n} worker(s) rows/s`] = Math.round(r.rows / (r.loadMs / 1000));
      } finally {
        await stopWorkers(workers);
      }
    }
    out['queue overhead ms/unit'] = Number((await queueOverheadMs(500)).toFixed(2));
  } finally {
    const queue = new Queue(QUEUE_NAME, { connection: queueConnection({ ...distributed.distributed, lockSeconds: 30, attempts: 1 }), prefix: distributed.distributed.prefix });
    await queue.obliterate({ force: true }).finally(() => queue.close());
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/**
 * The job queue the coordinator and `synth worker` processes share: BullMQ on Redis. One queue per installation
 * (`distributed.prefix`), units of every run in it, each run's bundle and finished-unit markers in plain keys
 * next to it.
 */
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'bullmq';
import { SynthError } from '../errors.js';
import type { DistributedConfig } from './distributed-config.js';
import type { FilterReport } from '../validation/privacy/privacy-report.js';
import type { ShardUnit } from './shard-plan.js';

export const QUEUE_NAME = 'synth-units';

export interface UnitJobData {
  runId: string;
  unit: ShardUnit;
}

/** A training unit: one table's model (distributed/train-units.ts). */
export interface TrainJobData {
  runId: string;
  train: string;
}

/** What a worker reports for a finished unit (the job's return value). */
export interface UnitResult {
  rows: number;
  worker: string;
  ms: number;
  /** Tries it took: 1 + failures + times a dead worker's hold on it lapsed. */
  attempts: number;
  /** The copy filters' counts of the unit's rows, when the run filters copies. */
  filters?: FilterReport;
  /** A training unit's model: its artifact entry, v8-serialized and base64-encoded. */
  model?: string;
}

/** Reported as the job's progress while a worker holds the unit. */
export interface UnitProgress {
  worker: string;
  rows: number;
}

/** BullMQ's job ids may not contain `:`; the unit's id is `<table>#<shard>`. */
export function unitJobId(runId: string, unit: Pick<ShardUnit, 'id'>): string {
  return `${runId}|${unit.id}`.replaceAll(':', '_');
}

export function bundleKey(config: DistributedConfig, runId: string): string {
  return `${config.prefix}:run:${runId}:bundle`;
}

export function doneKey(config: DistributedConfig, runId: string, unit: Pick<ShardUnit, 'id'>): string {
  return `${config.prefix}:run:${runId}:done:${unit.id}`;
}

/** `host:pid`, how progress and `synth runs show` name a worker. */
export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

/** ioredis options from `redis://[user:password@]host[:port][/db]` (`rediss://` = TLS). */
export function queueConnection(config: DistributedConfig): ConnectionOptions {
  let url: URL;
  try {
    url = new URL(config.queue);
  } catch {
    throw new SynthError('CONFIG_INVALID', 'distributed.queue is not a valid URL.', { path: 'distributed.queue', hint: 'Write it as redis://host:6379 (percent-encode a password).' });
  }
  const db = url.pathname.replace(/^\//, '');
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's workers block on Redis; a command must wait for a reconnect rather than fail the unit.
    maxRetriesPerRequest: null,
  };
}

export function queueError(e: unknown, config: DistributedConfig): SynthError {
  const message = e instanceof Error ? e.message : String(e);
  return new SynthError('DISTRIBUTED', `The job queue at ${redactUrl(config.queue)} failed: ${message}`, {
    path: 'distributed.queue',
    hint: 'Check that Redis is reachable from this machine at distributed.queue (redis-cli -u URL ping).',
  });
}

/** How long a coordinator or a starting worker waits for the queue's Redis before giving up (exit 3). */
export const QUEUE_CONNECT_MS = 10_000;

/**
 * Waits for the first connection to the queue: BullMQ's client retries forever (right for a worker riding out a
 * Redis restart), which would leave a run with a wrong URL hanging instead of saying so.
 */
export async function reachQueue(ready: Promise<unknown>, config: DistributedConfig, ms = QUEUE_CONNECT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection within ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([ready, timeout]);
  } catch (e) {
    throw queueError(e, config);
  } finally {
    clearTimeout(timer);
  }
}

function redactUrl(u: string): string {
  return u.replace(/\/\/([^@/]*)@/, '//***@');
}

/**
 * A load worker process (load-parallel.ts forks it): generates windows of big tables from the run's bundle and
 * COPYs / LOAD DATAs each into the shadow on a connection of its own. A window's rows are those of the same window
 * of a run in one process (distributed/shard-rows.ts), so the table ends up with the same rows whatever the split.
 * A window waits for the main process to send the anchor values its table reads (the parent loaded there) instead
 * of generating the parent again with its copy filters.
 */
import { readFile } from 'node:fs/promises';
import { deserialize } from 'node:v8';
import { openTarget } from '../connectors/index.js';
import type { TargetConnector } from '../connectors/connector.js';
import { bundleModels, type RunBundle } from '../distributed/run-bundle.js';
import type { ModelSet } from '../generation/index.js';
import { noFilterCounts, shardRows } from '../distributed/shard-rows.js';
import { isSynthError } from '../errors.js';
import { RetainedColumns, type RetainedWire } from '../generation/retained-columns.js';
import type { SynthConfig } from '../config/schema.js';
import type { FilterReport } from '../validation/privacy/privacy-report.js';
import { tableKey } from '../schema/model.js';

export interface LoadWorkerData {
  /**
   * The run bundle, v8-serialized in a file of its own (load-parallel.ts writes it): the worker reads it when it is
   * up, where the same megabytes through the IPC channel arrived only when the busy main process got round to it.
   */
  bundleFile: string;
  config: SynthConfig;
  targetUrl: string;
}

/** One window of one table, by table key. */
export interface LoadUnit {
  id: number;
  table: string;
  start: number;
  end: number;
  /** Parents (table keys) whose anchor values the window waits for, instead of replaying them with their copy filters. */
  anchors: string[];
}

export type WorkerReply =
  | { type: 'progress'; id: number; rows: number }
  /** `cpuMs`: the worker process's CPU time so far (user + system), for the run's CPU accounting. */
  | { type: 'done'; id: number; rows: number; filters?: FilterReport; cpuMs: number }
  | { type: 'error'; id: number; error: { message: string; code?: string; hint?: string; table?: string; column?: string } };

export type WorkerMessage =
  | ({ type: 'start' } & LoadWorkerData)
  | ({ type: 'unit' } & LoadUnit)
  /** A parent's final anchor values, sent once the main process has loaded it. */
  | { type: 'anchors'; table: string; values: RetainedWire }
  | { type: 'close' };

if (process.send !== undefined && process.env.SYNTH_LOAD_WORKER === '1') {
  const send = (m: WorkerReply): void => void process.send!(m);
  let setup: Promise<{ data: LoadWorkerData; bundle: RunBundle; models: ModelSet }> | null = null;
  let target: Promise<TargetConnector> | null = null;
  // Units run one after the other, in the order they were posted (plan order).
  let queue: Promise<void> = Promise.resolve();
  // Anchor values by parent key; a window's wait starts the entry when it comes before them.
  const arrivals = new Map<string, { values: Promise<RetainedColumns>; arrived: (r: RetainedColumns) => void }>();
  const anchorsOf = (key: string) => {
    let entry = arrivals.get(key);
    if (!entry) {
      let arrived!: (r: RetainedColumns) => void;
      const values = new Promise<RetainedColumns>((resolve) => (arrived = resolve));
      arrivals.set(key, (entry = { values, arrived }));
    }
    return entry;
  };
  // The main process is gone (killed, crashed): its run failed, so this worker's rows would go nowhere.
  process.on('disconnect', () => process.exit(1));
  process.on('message', (m: WorkerMessage) => {
    if (m.type === 'start') {
      setup = (async () => {
        const bundle = deserialize(await readFile(m.bundleFile)) as RunBundle;
        return { data: m, bundle, models: await bundleModels(bundle) };
      })();
      // A bundle that does not load fails each unit (runUnit awaits it), not the process.
      setup.catch(() => undefined);
      return;
    }
    if (m.type === 'anchors') {
      // Not queued: a window waiting in the queue needs them.
      anchorsOf(m.table).arrived(RetainedColumns.fromWire(m.values));
      return;
    }
    if (m.type === 'close') {
      queue = queue.then(async () => {
        if (target) await (await target).close();
        process.exit(0);
      });
      return;
    }
    queue = queue.then(() => runUnit(m).then(
      (reply) => send(reply),
      (e: unknown) => send({ type: 'error', id: m.id, error: describe(e) }),
    ));
  });

  async function runUnit(unit: LoadUnit): Promise<WorkerReply> {
    if (!setup) throw new Error('internal: a load unit came before the run bundle');
    const { data: { config, targetUrl }, bundle, models } = await setup;
    const table = bundle.schema.tables.find((t) => tableKey(t) === unit.table);
    if (!table) throw new Error(`internal: load unit names ${unit.table}, which the run's schema lacks`);
    target ??= openTarget(targetUrl);
    const counts = bundle.filters ? noFilterCounts() : undefined;
    const anchors = new Map(await Promise.all(unit.anchors.map(async (p) => [p, await anchorsOf(p).values] as const)));
    const rows = shardRows(bundle, models, unit, undefined, { config, anchors, ...(counts ? { counts } : {}) });
    let reported = 0;
    const loaded = await (await target).load(bundle.shadow, table, rows, (n) => {
      // A progress message per ~100k rows is plenty for the bars.
      if (n - reported < 100_000) return;
      reported = n;
      send({ type: 'progress', id: unit.id, rows: n });
    }, { concurrent: true });
    const cpu = process.cpuUsage();
    return { type: 'done', id: unit.id, rows: loaded, ...(counts ? { filters: counts } : {}), cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
  }
}

function describe(e: unknown): Extract<WorkerReply, { type: 'error' }>['error'] {
  if (isSynthError(e)) {
    return {
      message: e.message,
      code: e.code,
      ...(e.hint === undefined ? {} : { hint: e.hint }),
      ...(e.table === undefined ? {} : { table: e.table }),
      ...(e.column === undefined ? {} : { column: e.column }),
    };
  }
  return { message: e instanceof Error ? e.message : String(e) };
}

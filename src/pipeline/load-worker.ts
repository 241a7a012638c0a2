/**
 * A load worker process (load-parallel.ts forks it): takes windows of big tables (load-windows.ts), one after the
 * other, generates them from the run's bundle and COPYs / LOAD DATAs them into the shadow on a connection of its own,
 * the consecutive windows of one table through one generation stream and one COPY (a run). A window's rows are those
 * of the same window of a run in one process (distributed/shard-rows.ts), so the table ends up with the same rows
 * whoever drew which window. It takes windows of a table that reads its parent's anchor values, or its ancestors'
 * generation (a learned model's context and count heads), only once the main process has loaded them and left those
 * values, instead of generating the parents again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { deserialize } from 'node:v8';
import { openTarget } from '../connectors/index.js';
import type { TargetConnector } from '../connectors/connector.js';
import { bundleModels, type RunBundle } from '../distributed/run-bundle.js';
import type { ModelSet } from '../generation/index.js';
import type { PrivacyRun } from '../generation/privacy/privacy-run.js';
import { shippedFilters, WindowSource } from '../distributed/shard-rows.js';
import { isSynthError } from '../errors.js';
import { RetainedColumns, type RetainedWire } from '../generation/retained-columns.js';
import type { SynthConfig } from '../config/schema.js';
import { addFilterCounts, emptyFilterReport, type FilterReport } from '../validation/privacy/privacy-report.js';
import type { GenerationState, RowWindow } from '../generation/generate.js';
import type { KeyState } from '../generation/keys/index.js';
import { anchorFile, readKeys, readState, TableWindows, type SplitWindows } from './load-windows.js';
import { tableKey } from '../schema/model.js';

export interface LoadWorkerData {
  /**
   * The run bundle, v8-serialized in a file of its own (load-parallel.ts writes it): the worker reads it when it is
   * up, where the same megabytes through the IPC channel arrived only when the busy main process got round to it.
   */
  bundleFile: string;
  config: SynthConfig;
  targetUrl: string;
  /** The split tables in plan order, and the directory their windows are taken in (load-windows.ts). */
  tables: SplitWindows[];
  windowDir: string;
}

export type WorkerReply =
  /**
   * The bundle is in: the worker takes windows from now on. `at` (like `took`'s): the worker's clock (Date.now()), since
   * a main process drawing a parent whole reads its messages only once it is done with it (SF1: 58 s late).
   */
  | { type: 'ready'; at: number }
  /** The first window of a run of `table` is taken. */
  | { type: 'took'; table: string; start: number; end: number; at: number }
  /** Rows loaded so far by the worker's open run of `table`. */
  | { type: 'progress'; table: string; rows: number }
  /**
   * A run is loaded: `windows` of `table`, `rows` in all, in `ms` from its first window taken. `cpuMs`: the process's
   * CPU time so far (user + system).
   */
  | { type: 'done'; table: string; windows: number; rows: number; ms: number; filters?: FilterReport; cpuMs: number }
  | { type: 'error'; table: string; windows: number; error: { message: string; code?: string; hint?: string; table?: string; column?: string } };

export type WorkerMessage =
  | ({ type: 'start' } & LoadWorkerData)
  | { type: 'close' };

if (process.send !== undefined && process.env.SYNTH_LOAD_WORKER === '1') {
  const send = (m: WorkerReply): void => void process.send!(m);
  let target: Promise<TargetConnector> | null = null;
  // Anchor values by parent key, as they arrive.
  const anchors = new Map<string, RetainedColumns>();
  // Earlier tables' generation state by table key, as the main process leaves it (instead of a replay).
  const states = new Map<string, GenerationState>();
  // One generation per set of fed parents, kept for the process's life: what it was given serves every later window.
  const sources = new Map<string, WindowSource>();
  let closing = false;
  // The main process is gone (killed, crashed): its run failed, so this worker's rows would go nowhere.
  process.on('disconnect', () => process.exit(1));
  process.on('message', (m: WorkerMessage) => {
    if (m.type === 'start') {
      const setup = (async () => {
        const bundle = deserialize(await readFile(m.bundleFile)) as RunBundle;
        return { data: m, bundle, models: await bundleModels(bundle), privacy: shippedFilters(bundle, m.config) };
      })();
      void setup.then(
        (s) => {
          send({ type: 'ready', at: Date.now() });
          return work(s);
        },
        // A bundle that does not load fails the first table (the main process fails the run with it).
        (e: unknown) => send({ type: 'error', table: m.tables[0]?.table ?? '', windows: 0, error: describe(e) }),
      );
      return;
    }
    closing = true;
    // A run in flight is stopped with the process (its COPY rolls back): the main process closes only once it needs
    // nothing more, or after a failure.
    void (async () => {
      if (target) await (await target).close().catch(() => undefined);
      process.exit(0);
    })();
  });

  /**
   * The anchor values of `parent` once the main process has written them (`anchorFile`), read into `anchors`: a file,
   * not an IPC message, since the busy main process wrote SF1's 6 MB of order dates into the channel only as its event
   * loop got round to it, and the worker had not got them when the main process had drawn all of lineitem.
   */
  function readAnchors(dir: string, parent: string): boolean {
    const file = anchorFile(dir, parent);
    if (!existsSync(file)) return false;
    anchors.set(parent, RetainedColumns.fromWire(deserialize(readFileSync(file)) as RetainedWire));
    return true;
  }

  interface Setup {
    data: LoadWorkerData;
    bundle: RunBundle;
    models: ModelSet;
    privacy: PrivacyRun | null;
  }

  /**
   * Takes windows until none is left: of the first split table (plan order) that has any and whose anchor values,
   * ancestors' state and FK parents (drawn once by the main process, `writeKeys`) are in, until it has none; with none
   * of those, it looks for them again every 100 ms.
   */
  async function work(setup: Setup): Promise<void> {
    const { tables, windowDir } = setup.data;
    const windows = tables.map((t, i) => new TableWindows(t, windowDir, i));
    const has = (parent: string) => anchors.has(parent) || readAnchors(windowDir, parent);
    const hasState = (parent: string) => {
      if (states.has(parent)) return true;
      const state = readState(windowDir, parent);
      if (state) states.set(parent, state);
      return state !== null;
    };
    // The FK parents each table's rows read, drawn once by the main process (`writeKeys`).
    const keys = new Map<string, KeyState>();
    const hasKeys = (table: string) => {
      if (keys.has(table)) return true;
      const state = readKeys(windowDir, table);
      if (state) keys.set(table, state);
      return state !== null;
    };
    while (!closing) {
      const w = windows.find((x) => !x.exhausted && x.split.anchors.every(has) && x.split.parents.every(hasState) && hasKeys(x.split.table));
      if (!w) {
        if (windows.every((x) => x.exhausted)) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      let taken = 0;
      try {
        send(await run(setup, w, keys.get(w.split.table)!, (n) => (taken = n)));
      } catch (e) {
        // The run fails with it (the main process fails the table); no point drawing more.
        send({ type: 'error', table: w.split.table, windows: taken, error: describe(e) });
        return;
      }
    }
  }

  /** Loads every window of a table it can take, through one stream and one COPY. */
  async function run(setup: Setup, w: TableWindows, keys: KeyState, counted: (windows: number) => void): Promise<WorkerReply> {
    const { data: { config, targetUrl }, bundle, models, privacy } = setup;
    const key = w.split.table;
    const table = bundle.schema.tables.find((t) => tableKey(t) === key);
    if (!table) throw new Error(`internal: load window names ${key}, which the run's schema lacks`);
    target ??= openTarget(targetUrl);
    const fed = `${[...w.split.anchors].sort().join(',')};${[...w.split.parents].sort().join(',')}`;
    let source = sources.get(fed);
    if (!source) {
      const given = new Map(w.split.anchors.map((p) => [p, anchors.get(p)!] as const));
      const parents = new Map(w.split.parents.map((p) => [p, states.get(p)!] as const));
      sources.set(fed, (source = new WindowSource(bundle, models, config, given, privacy, parents)));
    }
    source.adoptKeys(keys);
    const before = { ...(privacy?.filters[key] ?? emptyFilterReport()) };
    let windows = 0;
    let started = Date.now();
    const next = (): RowWindow | null => {
      const window = w.take();
      if (window && windows === 0) send({ type: 'took', table: key, ...window, at: (started = Date.now()) });
      if (window) counted(++windows);
      return window;
    };
    let reported = 0;
    const loaded = await (await target).load(bundle.shadow, table, source.rows(key, next), (n) => {
      // A progress message per ~100k rows is plenty for the bars.
      if (n - reported < 100_000) return;
      reported = n;
      send({ type: 'progress', table: key, rows: n });
    }, { concurrent: true });
    // No window of the table is left for this process: its copy filter's sample is done with.
    privacy?.release(key);
    const cpu = process.cpuUsage();
    const counts = privacy?.filters[key];
    return {
      type: 'done',
      table: key,
      windows,
      rows: loaded,
      ms: Date.now() - started,
      ...(counts ? { filters: difference(counts, before) } : {}),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    };
  }
}

/** What the copy filters counted since `before`. */
function difference(now: FilterReport, before: FilterReport): FilterReport {
  const out = emptyFilterReport();
  addFilterCounts(out, now, before);
  return out;
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

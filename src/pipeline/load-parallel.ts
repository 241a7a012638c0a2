/**
 * Big tables generated and loaded on both (all) cores: each is cut into windows of whole batches (load-windows.ts),
 * which worker processes (load-worker.ts) take one at a time as soon as they are up and load on connections of their
 * own, and which the main process takes too once it has loaded every table that is not split: it puts the split
 * tables last, since no later table reads them. Nobody predicts who draws faster: each process takes the next window
 * when it is free, so the main process waits at the end only for the windows the workers hold. Every batch is seeded
 * by (seed, table, batch number) alone and so is everything after generation (copy filters, credentials, data
 * rules), so the table holds the same rows as a load in one process.
 *
 * Only tables no later table reads are split (a window leaves the table's retained rows, predicted child counts and
 * anchors incomplete). A table that reads its parents' anchor values (a line's ship date after its order's date) has
 * its windows taken by workers once the main process has loaded the parent and written them (`feedWorkers`); until
 * then the workers draw the other split tables (partsupp while the main process draws orders). One that reads more
 * (a learned model's context and count heads) waits likewise for what generating those ancestors left (their
 * context values and predicted counts, `Generation.state`), which the main process writes once it has drawn each:
 * replaying their learned generation in the worker cost ~10 µs a row (SF1: orders and partsupp, ~23 CPU-s).
 * The FK parents a split table's rows read (lineitem's partsupp row and order of every line) are drawn once, by the
 * main process as soon as the tables they read are drawn (at the start for a baseline), and written for the workers
 * (`writeKeys`), which every process drew again before.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fork, type ChildProcess } from 'node:child_process';
import { dialectOf } from '../connectors/index.js';
import type { SynthConfig } from '../config/schema.js';
import { loadBundle } from '../distributed/run-bundle.js';
import { anchorFeeds, stateFeeds, tablesToReplay } from '../distributed/shard-rows.js';
import { SynthError, type SynthErrorCode } from '../errors.js';
import type { GeneratedBatch, Generation, RowWindow } from '../generation/generate.js';
import type { PrivacyRun } from '../generation/privacy/privacy-run.js';
import { RetainedColumns } from '../generation/retained-columns.js';
import { tableKey, type TableRef } from '../schema/model.js';
import type { RowBatch } from '../schema/values.js';
import { addFilterCounts, emptyFilterReport } from '../validation/privacy/privacy-report.js';
import { targetUrl } from './connect.js';
import { heapLimitArgs } from './heap-limit.js';
import type { LoadTablesContext } from './hydrate.js';
import { claimedRows, TableWindows, windowRows, writeAnchors, writeKeys, writeState, type SplitWindows } from './load-windows.js';
import type { LoadWorkerData, WorkerMessage, WorkerReply } from './load-worker.js';

export interface ParallelLoadArgs extends Pick<LoadTablesContext, 'shadow' | 'schema' | 'plan' | 'models' | 'generation' | 'reference' | 'credentials' | 'privacy' | 'runId' | 'emit'> {
  config: SynthConfig;
  /** The config's target name (workers open their own connections to its URL); none: no workers. */
  targetName?: string;
}

/** A split table as the main process loads it. */
export interface SplitTable {
  /** The batches of the windows the main process takes, as `draw` generates them (generation.rows with a window). */
  draw(draw: (window: RowWindow) => AsyncIterable<GeneratedBatch>): AsyncIterable<GeneratedBatch>;
  /** Rows the workers loaded so far (progress). */
  loaded(): number;
  /** Settles when every window is taken and the workers' are loaded; the rows they loaded. */
  done: Promise<number>;
  /** Who drew how many windows and how long the workers took, for the run's log; `waitedMs`: the main process's wait for them. */
  summary(waitedMs: number): string;
}

/** Worker processes for `generation.workers`: 'auto' is one per core but the main process's. */
export function loadWorkers(setting: SynthConfig['generation']['workers']): number {
  return setting === 'auto' ? Math.max(0, availableParallelism() - 1) : setting;
}

/** A split table's windows, and what the workers did with theirs. */
class SplitState implements SplitTable {
  mainWindows = 0;
  /** Windows the workers reported loaded. */
  workerWindows = 0;
  /** Rows of the workers' finished runs. */
  rows = 0;
  /** Milliseconds of the workers' finished runs, from each run's first window taken to its COPY's end. */
  workerMs = 0;
  /** Rows of each worker's open run of this table. */
  readonly inRun = new Map<ChildProcess, number>();
  settled = false;
  readonly done: Promise<number>;
  private resolve!: (rows: number) => void;
  private rejectDone!: (e: Error) => void;

  constructor(
    readonly windows: TableWindows,
    private readonly workers: number,
  ) {
    this.done = new Promise<number>((resolve, reject) => {
      this.resolve = resolve;
      this.rejectDone = reject;
    });
    // Awaited when the main process gets to the table; until then a failure must not count as unhandled.
    this.done.catch(() => undefined);
  }

  draw(draw: (window: RowWindow) => AsyncIterable<GeneratedBatch>): AsyncIterable<GeneratedBatch> {
    return claimedRows(this.windows.split.rows, draw, () => {
      const w = this.windows.take();
      if (w) this.mainWindows++;
      else this.check();
      return w;
    });
  }

  loaded(): number {
    return this.rows + [...this.inRun.values()].reduce((a, b) => a + b, 0);
  }

  summary(waitedMs: number): string {
    const { count, split } = this.windows;
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    // The wait is the table's critical path beyond this process's own windows: the workers' last windows in flight.
    return `${count} window(s) of ${split.size} rows, ${this.mainWindows} drawn here, ${this.workerWindows} on ${this.workers} worker process(es) (${seconds(this.workerMs)} s of theirs); waited ${seconds(waitedMs)} s for them`;
  }

  /** Resolves `done` once every window is taken and the workers' are in. */
  check(): void {
    if (!this.settled && this.windows.exhausted && this.mainWindows + this.workerWindows === this.windows.count) {
      this.settled = true;
      this.resolve(this.rows);
    }
  }

  fail(e: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectDone(e);
  }
}

export class ParallelLoad {
  /** Split tables by key, in plan order (the order workers take them in). */
  private readonly splits = new Map<string, SplitState>();
  private closed = false;
  /** CPU milliseconds each worker reported with its last finished run. */
  private readonly cpu = new Map<ChildProcess, number>();
  /** Columns of a parent whose final values split tables anchor on, by parent key (sent once it is loaded). */
  private readonly anchorColumns = new Map<string, string[]>();
  /** Tables whose generation state split tables read, written for the workers once they are drawn. */
  private readonly stateTables = new Set<string>();
  /** Those written so far. */
  private readonly stateWritten = new Set<string>();
  /**
   * Split tables whose FK parents (`Generation.keyState`) the workers wait for, with the tables whose state they
   * read: their keys are drawn here once those are (a learned parent's predicted child counts), then written.
   */
  private readonly keysPending = new Map<string, { ref: TableRef; after: string[] }>();

  private readonly started = Date.now();

  private constructor(
    private readonly workers: ChildProcess[],
    private readonly privacy: PrivacyRun | null,
    /** Where the bundle file is, removed once the workers are gone. */
    private readonly bundleDir: string,
    private readonly emit: LoadTablesContext['emit'],
    /** Where windows are taken and anchor values left for the workers. */
    private readonly windowDir: string,
    /** The main process's generation, whose state of the tables split tables read goes to the workers. */
    private readonly generation: Generation,
  ) {}

  /**
   * Starts the workers, which take windows as soon as they are up, or null when nothing is split: no workers
   * configured, a target only this process can open (PGlite), no table of `generation.minRows` rows that no later
   * table reads.
   */
  static start(args: ParallelLoadArgs): ParallelLoad | null {
    const { config, plan, models, generation, reference } = args;
    const workers = loadWorkers(config.generation.workers);
    if (workers === 0 || args.targetName === undefined) return null;
    const url = targetUrl(config, args.targetName);
    if (dialectOf(url) === 'pglite') return null;
    const steps = plan.steps.map((s) => tableKey(s.table));
    const rows = (key: string) => generation.rowCounts.get(key) ?? 0;
    const big = (key: string) => rows(key) >= config.generation.minRows && !reference.has(key) && models.tables.has(key);
    // Small runs (tests, lookups) stop here, before the bundle is built.
    if (!steps.some(big)) return null;
    const bundle = loadBundle(config, args.targetName, args, args.privacy?.filtering ? args.privacy.filterSamples() : null);
    // A table some later table reads (context, count heads, anchors) is generated whole in the main process.
    const read = new Set<string>();
    for (const key of steps) for (const p of tablesToReplay(bundle, models, key)) read.add(p);
    const split = steps.filter((key) => big(key) && !read.has(key));
    if (split.length === 0) return null;
    // A worker filters the rows of the split tables alone (it replays ancestors without their filters): the other
    // tables' samples would only take its memory (SF1: 20 000 rows of each of five more tables, strings and all).
    if (bundle.filters) bundle.filters.samples = bundle.filters.samples.filter(([key]) => split.includes(key));
    // In a directory only this user reads: the bundle holds the copy filters' samples (after the PII transforms).
    const dir = mkdtempSync(join(tmpdir(), 'synth-load-'));
    const data: LoadWorkerData = { bundleFile: join(dir, 'bundle'), config, targetUrl: url, tables: [], windowDir: join(dir, 'windows') };
    mkdirSync(data.windowDir, { mode: 0o700 });
    writeFileSync(data.bundleFile, serialize(bundle), { mode: 0o600 });
    const pool = new ParallelLoad([], args.privacy?.filtering ? args.privacy : null, dir, args.emit, data.windowDir, generation);
    for (const [i, key] of split.entries()) {
      const fed = anchorFeeds(bundle, models, key);
      const parents = stateFeeds(bundle, models, key);
      for (const p of parents) pool.stateTables.add(p);
      const table: SplitWindows = { table: key, rows: rows(key), size: windowRows(rows(key), workers + 1), anchors: [...fed.keys()], parents };
      data.tables.push(table);
      pool.splits.set(key, new SplitState(new TableWindows(table, data.windowDir, i), workers));
      pool.keysPending.set(key, { ref: plan.steps.find((s) => tableKey(s.table) === key)!.table, after: parents });
      for (const [parent, columns] of fed) pool.anchorColumns.set(parent, [...new Set([...(pool.anchorColumns.get(parent) ?? []), ...columns])]);
    }
    for (let i = 0; i < workers; i++) pool.workers.push(pool.watch(startWorker(data)));
    // While the workers start up: the keys of split tables that read no earlier table's generation (any baseline's).
    try {
      pool.writeReadyKeys();
    } catch (e) {
      void pool.close();
      throw e;
    }
    return pool;
  }

  /**
   * Draws and writes the FK parents of every split table whose keys can be drawn now, once for all processes: the
   * main process keeps them for its own windows (SF1's lineitem: ~2.5 CPU-s that each worker spent again).
   */
  private writeReadyKeys(): void {
    for (const [key, { ref, after }] of this.keysPending) {
      if (!after.every((t) => this.stateWritten.has(t))) continue;
      this.keysPending.delete(key);
      writeKeys(this.windowDir, this.generation.keyState(ref));
    }
  }

  /** How many worker processes ran, and the CPU milliseconds they reported (start-up included). */
  usage(): { workers: number; cpuMs: number } {
    return { workers: this.workers.length, cpuMs: [...this.cpu.values()].reduce((a, b) => a + b, 0) };
  }

  /**
   * A table's batches as the main process loads them, passed through; for a parent whose anchor values split tables'
   * windows wait for, those columns are kept as they pass and written for the workers once the last batch is out.
   */
  feed<B extends RowBatch>(key: string, batches: AsyncIterable<B>): AsyncIterable<B> {
    const columns = this.anchorColumns.get(key);
    const kept = columns ? this.keepAnchors(key, columns, batches) : batches;
    return this.stateTables.has(key) ? this.keepState(key, kept) : kept;
  }

  /** Passes a table's batches; once the last is out (its generation is done), writes its state for the workers. */
  private async *keepState<B extends RowBatch>(key: string, batches: AsyncIterable<B>): AsyncIterable<B> {
    yield* batches;
    writeState(this.windowDir, key, this.generation.state(key));
    this.stateWritten.add(key);
    this.writeReadyKeys();
  }

  private async *keepAnchors<B extends RowBatch>(key: string, columns: string[], batches: AsyncIterable<B>): AsyncIterable<B> {
    // The same values the main process's data rules keep for its own windows (apply-rules.ts), read before the load
    // takes the batch.
    const kept = new RetainedColumns(columns);
    let at: number[] | null = null;
    for await (const batch of batches) {
      at ??= columns.map((c) => batch.columns.indexOf(c));
      for (const row of batch.rows) kept.push(row, at);
      yield batch;
    }
    writeAnchors(this.windowDir, key, kept.seal().toWire());
  }

  /** The split of a table, or undefined when it loads whole in the main process. */
  table(key: string): SplitTable | undefined {
    return this.splits.get(key);
  }

  /** Ends the workers; after an error, their windows in flight are abandoned (the shadow is dropped anyway). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [key, s] of this.splits) s.fail(new SynthError('INTERNAL', `The load of ${key} in a worker process was stopped.`));
    try {
      await this.stopWorkers();
    } finally {
      rmSync(this.bundleDir, { recursive: true, force: true });
    }
  }

  private async stopWorkers(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null || w.signalCode !== null) return resolve();
            w.once('exit', () => resolve());
            // Idle workers close their connection and leave; one still loading is stopped (its COPY rolls back).
            if (w.connected) send(w, { type: 'close' });
            const kill = setTimeout(() => w.kill(), 5000);
            kill.unref();
            w.once('exit', () => clearTimeout(kill));
          }),
      ),
    );
  }

  /** Answers a worker's requests and reports; a worker that died fails every table not yet loaded. */
  private watch(w: ChildProcess): ChildProcess {
    let stderr = '';
    w.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    const died = (why: string) =>
      this.failAll(new SynthError('LOAD_FAILED', `A load worker process ${why}${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`, { hint: 'Set generation: { workers: 0 } to load every table in the main process.' }));
    w.on('error', (e) => died(`failed (${e.message})`));
    w.on('exit', (code, signal) => {
      if (!this.closed) died(`exited (${signal ?? `code ${code}`}) before its windows were loaded`);
    });
    w.on('message', (m: WorkerReply) => {
      if (m.type === 'ready') {
        // Its start-up (tsx, the bundle) is time the main process draws alone: worth seeing in the log.
        this.emit({ type: 'info', message: `Load: worker process ${this.workers.indexOf(w) + 1} up after ${this.since(m.at)} s` });
        return;
      }
      const s = this.splits.get(m.table);
      if (!s) return;
      if (m.type === 'took') {
        this.emit({ type: 'info', message: `${m.table}: worker process ${this.workers.indexOf(w) + 1} took rows ${m.start}–${m.end}, its first window of the table, ${this.since(m.at)} s into the load` });
        return;
      }
      if (m.type === 'progress') {
        s.inRun.set(w, m.rows);
        return;
      }
      s.inRun.delete(w);
      if (m.type === 'done') {
        this.cpu.set(w, m.cpuMs);
        s.rows += m.rows;
        s.workerWindows += m.windows;
        s.workerMs += m.ms;
        // The counts only: anything else a report holds is the main process's own filter's.
        if (m.filters && this.privacy) addFilterCounts((this.privacy.filters[m.table] ??= emptyFilterReport()), m.filters);
        s.check();
        return;
      }
      const e = m.error;
      s.fail(
        new SynthError((e.code as SynthErrorCode | undefined) ?? 'LOAD_FAILED', e.message, {
          table: e.table ?? m.table,
          ...(e.column === undefined ? {} : { column: e.column }),
          hint: e.hint ?? 'The load of this table in a worker process failed; set generation: { workers: 0 } to load it in the main process.',
        }),
      );
    });
    return w;
  }

  /** Seconds from the workers' start to `at` (a worker's clock: the same machine's). */
  private since(at: number): string {
    return ((at - this.started) / 1000).toFixed(1);
  }

  private failAll(error: Error): void {
    for (const s of this.splits.values()) s.fail(error);
  }
}

/**
 * A worker process on the module beside this one: JavaScript when built, TypeScript (through tsx) under tsx or
 * vitest. A process rather than a thread: Node 20 applies no module hooks in worker threads, so a thread could not
 * load the TypeScript sources, and the database connection is its own either way.
 */
function startWorker(data: LoadWorkerData): ChildProcess {
  const self = fileURLToPath(import.meta.url);
  const ts = self.endsWith('.ts');
  const child = fork(fileURLToPath(new URL(ts ? './load-worker.ts' : './load-worker.js', import.meta.url)), [], {
    // tsx resolved from here, not from the working directory the command was started in.
    // The main process's heap limit (heap-limit.ts): without it a worker's collector slack doubles its RSS.
    execArgv: [...heapLimitArgs(), ...(ts ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [])],
    env: { ...process.env, SYNTH_LOAD_WORKER: '1' },
    // Structured clone over the channel: the anchor values' typed arrays travel as they are.
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  send(child, { type: 'start', ...data });
  return child;
}

function send(child: ChildProcess, m: WorkerMessage): void {
  child.send(m);
}

/** `batches` through the pool's `feed` when there are worker processes (load.ts wraps every table's load in it). */
export function feedWorkers<B extends RowBatch>(pool: ParallelLoad | null, key: string, batches: AsyncIterable<B>): AsyncIterable<B> {
  return pool ? pool.feed(key, batches) : batches;
}

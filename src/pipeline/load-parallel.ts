/**
 * Big tables generated and loaded on both (all) cores: worker processes (load-worker.ts) each take a window of a
 * table's rows and load it on a connection of their own, while the main process loads the first window through the
 * usual chain. Every batch is seeded by (seed, table, batch number) alone and so is everything after generation
 * (copy filters, credentials, data rules), so the table holds the same rows as a load in one process.
 *
 * Only tables no later table reads are split (a window leaves the table's retained rows, predicted child counts and
 * anchors incomplete). Every split table's worker units are posted at the start of the load stage. A table that reads
 * its parents' anchor values (a line's ship date after its order's date) gets them from the main process once it
 * has loaded the parent (`feedWorkers`); one that reads more (a learned model's context and count heads) replays the
 * generation of the ancestors it reads in the worker, without their copy filters (distributed/shard-rows.ts). The
 * main process's share of each split table is chosen by a model of who draws what when (`splitShares`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fork, type ChildProcess } from 'node:child_process';
import { dialectOf } from '../connectors/index.js';
import type { SynthConfig } from '../config/schema.js';
import { loadBundle } from '../distributed/run-bundle.js';
import { anchorFeeds, tablesToReplay } from '../distributed/shard-rows.js';
import { SynthError, type SynthErrorCode } from '../errors.js';
import { DEFAULT_BATCH_SIZE, type RowWindow } from '../generation/generate.js';
import type { PrivacyRun } from '../generation/privacy/privacy-run.js';
import { RetainedColumns } from '../generation/retained-columns.js';
import { tableKey } from '../schema/model.js';
import type { RowBatch } from '../schema/values.js';
import type { FilterReport } from '../validation/privacy/privacy-report.js';
import { targetUrl } from './connect.js';
import { heapLimitArgs } from './heap-limit.js';
import type { LoadTablesContext } from './hydrate.js';
import type { LoadUnit, LoadWorkerData, WorkerMessage, WorkerReply } from './load-worker.js';

export interface ParallelLoadArgs extends Pick<LoadTablesContext, 'shadow' | 'schema' | 'plan' | 'models' | 'generation' | 'reference' | 'credentials' | 'privacy' | 'runId'> {
  config: SynthConfig;
  /** The config's target name (workers open their own connections to its URL); none: no workers. */
  targetName?: string;
}

/** A split table: the main process's window, and what the workers loaded of the rest (rows, filter counts). */
export interface SplitTable {
  main: RowWindow;
  /** What the workers load: rows [main.end, end) over `threads` worker processes. */
  rest: { start: number; end: number; threads: number };
  /** Rows the workers loaded so far (progress). */
  loaded(): number;
  /** Settles when every worker window of the table is in; the rows they loaded. */
  done: Promise<number>;
}

/** Worker processes for `generation.workers`: 'auto' is one per core but the main process's. */
export function loadWorkers(setting: SynthConfig['generation']['workers']): number {
  return setting === 'auto' ? Math.max(0, availableParallelism() - 1) : setting;
}

interface Pending {
  table: string;
  resolve: (r: { rows: number; filters?: FilterReport }) => void;
  reject: (e: Error) => void;
}

export class ParallelLoad {
  private readonly splits = new Map<string, SplitTable>();
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private nextId = 0;
  /** CPU milliseconds each worker reported with its last finished window. */
  private readonly cpu = new Map<ChildProcess, number>();
  /** Columns of a parent whose final values split tables anchor on, by parent key (sent once it is loaded). */
  private readonly anchorColumns = new Map<string, string[]>();

  private constructor(
    private readonly workers: ChildProcess[],
    private readonly privacy: PrivacyRun | null,
    /** Where the bundle file is, removed once the workers are gone. */
    private readonly bundleDir: string,
  ) {}

  /**
   * Starts the workers and posts their windows, or null when nothing is split: no workers configured, a target
   * only this process can open (PGlite), no table of `generation.minRows` rows that no later table reads.
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
    // In a directory only this user reads: the bundle holds the copy filters' samples (after the PII transforms).
    const dir = mkdtempSync(join(tmpdir(), 'synth-load-'));
    const data: LoadWorkerData = { bundleFile: join(dir, 'bundle'), config, targetUrl: url };
    writeFileSync(data.bundleFile, serialize(bundle), { mode: 0o600 });
    const pool = new ParallelLoad(
      Array.from({ length: workers }, () => startWorker(data)),
      args.privacy?.filtering ? args.privacy : null,
      dir,
    );
    for (const w of pool.workers) {
      let stderr = '';
      w.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
      // A worker that died (out of memory, a crash) fails the windows it still had.
      const died = (why: string) =>
        pool.failAll(new SynthError('LOAD_FAILED', `A load worker process ${why}${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`, { hint: 'Set generation: { workers: 0 } to load every table in the main process.' }));
      w.on('error', (e) => died(`failed (${e.message})`));
      w.on('exit', (code, signal) => {
        if (!pool.closed) died(`exited (${signal ?? `code ${code}`}) before its windows were loaded`);
      });
    }
    // Windows wait for the main process to load the parents whose anchor values they need, and replay the generation
    // of the ancestors they read otherwise (a learned model's context and count heads).
    const feeds = new Map(split.map((k) => [k, anchorFeeds(bundle, models, k)] as const));
    const replayRows = (k: string) => [...tablesToReplay(bundle, models, k, { anchors: false })].reduce((b, p) => b + rows(p), 0);
    const shares = splitShares(
      steps.map((k) => (split.includes(k) ? { key: k, rows: rows(k), split: { after: [...feeds.get(k)!.keys()], replayRows: replayRows(k) } } : { key: k, rows: rows(k) })),
      workers,
    );
    for (const key of split) {
      const fed = feeds.get(key)!;
      if (!pool.split(key, rows(key), shares.get(key) ?? 1, [...fed.keys()])) continue;
      for (const [parent, columns] of fed) pool.anchorColumns.set(parent, [...new Set([...(pool.anchorColumns.get(parent) ?? []), ...columns])]);
    }
    if (pool.splits.size === 0) {
      void pool.close();
      return null;
    }
    return pool;
  }

  /** How many worker processes ran, and the CPU milliseconds they reported (start-up included). */
  usage(): { workers: number; cpuMs: number } {
    return { workers: this.workers.length, cpuMs: [...this.cpu.values()].reduce((a, b) => a + b, 0) };
  }

  /**
   * A table's batches as the main process loads them, passed through; for a parent whose anchor values split tables'
   * windows wait for, those columns are kept as they pass and sent to the workers once the last batch is out.
   */
  feed<B extends RowBatch>(key: string, batches: AsyncIterable<B>): AsyncIterable<B> {
    const columns = this.anchorColumns.get(key);
    return columns ? this.keepAnchors(key, columns, batches) : batches;
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
    const values = kept.seal().toWire();
    for (const w of this.workers) if (w.connected) send(w, { type: 'anchors', table: key, values });
  }

  /** The split of a table, or undefined when it loads whole in the main process. */
  table(key: string): SplitTable | undefined {
    return this.splits.get(key);
  }

  /** Ends the workers; after an error, their windows in flight are abandoned (the shadow is dropped anyway). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new SynthError('INTERNAL', `The load of ${p.table} in a worker process was stopped.`));
    this.pending.clear();
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

  /**
   * Windows of whole batches: the main process takes the first, `share` of the rows (its load starts when the plan
   * reaches the table), each worker an equal part of the rest (posted now); `anchors`: the parents whose anchor
   * values the workers' windows wait for. False when the main process's share is all of it.
   */
  private split(key: string, n: number, share: number, anchors: string[]): boolean {
    const batches = (rows: number) => Math.round(rows / DEFAULT_BATCH_SIZE) * DEFAULT_BATCH_SIZE;
    const mine = Math.min(n, batches(n * share));
    if (mine >= n) return false;
    const size = Math.ceil((n - mine) / this.workers.length / DEFAULT_BATCH_SIZE) * DEFAULT_BATCH_SIZE;
    const progress = new Map<number, number>();
    const units: Array<Promise<{ rows: number; filters?: FilterReport }>> = [];
    for (let w = 0; w < this.workers.length; w++) {
      const start = mine + size * w;
      const end = Math.min(n, start + size);
      if (start >= end) break;
      const unit: LoadUnit = { id: this.nextId++, table: key, start, end, anchors };
      units.push(this.post(this.workers[w]!, unit, (rows) => progress.set(unit.id, rows)));
    }
    const done = Promise.all(units).then((results) => {
      for (const r of results) if (r.filters && this.privacy) addFilterCounts(this.privacy, key, r.filters);
      return results.reduce((a, r) => a + r.rows, 0);
    });
    // Awaited when the plan reaches the table; until then a failure must not count as unhandled.
    done.catch(() => undefined);
    this.splits.set(key, { main: { start: 0, end: mine }, rest: { start: mine, end: n, threads: units.length }, loaded: () => [...progress.values()].reduce((a, b) => a + b, 0), done });
    return true;
  }

  private post(worker: ChildProcess, unit: LoadUnit, progress: (rows: number) => void): Promise<{ rows: number; filters?: FilterReport }> {
    return new Promise((resolve, reject) => {
      this.pending.set(unit.id, { table: unit.table, resolve, reject });
      const onMessage = (m: WorkerReply) => {
        if (m.id !== unit.id) return;
        if (m.type === 'progress') return progress(m.rows);
        worker.off('message', onMessage);
        this.pending.delete(unit.id);
        if (m.type === 'done') {
          this.cpu.set(worker, m.cpuMs);
          progress(m.rows);
          resolve(m.filters ? { rows: m.rows, filters: m.filters } : { rows: m.rows });
        } else {
          const e = m.error;
          reject(
            new SynthError((e.code as SynthErrorCode | undefined) ?? 'LOAD_FAILED', e.message, {
              table: e.table ?? unit.table,
              ...(e.column === undefined ? {} : { column: e.column }),
              hint: e.hint ?? 'The load of this table in a worker process failed; set generation: { workers: 0 } to load it in the main process.',
            }),
          );
        }
      };
      worker.on('message', onMessage);
      send(worker, { type: 'unit', ...unit });
    });
  }

  private failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}

/**
 * One share of every split table for the main process, so that it and each worker draw about as many rows: the
 * main process also draws every table that is not split; each worker first replays the ancestors its tables read.
 * Where `splitShares` starts from.
 */
export function mainShare(unsplitRows: number, splitRows: number, replayRows: number, workers: number): number {
  if (splitRows <= 0) return 1;
  // unsplit + m = replay + (split - m) / workers, for m the main process's rows of the split tables.
  const m = (replayRows + splitRows / workers - unsplitRows) / (1 + 1 / workers);
  return Math.min(1, Math.max(0, m / splitRows));
}

/** A plan step as `splitShares` sees it: its rows, and for a split table what its workers' windows wait for. */
export interface ShareStep {
  key: string;
  rows: number;
  /** Split: the parents (keys) whose load in the main process the windows wait for, and the rows each window replays first. */
  split?: { after: string[]; replayRows: number };
}

/**
 * The main process's share of each split table, so that the load ends soonest by a model of it counted in rows
 * drawn: the main process draws the plan in order and waits at a split table until the workers' windows of it are
 * in (pipeline/load.ts); the workers draw their windows in plan order, each once the parents it waits for are loaded,
 * after replaying what it replays. From the uniform balance (`mainShare`), each table's share is searched on a grid
 * of 1/50 in turn, a few rounds: a table the workers can draw while the main process is on a parent (partsupp during
 * orders) goes to them, one they must wait for is shared from there on.
 */
/**
 * What a row costs a worker process, in the main process's rows: its COPY / LOAD DATA runs beside the main process's
 * on the same cores, and at SF1 a worker spent 15 µs of CPU a row where the main process spent 10 (start-up
 * included). Counted as equal, the model gave the workers half of lineitem and the main process waited for them.
 */
const WORKER_ROW_COST = 1.5;

export function splitShares(steps: ShareStep[], workers: number): Map<string, number> {
  const split = steps.filter((s) => s.split);
  const sum = (xs: ShareStep[], f: (s: ShareStep) => number) => xs.reduce((a, s) => a + f(s), 0);
  const start = mainShare(sum(steps.filter((s) => !s.split), (s) => s.rows), sum(split, (s) => s.rows), sum(split, (s) => s.split!.replayRows), workers);
  const shares = new Map(split.map((s) => [s.key, start] as const));
  const end = () => {
    let main = 0;
    let worker = 0;
    const done = new Map<string, number>();
    for (const s of steps) {
      const share = s.split ? shares.get(s.key)! : 1;
      if (s.split && share < 1) {
        const ready = Math.max(0, ...s.split.after.map((p) => done.get(p) ?? 0));
        worker = Math.max(worker, ready) + WORKER_ROW_COST * (s.split.replayRows + ((1 - share) * s.rows) / workers);
        main = Math.max(main + share * s.rows, worker);
      } else main += s.rows;
      done.set(s.key, main);
    }
    return Math.max(main, worker);
  };
  let best = end();
  for (let round = 0; round < 4; round++) {
    let moved = false;
    for (const s of split) {
      for (let g = 0; g <= 50; g++) {
        const was = shares.get(s.key)!;
        shares.set(s.key, g / 50);
        const t = end();
        // Only a clearly better share moves it (the search is deterministic either way).
        if (t < best - 1e-6 * best) {
          best = t;
          moved = true;
        } else shares.set(s.key, was);
      }
    }
    if (!moved) break;
  }
  return shares;
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

/** Adds a worker window's copy-filter counts to the run's (the privacy report reads them per table). */
function addFilterCounts(privacy: PrivacyRun, key: string, counts: FilterReport): void {
  const into = (privacy.filters[key] ??= { total: 0, kept: 0, exactCopies: 0, nearCopies: 0, outliers: 0, regenerated: 0, unresolved: 0 });
  for (const [k, v] of Object.entries(counts) as Array<[keyof FilterReport, number | undefined]>) {
    if (v !== undefined && (v !== 0 || k !== 'nudged')) into[k] = (into[k] ?? 0) + v;
  }
}

/** `batches` through the pool's `feed` when there are worker processes (load.ts wraps every table's load in it). */
export function feedWorkers<B extends RowBatch>(pool: ParallelLoad | null, key: string, batches: AsyncIterable<B>): AsyncIterable<B> {
  return pool ? pool.feed(key, batches) : batches;
}

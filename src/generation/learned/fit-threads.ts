/**
 * Training threads: the learned models of different tables are independent (each seeded by the run's seed and its
 * table), so big samples are fitted on worker threads, one table a thread, while the main thread waits or fits the
 * small ones. A fit gives the same weights on any thread of the same backend; the artifact carries them bit for bit.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SynthError, type SynthErrorCode } from '../../errors.js';
import { computeBackendName, type BackendChoice } from '../compute/index.js';
import type { LearnedFactoryArgs } from './fit.js';
import type { FitAnswer, FitRequest } from './fit-thread.js';
import { learnedModelFromArtifact, type LearnedModel } from './learned-model.js';
import { defaultLearnedOptions, type LearnedOptions } from './options.js';

/**
 * Below this many sample rows a table trains on the calling thread: its fit takes well under a second, about what a
 * thread's start (module load, wasm compile) costs.
 */
export const MIN_THREAD_ROWS = 5000;

interface Lane {
  worker: Worker;
  busy: boolean;
}

interface Job {
  args: LearnedFactoryArgs;
  here: () => Promise<LearnedModel>;
  resolve: (m: LearnedModel) => void;
  reject: (e: unknown) => void;
}

export class FitThreads {
  private readonly lanes: Lane[] = [];
  private readonly queue: Job[] = [];
  private readonly pending = new Map<number, { job: Job; lane: Lane }>();
  private nextId = 0;
  private onThreads = 0;
  private scheduled = false;
  private closed = false;

  /** `size` threads at most, started on demand; `minRows`: smaller samples fit on the calling thread. */
  constructor(
    readonly size: number,
    readonly minRows: number = MIN_THREAD_ROWS,
  ) {}

  /** As many threads as the machine has cores, but no more than `tables` (the fits that would use one). */
  static forTables(tables: number, minRows?: number): FitThreads | null {
    const size = Math.min(availableParallelism(), tables);
    return size >= 2 ? new FitThreads(size, minRows) : null;
  }

  /**
   * Fits on a thread when the sample is big enough and the options are plain data (a DP hook or encoder callback
   * cannot cross threads); otherwise, or when the thread's backend is not this thread's, `here` fits it.
   */
  fit(args: LearnedFactoryArgs, here: () => Promise<LearnedModel>): Promise<LearnedModel> {
    const backend = computeBackendName();
    // The thread has its own copy of the defaults: it gets this thread's, as changed here (a bench's step cap).
    const options: LearnedOptions = { ...defaultLearnedOptions, ...args.options };
    if (this.closed || args.sample.rows.length < this.minRows || options.dp !== undefined || Object.values(options).some((v) => typeof v === 'function') || (backend !== 'wasm' && backend !== 'cpu')) {
      return here();
    }
    return new Promise<LearnedModel>((resolve, reject) => {
      this.queue.push({ args: { ...args, sample: fittedColumns(args), options }, here, resolve, reject });
      // fitModels asks for every table in one go: once all are queued, the biggest go first (the last table to
      // start should be a short one, or one thread idles while the other finishes lineitem).
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.queue.sort((a, b) => cost(b.args) - cost(a.args));
          this.pump();
        });
      }
    });
  }

  /** Ends the threads; a fit still queued or running is abandoned (its caller has failed already). */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    await Promise.all(this.lanes.splice(0).map((l) => l.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let lane = this.lanes.find((l) => !l.busy);
      if (!lane && this.lanes.length < this.size) lane = this.start();
      if (!lane) return;
      const job = this.queue.shift()!;
      const id = this.nextId++;
      lane.busy = true;
      // A thread at work keeps the process alive (the caller only awaits its answer); an idle one does not.
      lane.worker.ref();
      this.pending.set(id, { job, lane });
      const req: FitRequest = { id, backend: computeBackendName() as BackendChoice, args: job.args };
      try {
        lane.worker.postMessage(req);
      } catch {
        // A value that cannot be cloned: this thread fits it.
        this.pending.delete(id);
        lane.busy = false;
        lane.worker.unref();
        job.here().then(job.resolve, job.reject);
      }
    }
  }

  private start(): Lane {
    const ts = fileURLToPath(import.meta.url).endsWith('.ts');
    const entry = new URL(ts ? './fit-thread.ts' : './fit-thread.js', import.meta.url);
    // Under tsx (the sources, tests) the thread registers tsx's loader before it imports its entry: Node 20 does not
    // apply an `--import` of a worker's execArgv to the worker's own entry.
    const worker = ts
      ? new Worker(`import(${JSON.stringify(tsxApi())}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true })
      : new Worker(entry);
    const lane: Lane = { worker, busy: false };
    worker.unref();
    worker.on('message', (answer: FitAnswer) => this.answered(lane, answer));
    worker.on('error', (e) => this.lost(lane, e));
    worker.on('exit', () => this.lost(lane, null));
    this.lanes.push(lane);
    return lane;
  }

  /** Tables fitted on a thread so far (the rest fitted on the calling thread). */
  get fittedOnThreads(): number {
    return this.onThreads;
  }

  private answered(lane: Lane, answer: FitAnswer): void {
    const p = this.pending.get(answer.id);
    if (!p) return;
    this.pending.delete(answer.id);
    lane.busy = false;
    lane.worker.unref();
    const { job } = p;
    if (answer.ok) {
      try {
        job.resolve(learnedModelFromArtifact(answer.artifact));
        this.onThreads++;
      } catch (e) {
        job.reject(e);
      }
    } else if (answer.error.code === undefined) {
      // Not the fit's own error (another backend, a thread that could not load): this thread fits it.
      job.here().then(job.resolve, job.reject);
    } else {
      const { code, message, hint, table, column } = answer.error;
      job.reject(new SynthError(code as SynthErrorCode, message, { ...(hint ? { hint } : {}), ...(table ? { table } : {}), ...(column ? { column } : {}) }));
    }
    this.pump();
  }

  /** A thread that died: its fit runs here, and the thread is not used again. */
  private lost(lane: Lane, error: unknown): void {
    const i = this.lanes.indexOf(lane);
    if (i < 0) return;
    this.lanes.splice(i, 1);
    for (const [id, p] of this.pending) {
      if (p.lane !== lane) continue;
      this.pending.delete(id);
      if (this.closed) p.job.reject(error ?? new Error('training thread ended'));
      else p.job.here().then(p.job.resolve, p.job.reject);
    }
    if (!this.closed) this.pump();
  }
}

/** tsx's ESM API (its `register()`), next to the loader that `--import tsx` names. */
function tsxApi(): string {
  return new URL('./esm/api/index.mjs', pathToFileURL(createRequire(import.meta.url).resolve('tsx'))).href;
}

/** A fit's relative cost before it runs: sample rows × the columns its network reads and predicts. */
function cost(args: LearnedFactoryArgs): number {
  return args.sample.rows.length * (args.attributeColumns.length + (args.parentSample?.columns.length ?? 0) + (args.childCounts?.length ?? 0));
}

/** The sample cut to the columns the fit reads (keys and skipped columns would only be cloned to the thread). */
function fittedColumns(args: LearnedFactoryArgs): LearnedFactoryArgs['sample'] {
  const { sample } = args;
  const columns = args.attributeColumns.filter((c) => sample.columns.includes(c));
  const index = columns.map((c) => sample.columns.indexOf(c));
  return { table: sample.table, totalRows: sample.totalRows, columns, rows: sample.rows.map((r) => index.map((i) => r[i] ?? null)) };
}

/**
 * Generate + load: every table's rows, generated from its model (or copied, for `mode: copy`), streamed into the
 * shadow level by level of the plan (the tables of one level at once, up to `hooks.parallel`).
 */
import type { SourceConnector } from '../connectors/connector.js';
import type { SynthConfig } from '../config/schema.js';
import { SynthError } from '../errors.js';
import { stage } from '../events.js';
import type { HydrationPlan, TableStep } from '../graph/plan.js';
import { runLevels } from '../scheduler/run-queue.js';
import type { Row, RowBatch } from '../schema/values.js';
import { createGeneration, createRng, type Generation, type ModelSet } from '../generation/index.js';
import type { DatabaseSchema, Table, TableRef } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import type { PrivacyRun } from '../generation/privacy/privacy-run.js';
import type { CredentialScrubber } from '../generation/privacy/credential-fakes.js';
import { seedScope } from '../generation/seed-scope.js';
import type { HydrateHooks, LoadTablesContext } from './hydrate.js';
import { readReferenceRows } from './learn-rules.js';
import { feedWorkers, ParallelLoad } from './load-parallel.js';
import type { ShadowFault } from './shadow.js';
import { tableScale } from './table-config.js';

export interface PreparedGeneration {
  /** The rows of tables declared `mode: copy`, credentials already scrubbed. */
  reference: Map<string, { columns: string[]; rows: Row[] }>;
  generation: Generation;
}

/** Reads the copied tables from the source and sets up the seeded generation (row counts per table) of the run. */
export async function prepareGeneration(
  source: SourceConnector,
  schema: DatabaseSchema,
  plan: HydrationPlan,
  models: ModelSet,
  config: SynthConfig,
  credentials: CredentialScrubber,
): Promise<PreparedGeneration> {
  // A table declared `mode: copy` is copied verbatim, except its credentials.
  const reference = new Map([...(await readReferenceRows(source, schema, models.rules))].map(([key, rows]) => {
    const table = schema.tables.find((t) => tableKey(t) === key);
    return [key, table ? credentials.scrub(table, rows) : rows] as const;
  }));
  const generation = createGeneration(schema, plan, models, {
    reference,
    conformAfter: true,
    scale: config.scale,
    seed: config.seed,
    tableScale: (t: TableRef) => tableScale(config, t),
  });
  return { reference, generation };
}

/** What a `loadTables` hook gets, and what the in-process load needs besides. */
interface LoadShadow extends Omit<LoadTablesContext, 'filtering' | 'privacy' | 'signal'> {
  config: SynthConfig;
  hooks: HydrateHooks;
  fault: ShadowFault;
  privacy?: PrivacyRun | null;
  /** The config's target name: worker processes open their own connections to it (load-parallel.ts); none: no workers. */
  targetName?: string;
}

/** The load stage: in-process, or by the `loadTables` hook (distributed runs). */
export async function loadShadow(args: LoadShadow): Promise<void> {
  const { target, shadow, schema, plan, models, config, runId, emit, hooks, fault, reference, generation, credentials } = args;
  await stage(emit, 'load', async () => {
    if (hooks.loadTables) {
      const filtering = args.privacy?.filtering ?? false;
      return hooks.loadTables({ target, shadow, schema, plan, models, generation, reference, credentials, filtering, runId, emit, ...(hooks.signal ? { signal: hooks.signal } : {}) });
    }
    const cpu = process.cpuUsage();
    const loadStarted = Date.now();
    // Big tables no later table reads: worker processes load all but the first window of each (load-parallel.ts).
    const workers = ParallelLoad.start(args);
    const stop = () => void workers?.close();
    hooks.signal?.addEventListener('abort', stop, { once: true });
    try {
      // Tables of one level never reference each other, and each table's rows are seeded by the table alone. Split
      // tables go last: no later table reads them, and the workers draw them while this process draws the rest.
      const levels: TableStep[][] = [];
      const last: TableStep[] = [];
      for (const step of plan.steps) (workers?.table(tableKey(step.table)) ? last : (levels[step.level] ??= [])).push(step);
      await runLevels([...levels.filter((l) => l !== undefined), ...(last.length > 0 ? [last] : [])], hooks.parallel ?? 1, async (step) => {
        const table = mustFind(schema, step.table);
        const key = tableKey(table);
        const total = generation.rowCounts.get(key) ?? 0;
        const started = Date.now();
        const split = workers?.table(key);
        // A table's bar appears (and parallel loads show as overlapping) as soon as its load starts.
        emit({ type: 'table', stage: 'load', table: key, rows: 0, total });
        const tm = models.tables.get(key);
        const drawn = split ? split.draw((window) => generation.rows(table, window)) : generation.rows(table);
        // Copied reference rows are the source's on purpose: the copy filters leave them alone.
        const filtered = args.privacy && tm && !reference.has(key) ? args.privacy.filterRows(table, tm.meta, tm.model, drawn, createRng(config.seed).fork(`privacy-filter:${seedScope(schema, table)}`)) : drawn;
        // The data rules go last, so no filter or replacement after them can break an order invariant again; the
        // worker processes get the final values their windows anchor on from here.
        const generated = feedWorkers(workers, key, generation.conform(table, credentials.replaceIn(table, filtered)));
        let rows = await target.load(shadow, table, afterFirstBatch(generated, async () => {
          await fault('mid-load', key);
          await fault('connection-drop', key);
        }, hooks.signal), (n) => emit({ type: 'table', stage: 'load', table: key, rows: n + (split?.loaded() ?? 0), total }), { concurrent: split !== undefined });
        if (split) {
          const waiting = Date.now();
          rows += await split.done;
          emit({ type: 'info', message: `${key}: ${split.summary(Date.now() - waiting)}` });
        }
        if (split && rows !== total) {
          throw new SynthError('LOAD_FAILED', `Loading ${key} wrote ${rows} rows, ${total} were planned.`, {
            table: key,
            hint: 'The worker processes and the main process generated differently; set generation: { workers: 0 } and report this.',
          });
        }
        emit({ type: 'table', stage: 'load', table: key, rows, total, done: true, ms: Date.now() - started });
        // Its copy filter and training sample are done with (worker processes got theirs when the load began).
        args.privacy?.release(key);
      });
    } finally {
      hooks.signal?.removeEventListener('abort', stop);
      await workers?.close();
    }
    if (workers) {
      const { workers: n, cpuMs } = workers.usage();
      // Beside the stage's seconds, the processes' CPU says whether the cores were busy throughout (then only less CPU
      // makes it faster, not a different order of the windows).
      const own = process.cpuUsage(cpu);
      const seconds = (ms: number) => (ms / 1000).toFixed(1);
      emit({ type: 'info', message: `Load: ${n} worker process(es) used ${seconds(cpuMs)} CPU-s, this process ${seconds((own.user + own.system) / 1000)} CPU-s, in ${seconds(Date.now() - loadStarted)} s` });
    }
  });
}

/**
 * Passes batches through, running `after` once the first batch was consumed (the mid-load fault points), and
 * stopping between batches once `signal` fires, so an interrupted load ends within a batch.
 */
async function* afterFirstBatch(batches: AsyncIterable<RowBatch>, after: () => Promise<void>, signal?: AbortSignal): AsyncIterable<RowBatch> {
  let first = true;
  for await (const batch of batches) {
    signal?.throwIfAborted();
    yield batch;
    if (first) {
      first = false;
      await after();
    }
  }
}

function mustFind(schema: DatabaseSchema, ref: TableRef): Table {
  const t = schema.tables.find((x) => x.schema === ref.schema && x.name === ref.name);
  if (!t) throw new SynthError('INTERNAL', `Plan names a table not in the schema: ${tableKey(ref)}`);
  return t;
}

/**
 * A hydration as the product runs it: recorded in the state store, holding the target's lock from start to swap,
 * cleaning up shadows of dead runs, reusing trained models when the config allows, and breakable on purpose at
 * named fault points (SYNTH_FAULT) so crash-safety is tested rather than assumed. `synth hydrate`, `demo`,
 * `generate` and every scheduled job go through `runHydrateJob`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SynthConfig } from '../config/schema.js';
import type { Shadow, SourceConnector, TargetConnector } from '../connectors/connector.js';
import { openSource } from '../connectors/index.js';
import { SynthError, redactSecrets, registerSecret } from '../errors.js';
import type { EventSink, RunEvent } from '../events.js';
import { silentSink } from '../events.js';
import { modelSetFromArtifact, modelSetToArtifact, type ModelSet, type ModelSetArtifact } from '../generation/index.js';
import type { ModelArtifact } from '../generation/model.js';
import type { HydrationPlan } from '../graph/plan.js';
import {
  FAULT_POINTS,
  type FaultPoint,
  type HydrateHooks,
  type HydrateResult,
  hydrate,
  introspectAndPlan,
  newRunId,
  targetUrl,
  trainModels,
} from '../pipeline/index.js';
import type { DatabaseSchema, Table } from '../schema/model.js';
import { tableKey } from '../schema/model.js';
import { PII_KEY_ENV, PrivacyRun } from '../generation/privacy/privacy-run.js';
import { privacySpendRecords, type PrivacyResult } from '../validation/privacy/privacy-report.js';
import { reportAbandoned } from './abandoned-runs.js';
import { decideStaleShadows } from './cleanup.js';
import { parseTtl } from './preview.js';
import { recordRunEvents } from './run-recorder.js';
import { InterruptedError } from './interrupt.js';
import { failureOutcome, parsePauses, pauseAt, trackRun } from './run-liveness.js';
import { openConfiguredStateStore } from './state-configured.js';
import type { RunRecord, RunStatus, StateStore } from './state-store.js';
import { acquireTargetLock, protocolOf, type TargetLock } from './target-lock.js';

export { FAULT_POINTS, type FaultPoint };


export function composeSinks(...sinks: Array<EventSink | undefined>): EventSink {
  const list = sinks.filter((s): s is EventSink => s !== undefined);
  return (event: RunEvent) => {
    for (const s of list) s(event);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Fault injection

/** Reads `SYNTH_FAULT=point[,point]`; unknown names are a config error, not silently ignored. */
export function parseFaults(spec: string | undefined): FaultPoint[] {
  if (spec === undefined || spec.trim() === '') return [];
  const points = spec.split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const p of points) {
    if (!(FAULT_POINTS as readonly string[]).includes(p)) {
      throw new SynthError('CONFIG_INVALID', `SYNTH_FAULT names an unknown fault point "${p}".`, {
        hint: `Use one of: ${FAULT_POINTS.join(', ')} (comma-separated), or unset SYNTH_FAULT.`,
      });
    }
  }
  return points as FaultPoint[];
}

export class InjectedFault extends SynthError {
  constructor(readonly point: FaultPoint) {
    super('INTERNAL', `Injected fault at ${point} (SYNTH_FAULT).`, { hint: 'Unset SYNTH_FAULT (or the `faults` option) to run normally.' });
  }
}

const FAULT_SCHEMA = 'synth_fault_injection';

interface FaultInjector {
  at(point: FaultPoint, ctx: { target: TargetConnector; shadow: Shadow | null }): Promise<void>;
  /** Removes whatever the injector installed in the target (event triggers). */
  dispose(): Promise<void>;
}

/**
 * Each point fires once. Most throw where they are; the others break the real thing: `connection-drop`
 * terminates the target's COPY session, `during-finalize`/`during-swap` (PostgreSQL) install an event trigger
 * that raises inside the connector's own DDL, so the failure happens inside its transaction.
 */
function faultInjector(points: FaultPoint[], targetUrlValue: string): FaultInjector {
  const pending = new Set(points);
  let installed = false;
  const isPg = /^postgres(ql)?:/i.test(targetUrlValue);
  const isMysql = /^(mysql|mariadb):/i.test(targetUrlValue);
  const withPg = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: targetUrlValue, application_name: 'synth fault injector' });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  const raiseOn = async (point: FaultPoint, tags: string[]) => {
    installed = true;
    await withPg(async (c) => {
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${FAULT_SCHEMA}`);
      await c.query(`CREATE OR REPLACE FUNCTION ${FAULT_SCHEMA}.raise() RETURNS event_trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'Injected fault at ${point} (SYNTH_FAULT)'; END $$`);
      await c.query(`DROP EVENT TRIGGER IF EXISTS synth_fault_injection`);
      await c.query(`CREATE EVENT TRIGGER synth_fault_injection ON ddl_command_end WHEN TAG IN (${tags.map((t) => `'${t}'`).join(', ')})
        EXECUTE FUNCTION ${FAULT_SCHEMA}.raise()`);
    });
  };
  return {
    async at(point, ctx) {
      if (!pending.has(point)) return;
      pending.delete(point);
      if (point === 'connection-drop' && isPg) {
        await withPg(async (c) => {
          const db = decodeURIComponent(new URL(targetUrlValue).pathname.replace(/^\//, ''));
          const res = await c.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND query ILIKE 'COPY %' AND state <> 'idle'`,
            [db],
          );
          if (res.rowCount === 0) throw new InjectedFault(point);
        });
        return;
      }
      if (point === 'connection-drop' && isMysql && ctx.shadow !== null) {
        const shadowDb = ctx.shadow.namespaces[0]?.shadow ?? '';
        const conn = await mysql.createConnection({ uri: targetUrlValue });
        try {
          // The loading statement names the shadow database; the lock's connection (GET_LOCK) does not.
          const [rows] = await conn.query<mysql.RowDataPacket[]>(
            `SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE CONCAT('%', ?, '%') AND (INFO LIKE 'LOAD DATA%' OR INFO LIKE 'INSERT%')`,
            [shadowDb],
          );
          if (rows.length === 0) throw new InjectedFault(point);
          for (const r of rows) await conn.query(`KILL ${Number(r['ID'])}`);
        } finally {
          await conn.end().catch(() => undefined);
        }
        return;
      }
      if (point === 'during-finalize' && isPg) return raiseOn(point, ['ALTER TABLE', 'CREATE INDEX']);
      if (point === 'during-swap' && isPg) return raiseOn(point, ['ALTER SCHEMA']);
      throw new InjectedFault(point);
    },
    async dispose() {
      if (!installed) return;
      await withPg(async (c) => {
        await c.query('DROP EVENT TRIGGER IF EXISTS synth_fault_injection');
        await c.query(`DROP SCHEMA IF EXISTS ${FAULT_SCHEMA} CASCADE`);
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Model artifacts

/** A stable hash of what the models depend on in the schema (tables, columns, types, keys). */
export function schemaHash(schema: DatabaseSchema): string {
  const shape = schema.tables
    .map((t) => ({
      t: tableKey(t),
      c: t.columns.map((c) => [c.name, JSON.stringify(c.type), c.nullable]),
      pk: t.primaryKey?.columns ?? null,
      u: t.uniques.map((u) => u.columns),
      fk: t.foreignKeys.map((f) => [f.columns, tableKey(f.references), f.references.columns]),
    }))
    .sort((a, b) => a.t.localeCompare(b.t));
  return sha(JSON.stringify({ dialect: schema.dialect, shape }));
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Identifies "these models fit this source": the physical source database, its schema, and the training
 * settings. Row counts go into the sample hash instead, which is stored for history.
 */
export async function sourceFingerprint(source: SourceConnector, schema: DatabaseSchema, config: SynthConfig): Promise<string> {
  const identity = await source.identity();
  const training = { seed: config.seed, model: config.model, tables: config.tables, sampleRows: config.training.sampleRows, privacy: config.privacy };
  return sha(JSON.stringify({ identity, schema: schemaHash(schema), training })).slice(0, 24);
}

async function sampleHash(source: SourceConnector, schema: DatabaseSchema, config: SynthConfig): Promise<string> {
  const counts: Array<[string, number]> = [];
  for (const t of schema.tables) counts.push([tableKey(t), await source.countRows(t)]);
  return sha(JSON.stringify({ counts, seed: config.seed, sampleRows: config.training.sampleRows })).slice(0, 24);
}

export interface TrainedArtifact {
  fingerprint: string;
  location: string;
  tables: number;
}

/** Writes the model set (no raw rows: statistics and weights only) and records it per table. */
export async function saveModelArtifact(args: {
  store: StateStore;
  config: SynthConfig;
  source: SourceConnector;
  schema: DatabaseSchema;
  models: ModelSet;
  runId: string;
}): Promise<TrainedArtifact> {
  const { store, config, source, schema, models, runId } = args;
  const fingerprint = await sourceFingerprint(source, schema, config);
  const dir = resolve(config.outDir, 'models', fingerprint);
  mkdirSync(dir, { recursive: true });
  const location = join(dir, `${runId}.json`);
  writeFileSync(location, JSON.stringify(modelSetToArtifact(models)));
  const hash = schemaHash(schema);
  const samples = await sampleHash(source, schema, config);
  const createdAt = new Date();
  for (const t of models.tables.values()) {
    await store.recordArtifact({ sourceFingerprint: fingerprint, table: tableKey(t.table), location, schemaHash: hash, sampleHash: samples, runId, createdAt });
  }
  return { fingerprint, location, tables: models.tables.size };
}

/** The newest stored model set covering every table of `schema`, or null. */
export async function loadLatestModels(args: {
  store: StateStore;
  config: SynthConfig;
  source: SourceConnector;
  schema: DatabaseSchema;
  maxAgeMs?: number;
}): Promise<{ models: ModelSet; location: string; createdAt: Date } | null> {
  const { store, config, source, schema } = args;
  const fingerprint = await sourceFingerprint(source, schema, config);
  const records = await store.latestArtifacts(fingerprint, args.maxAgeMs);
  const wanted = schema.tables.map(tableKey);
  const byTable = new Map(records.map((r) => [r.table, r]));
  if (wanted.some((k) => !byTable.has(k))) return null;
  // Newest location that covers everything (all tables of one training share a file).
  const newest = [...records].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  if (newest === undefined) return null;
  if (wanted.some((k) => byTable.get(k)!.location !== newest.location)) return null;
  let json: ModelSetArtifact;
  try {
    json = JSON.parse(readFileSync(newest.location, 'utf8')) as ModelSetArtifact;
  } catch {
    return null;
  }
  const learned = json.tables.some((t) => t.model.kind === 'learned');
  const loader = learned ? (await import('../generation/learned/index.js')).learnedFromArtifactForTable : undefined;
  const models = modelSetFromArtifact(json, schema, loader ? { learnedFromArtifact: (a: ModelArtifact, t: Table) => loader(a, t) } : {});
  return { models, location: newest.location, createdAt: newest.createdAt };
}

export type ModelPolicy = 'config' | 'require';

function reuseMaxAge(config: SynthConfig): number | null {
  const reuse = config.training.reuse;
  return reuse === 'never' ? null : parseTtl(reuse.maxAge);
}

// ---------------------------------------------------------------------------------------------------------------
// The job

export interface HydrateJobOptions {
  config: SynthConfig;
  target: string;
  /** 'source' (default) or another target's name to copy from. */
  from?: string;
  emit?: EventSink;
  /** An open store to record into; opened from the config (and closed) when omitted. */
  store?: StateStore;
  kind?: 'hydrate' | 'generate' | 'demo' | 'schedule';
  /** Wait for the target lock instead of failing with LOCKED. */
  wait?: boolean;
  lockTimeoutMs?: number;
  keepShadow?: boolean;
  /** Stops the run at the next step boundary (scheduler shutdown); the run is recorded as aborted. */
  signal?: AbortSignal;
  /** Fault points to break; default: `SYNTH_FAULT` of the environment. */
  faults?: FaultPoint[];
  /** 'config': reuse per `training.reuse`; 'require': use stored models or fail (`synth generate`). */
  models?: ModelPolicy;
}

export interface HydrateJobResult {
  run: RunRecord;
  result: HydrateResult;
  /** Stale shadows dropped at the start of the run. */
  droppedShadows: string[];
}

const DEFAULT_LOCK_TIMEOUT_MS = 6 * 60 * 60 * 1000;

export async function runHydrateJob(options: HydrateJobOptions): Promise<HydrateJobResult> {
  const { config, target: targetName } = options;
  const url = targetUrl(config, targetName);
  const from = options.from ?? 'source';
  const sourceUrl = from === 'source' ? config.source.url : targetUrl(config, from);
  const faults = options.faults ?? parseFaults(process.env.SYNTH_FAULT);
  const pauses = parsePauses(process.env.SYNTH_PAUSE, FAULT_POINTS);
  const store = options.store ?? (await openConfiguredStateStore(config, options.emit));
  const runId = newRunId();
  try {
    await reportAbandoned(store, options.emit ?? silentSink);
    await store.startRun({ id: runId, kind: options.kind ?? 'hydrate', sourceUrl, target: targetName, seed: config.seed, configHash: sha(JSON.stringify(config)).slice(0, 16) });
    const recorder = recordRunEvents(store, runId);
    const tracker = trackRun(store, runId);
    const emit = composeSinks(options.emit ?? silentSink, recorder.sink, tracker.sink);
    const injector = faultInjector(faults, url);
    const dropped: string[] = [];
    let lock: TargetLock | null = null;
    let outcome: { status: Exclude<RunStatus, 'running'>; error?: unknown };
    try {
      lock = await lockTarget(url, runId, options);
      const acquiredAt = new Date();
      const heldLock = lock;
      let connectedSource: SourceConnector | null = null;
      const signal = options.signal;
      const hooks: HydrateHooks = {
        parallel: config.training.parallel,
        connected: async ({ source, target }) => {
          connectedSource = source;
          if (heldLock !== null) emit({ type: 'info', message: `Holding the lock on ${redactSecrets(url)} (${heldLock.description}).` });
          dropped.push(...(await dropStaleShadows(store, target, heldLock === null ? null : { runId, acquiredAt }, emit)));
        },
        models: (ctx) => provideModels({ ...ctx, store, config, runId, emit, policy: options.models ?? 'config' }),
        fault: async (point, ctx) => {
          if (pauses.includes(point)) await pauseAt(point, emit, signal);
          if (signal?.aborted) throw signal.reason instanceof InterruptedError ? signal.reason : abortedError(point);
          await injector.at(point, ctx);
        },
        ...(signal === undefined ? {} : { signal }),
        beforeSwap: () => heldLock?.assertHeld(),
        privacySpent: async (p) => {
          if (connectedSource !== null) await recordPrivacy(store, connectedSource, runId, p);
        },
        piiKey: (source) => managedPiiKey(store, source, emit),
        // `distributed`: shards of each table are generated and loaded by `synth worker` processes (src/distributed).
        ...(config.distributed ? { loadTables: async (ctx) => void (await (await import('../distributed/coordinator.js')).loadOnWorkers(config, targetName, ctx)) } : {}),
        // …and each table's model is fitted by a training unit on a worker (DP training stays in this process).
        ...(config.distributed ? { fitModels: async (input) => (await import('../distributed/train-units.js')).trainOnWorkers(config, runId, input, emit, signal) } : {}),
      };
      const result = await hydrate({
        config,
        target: targetName,
        emit,
        runId,
        keepShadow: options.keepShadow ?? false,
        ...(from === 'source' ? {} : { sourceUrl }),
        hooks,
      });
      await recordResults(store, runId, result);
      outcome = result.status === 'ok' ? { status: 'succeeded' } : { status: 'failed', error: refusalError(result, targetName) };
      const record = await finish(store, recorder, runId, outcome, emit);
      return { run: record, result, droppedShadows: dropped };
    } catch (e) {
      const failure = failureOutcome(e, options.signal, tracker.stage(), runId);
      await finish(store, recorder, runId, failure, emit).catch(() => undefined);
      throw failure.status === 'interrupted' ? failure.error : e;
    } finally {
      tracker.stop();
      await injector.dispose().catch(() => undefined);
      await lock?.release();
    }
  } finally {
    if (options.store === undefined) await store.close();
  }
}

async function finish(
  store: StateStore,
  recorder: { flush(): Promise<unknown[]> },
  runId: string,
  outcome: { status: Exclude<RunStatus, 'running'>; error?: unknown },
  emit: EventSink,
): Promise<RunRecord> {
  const errors = await recorder.flush();
  for (const e of errors) emit({ type: 'warning', message: `Run history: ${redactSecrets(e instanceof Error ? e.message : String(e))}` });
  await store.finishRun(runId, outcome);
  const detail = await store.getRun(runId);
  if (detail === null) throw new SynthError('INTERNAL', `Run ${runId} vanished from the state database.`);
  return detail;
}

/** PGlite targets are single-process folders and take no lock; servers always do. */
async function lockTarget(url: string, runId: string, options: HydrateJobOptions): Promise<TargetLock | null> {
  const protocol = protocolOf(url);
  if (protocol === 'pglite') return null;
  const timeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const lock = { timeoutMs, holder: runId, ...(options.signal === undefined ? {} : { signal: options.signal }) };
  if (options.wait !== true) return acquireTargetLock(url, { ...lock, wait: false });
  // One try first, so that `--wait` says whom it is waiting for instead of waiting in silence.
  try {
    return await acquireTargetLock(url, { ...lock, wait: false });
  } catch (e) {
    if (!(e instanceof SynthError) || e.code !== 'LOCKED') throw e;
    options.emit?.({ type: 'info', message: `${e.message} Waiting for it (--wait, at most ${Math.round(timeoutMs / 60_000)} min)…` });
    return acquireTargetLock(url, { ...lock, wait: true });
  }
}

function abortedError(point: FaultPoint): SynthError {
  return new SynthError('INTERNAL', `The run was stopped (shutdown) at ${point}; the live data is unchanged.`, {
    hint: 'It runs again at its next schedule, or start it by hand with `synth hydrate`.',
  });
}

function refusalError(result: HydrateResult, target: string): SynthError {
  if (result.refusal === 'quality') {
    return new SynthError('QUALITY_BELOW_THRESHOLD', `Quality ${result.quality?.overall?.toFixed(3) ?? 'n/a'} is below quality.minOverall; the swap into '${target}' was refused.`, {
      hint: 'Lower quality.minOverall, raise training.sampleRows, or use the learned model.',
    });
  }
  return new SynthError('VALIDATION_FAILED', `Validation found ${result.integrity.totalViolations} violation(s); the swap into '${target}' was refused.`, {
    hint: 'Rerun with --keep-shadow to inspect the shadow, and report the violating constraint.',
  });
}

async function recordResults(store: StateStore, runId: string, result: HydrateResult): Promise<void> {
  const rows = result.integrity.tables.flatMap((t) => [
    { table: t.table, checkKind: 'orphan', violations: t.orphans },
    { table: t.table, checkKind: 'duplicate', violations: t.duplicates },
    { table: t.table, checkKind: 'not-null', violations: t.nullViolations },
    { table: t.table, checkKind: 'check', violations: t.checkViolations, skipped: t.skipped.length > 0 ? t.skipped.join('; ') : null, detail: { rows: t.rows, failures: t.failures } },
  ]);
  if (rows.length > 0) await store.recordValidation(runId, rows);
  if (result.quality !== null) {
    const q = result.quality;
    await store.recordQuality(runId, [
      { table: null, score: q.overall, report: { overall: q.overall, properties: q.properties, reportPaths: result.reportPaths } },
    ]);
  }
}

/** While holding the lock, shadows of earlier runs are dead; without it, only those `decideStaleShadows` allows. */
async function dropStaleShadows(
  store: StateStore,
  target: TargetConnector,
  lock: { runId: string; acquiredAt: Date } | null,
  emit: EventSink,
): Promise<string[]> {
  const listed = await target.listShadows();
  if (listed.length === 0) return [];
  const statuses = new Map<string, RunStatus>();
  for (const s of listed) {
    const run = await store.getRun(s.runId).catch(() => null);
    if (run !== null) statuses.set(s.runId, run.status);
  }
  const { stale } = decideStaleShadows(listed, { now: new Date(), lock, runStatus: (id) => statuses.get(id) });
  const dropped: string[] = [];
  for (const s of stale) {
    await target.dropShadow({ runId: s.runId, namespaces: [{ live: listed.find((x) => x.namespace === s.namespace)?.live ?? '', shadow: s.namespace }] });
    dropped.push(s.namespace);
    emit({ type: 'info', message: `Dropped stale shadow ${s.namespace}: ${s.reason}.` });
  }
  return dropped;
}

async function provideModels(ctx: {
  source: SourceConnector;
  schema: DatabaseSchema;
  plan: HydrationPlan;
  train: () => Promise<ModelSet>;
  store: StateStore;
  config: SynthConfig;
  runId: string;
  emit: EventSink;
  policy: ModelPolicy;
}): Promise<ModelSet> {
  const { store, config, source, schema, emit } = ctx;
  const maxAge = reuseMaxAge(config);
  if (ctx.policy === 'require' || maxAge !== null) {
    const found = await loadLatestModels({ store, config, source, schema, ...(maxAge === null ? {} : { maxAgeMs: maxAge }) });
    if (found !== null) {
      emit({ type: 'info', message: `Reusing the models trained at ${found.createdAt.toISOString()} (${found.location}).` });
      return found.models;
    }
    if (ctx.policy === 'require') {
      throw new SynthError('MODEL_NOT_FOUND', `No stored models match the source's current schema${maxAge === null ? '' : ` within training.reuse.maxAge`}.`, {
        hint: 'Run `synth train` first (the schema or training settings changed since the last training, or it is too old).',
      });
    }
  }
  const models = await ctx.train();
  // Only a config that reuses models gets a file per run; with 'never' nothing would ever read it back.
  if (maxAge !== null) {
    const saved = await saveModelArtifact({ store, config, source, schema, models, runId: ctx.runId });
    emit({ type: 'info', message: `Models saved to ${saved.location}.` });
  }
  return models;
}

/** The privacy ledger is per source database, whatever the schema or settings: budgets add up across them. */
export async function privacyFingerprint(source: SourceConnector): Promise<string> {
  return sha(JSON.stringify({ ledger: await source.identity() })).slice(0, 24);
}

/**
 * The PII transform key when the user configured none: one per source (the privacy ledger's identity), created on
 * first use and kept in the state database, so keyed fakes stay stable across runs. Announced once, when created.
 */
export async function managedPiiKey(store: StateStore, source: SourceConnector, emit: EventSink): Promise<string> {
  const { key, created } = await store.piiKey(await privacyFingerprint(source));
  registerSecret(key);
  if (created) {
    emit({
      type: 'info',
      message: `Privacy: created a PII transform key for this source and keeps it in synth's state (${store.location}); later runs reuse it, so fakes stay the same. Set ${PII_KEY_ENV} (or privacy.piiKey) to use your own.`,
    });
  }
  return key;
}

async function recordPrivacy(store: StateStore, source: SourceConnector, runId: string, p: PrivacyResult): Promise<void> {
  if (!p.dp) return;
  for (const entry of privacySpendRecords(p, await privacyFingerprint(source), runId)) await store.recordPrivacySpend(entry);
}

/** `synth train`: introspect, sample, fit and store the models, recorded as a run of kind 'train'. */
export async function runTrainJob(options: { config: SynthConfig; emit?: EventSink; store?: StateStore; signal?: AbortSignal }): Promise<{ run: RunRecord; artifact: TrainedArtifact }> {
  const { config, signal } = options;
  const store = options.store ?? (await openConfiguredStateStore(config, options.emit));
  const runId = newRunId();
  try {
    await reportAbandoned(store, options.emit ?? silentSink);
    await store.startRun({ id: runId, kind: 'train', sourceUrl: config.source.url, target: '-', seed: config.seed });
    const recorder = recordRunEvents(store, runId);
    const tracker = trackRun(store, runId);
    const emit = composeSinks(options.emit ?? silentSink, recorder.sink, tracker.sink);
    // Training writes nothing until the model file at the end, so a signal may end it where it stands.
    const stopped = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
    stopped.catch(() => undefined);
    try {
      const source = await Promise.race([openSource(config.source.url), stopped]);
      try {
        const { schema, plan } = await Promise.race([introspectAndPlan(source, config, emit), stopped]);
        const privacy = PrivacyRun.forConfig(config, process.env, () => managedPiiKey(store, source, emit));
        const models = await Promise.race([trainModels(source, schema, plan, config, emit, privacy), stopped]);
        if (privacy !== null) await recordPrivacy(store, source, runId, privacy.result());
        const artifact = await saveModelArtifact({ store, config, source, schema, models, runId });
        const run = await finish(store, recorder, runId, { status: 'succeeded' }, emit);
        return { run, artifact };
      } finally {
        await source.close();
      }
    } catch (e) {
      const failure = failureOutcome(e, signal, tracker.stage(), runId, 'no model was stored');
      await finish(store, recorder, runId, failure, emit).catch(() => undefined);
      throw failure.status === 'interrupted' ? failure.error : e;
    } finally {
      tracker.stop();
    }
  } finally {
    if (options.store === undefined) await store.close();
  }
}

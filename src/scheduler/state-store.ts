/**
 * Run history, model artifacts and the privacy ledger. Lives in a `synth` schema of a PostgreSQL database, a
 * `synth_state` database on a MySQL/MariaDB server (or the database the URL names), or, when nothing is
 * configured, an embedded PGlite folder (`.synth/state` under the working directory).
 * Migrations are applied on open; knex's migration lock makes concurrent opens safe.
 */
import { resolve } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import knexFactory, { type Knex } from 'knex';
import mysql from 'mysql2/promise';
import { SynthError, connectionError, redactSecrets } from '../errors.js';
import { acquirePgLock } from '../connectors/postgres/postgres-lock.js';
import { acquireMysqlLock } from '../connectors/mysql/mysql-lock.js';
import { stateMigrationSource } from './state-migrations.js';
import { connectTimeoutMs } from '../connectors/connect-timeout.js';
import { processAlive } from './state-folder.js';
import { openEmbeddedKnex, quietKnex } from './state-embedded.js';

/**
 * `interrupted`: stopped by a signal or a lost connection, cleaned up; `abandoned`: its process died without a word
 * (kill -9), noticed later by `reapAbandoned`.
 */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'aborted' | 'interrupted' | 'abandoned';
export type StepKind = 'introspect' | 'train' | 'generate' | 'load' | 'validate' | 'swap';

export interface StateStoreConfig {
  /** postgres://… (state in schema `synth`), mysql://… (database `synth_state` unless the URL names one). */
  url?: string;
  /** PGlite data folder, used when no `url` is given (`url: 'pglite://<folder>'` does the same). */
  dir?: string;
  /** Where a one-line warning goes (an embedded folder moved aside as broken); default: stderr. */
  onWarning?: (message: string) => void;
}

export interface StartRunInput {
  /** Generated when omitted. */
  id?: string;
  kind: string;
  /** Shown in history; passwords are removed before storing. */
  sourceUrl?: string | null;
  target: string;
  seed?: number | string | null;
  configHash?: string | null;
  startedAt?: Date;
}

export interface RunRecord {
  id: string;
  kind: string;
  sourceUrl: string | null;
  target: string;
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  errorCode: string | null;
  errorMessage: string | null;
  seed: string | null;
  configHash: string | null;
  /** The process running it (null for runs recorded before liveness was). */
  host: string | null;
  pid: number | null;
  heartbeatAt: Date | null;
  /** The stage it reached (`load`, `validate`, …), refreshed with the heartbeat. */
  stage: string | null;
}

export interface StepInput {
  table?: string | null;
  step: StepKind;
  startedAt: Date;
  finishedAt?: Date | null;
  rows?: number | null;
  /** Computed from rows and duration when omitted. */
  rowsPerSec?: number | null;
  detail?: unknown;
}

export interface StepRecord extends Required<Omit<StepInput, 'detail'>> {
  id: number;
  runId: string;
  table: string | null;
  detail: unknown;
}

export interface ValidationResultInput {
  table?: string | null;
  checkKind: string;
  constraint?: string | null;
  violations: number;
  skipped?: string | null;
  detail?: unknown;
}

export interface QualityResultInput {
  table?: string | null;
  score?: number | null;
  report: unknown;
}

export interface RunDetail extends RunRecord {
  steps: StepRecord[];
  validation: Array<Required<Omit<ValidationResultInput, 'detail'>> & { detail: unknown }>;
  quality: Array<{ table: string | null; score: number | null; report: unknown }>;
}

export interface ArtifactInput {
  sourceFingerprint: string;
  table: string;
  location: string;
  schemaHash: string;
  sampleHash?: string | null;
  runId?: string | null;
  createdAt?: Date;
}

export interface ArtifactRecord extends Required<Omit<ArtifactInput, 'createdAt'>> {
  createdAt: Date;
}

export interface PrivacySpendInput {
  sourceFingerprint: string;
  runId?: string | null;
  table?: string | null;
  epsilon: number;
  delta: number;
  mechanism: string;
  at?: Date;
  /** The mechanism-level charges (JSON), e.g. the RDP accountant's ledger entries of the run. */
  detail?: unknown;
}

export interface PrivacySpendRecord extends Required<Omit<PrivacySpendInput, 'at'>> {
  at: Date;
}

export interface CumulativeSpend {
  /** Sums under basic sequential composition. */
  epsilon: number;
  delta: number;
  entries: number;
  byTable: Record<string, { epsilon: number; delta: number }>;
}

export interface StateStore {
  /** Where the state lives, password removed. */
  readonly location: string;
  startRun(input: StartRunInput): Promise<RunRecord>;
  finishRun(runId: string, outcome: { status: Exclude<RunStatus, 'running'>; error?: unknown; finishedAt?: Date }): Promise<void>;
  recordStep(runId: string, step: StepInput): Promise<number>;
  recordValidation(runId: string, results: ValidationResultInput[]): Promise<void>;
  recordQuality(runId: string, results: QualityResultInput[]): Promise<void>;
  listRuns(filter?: { target?: string; status?: RunStatus; limit?: number }): Promise<RunRecord[]>;
  getRun(runId: string): Promise<RunDetail | null>;
  recordArtifact(artifact: ArtifactInput): Promise<void>;
  /** Newest artifact per table for the fingerprint, no older than `maxAgeMs` (all ages when omitted). */
  latestArtifacts(sourceFingerprint: string, maxAgeMs?: number, now?: Date): Promise<ArtifactRecord[]>;
  recordPrivacySpend(spend: PrivacySpendInput): Promise<void>;
  cumulativeSpend(sourceFingerprint: string): Promise<CumulativeSpend>;
  /** Every spend recorded for the fingerprint, oldest first. */
  privacySpends(sourceFingerprint: string): Promise<PrivacySpendRecord[]>;
  /** The managed PII transform key of a source: the stored one, or a fresh random one stored now (`created`). */
  piiKey(sourceFingerprint: string): Promise<{ key: string; created: boolean }>;
  /** Refreshes a running run's heartbeat, and the stage it is in when given. */
  heartbeat(runId: string, stage?: string | null): Promise<void>;
  /**
   * Marks `abandoned` every run still `running` whose process is gone: on this host its pid no longer exists,
   * elsewhere its heartbeat is older than `staleAfterMs`. Returns the runs it marked.
   */
  reapAbandoned(options?: { now?: Date; staleAfterMs?: number }): Promise<RunRecord[]>;
  close(): Promise<void>;
}

/** Running jobs refresh their heartbeat this often; a heartbeat older than DEFAULT_STALE_AFTER_MS means dead. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
export const DEFAULT_STALE_AFTER_MS = 90_000;

export const DEFAULT_STATE_DIR = '.synth/state';
const PG_SCHEMA = 'synth';
const INIT_LOCK_TIMEOUT_MS = 60_000;
const MYSQL_DATABASE = 'synth_state';

interface Backend {
  knex: Knex;
  schema: string | null;
  location: string;
  /** Serializes first-time setup across processes (null for PGlite, which is single-process anyway). */
  initLock: (() => Promise<{ release(): Promise<void> }>) | null;
  /** Called after the knex pool is destroyed (the embedded folder's lock file). */
  onClose?: () => void;
}

export async function openStateStore(config: StateStoreConfig = {}): Promise<StateStore> {
  const backend = await openBackend(config);
  try {
    await migrateSerialized(backend);
  } catch (e) {
    await backend.knex.destroy().catch(() => undefined);
    backend.onClose?.();
    if (e instanceof SynthError) throw e;
    throw new SynthError('INTERNAL', `Cannot prepare the state database at ${backend.location}: ${errorText(e)}`, {
      hint: 'The state user needs CREATE rights on its schema/database. Fix the permission or point `state.url` elsewhere.',
      cause: e,
    });
  }
  return new KnexStateStore(backend);
}

/**
 * Two processes opening a fresh state database at once would race on creating the schema and knex's
 * bookkeeping tables (knex can even end up with two lock rows and refuse forever), so first-time setup runs
 * under a server-side lock of its own.
 */
async function migrateSerialized(backend: Backend): Promise<void> {
  const lock = backend.initLock === null ? null : await backend.initLock();
  try {
    if (backend.schema !== null) await backend.knex.raw(`CREATE SCHEMA IF NOT EXISTS "${backend.schema}"`);
    await backend.knex.migrate.latest({
      migrationSource: stateMigrationSource({ schema: backend.schema }),
      tableName: 'knex_migrations',
      ...(backend.schema === null ? {} : { schemaName: backend.schema }),
    });
  } finally {
    await lock?.release();
  }
}

async function openBackend(config: StateStoreConfig): Promise<Backend> {
  // `pglite://<folder>` is the config's spelling of an embedded folder.
  const pgliteDir = config.url?.match(/^pglite:\/\/(.+)$/i)?.[1];
  if (config.url === undefined || config.url === '' || pgliteDir !== undefined) {
    const dir = resolve(pgliteDir ?? config.dir ?? DEFAULT_STATE_DIR);
    return openEmbedded(dir, config.onWarning ?? ((m) => void process.stderr.write(`warning: ${m}\n`)));
  }
  let parsed: URL;
  try {
    parsed = new URL(config.url);
  } catch (e) {
    throw new SynthError('BAD_URL', `The state URL ${redactSecrets(config.url)} is not a URL.`, {
      hint: 'Use postgres://user:pass@host/db or mysql://user:pass@host/db for `state.url`.',
      path: 'state.url',
      cause: e,
    });
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  if (protocol === 'postgres' || protocol === 'postgresql') {
    // A server that never answers ends in a clear error after the connect timeout, not in knex's silent wait.
    const knex = knexFactory({ client: 'pg', connection: { connectionString: config.url, connectionTimeoutMillis: connectTimeoutMs() }, pool: { min: 0, max: 4 }, log: quietKnex });
    await probe(knex, config.url);
    const url = config.url;
    return {
      knex,
      schema: PG_SCHEMA,
      location: redactSecrets(url),
      initLock: () => acquirePgLock(url, { wait: true, timeoutMs: INIT_LOCK_TIMEOUT_MS, key: 'state-migrations', holder: 'state setup' }),
    };
  }
  if (protocol === 'mysql' || protocol === 'mariadb') {
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || MYSQL_DATABASE;
    const serverUrl = new URL(parsed.href);
    serverUrl.protocol = 'mysql:';
    serverUrl.pathname = '/';
    try {
      const admin = await mysql.createConnection({ uri: serverUrl.href });
      try {
        await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database.replace(/`/g, '``')}\` CHARACTER SET utf8mb4`);
      } finally {
        await admin.end();
      }
    } catch (e) {
      throw connectionError('the state database', config.url, e);
    }
    serverUrl.pathname = `/${encodeURIComponent(database)}`;
    // UTC on the wire: datetime columns carry no zone, so every process must agree on one.
    const knex = knexFactory({
      client: 'mysql2',
      connection: { uri: serverUrl.href, timezone: 'Z', supportBigNumbers: true } as Knex.MySql2ConnectionConfig,
      pool: { min: 0, max: 4 },
      acquireConnectionTimeout: connectTimeoutMs(),
      log: quietKnex,
    });
    await probe(knex, config.url);
    const lockUrl = serverUrl.href;
    return {
      knex,
      schema: null,
      location: redactSecrets(lockUrl),
      initLock: () =>
        acquireMysqlLock(lockUrl, { wait: true, timeoutMs: INIT_LOCK_TIMEOUT_MS, key: `state-migrations:${database}`, infoDatabase: null }),
    };
  }
  throw new SynthError('UNSUPPORTED_DIALECT', `The state URL ${redactSecrets(config.url)} is neither PostgreSQL nor MySQL.`, {
    hint: 'Use a postgres:// or mysql:// URL for `state.url`, or leave it out to keep state in a local folder.',
    path: 'state.url',
  });
}

/** The embedded folder: locked, opened with a bounded wait, replaced when broken (state-embedded.ts). */
async function openEmbedded(dir: string, onWarning: (message: string) => void): Promise<Backend> {
  const { knex, release } = await openEmbeddedKnex(dir, onWarning);
  return { knex, schema: PG_SCHEMA, location: `pglite:${dir}`, initLock: null, onClose: release };
}

async function probe(knex: Knex, url: string): Promise<void> {
  try {
    await knex.raw('select 1');
  } catch (e) {
    await knex.destroy().catch(() => undefined);
    throw connectionError('the state database', url, e);
  }
}

class KnexStateStore implements StateStore {
  readonly location: string;
  private readonly knex: Knex;
  private readonly schema: string | null;
  private readonly onClose: (() => void) | undefined;

  constructor(backend: Backend) {
    this.onClose = backend.onClose;
    this.knex = backend.knex;
    this.schema = backend.schema;
    this.location = backend.location;
  }

  private t(table: string): Knex.QueryBuilder {
    return this.schema === null ? this.knex(table) : this.knex.withSchema(this.schema).table(table);
  }

  async startRun(input: StartRunInput): Promise<RunRecord> {
    const record: RunRecord = {
      id: input.id ?? randomUUID(),
      kind: input.kind,
      sourceUrl: input.sourceUrl == null ? null : redactSecrets(input.sourceUrl),
      target: input.target,
      status: 'running',
      startedAt: input.startedAt ?? new Date(),
      finishedAt: null,
      errorCode: null,
      errorMessage: null,
      seed: input.seed == null ? null : String(input.seed),
      configHash: input.configHash ?? null,
      host: hostname(),
      pid: process.pid,
      heartbeatAt: input.startedAt ?? new Date(),
      stage: null,
    };
    await this.guard(`record the start of run ${record.id}`, () =>
      this.t('runs').insert({
        id: record.id,
        kind: record.kind,
        source_url: record.sourceUrl,
        target: record.target,
        status: record.status,
        started_at: record.startedAt,
        seed: record.seed,
        config_hash: record.configHash,
        host: record.host,
        pid: record.pid,
        heartbeat_at: record.heartbeatAt,
      }),
    );
    return record;
  }

  async finishRun(
    runId: string,
    outcome: { status: Exclude<RunStatus, 'running'>; error?: unknown; finishedAt?: Date },
  ): Promise<void> {
    const err = outcome.error;
    const errorCode = err === undefined ? null : err instanceof SynthError ? err.code : 'INTERNAL';
    const errorMessage = err === undefined ? null : redactSecrets(errorText(err));
    const updated = await this.guard(`record the end of run ${runId}`, () =>
      this.t('runs')
        .where({ id: runId })
        .update({ status: outcome.status, finished_at: outcome.finishedAt ?? new Date(), error_code: errorCode, error_message: errorMessage }),
    );
    if (Number(updated) === 0) throw unknownRun(runId);
  }

  async recordStep(runId: string, step: StepInput): Promise<number> {
    const finished = step.finishedAt ?? null;
    let rowsPerSec = step.rowsPerSec ?? null;
    if (rowsPerSec === null && step.rows != null && finished !== null) {
      const seconds = (finished.getTime() - step.startedAt.getTime()) / 1000;
      rowsPerSec = seconds > 0 ? step.rows / seconds : null;
    }
    const row = {
      run_id: runId,
      table_name: step.table ?? null,
      step: step.step,
      started_at: step.startedAt,
      finished_at: finished,
      rows: step.rows ?? null,
      rows_per_sec: rowsPerSec,
      detail: step.detail === undefined ? null : JSON.stringify(step.detail),
    };
    // MySQL has no RETURNING; its insert already answers with the new id.
    const rows: unknown = await this.guard(
      `record step ${step.step} of run ${runId}`,
      () => (this.schema === null ? this.t('run_steps').insert(row) : this.t('run_steps').insert(row).returning('id')),
      runId,
    );
    const first: unknown = Array.isArray(rows) ? rows[0] : rows;
    return Number(typeof first === 'object' && first !== null ? (first as { id: unknown }).id : first);
  }

  async recordValidation(runId: string, results: ValidationResultInput[]): Promise<void> {
    if (results.length === 0) return;
    await this.guard(`record validation results of run ${runId}`, () =>
      this.t('validation_results').insert(
        results.map((r) => ({
          run_id: runId,
          table_name: r.table ?? null,
          check_kind: r.checkKind,
          constraint_name: r.constraint ?? null,
          violations: r.violations,
          skipped: r.skipped ?? null,
          detail: r.detail === undefined ? null : JSON.stringify(r.detail),
        })),
      ),
      runId,
    );
  }

  async recordQuality(runId: string, results: QualityResultInput[]): Promise<void> {
    if (results.length === 0) return;
    await this.guard(`record quality results of run ${runId}`, () =>
      this.t('quality_results').insert(
        results.map((r) => ({ run_id: runId, table_name: r.table ?? null, score: r.score ?? null, report: JSON.stringify(r.report) })),
      ),
      runId,
    );
  }

  async listRuns(filter: { target?: string; status?: RunStatus; limit?: number } = {}): Promise<RunRecord[]> {
    const rows = await this.guard('list runs', () => {
      let q = this.t('runs').select('*');
      if (filter.target !== undefined) q = q.where('target', filter.target);
      if (filter.status !== undefined) q = q.where('status', filter.status);
      return q.orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(filter.limit ?? 100);
    });
    return (rows as DbRow[]).map(toRun);
  }

  async getRun(runId: string): Promise<RunDetail | null> {
    return this.guard(`read run ${runId}`, async () => {
      const run = (await this.t('runs').where({ id: runId }).first()) as DbRow | undefined;
      if (run === undefined) return null;
      const steps = (await this.t('run_steps').where({ run_id: runId }).orderBy('id')) as DbRow[];
      const validation = (await this.t('validation_results').where({ run_id: runId }).orderBy('id')) as DbRow[];
      const quality = (await this.t('quality_results').where({ run_id: runId }).orderBy('id')) as DbRow[];
      return {
        ...toRun(run),
        steps: steps.map((s) => ({
          id: Number(s.id),
          runId: String(s.run_id),
          table: nullableString(s.table_name),
          step: String(s.step) as StepKind,
          startedAt: toDate(s.started_at),
          finishedAt: s.finished_at == null ? null : toDate(s.finished_at),
          rows: s.rows == null ? null : Number(s.rows),
          rowsPerSec: s.rows_per_sec == null ? null : Number(s.rows_per_sec),
          detail: parseJson(s.detail),
        })),
        validation: validation.map((v) => ({
          table: nullableString(v.table_name),
          checkKind: String(v.check_kind),
          constraint: nullableString(v.constraint_name),
          violations: Number(v.violations),
          skipped: nullableString(v.skipped),
          detail: parseJson(v.detail),
        })),
        quality: quality.map((r) => ({
          table: nullableString(r.table_name),
          score: r.score == null ? null : Number(r.score),
          report: parseJson(r.report),
        })),
      };
    });
  }

  async recordArtifact(a: ArtifactInput): Promise<void> {
    await this.guard(`record the model artifact of table ${a.table}`, () =>
      this.t('model_artifacts').insert({
        source_fingerprint: a.sourceFingerprint,
        table_name: a.table,
        location: a.location,
        created_at: a.createdAt ?? new Date(),
        schema_hash: a.schemaHash,
        sample_hash: a.sampleHash ?? null,
        run_id: a.runId ?? null,
      }),
    );
  }

  async latestArtifacts(sourceFingerprint: string, maxAgeMs?: number, now: Date = new Date()): Promise<ArtifactRecord[]> {
    const rows = await this.guard('read model artifacts', () => {
      let q = this.t('model_artifacts').where('source_fingerprint', sourceFingerprint);
      if (maxAgeMs !== undefined) q = q.where('created_at', '>=', new Date(now.getTime() - maxAgeMs));
      return q.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
    });
    const newest = new Map<string, ArtifactRecord>();
    for (const r of rows as DbRow[]) {
      const table = String(r.table_name);
      if (newest.has(table)) continue;
      newest.set(table, {
        sourceFingerprint: String(r.source_fingerprint),
        table,
        location: String(r.location),
        createdAt: toDate(r.created_at),
        schemaHash: String(r.schema_hash),
        sampleHash: nullableString(r.sample_hash),
        runId: nullableString(r.run_id),
      });
    }
    return [...newest.values()].sort((a, b) => a.table.localeCompare(b.table));
  }

  async recordPrivacySpend(s: PrivacySpendInput): Promise<void> {
    if (!(s.epsilon >= 0) || !(s.delta >= 0)) {
      throw new SynthError('PRIVACY_BUDGET', `Privacy spend must be non-negative (got ε=${s.epsilon}, δ=${s.delta}).`, {
        hint: 'This is a bug in the caller: report it.',
        ...(s.table == null ? {} : { table: s.table }),
      });
    }
    await this.guard('record privacy spend', () =>
      this.t('privacy_ledger').insert({
        source_fingerprint: s.sourceFingerprint,
        run_id: s.runId ?? null,
        table_name: s.table ?? null,
        epsilon: s.epsilon,
        delta: s.delta,
        mechanism: s.mechanism,
        created_at: s.at ?? new Date(),
        detail: s.detail === undefined ? null : JSON.stringify(s.detail),
      }),
    );
  }

  async cumulativeSpend(sourceFingerprint: string): Promise<CumulativeSpend> {
    const rows = (await this.guard('read the privacy ledger', () =>
      this.t('privacy_ledger').where('source_fingerprint', sourceFingerprint).select('table_name', 'epsilon', 'delta'),
    )) as DbRow[];
    const spend: CumulativeSpend = { epsilon: 0, delta: 0, entries: rows.length, byTable: {} };
    for (const r of rows) {
      const eps = Number(r.epsilon);
      const delta = Number(r.delta);
      spend.epsilon += eps;
      spend.delta += delta;
      const key = r.table_name == null ? '*' : String(r.table_name);
      const t = (spend.byTable[key] ??= { epsilon: 0, delta: 0 });
      t.epsilon += eps;
      t.delta += delta;
    }
    return spend;
  }

  async privacySpends(sourceFingerprint: string): Promise<PrivacySpendRecord[]> {
    const rows = (await this.guard('read the privacy ledger', () =>
      this.t('privacy_ledger').where('source_fingerprint', sourceFingerprint).orderBy([{ column: 'created_at' }, { column: 'id' }]),
    )) as DbRow[];
    return rows.map((r) => ({
      sourceFingerprint: String(r.source_fingerprint),
      runId: nullableString(r.run_id),
      table: nullableString(r.table_name),
      epsilon: Number(r.epsilon),
      delta: Number(r.delta),
      mechanism: String(r.mechanism),
      at: toDate(r.created_at),
      detail: parseJson(r.detail),
    }));
  }

  async piiKey(sourceFingerprint: string): Promise<{ key: string; created: boolean }> {
    const read = async () =>
      ((await this.guard('read the PII transform key', () => this.t('pii_keys').where('source_fingerprint', sourceFingerprint).select('secret'))) as DbRow[])[0];
    const existing = await read();
    if (existing !== undefined) return { key: String(existing.secret), created: false };
    // Two runs may create one at once: the first insert wins and both use what is stored.
    const fresh = randomBytes(32).toString('base64url');
    await this.guard('store the PII transform key', () =>
      this.t('pii_keys').insert({ source_fingerprint: sourceFingerprint, secret: fresh, created_at: new Date() }).onConflict('source_fingerprint').ignore(),
    );
    const stored = await read();
    if (stored === undefined) throw new SynthError('INTERNAL', 'The PII transform key could not be stored in the state database.', { hint: 'Check that the state database is writable, or set SYNTH_PII_KEY.' });
    return { key: String(stored.secret), created: String(stored.secret) === fresh };
  }

  async heartbeat(runId: string, stage?: string | null): Promise<void> {
    await this.guard(`refresh the heartbeat of run ${runId}`, () =>
      this.t('runs')
        .where({ id: runId, status: 'running' })
        .update({ heartbeat_at: new Date(), ...(stage == null ? {} : { stage: stage.slice(0, 64) }) }),
    );
  }

  async reapAbandoned(options: { now?: Date; staleAfterMs?: number } = {}): Promise<RunRecord[]> {
    const now = options.now ?? new Date();
    const staleBefore = new Date(now.getTime() - (options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS));
    const running = ((await this.guard('list running runs', () => this.t('runs').where('status', 'running'))) as DbRow[]).map(toRun);
    const here = hostname();
    const dead = running.filter((r) => {
      if (r.host === here && r.pid !== null && r.pid !== process.pid) return !processAlive(r.pid);
      // Elsewhere (or a run of this very process) only a heartbeat that stopped tells.
      const last = r.heartbeatAt ?? r.startedAt;
      return last.getTime() < staleBefore.getTime();
    });
    const marked: RunRecord[] = [];
    for (const r of dead) {
      const why =
        r.host === here && r.pid !== null && !processAlive(r.pid)
          ? `its process (pid ${r.pid} on ${r.host}) is gone`
          : `no heartbeat since ${(r.heartbeatAt ?? r.startedAt).toISOString()}${r.host === null ? '' : ` (pid ${r.pid ?? '?'} on ${r.host})`}`;
      const message = `Abandoned${r.stage === null ? '' : ` during ${r.stage}`}: ${why}. Its shadow, if any, is dropped by the next run of the target.`;
      // Only a row still `running` is changed, so two processes reaping at once mark it once.
      const updated = await this.guard(`mark run ${r.id} abandoned`, () =>
        this.t('runs').where({ id: r.id, status: 'running' }).update({ status: 'abandoned', finished_at: now, error_code: 'ABANDONED', error_message: message }),
      );
      if (Number(updated) > 0) marked.push({ ...r, status: 'abandoned', finishedAt: now, errorCode: 'ABANDONED', errorMessage: message });
    }
    return marked;
  }

  async close(): Promise<void> {
    try {
      await this.knex.destroy();
    } finally {
      this.onClose?.();
    }
  }

  private async guard<R>(what: string, fn: () => PromiseLike<R>, runId?: string): Promise<R> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof SynthError) throw e;
      if (runId !== undefined && /foreign key|violates foreign/i.test(errorText(e))) throw unknownRun(runId);
      throw new SynthError('INTERNAL', `Cannot ${what} in the state database at ${this.location}: ${errorText(e)}`, {
        hint: 'Check that the state database is reachable and writable.',
        cause: e,
      });
    }
  }
}

type DbRow = Record<string, unknown>;

function unknownRun(runId: string): SynthError {
  return new SynthError('INTERNAL', `Run ${runId} is not in the state database.`, {
    hint: 'Start the run with startRun() before recording its steps or outcome.',
  });
}

function toRun(r: DbRow): RunRecord {
  return {
    id: String(r.id),
    kind: String(r.kind),
    sourceUrl: nullableString(r.source_url),
    target: String(r.target),
    status: String(r.status) as RunStatus,
    startedAt: toDate(r.started_at),
    finishedAt: r.finished_at == null ? null : toDate(r.finished_at),
    errorCode: nullableString(r.error_code),
    errorMessage: nullableString(r.error_message),
    seed: nullableString(r.seed),
    configHash: nullableString(r.config_hash),
    host: nullableString(r.host),
    pid: r.pid == null ? null : Number(r.pid),
    heartbeatAt: r.heartbeat_at == null ? null : toDate(r.heartbeat_at),
    stage: nullableString(r.stage),
  };
}

function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  // PGlite/MySQL may hand back strings; zone-less ones are UTC by construction.
  const s = String(v);
  return new Date(/[zZ]|[+-]\d\d(:?\d\d)?$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
}

function nullableString(v: unknown): string | null {
  return v == null ? null : String(v);
}

function parseJson(v: unknown): unknown {
  if (v == null) return null;
  try {
    return JSON.parse(String(v));
  } catch {
    return String(v);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

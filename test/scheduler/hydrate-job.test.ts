/**
 * runHydrateJob against real PostgreSQL: runs recorded with steps, validation and quality; the target lock held
 * for the whole run and re-checked before the swap; train once, generate many; parallel loads stay deterministic.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events.js';
import { openStateStore, type StateStore } from '../../src/scheduler/state-store.js';
import { acquireTargetLock } from '../../src/scheduler/target-lock.js';
import { openSource } from '../../src/connectors/index.js';
import { privacyFingerprint, runHydrateJob, runTrainJob } from '../../src/scheduler/hydrate-job.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { liveChecksums, testConfig } from './helpers.js';

const outDir = mkdtempSync(join(tmpdir(), 'synth-job-'));
let source: TestDatabase;
let target: TestDatabase;
let other: TestDatabase;
let state: TestDatabase;
let store: StateStore;

beforeAll(async () => {
  [source, target, other, state] = await Promise.all([
    createPgDatabase('synth_job_src'),
    createPgDatabase('synth_job_dst'),
    createPgDatabase('synth_job_dst2'),
    createPgDatabase('synth_job_state'),
  ]);
  await source.exec(`
    CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, born date);
    CREATE TABLE publisher (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
    CREATE TABLE genre (id serial PRIMARY KEY, label text NOT NULL);
    CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), publisher_id int REFERENCES publisher(id),
      genre_id int REFERENCES genre(id), title text NOT NULL, pages int CHECK (pages > 0));
    INSERT INTO author (name, born) SELECT 'secret-author-' || i, date '1950-01-01' + i * 100 FROM generate_series(1, 80) i;
    INSERT INTO publisher (name) SELECT 'publisher ' || i FROM generate_series(1, 12) i;
    INSERT INTO genre (label) SELECT (ARRAY['crime','poetry','history','science'])[1 + i % 4] FROM generate_series(1, 20) i;
    INSERT INTO book (author_id, publisher_id, genre_id, title, pages)
      SELECT 1 + i % 80, CASE WHEN i % 7 = 0 THEN NULL ELSE 1 + i % 12 END, 1 + i % 20, 'book ' || i, 50 + i % 400 FROM generate_series(1, 900) i;`);
  store = await openStateStore({ url: state.url });
}, 60_000);
afterAll(async () => {
  await store?.close();
  await Promise.all([source?.drop(), target?.drop(), other?.drop(), state?.drop()]);
});

const config = (extra: Record<string, unknown> = {}) =>
  testConfig({ source: { url: source.url }, targets: { dev: { url: target.url }, ci: { url: other.url } }, outDir, state: { url: state.url }, ...extra });

describe('recorded runs', () => {
  it('records per-table load steps with rows/s, validation and quality, and finishes succeeded', async () => {
    const events: RunEvent[] = [];
    const { run, result } = await runHydrateJob({ config: config({ quality: { enabled: true, sampleRows: 500 } }), target: 'dev', store, faults: [], emit: (e) => events.push(e) });
    expect(result.status).toBe('ok');
    expect(run).toMatchObject({ id: result.runId, status: 'succeeded', kind: 'hydrate', target: 'dev', errorCode: null });
    const detail = (await store.getRun(run.id))!;
    const loads = detail.steps.filter((s) => s.step === 'load' && s.table !== null);
    expect(loads.map((s) => s.table).sort()).toEqual(['public.author', 'public.book', 'public.genre', 'public.publisher']);
    expect(loads.find((s) => s.table === 'public.book')!.rows).toBe(900);
    for (const s of loads) expect(s.rowsPerSec).toBeGreaterThan(0);
    expect(detail.steps.map((s) => s.step)).toEqual(expect.arrayContaining(['introspect', 'train', 'validate', 'swap']));
    expect(detail.validation.length).toBe(16);
    expect(detail.validation.reduce((a, v) => a + v.violations, 0)).toBe(0);
    expect(detail.quality[0]!.score).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'info' && /Holding the lock/.test(e.message))).toBe(true);
  }, 120_000);

  it('a refused swap is recorded as failed with the refusal code, live data untouched', async () => {
    const before = await liveChecksums(target.url);
    // No model scores 100 %: the baseline reaches the refusal without training networks.
    const { run, result } = await runHydrateJob({ config: config({ model: 'baseline', quality: { enabled: true, sampleRows: 500, minOverall: 1 } }), target: 'dev', store, faults: [] });
    expect(result.status).toBe('refused');
    expect(run).toMatchObject({ status: 'failed', errorCode: 'QUALITY_BELOW_THRESHOLD' });
    expect(await liveChecksums(target.url)).toEqual(before);
  }, 120_000);
});

describe('target lock', () => {
  it('fails fast with LOCKED naming the holder, and records the failed run', async () => {
    const lock = await acquireTargetLock(target.url, { wait: false, timeoutMs: 1000, holder: 'other-holder-42' });
    try {
      const err = await runHydrateJob({ config: config(), target: 'dev', store, faults: [] }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'LOCKED' });
      expect(String((err as Error).message)).toMatch(/other-holder-42/);
      const [last] = await store.listRuns({ target: 'dev', limit: 1 });
      expect(last).toMatchObject({ status: 'failed', errorCode: 'LOCKED' });
    } finally {
      await lock.release();
    }
  }, 60_000);

  it('--wait waits for the holder to finish', async () => {
    const lock = await acquireTargetLock(target.url, { wait: false, timeoutMs: 1000, holder: 'short-holder' });
    const started = Date.now();
    setTimeout(() => void lock.release(), 1500);
    // The lock is under test, not the model: the baseline skips training networks.
    const { result } = await runHydrateJob({ config: config({ model: 'baseline' }), target: 'dev', store, faults: [], wait: true, lockTimeoutMs: 30_000 });
    expect(result.status).toBe('ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  }, 60_000);

  it('a lock lost during the run refuses the swap (LOCKED) and leaves the live data alone', async () => {
    const before = await liveChecksums(target.url);
    const admin = new pg.Client({ connectionString: target.url });
    await admin.connect();
    let killed: Promise<unknown> | null = null;
    try {
      const emit = (e: RunEvent) => {
        // Once the shadow exists, end the lock's session as a server restart or idle timeout would.
        if (e.type === 'stage' && e.stage === 'shadow' && e.status === 'done' && killed === null) {
          killed = admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'synth %' AND datname = $1`, [target.name]);
        }
      };
      const err = await runHydrateJob({ config: config({ model: 'baseline' }), target: 'dev', store, faults: [], emit }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'LOCKED' });
      expect(String((err as Error).message)).toMatch(/[Ll]ost/);
    } finally {
      await killed;
      await admin.end();
    }
    expect(await liveChecksums(target.url)).toEqual(before);
  }, 60_000);
});

describe('train once, generate many', () => {
  it('generate without trained models fails with MODEL_NOT_FOUND', async () => {
    const err = await runHydrateJob({ config: config({ seed: 7 }), target: 'dev', store, faults: [], models: 'require' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MODEL_NOT_FOUND' });
  }, 60_000);

  it('train stores an artifact without raw rows; generate reuses it into two targets without training', async () => {
    const cfg = config({ seed: 11 });
    const { run, artifact } = await runTrainJob({ config: cfg, store });
    expect(run.status).toBe('succeeded');
    expect(artifact.location.startsWith(join(outDir, 'models', artifact.fingerprint))).toBe(true);
    expect(existsSync(artifact.location)).toBe(true);
    const text = readFileSync(artifact.location, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ format: 'synth-models' });
    expect(text).not.toMatch(/secret-author-\d+/);

    for (const t of ['dev', 'ci']) {
      const events: RunEvent[] = [];
      const { result } = await runHydrateJob({ config: cfg, target: t, store, faults: [], models: 'require', kind: 'generate', emit: (e) => events.push(e) });
      expect(result.status).toBe('ok');
      expect(events.some((e) => e.type === 'info' && e.message.includes(artifact.location))).toBe(true);
      expect(events.some((e) => e.type === 'stage' && e.stage === 'train')).toBe(false);
      // The copy filters still compare every generated row with the training rows: the samples are read again.
      expect(events.some((e) => e.type === 'info' && e.message.startsWith('Copy filters: the models were reused'))).toBe(true);
      expect(result.privacy?.filters['public.book']?.total).toBe(900);
    }
    // Same models, same seed: both targets got the same data.
    expect(await liveChecksums(other.url)).toEqual(await liveChecksums(target.url));
  }, 180_000);

  it('hydrate reuses fresh models per training.reuse, and retrains by default', async () => {
    const reuse = config({ seed: 11, training: { reuse: { maxAge: '1h' } } });
    const events: RunEvent[] = [];
    await runHydrateJob({ config: reuse, target: 'dev', store, faults: [], emit: (e) => events.push(e) });
    expect(events.some((e) => e.type === 'info' && e.message.startsWith('Reusing the models'))).toBe(true);
    expect(events.some((e) => e.type === 'stage' && e.stage === 'train')).toBe(false);

    const retrain: RunEvent[] = [];
    await runHydrateJob({ config: config({ seed: 11 }), target: 'dev', store, faults: [], emit: (e) => retrain.push(e) });
    expect(retrain.some((e) => e.type === 'stage' && e.stage === 'train')).toBe(true);
    expect(retrain.some((e) => e.type === 'info' && e.message.startsWith('Models saved'))).toBe(false);

    // With reuse on and nothing stored yet, the run trains and stores; the next one reuses that.
    const fresh = config({ seed: 13, training: { reuse: { maxAge: '1h' } } });
    const firstRun: RunEvent[] = [];
    await runHydrateJob({ config: fresh, target: 'dev', store, faults: [], emit: (e) => firstRun.push(e) });
    expect(firstRun.some((e) => e.type === 'stage' && e.stage === 'train')).toBe(true);
    expect(firstRun.some((e) => e.type === 'info' && e.message.startsWith('Models saved'))).toBe(true);
    const secondRun: RunEvent[] = [];
    await runHydrateJob({ config: fresh, target: 'dev', store, faults: [], emit: (e) => secondRun.push(e) });
    expect(secondRun.some((e) => e.type === 'stage' && e.stage === 'train')).toBe(false);
    expect(secondRun.some((e) => e.type === 'info' && e.message.startsWith('Reusing the models'))).toBe(true);
  }, 180_000);
});

describe('privacy ledger', () => {
  it('a differentially private run records its spend per table; runs add up', async () => {
    const src = await openSource(source.url);
    const fingerprint = await privacyFingerprint(src).finally(() => src.close());
    const cfg = config({ privacy: { epsilon: 2 }, tables: { author: { columns: { born: { transform: 'keep' }, name: { transform: 'keep' } } } } });
    const first = await runHydrateJob({ config: cfg, target: 'dev', store, faults: [] });
    expect(first.result.status).toBe('ok');
    const once = await store.cumulativeSpend(fingerprint);
    expect(once.epsilon).toBeGreaterThan(0);
    expect(once.epsilon).toBeCloseTo(first.result.privacy!.tables.reduce((a, t) => a + t.epsilon, 0), 6);
    expect(Object.keys(once.byTable).sort()).toEqual(['public.author', 'public.book', 'public.genre', 'public.publisher']);
    const second = await runHydrateJob({ config: cfg, target: 'dev', store, faults: [] });
    const spent = second.result.privacy!.tables.reduce((a, t) => a + t.epsilon, 0);
    expect(spent).toBeGreaterThan(0);
    expect((await store.cumulativeSpend(fingerprint)).epsilon).toBeCloseTo(once.epsilon + spent, 6);
  }, 180_000);
});

describe('parallel loads', () => {
  it('loading a level in parallel gives the same data as one table at a time', async () => {
    await runHydrateJob({ config: config({ seed: 5 }), target: 'dev', store, faults: [] });
    const events: RunEvent[] = [];
    await runHydrateJob({ config: config({ seed: 5, training: { parallel: 3 } }), target: 'ci', store, faults: [], emit: (e) => events.push(e) });
    expect(await liveChecksums(other.url)).toEqual(await liveChecksums(target.url));
    // author, genre and publisher (level 0) were in flight together.
    let inFlight = 0;
    let most = 0;
    const open = new Set<string>();
    for (const e of events) {
      if (e.type !== 'table' || e.stage !== 'load') continue;
      if (e.done) open.delete(e.table);
      else open.add(e.table);
      inFlight = open.size;
      most = Math.max(most, inFlight);
    }
    expect(most).toBeGreaterThanOrEqual(2);
  }, 180_000);
});

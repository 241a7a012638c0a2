/**
 * Crash safety, tested by breaking real runs at every named fault point: the live target stays byte-for-byte
 * what it was, a left shadow is recognizable as the failed run's, and the next run succeeds and drops it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTarget } from '../../src/connectors/index.js';
import { openStateStore, type StateStore } from '../../src/scheduler/state-store.js';
import { acquireTargetLock } from '../../src/scheduler/target-lock.js';
import { FAULT_POINTS, parseFaults, runHydrateJob, type FaultPoint } from '../../src/scheduler/hydrate-job.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { SHOP_PG } from '../support/fixtures.js';
import { liveChecksums, testConfig } from './helpers.js';

const outDir = mkdtempSync(join(tmpdir(), 'synth-faults-'));

async function shadowsOf(url: string) {
  const t = await openTarget(url);
  try {
    return await t.listShadows();
  } finally {
    await t.close();
  }
}

describe('fault points', () => {
  it('SYNTH_FAULT names are checked', () => {
    expect(FAULT_POINTS.length).toBeGreaterThanOrEqual(10);
    expect(parseFaults('mid-load, before-swap')).toEqual(['mid-load', 'before-swap']);
    expect(() => parseFaults('mid-lode')).toThrow(/unknown fault point "mid-lode"/);
  });
});

describe('faults on PostgreSQL', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let state: TestDatabase;
  let store: StateStore;

  beforeAll(async () => {
    [source, target, state] = await Promise.all([createPgDatabase('synth_flt_src'), createPgDatabase('synth_flt_dst'), createPgDatabase('synth_flt_state')]);
    await source.exec(SHOP_PG);
    store = await openStateStore({ url: state.url });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await Promise.all([source?.drop(), target?.drop(), state?.drop()]);
  });

  // Fault points, not the model, are under test: the baseline fits in milliseconds where the learned default trains
  // networks for seconds on each of the ~30 runs.
  const config = () => testConfig({ model: 'baseline', source: { url: source.url }, targets: { dev: { url: target.url } }, outDir, state: { url: state.url } });

  it('a first run fills the target', async () => {
    const { result, run } = await runHydrateJob({ config: config(), target: 'dev', store, faults: [] });
    expect(result.status).toBe('ok');
    expect(run.status).toBe('succeeded');
  }, 120_000);

  for (const point of FAULT_POINTS) {
    it(`${point}: live data unchanged, shadow recognizable, rerun succeeds and drops it`, async () => {
      const before = await liveChecksums(target.url);
      expect(Object.keys(before).length).toBe(7);
      // keepShadow leaves the shadow as a crash (kill -9) would, so the rerun has something to clean up.
      const failing = runHydrateJob({ config: config(), target: 'dev', store, faults: [point], keepShadow: true });
      const error = await failing.then(() => null, (e: unknown) => e);
      expect(error, 'the run must fail').not.toBeNull();
      // connection-drop is a real terminated session, so its error is the driver's, not the injector's.
      if (point === 'connection-drop') expect(String((error as Error).message)).not.toMatch(/Injected fault/);
      else expect(String((error as Error).message)).toMatch(`Injected fault at ${point}`);
      expect(await liveChecksums(target.url)).toEqual(before);

      const [failed] = await store.listRuns({ target: 'dev', limit: 1 });
      // A lost connection is an interruption: recorded with the stage it reached, not as a failure of synth.
      if (point === 'connection-drop') expect(failed).toMatchObject({ status: 'interrupted', errorCode: 'INTERRUPTED', errorMessage: expect.stringMatching(/^Interrupted by a lost connection during load/) });
      else expect(failed).toMatchObject({ status: 'failed' });
      expect(failed!.errorCode).not.toBeNull();
      const shadows = await shadowsOf(target.url);
      const createdBefore = point === 'after-introspect' || point === 'during-train';
      if (createdBefore) expect(shadows).toEqual([]);
      else expect(shadows.map((s) => s.runId)).toEqual([failed!.id]);
      for (const s of shadows) expect(s.createdAt).toBeInstanceOf(Date);
      // Fault injection leaves nothing behind in the target.
      const [trig] = await target.query<{ n: string }>(`SELECT count(*) AS n FROM pg_event_trigger WHERE evtname = 'synth_fault_injection'`);
      expect(Number(trig!.n)).toBe(0);

      const again = await runHydrateJob({ config: config(), target: 'dev', store, faults: [] });
      expect(again.result.status).toBe('ok');
      expect(again.droppedShadows).toEqual(shadows.map((s) => s.namespace));
      expect(await shadowsOf(target.url)).toEqual([]);
      expect(Object.keys(await liveChecksums(target.url)).sort()).toEqual(Object.keys(before).sort());
    }, 180_000);
  }

  it('without keepShadow a failed run drops its own shadow', async () => {
    const before = await liveChecksums(target.url);
    await expect(runHydrateJob({ config: config(), target: 'dev', store, faults: ['during-validate'] })).rejects.toThrow(/during-validate/);
    expect(await shadowsOf(target.url)).toEqual([]);
    expect(await liveChecksums(target.url)).toEqual(before);
  }, 120_000);
});

describe('faults on MySQL', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let state: TestDatabase;
  let store: StateStore;

  beforeAll(async () => {
    [source, target, state] = await Promise.all([createMysqlDatabase('synth_flt_src'), createMysqlDatabase('synth_flt_dst'), createPgDatabase('synth_flt_state')]);
    await source.exec(`
      CREATE TABLE author (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL, born DATE);
      CREATE TABLE book (id INT AUTO_INCREMENT PRIMARY KEY, author_id INT NOT NULL, title VARCHAR(80) NOT NULL, pages INT CHECK (pages > 0),
        FOREIGN KEY (author_id) REFERENCES author(id));
      INSERT INTO author (name, born) SELECT CONCAT('author ', seq), DATE_ADD('1950-01-01', INTERVAL seq * 100 DAY) FROM seq_1_to_60;
      INSERT INTO book (author_id, title, pages) SELECT 1 + seq % 60, CONCAT('book ', seq), 50 + seq % 400 FROM seq_1_to_400;`);
    store = await openStateStore({ url: state.url });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await Promise.all([source?.drop(), target?.drop(), state?.drop()]);
  });

  const config = () => testConfig({ model: 'baseline', source: { url: source.url }, targets: { dev: { url: target.url } }, outDir, state: { url: state.url } });

  it('a first run fills the target', async () => {
    const { result } = await runHydrateJob({ config: config(), target: 'dev', store, faults: [] });
    expect(result.status).toBe('ok');
  }, 120_000);

  it('a held MySQL target lock fails the run fast with LOCKED naming the holder', async () => {
    const lock = await acquireTargetLock(target.url, { wait: false, timeoutMs: 1000, holder: 'mysql-holder-7' });
    try {
      const err = await runHydrateJob({ config: config(), target: 'dev', store, faults: [] }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'LOCKED' });
      expect(String((err as Error).message)).toMatch(/mysql-holder-7/);
    } finally {
      await lock.release();
    }
  }, 60_000);

  const points: FaultPoint[] = ['mid-load', 'connection-drop', 'during-validate', 'before-finalize', 'before-swap'];
  for (const point of points) {
    it(`${point}: live data unchanged; rerun succeeds and drops the left shadow`, async () => {
      const before = await liveChecksums(target.url);
      expect(Object.keys(before).sort()).toEqual([`${target.name}.author`, `${target.name}.book`]);
      const error = await runHydrateJob({ config: config(), target: 'dev', store, faults: [point], keepShadow: true }).then(() => null, (e: unknown) => e);
      expect(error, 'the run must fail').not.toBeNull();
      // connection-drop kills the LOAD DATA connection: the error is the server's, not the injector's.
      if (point === 'connection-drop') expect(String((error as Error).message)).not.toMatch(/Injected fault/);
      else expect(String((error as Error).message)).toMatch(`Injected fault at ${point}`);
      expect(await liveChecksums(target.url)).toEqual(before);
      const shadows = await shadowsOf(target.url);
      const [failed] = await store.listRuns({ target: 'dev', limit: 1 });
      expect(failed!.status).toBe(point === 'connection-drop' ? 'interrupted' : 'failed');
      expect(shadows.map((s) => s.runId)).toEqual([failed!.id]);
      const again = await runHydrateJob({ config: config(), target: 'dev', store, faults: [] });
      expect(again.result.status).toBe('ok');
      expect(again.droppedShadows).toEqual(shadows.map((s) => s.namespace));
      expect(await shadowsOf(target.url)).toEqual([]);
    }, 180_000);
  }
});

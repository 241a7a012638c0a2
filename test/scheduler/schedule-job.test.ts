/**
 * Scheduled jobs are locked, recorded hydrates: chains copy from another target, and a shutdown in the middle
 * of a run abandons it at the next step boundary (recorded as aborted, live data untouched, shadow dropped).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScheduleProcess } from '../../src/cli/commands-orchestration.js';
import type { Renderer } from '../../src/cli/render.js';
import { openTarget } from '../../src/connectors/index.js';
import { parseConfig } from '../../src/config/load-config.js';
import type { RunEvent } from '../../src/events.js';
import { ManualClock, type ScheduleEvent } from '../../src/scheduler/schedules.js';
import { openStateStore } from '../../src/scheduler/state-store.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { liveChecksums, testConfig } from './helpers.js';

const outDir = mkdtempSync(join(tmpdir(), 'synth-sched-'));
let source: TestDatabase;
let stage: TestDatabase;
let dev: TestDatabase;
let state: TestDatabase;

beforeAll(async () => {
  [source, stage, dev, state] = await Promise.all([
    createPgDatabase('synth_sj_src'),
    createPgDatabase('synth_sj_stage'),
    createPgDatabase('synth_sj_dev'),
    createPgDatabase('synth_sj_state'),
  ]);
  await source.exec(`
    CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
    CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), title text NOT NULL, pages int CHECK (pages > 0));
    INSERT INTO author (name) SELECT 'author ' || i FROM generate_series(1, 40) i;
    INSERT INTO book (author_id, title, pages) SELECT 1 + i % 40, 'book ' || i, 50 + i % 400 FROM generate_series(1, 2000) i;`);
}, 60_000);
afterAll(async () => {
  await Promise.all([source?.drop(), stage?.drop(), dev?.drop(), state?.drop()]);
});

const schedules = [
  { name: 'stage-nightly', cron: '0 2 * * *', run: { target: 'stage' } },
  { name: 'dev-after-stage', after: 'stage-nightly', run: { target: 'dev', from: 'stage' } },
];
const config = () =>
  testConfig({ source: { url: source.url }, targets: { stage: { url: stage.url }, dev: { url: dev.url } }, outDir, state: { url: state.url }, schedules });

/** The runner registers its crons once the state store is open; fire as soon as it has. */
async function fireWhenRegistered(clock: ManualClock, name: string): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    if (clock.fire(name)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function renderer(onEvent: (e: RunEvent) => void = () => undefined): Renderer & { lines: string[] } {
  const lines: string[] = [];
  return { lines, emit: onEvent, text: (b) => void lines.push(b), result: () => undefined, stop: () => undefined };
}

describe('schedules in the config', () => {
  it('targets of schedules are checked against `targets`', () => {
    const base = { source: { url: 'postgres://h/src' }, targets: { stage: { url: 'postgres://h/stage' } } };
    expect(() => parseConfig({ ...base, schedules: [{ name: 'a', cron: '0 2 * * *', run: { target: 'prod' } }] }, 't')).toThrow(/schedules\[0\]\.run\.target: names target "prod"/);
    expect(() => parseConfig({ ...base, schedules: [{ name: 'a', cron: '0 2 * * *', run: { target: 'stage', from: 'qa' } }] }, 't')).toThrow(/schedules\[0\]\.run\.from: names target "qa"/);
    expect(() => parseConfig({ ...base, schedules: [{ name: 'a', cron: 'every night', run: { target: 'stage' } }] }, 't')).toThrow(/cron/);
    expect(parseConfig({ ...base, schedules: [{ name: 'a', cron: '0 2 * * *', run: { target: 'stage' } }] }, 't').schedules![0]!.run.from).toBe('source');
  });

  it('training.reuse and training.parallel are validated', () => {
    const base = { source: { url: 'postgres://h/src' }, targets: { stage: { url: 'postgres://h/stage' } } };
    expect(parseConfig(base, 't').training).toMatchObject({ reuse: 'never', parallel: 1 });
    expect(parseConfig({ ...base, training: { reuse: { maxAge: '24h' }, parallel: 4 } }, 't').training).toMatchObject({ reuse: { maxAge: '24h' }, parallel: 4 });
    expect(() => parseConfig({ ...base, training: { reuse: { maxAge: 'a day' } } }, 't')).toThrow(/duration/);
    expect(() => parseConfig({ ...base, training: { parallel: 0 } }, 't')).toThrow(/parallel/);
  });
});

describe('runScheduleProcess', () => {
  it('prod → stage, then stage → dev after it; both recorded as schedule runs', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const events: ScheduleEvent[] = [];
    const done = runScheduleProcess(config(), renderer(), {
      clock,
      handleSignals: false,
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'succeeded' && e.schedule === 'dev-after-stage') controller.abort();
        if (e.type === 'failed') controller.abort();
      },
    });
    expect(await fireWhenRegistered(clock, 'stage-nightly')).toBe(true);
    await done;
    expect(events.filter((e) => e.type === 'failed')).toEqual([]);
    expect(events.filter((e) => e.type === 'succeeded').map((e) => (e as { schedule: string }).schedule)).toEqual(['stage-nightly', 'dev-after-stage']);
    const store = await openStateStore({ url: state.url });
    try {
      const [d] = await store.listRuns({ target: 'dev', limit: 1 });
      expect(d).toMatchObject({ kind: 'schedule', status: 'succeeded' });
      expect(d!.sourceUrl).toContain(stage.name);
      const [s] = await store.listRuns({ target: 'stage', limit: 1 });
      expect(s!.sourceUrl).toContain(source.name);
    } finally {
      await store.close();
    }
    // dev is a synthetic copy of stage's synthetic data, not of the source.
    const [n] = await dev.query<{ n: string }>('SELECT count(*) AS n FROM book');
    expect(Number(n!.n)).toBeGreaterThan(1900);
  }, 180_000);

  it('shutdown during a run abandons it at the next step: aborted, live untouched, shadow dropped, exit clean', async () => {
    const before = await liveChecksums(stage.url);
    const clock = new ManualClock();
    const controller = new AbortController();
    const events: ScheduleEvent[] = [];
    const out = renderer((e) => {
      if (e.type === 'stage' && e.stage === 'shadow' && e.status === 'done') controller.abort();
    });
    const done = runScheduleProcess(config(), out, { clock, handleSignals: false, signal: controller.signal, onEvent: (e) => events.push(e) });
    expect(await fireWhenRegistered(clock, 'stage-nightly')).toBe(true);
    await done;
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['started', 'stopping', 'stopped']));
    expect(events.some((e) => e.type === 'succeeded')).toBe(false);
    expect(await liveChecksums(stage.url)).toEqual(before);
    const t = await openTarget(stage.url);
    try {
      expect(await t.listShadows()).toEqual([]);
    } finally {
      await t.close();
    }
    const store = await openStateStore({ url: state.url });
    try {
      const [last] = await store.listRuns({ target: 'stage', limit: 1 });
      expect(last).toMatchObject({ status: 'aborted' });
      expect(last!.errorMessage).toMatch(/stopped \(shutdown\)/);
    } finally {
      await store.close();
    }
  }, 180_000);
});

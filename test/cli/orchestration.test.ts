/**
 * The orchestration commands as a user runs them (separate processes, real PostgreSQL): run history, the target
 * lock across processes, train/generate, the long-lived scheduler stopped with SIGTERM, previews registered.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireTargetLock } from '../../src/scheduler/target-lock.js';
import { openStateStore } from '../../src/scheduler/state-store.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-orch-cli-'));
let source: TestDatabase;
let dev: TestDatabase;
let ci: TestDatabase;
let state: TestDatabase;
let configPath: string;

beforeAll(async () => {
  [source, dev, ci, state] = await Promise.all([
    createPgDatabase('synth_oc_src'),
    createPgDatabase('synth_oc_dev'),
    createPgDatabase('synth_oc_ci'),
    createPgDatabase('synth_oc_state'),
  ]);
  await source.exec(`
    CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, born date);
    CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), title text NOT NULL, pages int CHECK (pages > 0));
    INSERT INTO author (name, born) SELECT 'author ' || i, date '1950-01-01' + i * 100 FROM generate_series(1, 50) i;
    INSERT INTO book (author_id, title, pages) SELECT 1 + i % 50, 'book ' || i, 50 + i % 400 FROM generate_series(1, 300) i;`);
  configPath = join(dir, 'synth.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      // Runs, locks and schedules are under test, not the model (learned artifacts reload in framework.test.ts):
      // the baseline keeps each of the ~10 runs from training networks.
      model: 'baseline',
      source: { url: source.url },
      targets: { dev: { url: dev.url }, ci: { url: ci.url } },
      quality: { enabled: false },
      state: { url: state.url },
      outDir: join(dir, 'out'),
      schedules: [
        { name: 'dev-tick', cron: '*/2 * * * * *', run: { target: 'dev' } },
        { name: 'ci-after-dev', after: 'dev-tick', run: { target: 'ci', from: 'dev' } },
      ],
    }),
  );
}, 60_000);
afterAll(async () => {
  await Promise.all([source?.drop(), dev?.drop(), ci?.drop(), state?.drop()]);
});

const lines = (s: string) => s.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('synth runs', () => {
  it('hydrate is recorded; runs lists it and runs show gives steps, rows/s and validation (text and --json)', async () => {
    const h = await runCli(['hydrate', '--target', 'dev', '--config', configPath, '--json']);
    expect(h.stderr).toBe('');
    expect(h.code).toBe(0);
    const runId = String(lines(h.stdout).at(-1)!.runId);

    const list = await runCli(['runs', '--config', configPath, '--json', '--target', 'dev', '--limit', '5']);
    expect(list.code).toBe(0);
    const runs = (JSON.parse(list.stdout) as { runs: Array<Record<string, unknown>> }).runs;
    expect(runs[0]).toMatchObject({ id: runId, kind: 'hydrate', target: 'dev', status: 'succeeded' });

    const show = await runCli(['runs', 'show', runId, '--config', configPath, '--json']);
    expect(show.code).toBe(0);
    const detail = JSON.parse(show.stdout) as { steps: Array<{ step: string; table: string | null; rows: number | null; rowsPerSec: number | null }>; validation: { violations: number } };
    const book = detail.steps.find((s) => s.step === 'load' && s.table === 'public.book');
    expect(book).toMatchObject({ rows: 300 });
    expect(book!.rowsPerSec).toBeGreaterThan(0);
    expect(detail.validation.violations).toBe(0);

    const text = await runCli(['runs', 'show', runId, '--config', configPath, '--no-json']);
    expect(text.stdout).toMatch(new RegExp(`run ${runId} \\(hydrate\\) → dev: succeeded`));
    expect(text.stdout).toMatch(/load\s+public\.book\s+.*300 rows \(\d+ rows\/s\)/);
    expect(text.stdout).toMatch(/validation: 0 violation\(s\)/);

    const missing = await runCli(['runs', 'show', 'nope', '--config', configPath]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No run nope/);
  }, 120_000);
});

describe('target lock across processes', () => {
  it('a second hydrate fails fast with LOCKED naming the holder (exit 3), and is recorded', async () => {
    const lock = await acquireTargetLock(dev.url, { wait: false, timeoutMs: 1000, holder: 'run-held-by-test' });
    try {
      const r = await runCli(['hydrate', '--target', 'dev', '--config', configPath, '--quiet']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/LOCKED/);
      expect(r.stderr).toMatch(/run-held-by-test/);
    } finally {
      await lock.release();
    }
    const list = JSON.parse((await runCli(['runs', '--config', configPath, '--json', '--limit', '1'])).stdout) as { runs: Array<Record<string, unknown>> };
    expect(list.runs[0]).toMatchObject({ status: 'failed', errorCode: 'LOCKED' });
  }, 60_000);

  it('two hydrates of one target started together with --wait both succeed, one after the other', async () => {
    const [a, b] = await Promise.all([
      runCli(['hydrate', '--target', 'ci', '--config', configPath, '--json', '--wait']),
      runCli(['hydrate', '--target', 'ci', '--config', configPath, '--json', '--wait']),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const store = await openStateStore({ url: state.url });
    try {
      const ids = [a, b].map((r) => String(lines(r.stdout).at(-1)!.runId));
      const windows = [];
      for (const id of ids) {
        const run = (await store.getRun(id))!;
        const load = run.steps.find((s) => s.step === 'load' && s.table === null)!;
        const swap = run.steps.find((s) => s.step === 'swap')!;
        windows.push({ from: load.startedAt.getTime(), to: swap.finishedAt!.getTime() });
      }
      windows.sort((x, y) => x.from - y.from);
      expect(windows[0]!.to).toBeLessThanOrEqual(windows[1]!.from);
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe('two hydrate processes on one target', () => {
  it('the second fails fast with LOCKED naming the first run, which still succeeds', async () => {
    const big = await createPgDatabase('synth_oc_big');
    const target = await createPgDatabase('synth_oc_bigdst');
    try {
      await big.exec(`
        CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
        CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), title text NOT NULL, pages int);
        INSERT INTO author (name) SELECT 'author ' || i FROM generate_series(1, 50) i;
        INSERT INTO book (author_id, title, pages) SELECT 1 + i % 50, 'book ' || i, 50 + i % 400 FROM generate_series(1, 300) i;`);
      // The test holds the source's book table: the first run takes the target lock, then waits on its first read of
      // book until the test lets go, however fast or slow the machine. (A 400k-row source scaled to 1.2M rows kept it
      // busy before: ~15 CPU-s of the test process and its children, plus the server's.) The lock is under test.
      await big.exec('BEGIN; LOCK TABLE book IN ACCESS EXCLUSIVE MODE');
      const cfg = join(dir, 'big.config.json');
      writeFileSync(cfg, JSON.stringify({ model: 'baseline', source: { url: big.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, state: { url: state.url } }));
      const first = spawn(process.execPath, [join(process.cwd(), 'bin', 'synth.js'), 'hydrate', '--target', 'dev', '--config', cfg, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const firstDone = new Promise<number>((resolve) => first.on('close', (code) => resolve(code ?? -1)));
      const runId = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`first run never took the lock:\n${out}`)), 60_000);
        first.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const start = lines(out.slice(0, out.lastIndexOf('\n') + 1)).find((e) => e.type === 'run' && e.status === 'start');
          if (start !== undefined && /Holding the lock/.test(out)) {
            clearTimeout(timer);
            resolve(String(start.runId));
          }
        });
      });
      const second = await runCli(['hydrate', '--target', 'dev', '--config', cfg, '--quiet']);
      expect(second.code).toBe(3);
      expect(second.stderr).toMatch(/error \[LOCKED\]/);
      expect(second.stderr).toContain(runId);
      await big.exec('COMMIT');
      expect(await firstDone).toBe(0);
      expect(lines(out).at(-1)).toMatchObject({ type: 'result', status: 'ok', runId });
    } finally {
      await Promise.all([big.drop(), target.drop()]);
    }
  }, 180_000);
});

describe('synth train / generate', () => {
  it('train then generate reuses the stored models', async () => {
    const t = await runCli(['train', '--config', configPath, '--json']);
    expect(t.code).toBe(0);
    const trained = lines(t.stdout).at(-1)!;
    expect(trained).toMatchObject({ type: 'result', status: 'ok', tables: 2 });
    const g = await runCli(['generate', '--target', 'dev', '--config', configPath, '--json']);
    expect(g.code).toBe(0);
    const events = lines(g.stdout);
    expect(events.some((e) => e.type === 'info' && String(e.message).includes(String(trained.location)))).toBe(true);
    expect(events.some((e) => e.type === 'stage' && e.stage === 'train')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'result', status: 'ok' });
  }, 120_000);
});

describe('synth schedule', () => {
  it('runs the chain (dev, then ci from dev) and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'synth.js'), 'schedule', '--config', configPath, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no chained run within 90 s:\n${stdout}\n${stderr}`)), 90_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/"type":"schedule:succeeded","schedule":"ci-after-dev"/.test(stdout.replace(/\\"/g, '"'))) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    const code = await exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/schedule:stopped/);
    const store = await openStateStore({ url: state.url });
    try {
      const ciRuns = await store.listRuns({ target: 'ci', limit: 20 });
      const chained = ciRuns.find((r) => r.kind === 'schedule' && r.status === 'succeeded');
      expect(chained?.sourceUrl).toContain(dev.name);
      // Shutdown left no run hanging.
      expect((await store.listRuns({ limit: 50 })).filter((r) => r.status === 'running')).toEqual([]);
    } finally {
      await store.close();
    }
    // ci got dev's (synthetic) rows: the same row counts.
    const [d] = await dev.query<{ n: string }>('SELECT count(*) AS n FROM book');
    const [c] = await ci.query<{ n: string }>('SELECT count(*) AS n FROM book');
    expect(Number(c!.n)).toBeGreaterThan(0);
    expect(Math.abs(Number(c!.n) - Number(d!.n))).toBeLessThanOrEqual(3);
  }, 150_000);
});

describe('CLI registration', () => {
  it('lists the orchestration commands and the preview subcommands', async () => {
    const help = await runCli(['--help']);
    for (const c of ['hydrate', 'generate', 'train', 'runs', 'schedule', 'preview', 'demo']) expect(help.stdout).toMatch(new RegExp(`\\n\\s+${c}\\b`));
    const list = await runCli(['preview', 'list', '--target', 'dev', '--config', configPath, '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ type: 'result', previews: [] });
  }, 60_000);
});

/**
 * Interruptions of a real `synth hydrate` process (real PostgreSQL, real signals): SIGINT, SIGTERM and SIGHUP drop
 * the shadow, release the target lock, record the run as `interrupted` at the stage it reached, print one line and
 * exit 130/143/129; a SIGKILLed run is marked `abandoned` by the next `synth runs` and its shadow dropped by the next
 * hydrate; on a terminal the cursor is shown again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTarget } from '../../src/connectors/index.js';
import { exitCodeFor, InterruptedError, repeatsSignal, restoreTerminal, runInterruptible } from '../../src/scheduler/interrupt.js';
import { openStateStore, type RunRecord } from '../../src/scheduler/state-store.js';
import { acquireTargetLock } from '../../src/scheduler/target-lock.js';
import { cliCommand, runCli } from '../support/cli.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { liveChecksums } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-interrupt-'));
let source: TestDatabase;
let target: TestDatabase;
let state: TestDatabase;
let configPath: string;

beforeAll(async () => {
  [source, target, state] = await Promise.all([createPgDatabase('synth_int_src'), createPgDatabase('synth_int_dst'), createPgDatabase('synth_int_state')]);
  await source.exec(`
    CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
    CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), title text NOT NULL, pages int);
    INSERT INTO author (name) SELECT 'author ' || i FROM generate_series(1, 100) i;
    INSERT INTO book (author_id, title, pages) SELECT 1 + i % 100, 'book ' || i, 50 + i % 400 FROM generate_series(1, 3000) i;`);
  configPath = join(dir, 'synth.config.json');
  // Signals at load, validate and shadow are under test, not the model: the baseline reaches each pause without
  // training networks first (the SIGINT-during-training test below has its own learned config).
  writeFileSync(configPath, JSON.stringify({ source: { url: source.url }, targets: { dev: { url: target.url } }, model: 'baseline', quality: { enabled: false }, state: { url: state.url }, outDir: join(dir, 'out') }));
  // A first run, so the live schema has data an interruption must leave alone.
  const first = await runCli(['hydrate', '--target', 'dev', '--config', configPath, '--json']);
  expect(first.code, first.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await Promise.all([source?.drop(), target?.drop(), state?.drop()]);
});

/** Starts `synth hydrate` parked at `point` (SYNTH_PAUSE) and resolves once it says so, with its run id. */
async function pausedHydrate(point: string): Promise<{ child: ChildProcess; runId: string; out: () => string; err: () => string; exited: Promise<number | NodeJS.Signals> }> {
  const child = spawn(process.execPath, [...cliCommand(), 'hydrate', '--target', 'dev', '--config', configPath, '--json'], {
    env: { ...process.env, SYNTH_PAUSE: point },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.on('close', (code, sig) => resolve(code ?? sig ?? -1)));
  const runId = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`never paused at ${point}:\n${out}\n${err}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const start = /"type":"run","status":"start","runId":"([^"]+)"/.exec(out);
      if (start && out.includes(`Paused at ${point}`)) {
        clearTimeout(timer);
        resolve(start[1]!);
      }
    });
  });
  return { child, runId, out: () => out, err: () => err, exited };
}

async function shadows(): Promise<string[]> {
  const t = await openTarget(target.url);
  try {
    return (await t.listShadows()).map((s) => s.runId);
  } finally {
    await t.close();
  }
}

async function run(id: string): Promise<RunRecord> {
  const store = await openStateStore({ url: state.url });
  try {
    return (await store.getRun(id))!;
  } finally {
    await store.close();
  }
}

describe('signals to a running hydrate', () => {
  const cases: Array<{ signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP'; point: string; stage: RegExp; code: number }> = [
    { signal: 'SIGINT', point: 'mid-load', stage: /^load \(public\.(author|book)\)$/, code: 130 },
    { signal: 'SIGTERM', point: 'during-validate', stage: /^validate$/, code: 143 },
    { signal: 'SIGHUP', point: 'after-shadow', stage: /^shadow$/, code: 129 },
  ];
  for (const c of cases) {
    it(`${c.signal} at ${c.point}: shadow dropped, lock released, run interrupted at its stage, one line, exit ${c.code}`, async () => {
      const before = await liveChecksums(target.url);
      const p = await pausedHydrate(c.point);
      expect(await shadows()).toContain(p.runId);
      p.child.kill(c.signal);
      expect(await p.exited).toBe(c.code);
      const lines = p.err().split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^interrupted: Interrupted by ${c.signal} during .*Run ${p.runId} is recorded as interrupted\\.$`));

      expect(await shadows()).toEqual([]);
      const lock = await acquireTargetLock(target.url, { wait: false, timeoutMs: 1000, holder: 'interrupt-test' });
      await lock.release();
      const r = await run(p.runId);
      expect(r).toMatchObject({ status: 'interrupted', errorCode: 'INTERRUPTED' });
      expect(r.finishedAt).toBeInstanceOf(Date);
      expect(r.errorMessage).toMatch(c.signal);
      const stage = /during (.*?);/.exec(r.errorMessage ?? '')?.[1] ?? '';
      expect(stage).toMatch(c.stage);
      expect(await liveChecksums(target.url)).toEqual(before);
    }, 90_000);
  }
});

describe('a killed run (SIGKILL)', () => {
  it('is marked abandoned by `synth runs`, and the next hydrate drops its shadow and succeeds', async () => {
    const p = await pausedHydrate('mid-load');
    p.child.kill('SIGKILL');
    await p.exited;
    expect((await run(p.runId)).status).toBe('running');
    expect(await shadows()).toEqual([p.runId]);

    const started = Date.now();
    const list = await runCli(['runs', '--config', configPath, '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    const runs = (JSON.parse(list.stdout) as { runs: Array<Record<string, unknown>> }).runs;
    const killed = runs.find((r) => r.id === p.runId);
    expect(killed).toMatchObject({ status: 'abandoned', errorCode: 'ABANDONED' });
    expect(String(killed!.errorMessage)).toMatch(/during load\b.*process \(pid \d+ on .*\) is gone/);
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);

    const again = await runCli(['hydrate', '--target', 'dev', '--config', configPath, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Dropped stale shadow synth_shadow_${p.runId}`);
    expect(await shadows()).toEqual([]);
  }, 120_000);
});

describe('signals to `synth train`', () => {
  it('SIGINT while the learned model trains: recorded interrupted during train, one line, exit 130, no model stored', async () => {
    const cfg = join(dir, 'train.config.json');
    const models = join(dir, 'train-out');
    writeFileSync(cfg, JSON.stringify({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, state: { url: state.url }, outDir: models, model: 'learned', training: { epochs: 500 } }));
    const child = spawn(process.execPath, [...cliCommand(), 'train', '--config', cfg, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`training never started:\n${out}\n${err}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"stage":"train","status":"start"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const signalled = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(Date.now() - signalled).toBeLessThan(15_000);
    const lines = err.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    const runId = /Run (\S+) is recorded as interrupted/.exec(lines[0]!)?.[1] ?? '';
    expect(lines[0]).toMatch(/^interrupted: Interrupted by SIGINT during train; no model was stored\. Run \S+ is recorded as interrupted\.$/);
    expect(await run(runId)).toMatchObject({ kind: 'train', status: 'interrupted', errorCode: 'INTERRUPTED' });
    expect(existsSync(join(models, 'models'))).toBe(false);
  }, 120_000);
});

describe('the terminal', () => {
  it('restoreTerminal shows the cursor on a TTY stream only', () => {
    const tty = { isTTY: true, written: '', write(s: string) { this.written += s; } };
    const pipe = { isTTY: false, written: '', write(s: string) { this.written += s; } };
    restoreTerminal([tty, pipe]);
    expect(tty.written).toBe('\x1b[?25h');
    expect(pipe.written).toBe('');
  });

  it('runInterruptible turns a signal into an abort, prints one line and exits 128+signal', async () => {
    const written: string[] = [];
    const exits: number[] = [];
    let aborted: unknown = null;
    const done = runInterruptible(
      (signal) =>
        new Promise<string>((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            reject((signal.reason as InterruptedError).at('load (public.book)', 'r1'));
          }),
        ),
      { signals: ['SIGTERM'], stderr: { write: (s: string) => written.push(s) }, exit: (c) => exits.push(c) },
    );
    setTimeout(() => process.kill(process.pid, 'SIGTERM'), 20);
    await done.catch(() => undefined);
    expect(exits).toEqual([exitCodeFor('SIGTERM')]);
    expect(written).toEqual(['interrupted: Interrupted by SIGTERM during load (public.book); the shadow is dropped, the target lock released and the live data unchanged. Run r1 is recorded as interrupted.\n']);
    expect(aborted).toBeInstanceOf(InterruptedError);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('a second signal, or a cleanup that overruns the grace period, exits at once with one line', async () => {
    const written: string[] = [];
    const exits: number[] = [];
    const options = { signals: ['SIGHUP'] as const, stderr: { write: (s: string) => written.push(s) }, exit: (c: number) => exits.push(c) };
    // A cleanup that never finishes: the grace period ends it.
    void runInterruptible(() => new Promise<never>(() => undefined), { ...options, graceMs: 200 });
    process.kill(process.pid, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 600));
    expect(exits).toEqual([129]);
    expect(written).toEqual([expect.stringMatching(/^interrupted \(SIGHUP\): cleanup did not finish within 0 s; exiting; the next run drops the shadow and marks the run abandoned\.\n$/)]);
    // A second signal does not wait for the grace period.
    written.length = 0;
    exits.length = 0;
    void runInterruptible(() => new Promise<never>(() => undefined), { ...options, graceMs: 60_000 });
    process.kill(process.pid, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 100));
    process.kill(process.pid, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 100));
    expect(exits).toEqual([129]);
    expect(written).toEqual(['interrupted (SIGHUP again): exiting now; the next run cleans up what is left.\n']);
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });

  it("under the launcher's relaunch, a SIGTERM to the process group and the launcher's copy of it are one request to stop", async () => {
    // Pure rule: only SIGTERM, only relaunched, only within the relay window.
    expect(repeatsSignal('SIGTERM', 'SIGTERM', 1000, 1200, true)).toBe(true);
    expect(repeatsSignal('SIGTERM', 'SIGTERM', 1000, 1200, false)).toBe(false);
    expect(repeatsSignal('SIGTERM', 'SIGTERM', 1000, 3000, true)).toBe(false);
    expect(repeatsSignal('SIGINT', 'SIGINT', 1000, 1200, true)).toBe(false);
    expect(repeatsSignal('SIGTERM', null, 0, 10, true)).toBe(false);
    // Live: two SIGTERMs at once leave the cleanup to finish (one line, no "again"); a third, later, still forces.
    const written: string[] = [];
    const exits: number[] = [];
    process.env.SYNTH_RELAUNCHED = '1';
    try {
      // A cleanup of 150 ms after the abort: long enough for the second signal to land while it runs.
      const done = runInterruptible((signal) => new Promise<void>((_resolve, reject) => {
        signal.addEventListener('abort', () => setTimeout(() => reject(signal.reason as Error), 150));
      }), { signals: ['SIGTERM'], graceMs: 60_000, stderr: { write: (s: string) => written.push(s) }, exit: (c) => exits.push(c) });
      process.kill(process.pid, 'SIGTERM');
      process.kill(process.pid, 'SIGTERM');
      await done.catch(() => undefined);
      expect(exits).toEqual([exitCodeFor('SIGTERM')]);
      expect(written).toEqual([expect.stringMatching(/^interrupted: Interrupted by SIGTERM/)]);
      expect(process.listenerCount('SIGTERM')).toBe(0);
    } finally {
      delete process.env.SYNTH_RELAUNCHED;
    }
  });

  it('on a terminal (script -qfc gives the child a pty) SIGINT shows the cursor again before the one line', async () => {
    const cmd = ['exec', process.execPath, ...cliCommand(), 'hydrate', '--target', 'dev', '--config', configPath].map((a) => `'${a}'`).join(' ');
    const script = spawn('script', ['-qfc', cmd, '/dev/null'], { env: { ...process.env, SYNTH_PAUSE: 'mid-load', TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    script.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((resolve) => script.on('close', (code) => resolve(code ?? -1)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never paused:\n${out}`)), 60_000);
      const poll = setInterval(() => {
        if (out.includes('Paused at mid-load')) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve();
        }
      }, 100);
    });
    const paused = out.length;
    // `exec` made the synth process the direct child of script: signal it as Ctrl-C would.
    const { execFileSync } = await import('node:child_process');
    const pid = Number(execFileSync('pgrep', ['-P', String(script.pid)]).toString().trim().split('\n')[0]);
    process.kill(pid, 'SIGINT');
    await exited;
    const after = out.slice(paused);
    const cursor = after.indexOf('\x1b[?25h');
    const line = after.indexOf('interrupted: Interrupted by SIGINT');
    expect(cursor, after).toBeGreaterThanOrEqual(0);
    expect(line, after).toBeGreaterThan(cursor);
  }, 90_000);
});

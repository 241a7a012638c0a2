/**
 * The embedded state folder (PGlite under outDir/state) never wedges: runs killed at random moments (SIGKILL,
 * SIGINT, SIGTERM) leave it usable and the next command starts within seconds; a folder held by a live run makes
 * the next one fail after a bounded wait naming the holder; a dead holder's lock is taken over at once; a folder
 * PGlite cannot start from is moved aside with a one-line warning and a fresh one is used.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPathOf, lockStateFolder, processAlive } from '../../src/scheduler/state-folder.js';
import { openStateStore } from '../../src/scheduler/state-store.js';
import { cliCommand, runCli } from '../support/cli.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { seedStateFolder } from '../support/state-folder.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-state-rec-'));
const stateDir = join(dir, 'out', 'state');
let source: TestDatabase;
let target: TestDatabase;
let configPath: string;

beforeAll(async () => {
  [source, target] = await Promise.all([createPgDatabase('synth_srec_src'), createPgDatabase('synth_srec_dst')]);
  await source.exec(`
    CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
    CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), title text NOT NULL, pages int);
    INSERT INTO author (name) SELECT 'author ' || i FROM generate_series(1, 100) i;
    INSERT INTO book (author_id, title, pages) SELECT 1 + i % 100, 'book ' || i, 50 + i % 400 FROM generate_series(1, 5000) i;`);
  configPath = join(dir, 'synth.config.json');
  // No `state`: the default embedded folder <outDir>/state, as a user without a state database has it.
  // The baseline: the state folder is under test, not the model, and the kills then land in shadow and load as well.
  writeFileSync(configPath, JSON.stringify({ model: 'baseline', source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, outDir: join(dir, 'out'), training: { sampleRows: 2000 } }));
  // The first open creates the folder (initdb), which is slow (it ran past this hook's 120 s on a loaded machine) and
  // not what is measured here: the runs start from an initialized folder (support/state-folder.ts).
  await seedStateFolder(stateDir);
}, 120_000);
afterAll(async () => {
  await Promise.all([source?.drop(), target?.drop()]);
});

type Runs = Array<{ id: string; status: string }>;
const runsOf = (stdout: string): Runs => (JSON.parse(stdout.trim().split('\n').at(-1)!) as { runs: Runs }).runs;

describe('runs killed at random moments', () => {
  it('leave the folder usable: the next command starts within seconds and no run stays running', async () => {
    const signals = ['SIGKILL', 'SIGINT', 'SIGKILL', 'SIGTERM'] as const;
    const budget = Date.now() + 25_000;
    const tried: string[] = [];
    for (const signal of signals) {
      if (Date.now() > budget) break;
      const delay = 300 + Math.floor(Math.random() * 3000);
      tried.push(`${signal}@${delay}ms`);
      const child = spawn(process.execPath, [...cliCommand(), 'hydrate', '--target', 'dev', '--config', configPath, '--json'], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      await new Promise((r) => setTimeout(r, delay));
      child.kill(signal);
      await exited;

      const started = Date.now();
      const list = await runCli(['runs', '--config', configPath, '--json'], { env: { SYNTH_STATE_WAIT_MS: '5000' } });
      const took = Date.now() - started;
      expect(list.code, `${tried.join(', ')}: ${list.stderr}`).toBe(0);
      expect(took, tried.join(', ')).toBeLessThan(20_000);
      expect(runsOf(list.stdout).filter((r) => r.status === 'running'), tried.join(', ')).toEqual([]);
    }
    const ok = await runCli(['hydrate', '--target', 'dev', '--config', configPath, '--json']);
    expect(ok.code, `${tried.join(', ')}: ${ok.stderr}`).toBe(0);
    expect(existsSync(lockPathOf(stateDir))).toBe(false);
  }, 150_000);
});

describe('a folder held by a live run', () => {
  it('makes the next command fail after a bounded wait, naming the holder; free again once the holder is interrupted', async () => {
    const holder = spawn(process.execPath, [...cliCommand(), 'hydrate', '--target', 'dev', '--config', configPath, '--json'], {
      env: { ...process.env, SYNTH_PAUSE: 'mid-load' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number>((resolve) => holder.on('close', (code) => resolve(code ?? -1)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never paused:\n${out}`)), 60_000);
      holder.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Paused at mid-load')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const started = Date.now();
    const busy = await runCli(['runs', '--config', configPath], { env: { SYNTH_STATE_WAIT_MS: '1500' } });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(busy.code).toBe(3);
    expect(busy.stderr).toMatch(new RegExp(`error \\[LOCKED\\]: The embedded state folder .* is in use by synth pid ${holder.pid} on `));

    holder.kill('SIGINT');
    expect(await exited).toBe(130);
    const list = await runCli(['runs', '--config', configPath, '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(runsOf(list.stdout)[0]).toMatchObject({ status: 'interrupted' });
  }, 120_000);
});

describe('the folder lock', () => {
  it('is taken over at once from a dead holder, and refused (bounded) to a second live process', async () => {
    const folder = join(dir, 'lock-only');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    expect(processAlive(deadPid)).toBe(false);
    writeFileSync(lockPathOf(folder), JSON.stringify({ pid: deadPid, host: hostname(), since: new Date().toISOString(), command: 'synth hydrate' }));
    const started = Date.now();
    const lock = await lockStateFolder(folder, { waitMs: 5000 });
    expect(Date.now() - started).toBeLessThan(1000);
    lock.release();
    expect(existsSync(lockPathOf(folder))).toBe(false);

    // The test runner's parent is alive and is not us: it stands for another synth process.
    writeFileSync(lockPathOf(folder), JSON.stringify({ pid: process.ppid, host: hostname(), since: new Date().toISOString(), command: 'synth hydrate --target dev' }));
    await expect(lockStateFolder(folder, { waitMs: 300 })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringMatching(`pid ${process.ppid}`) });
  });
});

describe('a broken folder', () => {
  it('is moved aside to state.broken-<ts> with a one-line warning, and a fresh folder is used', async () => {
    const broken = join(dir, 'broken-state');
    // A copy of the folder the CLI tests used (it has run history), so only the fresh start pays for an initdb.
    cpSync(stateDir, broken, { recursive: true });
    // What a crash mid-checkpoint or two processes on one folder leave: a control file PGlite cannot start from.
    writeFileSync(join(broken, 'global', 'pg_control'), Buffer.alloc(8192, 7));
    const warnings: string[] = [];
    const fresh = await openStateStore({ dir: broken, onWarning: (m) => warnings.push(m) });
    try {
      expect(await fresh.listRuns()).toEqual([]);
      await fresh.startRun({ kind: 'hydrate', target: 'dev' });
    } finally {
      await fresh.close();
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('\n');
    const aside = readdirSync(dir).filter((n) => n.startsWith('broken-state.broken-'));
    expect(aside).toHaveLength(1);
    expect(warnings[0]).toContain(join(dir, aside[0]!));
  }, 120_000);
});

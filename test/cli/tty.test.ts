/**
 * What a person sees: `synth hydrate` on a 120×50 terminal (tmux), with a 33-table schema, so the finished tables
 * scroll by. The screen and the scrollback are read back with `tmux capture-pane`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand } from '../support/cli.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.log('SKIPPED test/cli/tty.test.ts: tmux is not installed (apt-get install tmux), so the terminal output is not checked');

const TABLES = 33;
const socket = `synth-tty-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'synth-tty-'));
let source: TestDatabase;
let target: TestDatabase;
let configPath: string;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Runs synth in a fresh 120×50 tmux session until it exits; returns the visible screen and the whole scrollback. */
async function inTerminal(args: string[], onScreen: (screen: string) => void = () => {}, timeoutMs = 180_000): Promise<{ screen: string[]; history: string[]; code: number }> {
  const session = `s${Date.now()}`;
  const quoted = [process.execPath, ...cliCommand(), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // history-limit applies to panes created after it is set, hence the server option before the session.
  tmux('start-server', ';', 'set-option', '-g', 'history-limit', '20000');
  tmux('new-session', '-d', '-x', '120', '-y', '50', '-s', session, `cd '${process.cwd()}' && ${quoted}; echo "EXIT=$?"; sleep 600`);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = tmux('capture-pane', '-p', '-J', '-t', session);
      onScreen(screen);
      const exit = /EXIT=(\d+)/.exec(screen);
      if (exit) {
        const history = tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-', '-E', '-');
        return { screen: screen.split('\n'), history: trimEnd(history.split('\n')), code: Number(exit[1]) };
      }
      if (Date.now() > deadline) throw new Error(`synth did not finish in ${timeoutMs} ms; screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    tmux('kill-session', '-t', session);
  }
}

function trimEnd(lines: string[]): string[] {
  const out = [...lines];
  while (out.length > 0 && out.at(-1)!.trim() === '') out.pop();
  return out;
}

beforeAll(async () => {
  if (!hasTmux) return;
  source = await createPgDatabase('synth_tty_src');
  target = await createPgDatabase('synth_tty_dst');
  const ddl = ['CREATE TABLE t00 (id serial PRIMARY KEY, name text NOT NULL, size int);'];
  for (let i = 1; i < TABLES; i++) {
    const t = `t${String(i).padStart(2, '0')}`;
    ddl.push(`CREATE TABLE ${t} (id serial PRIMARY KEY, parent_id int NOT NULL REFERENCES t00(id), label text, amount numeric(10,2));`);
    ddl.push(`INSERT INTO ${t} (parent_id, label, amount) SELECT 1 + g % 50, 'l' || (g % 7), g * 1.5 FROM generate_series(1, 400) g;`);
  }
  ddl.splice(1, 0, `INSERT INTO t00 (name, size) SELECT 'n' || g, g % 13 FROM generate_series(1, 50) g;`);
  await source.exec(ddl.join('\n'));
  configPath = join(dir, 'synth.config.json');
  writeFileSync(configPath, JSON.stringify({ source: { url: source.url }, targets: { dev: { url: target.url } }, model: 'baseline', outDir: join(dir, 'out'), state: { url: `pglite://${join(dir, 'state')}` } }));
});

afterAll(async () => {
  await source?.drop();
  await target?.drop();
  rmSync(dir, { recursive: true, force: true });
  if (hasTmux) spawnSync('tmux', ['-L', socket, 'kill-server']);
});

describe.skipIf(!hasTmux)('synth hydrate on a terminal', () => {
  it('collapses finished tables to ✓ lines, leaves no bars or blank lines behind, and ends with validation, quality and the result', async () => {
    const { screen, history, code } = await inTerminal(['hydrate', '--target', 'dev', '--config', configPath]);
    const all = history.join('\n');
    writeFileSync(join(tmpdir(), 'synth-tty-last.txt'), all);
    expect(code, all).toBe(0);

    // Every table's load collapsed to one ✓ line; no progress bar survives anywhere in the scrollback.
    for (let i = 0; i < TABLES; i++) expect(all).toMatch(new RegExp(`✓ load public\\.t${String(i).padStart(2, '0')}: 400|✓ load public\\.t00: 50`));
    expect(all).not.toMatch(/[█░]/);
    // Stage lines start their own line (the old renderer glued them onto a bar: `ETA 0s✓ sample`).
    expect(all).not.toMatch(/\S✓/);
    // No blank lines left behind by erased bars (the old renderer left hundreds).
    expect(history.filter((l) => l.trim() === '').length).toBeLessThanOrEqual(3);

    // The end of the run is on screen, in this order, and nothing is drawn after the result.
    const visible = trimEnd(screen).join('\n');
    const at = (text: string) => visible.indexOf(text);
    expect(at('Validation passed: 0 violations.')).toBeGreaterThan(-1);
    expect(at('Overall quality')).toBeGreaterThan(at('Validation passed'));
    expect(at(`Hydrated target 'dev': ${TABLES} tables`)).toBeGreaterThan(at('Overall quality'));
    expect(visible.slice(at(`Hydrated target 'dev'`)).split('\n').slice(1).join('\n').trim()).toBe('EXIT=0');
    expect(visible.slice(at('Validation passed'))).not.toMatch(/✓ (load|sample|train)/);
  }, 300_000);

  it('says whom `--wait` is waiting for', async () => {
    const { acquireTargetLock } = await import('../../src/scheduler/target-lock.js');
    const lock = await acquireTargetLock(target.url, { wait: false, timeoutMs: 0, holder: 'run-held-by-tty-test' });
    let released = false;
    const release = () => {
      if (!released) void lock.release();
      released = true;
    };
    try {
      // The lock is let go once synth says it waits for it (it used to wait in silence).
      const { history, code } = await inTerminal(['hydrate', '--target', 'dev', '--config', configPath, '--wait'], (screen) => {
        if (/Waiting for it/.test(screen)) release();
      }, 120_000);
      expect(released).toBe(true);
      expect(code).toBe(0);
      expect(history.join('\n')).toMatch(/locked by .*run-held-by-tty-test.*Waiting for it/);
    } finally {
      release();
    }
  }, 300_000);
});

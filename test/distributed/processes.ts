/**
 * Child processes of the scale-out tests: a `synth hydrate` coordinator whose output the test watches, and the wait
 * for a process to exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cliCommand } from '../support/cli.js';

export interface CoordinatorProcess {
  child: ChildProcess;
  /** Everything written to stdout / stderr so far. */
  out: () => string;
  err: () => string;
  /** The exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals>;
}

/** Resolves with the exit code (or signal) of `child`, at once when it already ended. */
export function stopped(child: ChildProcess): Promise<number | NodeJS.Signals> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode ?? child.signalCode!);
    else child.on('exit', (code, sig) => resolve(code ?? sig ?? -1));
  });
}

/** Starts `synth hydrate --target <target> --config <config> --json`, collecting its output. */
export function spawnCoordinator(target: string, config: string): CoordinatorProcess {
  const child = spawn(process.execPath, [...cliCommand(), 'hydrate', '--target', target, '--config', config, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err, exited: stopped(child) };
}

/** Polls `text()` every 100 ms until it matches `pattern` or `ms` pass; the match, or null. */
export async function waitForMatch(text: () => string, pattern: RegExp, ms = 120_000): Promise<RegExpExecArray | null> {
  const deadline = Date.now() + ms;
  while (!pattern.test(text()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return pattern.exec(text());
}

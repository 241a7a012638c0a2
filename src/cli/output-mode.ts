/**
 * How a command prints, decided before anything heavy is loaded: main.ts needs it for errors commander raises, and
 * the renderer (log-update and friends) is imported only by commands that run.
 */
import type { Renderer } from './render.js';

export type OutputMode = 'tty' | 'json' | 'plain' | 'quiet';

export interface ModeFlags {
  /** true: --json; false: --no-json; undefined: decided by whether stdout is a terminal. */
  json?: boolean;
  quiet?: boolean;
}

interface Tty {
  isTTY?: boolean;
}

/**
 * JSON is the default wherever stdout is not a terminal (CI, pipes), as the README promises. The live block is
 * drawn on stderr, so it needs both streams to be terminals; otherwise escape codes would end up in a log file.
 */
export function chooseMode(flags: ModeFlags, stdout: Tty = process.stdout, stderr: Tty = process.stderr): OutputMode {
  if (flags.json === true) return 'json';
  if (flags.quiet === true) return 'quiet';
  if (flags.json === undefined && stdout.isTTY !== true) return 'json';
  return stdout.isTTY === true && stderr.isTTY === true ? 'tty' : 'plain';
}

/** The mode of a command line before commander has parsed it (for errors commander itself raises). */
export function modeFromArgv(argv: readonly string[], stdout: Tty = process.stdout, stderr: Tty = process.stderr): OutputMode {
  const json = argv.includes('--json') ? true : argv.includes('--no-json') ? false : undefined;
  const quiet = argv.includes('--quiet') || argv.includes('-q');
  return chooseMode({ ...(json === undefined ? {} : { json }), quiet }, stdout, stderr);
}

/** The renderer for a command's flags. */
export async function openRenderer(flags: ModeFlags): Promise<Renderer> {
  const { createRenderer } = await import('./render.js');
  return createRenderer(chooseMode(flags));
}

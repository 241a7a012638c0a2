/**
 * The load-worker processes this test process started, read from /proc (Linux): each child of any of its threads
 * whose command line runs load-worker, with that command line.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { RunEvent } from '../../src/events.js';

export function loadWorkers(): Array<{ pid: number; argv: string[] }> {
  const out: Array<{ pid: number; argv: string[] }> = [];
  if (!existsSync(`/proc/${process.pid}/task`)) return out;
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    let children: string[] = [];
    try {
      children = readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      continue;
    }
    for (const pid of children) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (argv.some((a) => a.includes('load-worker'))) out.push({ pid: Number(pid), argv });
      } catch {
        // exited meanwhile
      }
    }
  }
  return out;
}

/**
 * A `mid-load` fault hook that holds the main process back so the load worker draws windows of the split table
 * `split` whatever the machine's load: at `upAt` (a table loaded before it) until worker 1 is up, and at `split`
 * until the worker took a window of it. Without it, an idle machine's main process may draw every window itself.
 */
export function waitForWorker(events: RunEvent[], split: string, upAt?: string): (point: string, ctx: { table?: string }) => Promise<void> {
  const said = (pattern: RegExp) => () => events.some((e) => e.type === 'info' && pattern.test(e.message));
  const up = said(/worker process 1 up after/);
  const took = said(new RegExp(`${split.replace(/\./g, '\\.')}: worker process 1 took rows`));
  return async (point, ctx) => {
    if (point !== 'mid-load') return;
    const ready = upAt !== undefined && ctx.table === upAt ? up : ctx.table === split ? took : null;
    for (let i = 0; ready && i < 600 && !ready(); i++) await new Promise((r) => setTimeout(r, 100));
  };
}

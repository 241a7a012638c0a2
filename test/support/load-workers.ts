/**
 * The load-worker processes this test process started, read from /proc (Linux): each child of any of its threads
 * whose command line runs load-worker, with that command line.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

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

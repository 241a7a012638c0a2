/**
 * The V8 heap limit synth's processes start with (issue 16: peak RSS ≤ 1 GiB whatever the table size): the CLI
 * (bin/synth.js relaunches itself with it), each load worker of the parallel load, and the scale bench's hydrates.
 *
 * What held the peak was not live data but collector slack. V8 lets the old space grow to the live size × a factor
 * before it collects in full, and the largest factor it allows grows with the heap limit (MaxGrowingFactor in V8's
 * heap-controller.cc, on 64-bit): 1.3 at a 256 MiB limit, 2 just under 2 GiB, 4 from 2 GiB on (node's default here
 * is ~4 GiB on any machine of 16 GiB or more). At SF0.3 a forced GC showed 159 MiB live under 769 MiB RSS. A
 * limit under 2 GiB is what brings the RSS down (SF0.1 learned: main + worker 1071 → 835 MiB at 768 MiB, CPU
 * +3 %); the limit itself is rarely reached. So it is sized for safety, not tightness: V8 aborts a process that
 * reaches it, which is far worse than a few MiB over.
 *
 * The size: a 32nd of the machine's memory, at least 768 MiB (the largest live heap measured, SF1 learned's main
 * process, is at most 232 MiB) and at most 1.5 GiB (where the factor is still under 2). A bigger machine, which
 * more likely copies a bigger database, gets more room before a crash. The plan cannot size it: the limit is fixed
 * when the process starts, before the config is read. A run that needs more says so (heapExhaustedHint) and takes
 * a user's own `--max-old-space-size` (NODE_OPTIONS or node's command line), which is always kept.
 */
import { totalmem } from 'node:os';

const MiB = 1024 * 1024;

/** The least limit: live heaps measured up to SF1 stay under half of it. */
export const HEAP_LIMIT_FLOOR_MIB = 768;
/** The most: V8's growing factor reaches 4 at 2 GiB, which is the slack this limit is there to cut. */
export const HEAP_LIMIT_CEILING_MIB = 1536;

/** V8 flags that set the old space's size (V8 reads `-` and `_` alike). */
const LIMIT_FLAG = /(^|\s)--max[-_](old[-_]space|heap)[-_]size(=|\s|$)/;

/** Whether this process has a heap limit: through NODE_OPTIONS or node's own arguments (a user's, or the launcher's). */
export function hasHeapLimit(execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): boolean {
  return execArgv.some((a) => LIMIT_FLAG.test(a)) || LIMIT_FLAG.test(nodeOptions ?? '');
}

/** The old-space limit, in MiB, of a synth process on a machine of `totalMemBytes`. */
export function heapLimitMiB(totalMemBytes: number = totalmem()): number {
  return Math.min(HEAP_LIMIT_CEILING_MIB, Math.max(HEAP_LIMIT_FLOOR_MIB, Math.floor(totalMemBytes / MiB / 32)));
}

/**
 * The node arguments that give a process synth starts (the CLI relaunched, a load worker) its heap limit: none when
 * NODE_OPTIONS sets one (the child inherits the environment), this process's own when its command line set one
 * (the user's, or the launcher's), else heapLimitMiB.
 */
export function heapLimitArgs(execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): string[] {
  if (LIMIT_FLAG.test(nodeOptions ?? '')) return [];
  // The flag and its value, whether written `--flag=N` or `--flag N`.
  const own = execArgv.flatMap((a, i) => (!LIMIT_FLAG.test(a) ? [] : a.includes('=') || execArgv[i + 1] === undefined ? [a] : [a, execArgv[i + 1]!]));
  return own.length > 0 ? own : [`--max-old-space-size=${heapLimitMiB()}`];
}

/**
 * What the launcher prints when the command it started was aborted (SIGABRT: V8 aborts at the heap limit, after
 * its own `JavaScript heap out of memory` line): the limit it had and how to raise it.
 */
export function heapExhaustedHint(args: readonly string[]): string {
  const mib = Number(/=(\d+)/.exec(args.join(' '))?.[1] ?? heapLimitMiB());
  return (
    `error [INTERNAL]: synth stopped: if the line above says "JavaScript heap out of memory", the run outgrew the heap limit of ${mib} MiB that synth starts with.\n` +
    `hint: rerun with NODE_OPTIONS=--max-old-space-size=${mib * 2} (a limit of your own is kept, load workers included).\n`
  );
}

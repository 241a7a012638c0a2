#!/usr/bin/env node
// The installed command runs the compiled CLI (dist/, built by `npm run build`, which `prepare` and `prepack` run).
// No TypeScript is compiled at start-up: tsx is loaded only to import a user's synth.config.ts.
import { spawn } from 'node:child_process';
import { hasHeapLimit, heapExhaustedHint, heapLimitArgs } from '../dist/src/pipeline/heap-limit.js';

// Run as it is: with a limit already; under a debugger (--inspect), where a relaunch would start a second inspector
// on the same port; for `synth`, `--version` and `--help` alone, which hold nothing and answer at once.
const quick = process.argv.length <= 3 && [undefined, '--version', '-V', '--help', '-h'].includes(process.argv[2]);
if (hasHeapLimit() || quick || [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--inspect'))) {
  const { main } = await import('../dist/src/cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
} else {
  // A heap limit is a start-up flag (V8 sizes the heap before any script runs), so the command starts itself again
  // with one (dist/src/pipeline/heap-limit.js says why and how big); a user's own NODE_OPTIONS or node flag is kept.
  const limit = heapLimitArgs();
  const child = spawn(process.execPath, [...limit, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, SYNTH_RELAUNCHED: '1' } });
  // Ctrl-C, a closed terminal and a signal to the process group reach the child too (same group): passing them on
  // would be a second signal, which ends a run without its cleanup. SIGTERM sent to this process alone
  // (`kill PID`, `docker stop`) is passed on, once; one sent to the whole group (`timeout`, systemd) then reaches the
  // child twice within moments, which it takes as one (SYNTH_RELAUNCHED; scheduler/interrupt.ts, repeatsSignal).
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGHUP', ignore);
  const forward = () => child.kill('SIGTERM');
  process.on('SIGTERM', forward);
  child.on('error', (e) => {
    process.stderr.write(`error [INTERNAL]: could not start ${process.execPath}: ${e.message}\n`);
    process.exitCode = 3;
  });
  child.on('exit', (code, signal) => {
    process.off('SIGINT', ignore);
    process.off('SIGHUP', ignore);
    process.off('SIGTERM', forward);
    if (signal === 'SIGABRT') process.stderr.write(heapExhaustedHint(limit));
    // Ended by a signal: end the same way, so the shell reports what it would have without this relaunch.
    if (signal !== null) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
}

/** `synth worker`: a long-lived process that generates and loads units of distributed hydrates (src/distributed). */
import { type Command, Option } from 'commander';
import { SynthError } from '../errors.js';
import { commonOptions } from './options.js';
import { openRenderer } from './output-mode.js';

interface WorkerFlags {
  config: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
  concurrency: string;
}

export function registerWorkerCommands(program: Command): void {
  commonOptions(
    program
      .command('worker')
      .description('Take generation + load units of distributed hydrates off the config\'s `distributed.queue` (SIGTERM finishes the unit in hand, then exits 0).')
      .addOption(new Option('--concurrency <n>', 'units this process works on at once').default('1'))
      .addHelpText('after', '\nExample:\n  $ npx synth worker --config synth.config.ts --concurrency 2\n\nSee docs/scale-out.md.'),
  ).action(async (flags: WorkerFlags) => {
    const concurrency = Number(flags.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new SynthError('CONFIG_INVALID', `--concurrency must be a whole number from 1 to 64 (got ${flags.concurrency}).`, { hint: 'For example: synth worker --concurrency 2' });
    }
    const { loadConfig } = await import('../config/load-config.js');
    const { config } = await loadConfig(flags.config);
    const { startUnitWorker } = await import('../distributed/unit-worker.js');
    // A long-lived process writes to a log: JSON unless asked for text (--no-json) or --quiet.
    const out = await openRenderer(flags.json === false || flags.quiet === true ? flags : { ...flags, json: true });
    const pause = Number(process.env.SYNTH_UNIT_PAUSE_MS ?? 0);
    // Fault point for tests: the worker dies right after a unit's load committed, before it is acknowledged.
    const dieAfterCommit = process.env.SYNTH_UNIT_FAULT === 'after-commit' ? { afterCommit: () => void process.kill(process.pid, 'SIGKILL') } : {};
    const worker = await startUnitWorker({ config, concurrency, emit: out.emit, ...(pause > 0 ? { pauseMs: pause } : {}), ...dieAfterCommit });
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
    });
    out.emit({ type: 'info', message: `worker ${worker.name}: ${signal}, finishing the unit in hand` });
    await worker.stop();
    out.result({ status: 'stopped', worker: worker.name }, `worker ${worker.name} stopped.`);
    out.stop();
  });
}

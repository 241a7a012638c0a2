/** The `synth` command. Parsing and help come from commander; each command is a small function in ./commands. */
import { Command, CommanderError } from 'commander';
import { EXIT, SynthError, isSynthError, redactSecrets } from '../errors.js';
import { registerCommands } from './commands.js';
import { registerWorkerCommands } from './commands-worker.js';
import { modeFromArgv, type OutputMode } from './output-mode.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('synth')
    .description('Fill staging, dev and CI databases with synthetic copies of a production database.')
    .version('0.1.0')
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ npx synth demo                         # zero-install demo on embedded PostgreSQL
  $ npx synth plan                         # FK graph and generation order of the source
  $ npx synth hydrate --target dev         # generate, validate, swap into targets.dev
  $ npx synth rollback --target dev        # swap the previous data back
  $ npx synth report --target dev          # quality of what is live in dev, as HTML
  $ npx synth train && npx synth generate --target dev   # train once, generate many
  $ npx synth runs                         # run history
  $ npx synth schedule                     # run the config's cron schedules
  $ npx synth preview up --target dev --name pr-123      # a database per pull request

Exit codes: 0 ok, 1 validation refused the swap, 2 bad config or input, 3 connection or infrastructure.`,
    );
  registerCommands(program);
  registerWorkerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    return reportError(e, debug, modeFromArgv(argv));
  }
}

/**
 * Prints a failure for a person on stderr and, in JSON mode, ends the event stream on stdout with an `error`
 * event, so a CI job reading the stream learns why it stopped. Returns the exit code.
 */
export function reportError(e: unknown, debug: boolean, mode: OutputMode = 'plain', out: NodeJS.WritableStream = process.stdout): number {
  const json = (event: { code: string; message: string; hint?: string }) => {
    if (mode === 'json') out.write(`${JSON.stringify({ ts: new Date().toISOString(), type: 'error', ...event })}\n`);
  };
  if (e instanceof CommanderError) {
    // Commander already printed the message (with a suggestion for typos); help/version exit 0.
    if (e.exitCode === 0) return EXIT.ok;
    json({ code: 'BAD_USAGE', message: e.message.replace(/^error: /, ''), hint: 'run with --help for usage' });
    return EXIT.badInput;
  }
  if (isSynthError(e)) {
    process.stderr.write(`error [${e.code}]: ${e.message}\n`);
    if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
    if (debug && e.stack) process.stderr.write(`${redactSecrets(e.stack)}\n`);
    json({ code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
    return e.exitCode;
  }
  const message = redactSecrets(e instanceof Error ? e.message : String(e));
  const hint = 'this is a bug in synth; rerun with --debug and report the output.';
  process.stderr.write(`error [INTERNAL]: ${message}\n`);
  process.stderr.write(`hint: ${hint}\n`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${redactSecrets(e.stack)}\n`);
  json({ code: 'INTERNAL', message, hint });
  return EXIT.infrastructure;
}

export { SynthError };

// `tsx src/cli/main.ts` (development) or `node <build>/src/cli/main.js` (tests: test/support/cli.ts); the installed
// command starts from bin/synth.js instead, which imports this module.
const isEntry = process.argv[1] !== undefined && /cli[\\/]main\.[jt]s$/.test(process.argv[1]);
if (isEntry) {
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
}

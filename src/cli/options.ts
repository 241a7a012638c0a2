import { type Command, Option } from 'commander';

/** Options every command takes. */
export function commonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-c, --config <path>', 'config file (.ts, .mjs, .js or .json)').default('./synth.config.ts'))
    .option('--json', 'one JSON object per event on stdout (default when stdout is not a TTY)')
    .option('-q, --quiet', 'print only warnings and the result')
    .option('--debug', 'print stack traces of unexpected errors');
}

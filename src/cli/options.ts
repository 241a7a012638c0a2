import { type Command, Option } from 'commander';

/** Options every command takes. */
export function commonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-c, --config <path>', 'config file (.ts, .mjs, .js or .json)').default('./synth.config.ts'))
    .option('--json', 'one JSON object per event on stdout (default when stdout is not a TTY)')
    .option('--no-json', 'human-readable text even when stdout is not a TTY')
    .option('-q, --quiet', 'print only warnings and the result')
    .option('--debug', 'print stack traces of unexpected errors');
}

/**
 * An option the command cannot run without. Commander checks its own mandatory options before unknown ones, so a
 * typo (`--targt dev`) would only say "required option not specified"; checked in preAction instead, the typo
 * is reported first, with commander's suggestion.
 */
export function requiredOption(cmd: Command, flags: string, description: string): Command {
  const option = new Option(flags, `${description} (required)`);
  cmd.addOption(option);
  return cmd.hook('preAction', (_self, action) => {
    if (action !== cmd) return;
    if (action.getOptionValue(option.attributeName()) === undefined) {
      action.error(`error: required option '${option.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue', exitCode: 1 });
    }
  });
}

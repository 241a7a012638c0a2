/**
 * `synth preview up|down|gc|list`: the CLI face of ./preview.ts, registered by the CLI with
 * `registerPreviewCommands(program)`. Kept here so the CLI gains previews with one line.
 */
import { Option, type Command } from 'commander';
import { chooseMode } from '../cli/output-mode.js';
import { SynthError, redactSecrets } from '../errors.js';
import type { Preview } from './preview.js';

// Loaded when a preview command runs, so `synth --help` stays fast.
const previews = () => import('./preview.js');
/** Same value as DEFAULT_PREVIEW_TTL in ./preview.ts, which is not imported at start-up. */
const DEFAULT_TTL = '7d';

interface PreviewFlags {
  config: string;
  target: string;
  registryDatabase?: string;
  json?: boolean;
}

function withCommon(cmd: Command): Command {
  return cmd
    .addOption(new Option('-c, --config <path>', 'config file (.ts, .mjs, .js or .json)').default('./synth.config.ts'))
    .requiredOption('-t, --target <name>', 'the hydrated target (an entry of `targets`) the preview copies')
    .addOption(new Option('--registry-database <name>', 'MySQL: database of the synth_previews registry').default('synth_state').hideHelp())
    .option('--json', 'print one JSON object (default when stdout is not a TTY)')
    .option('--no-json', 'print text even when stdout is not a TTY');
}

/** A command's one JSON line, shaped like every command's final `result` event. */
function resultLine(o: Record<string, unknown>): string {
  return JSON.stringify({ ts: new Date().toISOString(), type: 'result', ...o });
}

/** JSON wherever stdout is not a terminal, like every other command. */
function json(flags: PreviewFlags): boolean {
  return chooseMode(flags) === 'json';
}

async function resolveTarget(flags: PreviewFlags): Promise<string> {
  const { loadConfig } = await import('../config/load-config.js');
  const { config } = await loadConfig(flags.config);
  const t = config.targets[flags.target];
  if (t === undefined) {
    throw new SynthError('UNKNOWN_TARGET', `Unknown target '${flags.target}'.`, {
      hint: `Pick one of: ${Object.keys(config.targets).join(', ')} (the keys of \`targets\` in the config).`,
      path: `targets.${flags.target}`,
    });
  }
  return t.url;
}

function describePreview(p: Preview): Record<string, string> {
  return { name: p.name, database: p.database, url: redactSecrets(p.url), createdAt: p.createdAt.toISOString(), expiresAt: p.expiresAt.toISOString() };
}

export function registerPreviewCommands(program: Command, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): void {
  const preview = program.command('preview').description('Per-pull-request copies of a hydrated target (see docs/orchestration.md).');

  withCommon(
    preview
      .command('up')
      .description('Create <target>__<name> from the target; prints its URL and appends url=… to $GITHUB_OUTPUT.')
      .requiredOption('-n, --name <name>', 'preview name, e.g. pr_123')
      .option('--ttl <duration>', 'removed by `preview gc` after this long (90m, 12h, 7d)', DEFAULT_TTL)
      .option('--replace', 'recreate the preview if it exists (a new push to the pull request)')
      .option('--terminate-connections', 'PostgreSQL: end other sessions on the target so it can be copied'),
  ).action(async (flags: PreviewFlags & { name: string; ttl: string; replace?: boolean; terminateConnections?: boolean }) => {
    const targetUrl = await resolveTarget(flags);
    const { previewUp } = await previews();
    const p = await previewUp({
      targetUrl,
      name: flags.name,
      ttl: flags.ttl,
      replace: flags.replace ?? false,
      terminateConnections: flags.terminateConnections ?? false,
      registryDatabase: flags.registryDatabase ?? 'synth_state',
      log: json(flags) ? () => undefined : out,
    });
    if (json(flags)) out(resultLine(describePreview(p)));
  });

  withCommon(preview.command('down').description('Drop a preview.').requiredOption('-n, --name <name>', 'preview name')).action(
    async (flags: PreviewFlags & { name: string }) => {
      const targetUrl = await resolveTarget(flags);
      const { previewDown } = await previews();
      const dropped = await previewDown({ targetUrl, name: flags.name, registryDatabase: flags.registryDatabase ?? 'synth_state' });
      out(json(flags) ? resultLine({ name: flags.name, dropped }) : dropped ? `Dropped preview ${flags.name}.` : `No preview ${flags.name}; nothing to drop.`);
    },
  );

  withCommon(preview.command('gc').description('Drop every expired preview of the target.')).action(async (flags: PreviewFlags) => {
    const targetUrl = await resolveTarget(flags);
    const { previewGc } = await previews();
    const removed = await previewGc({ targetUrl, registryDatabase: flags.registryDatabase ?? 'synth_state' });
    if (json(flags)) out(resultLine({ removed: removed.map(describePreview) }));
    else out(removed.length === 0 ? 'No expired previews.' : `Dropped ${removed.length} expired preview(s): ${removed.map((p) => p.name).join(', ')}.`);
  });

  withCommon(preview.command('list').description('List the previews of the target.')).action(async (flags: PreviewFlags) => {
    const targetUrl = await resolveTarget(flags);
    const { listPreviews } = await previews();
    const list = await listPreviews({ targetUrl, registryDatabase: flags.registryDatabase ?? 'synth_state' });
    if (json(flags)) out(resultLine({ previews: list.map(describePreview) }));
    else for (const p of list) out(`${p.name}\t${redactSecrets(p.url)}\texpires ${p.expiresAt.toISOString()}`);
  });
}

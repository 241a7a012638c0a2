/**
 * `synth privacy canary` (the memorisation experiment on the configured source), `synth privacy pii` (likely
 * PII columns and what hydrate would do with them), and the PII section appended to `synth plan`. The work is
 * imported when a command runs (see commands.ts).
 */
import type { Command } from 'commander';
import { SynthError } from '../errors.js';
import { commonOptions, requiredOption } from './options.js';
import { chooseMode, openRenderer } from './output-mode.js';

interface Flags {
  config: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

const loadConfig = async (path: string) => (await import('../config/load-config.js')).loadConfig(path);

function parseRepetitions(text: string): number[] {
  const reps = text.split(',').map((s) => Number(s.trim()));
  if (reps.length === 0 || reps.some((r) => !Number.isInteger(r) || r < 1 || r > 10_000)) {
    throw new SynthError('CONFIG_INVALID', `--repetitions must be a comma-separated list of whole numbers from 1 to 10000, got "${text}".`, {
      hint: 'For example: --repetitions 1,10,100',
    });
  }
  return reps;
}

export function registerPrivacyCommands(program: Command): void {
  const privacy = program.command('privacy').description('Privacy tools: the canary memorisation experiment and the PII scan.');

  commonOptions(
    requiredOption(requiredOption(privacy.command('canary'), '--table <name>', 'table to sample (name or schema.name)'), '--column <name>', 'text column the secrets are planted in')
      .description('Plant secrets in a sample of the source, train with and without DP, and count how often each comes back (read-only).')
      .option('--repetitions <list>', 'how many rows carry each secret', '1,10,100')
      .option('--epsilon <number>', 'ε of the DP run (default: privacy.epsilon of the config, else 1)')
      .option('--model <kind>', 'learned or baseline', 'learned'),
  ).action(async (flags: Flags & { table: string; column: string; repetitions: string; epsilon?: string; model: string }) => {
    const { config } = await loadConfig(flags.config);
    const { openSource } = await import('../connectors/index.js');
    const { introspectAndPlan } = await import('../pipeline/index.js');
    const { tableKey } = await import('../schema/model.js');
    const { formatCanaryRun, runSourceCanary } = await import('../generation/privacy/dp-canary.js');
    const out = await openRenderer(flags);
    const source = await openSource(config.source.url);
    try {
      const { schema } = await introspectAndPlan(source, config, out.emit);
      const table = schema.tables.find((t) => tableKey(t) === flags.table || t.name === flags.table);
      if (!table) {
        throw new SynthError('CONFIG_INVALID', `No table ${flags.table} in the source.`, { hint: `Pick one of: ${schema.tables.map(tableKey).join(', ')}.` });
      }
      const epsilon = flags.epsilon !== undefined ? Number(flags.epsilon) : config.privacy !== false ? config.privacy.epsilon : 1;
      if (!(epsilon > 0)) throw new SynthError('CONFIG_INVALID', `--epsilon must be a positive number, got ${flags.epsilon}.`, { hint: 'For example: --epsilon 1' });
      if (flags.model !== 'learned' && flags.model !== 'baseline') {
        throw new SynthError('CONFIG_INVALID', `--model must be learned or baseline, got ${flags.model}.`, { hint: 'For example: --model learned' });
      }
      const result = await runSourceCanary({
        source,
        table,
        schema,
        column: flags.column,
        repetitions: parseRepetitions(flags.repetitions),
        epsilon,
        delta: config.privacy !== false ? config.privacy.delta : 1e-6,
        sampleRows: Math.min(config.training.sampleRows, 20_000),
        seed: config.seed,
        model: flags.model,
        learned: { epochs: config.training.epochs, hiddenSize: config.training.hidden, batchSize: config.training.batchSize },
      });
      out.result({ status: 'ok', ...result }, formatCanaryRun(result));
    } finally {
      out.stop();
      await source.close();
    }
  });

  commonOptions(privacy.command('pii').description('List likely PII columns of the source (kind, confidence) and the transform hydrate applies.')).action(
    async (flags: Flags) => {
      const { config } = await loadConfig(flags.config);
      const { openSource } = await import('../connectors/index.js');
      const { listPii, formatPii } = await import('./privacy-listing.js');
      const out = await openRenderer(flags);
      const source = await openSource(config.source.url);
      try {
        const list = await listPii(config, source);
        out.result({ status: 'ok', pii: list }, formatPii(list));
      } finally {
        out.stop();
        await source.close();
      }
    },
  );

  // `synth plan` ends with the PII scan (text only: in JSON mode the plan is one `result` event).
  const plan = program.commands.find((c) => c.name() === 'plan');
  plan?.hook('postAction', async (cmd) => {
    const flags = cmd.opts<Flags>();
    const mode = chooseMode(flags);
    if (mode === 'json' || mode === 'quiet') return;
    const { config } = await loadConfig(flags.config);
    const { openSource } = await import('../connectors/index.js');
    const { introspectAndPlan, tableConfig } = await import('../pipeline/index.js');
    const { entityOwnership } = await import('../generation/privacy/entity-ownership.js');
    const { listPii, formatPii, formatEntityUnit } = await import('./privacy-listing.js');
    const source = await openSource(config.source.url);
    try {
      const { schema, plan: hydrationPlan } = await introspectAndPlan(source, config);
      process.stdout.write(`\n${formatPii(await listPii(config, source, schema))}\n`);
      const p = config.privacy;
      if (p !== false && p.unit === 'entity' && p.entity) {
        const ownership = entityOwnership(schema, hydrationPlan, p.entity, p.maxRowsPerEntity, (t) => tableConfig(config, t)?.maxRowsPerEntity);
        process.stdout.write(`\n${formatEntityUnit(ownership, schema)}\n`);
      }
    } finally {
      await source.close();
    }
  });
}

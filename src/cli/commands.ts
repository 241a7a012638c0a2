import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { SynthConfig } from '../config/schema.js';
import { openSource, openTarget } from '../connectors/index.js';
import { EXIT } from '../errors.js';
import { formatPlan } from '../graph/format-plan.js';
import { hydrate, introspectAndPlan, targetUrl } from '../hydrate.js';
import { tableKey } from '../schema/model.js';
import { runDemo } from './demo.js';
import { commonOptions } from './options.js';
import { chooseMode, createRenderer, type Renderer } from './render.js';

interface CommonFlags {
  config: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

async function setup(flags: CommonFlags): Promise<{ config: SynthConfig; out: Renderer }> {
  const { config } = await loadConfig(flags.config);
  return { config, out: createRenderer(chooseMode(flags)) };
}

export function registerCommands(program: Command): void {
  commonOptions(
    program
      .command('hydrate')
      .description('Generate a synthetic copy of the source into a shadow of the target, validate it, and swap it in.')
      .requiredOption('-t, --target <name>', 'an entry of `targets` in the config')
      .option('--keep-shadow', 'keep a shadow that failed validation, for inspection')
      .addHelpText('after', '\nExample:\n  $ npx synth hydrate --target dev --config synth.config.ts'),
  ).action(async (flags: CommonFlags & { target: string; keepShadow?: boolean }) => {
    const { config, out } = await setup(flags);
    try {
      const result = await hydrate({ config, target: flags.target, emit: out.emit, keepShadow: flags.keepShadow ?? false });
      const rows = [...result.rowCounts.values()].reduce((a, b) => a + b, 0);
      const text =
        result.status === 'ok'
          ? `Hydrated target '${flags.target}': ${result.rowCounts.size} tables, ${rows} rows, 0 violations (run ${result.runId}).`
          : `Validation refused the swap for target '${flags.target}': ${result.integrity.totalViolations} violations; the live data is unchanged (run ${result.runId}).`;
      out.result({ status: result.status, runId: result.runId, tables: result.rowCounts.size, rows, violations: result.integrity.totalViolations }, text);
      if (result.status !== 'ok') process.exitCode = EXIT.validationRefused;
    } finally {
      out.stop();
    }
  });

  commonOptions(
    program
      .command('demo')
      .description('Zero-install demo: build a rental-shop database in embedded PostgreSQL (PGlite), hydrate a synthetic copy, report.')
      .option('--dir <folder>', 'where the embedded databases and the report go', '.synth/demo')
      .option('--model <kind>', 'baseline or learned', 'baseline')
      .option('--fresh', 'rebuild the demo source database'),
  ).action(async (flags: CommonFlags & { dir: string; model: string; fresh?: boolean }) => {
    const out = createRenderer(chooseMode(flags));
    try {
      const model = flags.model === 'learned' ? 'learned' : 'baseline';
      const { result } = await runDemo({ dir: flags.dir, emit: out.emit, model, fresh: flags.fresh ?? false });
      const rows = [...result.rowCounts.values()].reduce((a, b) => a + b, 0);
      out.result(
        { status: result.status, runId: result.runId, tables: result.rowCounts.size, rows, violations: result.integrity.totalViolations },
        `Demo ${result.status === 'ok' ? 'done' : 'refused'}: ${result.rowCounts.size} tables, ${rows} synthetic rows, ${result.integrity.totalViolations} violations. Source and target live in ${flags.dir}.`,
      );
      if (result.status !== 'ok') process.exitCode = EXIT.validationRefused;
    } finally {
      out.stop();
    }
  });

  commonOptions(
    program
      .command('plan')
      .description('Introspect the source and print the foreign-key graph and the generation order.')
      .option('-t, --target <name>', 'also show how types map to this target'),
  ).action(async (flags: CommonFlags & { target?: string }) => {
    const { config } = await loadConfig(flags.config);
    const source = await openSource(config.source.url);
    try {
      const { schema, plan } = await introspectAndPlan(source, config);
      let text = formatPlan(plan, schema);
      if (flags.target) {
        const target = await openTarget(targetUrl(config, flags.target));
        try {
          const notes = target.describeMapping(schema).filter((n) => n.severity !== 'info');
          if (notes.length > 0) {
            text += `\n\nType mapping to ${target.dialect} (${flags.target}):\n${notes.map((n) => `  [${n.severity}] ${n.table}.${n.column}: ${n.from} → ${n.to} — ${n.note}`).join('\n')}`;
          }
        } finally {
          await target.close();
        }
      }
      if (flags.json) process.stdout.write(`${JSON.stringify({ tables: schema.tables.map(tableKey), plan })}\n`);
      else process.stdout.write(`${text}\n`);
    } finally {
      await source.close();
    }
  });

  commonOptions(
    program
      .command('rollback')
      .description('Swap the previous data (the backup kept by the last hydrate) back into the target.')
      .requiredOption('-t, --target <name>', 'an entry of `targets` in the config'),
  ).action(async (flags: CommonFlags & { target: string }) => {
    const { config, out } = await setup(flags);
    const target = await openTarget(targetUrl(config, flags.target));
    try {
      const result = await target.rollback();
      for (const note of result.notes) out.text(note);
      out.result({ status: 'ok', backups: result.backups }, `Rolled back target '${flags.target}': ${result.backups.map((b) => `${b.backup} → ${b.live}`).join(', ')}.`);
    } finally {
      out.stop();
      await target.close();
    }
  });
}

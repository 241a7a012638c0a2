/**
 * Registration of the `synth` commands. Only commander and types load at start-up: each action imports what it
 * needs (database drivers, zod, tfjs …) when it runs, so `synth --version` and `--help` answer at once.
 */
import type { Command } from 'commander';
import type { SynthConfig } from '../config/schema.js';
import type { TypeMappingNote } from '../connectors/connector.js';
import { registerOrchestrationCommands } from './commands-orchestration.js';
import { registerPrivacyCommands } from './commands-privacy.js';
import { commonOptions, requiredOption } from './options.js';
import { chooseMode, openRenderer } from './output-mode.js';
import type { Renderer } from './render.js';

interface CommonFlags {
  config: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

async function setup(flags: CommonFlags): Promise<{ config: SynthConfig; out: Renderer }> {
  const { loadConfig } = await import('../config/load-config.js');
  const { config } = await loadConfig(flags.config);
  return { config, out: await openRenderer(flags) };
}

export function registerCommands(program: Command): void {
  // hydrate, generate, train, demo, runs, schedule, preview: locked and recorded runs.
  registerOrchestrationCommands(program);

  commonOptions(
    program
      .command('plan')
      .description('Introspect the source and print the foreign-key graph and the generation order.')
      .option('-t, --target <name>', 'also show how types map to this target'),
  ).action(async (flags: CommonFlags & { target?: string }) => {
    const { config, out } = await setup(flags);
    const { openSource, openTarget } = await import('../connectors/index.js');
    const { checkTargetsCanLoad, introspectAndPlan, targetUrl } = await import('../pipeline/index.js');
    const { formatPlan } = await import('../graph/format-plan.js');
    const { planDataRules } = await import('../pipeline/index.js');
    const { tableKey } = await import('../schema/model.js');
    const { suggestRelations, formatSuggestions } = await import('../graph/relation-suggestions.js');
    const source = await openSource(config.source.url);
    try {
      const { schema, plan } = await introspectAndPlan(source, config);
      // The target named, else every target of the config: a table one of them could not load is refused here.
      const { urlDialect } = await import('../connectors/connection-url.js');
      const names = flags.target ? [flags.target] : Object.keys(config.targets);
      checkTargetsCanLoad(schema, config, names.flatMap((name) => {
        const dialect = urlDialect(targetUrl(config, name));
        return dialect ? [{ name, dialect }] : [];
      }));
      const suggestions = await suggestRelations(source, schema, { seed: config.seed });
      const rules = await planDataRules(source, schema, config);
      const { planPrivacy } = await import('../generation/privacy/privacy-plan.js');
      const { copiedTables } = await import('../generation/reference-tables.js');
      const privacy = await planPrivacy(source, schema, plan, config, copiedTables(rules.reference));
      // Credential columns (passwords, hashes, tokens): which ones, and why, before a run replaces them.
      const { planCredentials, formatCredentials } = await import('../generation/privacy/credential-plan.js');
      const credentials = await planCredentials(source, schema, config);
      let text = formatPlan(plan, schema, rules, privacy);
      text += `\n${formatCredentials(credentials)}\n`;
      if (suggestions.length > 0) text += `\n${formatSuggestions(suggestions)}`;
      let mapping: TypeMappingNote[] | undefined;
      if (flags.target) {
        // Only describeMapping is asked: nothing is created on the target.
        const target = await openTarget(targetUrl(config, flags.target));
        try {
          mapping = target.describeMapping(schema).filter((n) => n.severity !== 'info');
          text += `\n\n${formatMapping(mapping, target.dialect, flags.target)}`;
        } finally {
          await target.close();
        }
      }
      out.result({ tables: schema.tables.map(tableKey), plan, credentials, suggestions, rules: { reference: rules.reference, invariants: rules.invariants.map(({ gaps: _gaps, ...rest }) => rest), fanOuts: rules.fanOuts, aggregates: rules.aggregates ?? [], parentCopies: rules.parentCopies ?? [], parentRoles: rules.parentRoles ?? [], lookups: rules.lookups ?? [], conditionalNulls: rules.conditionalNulls ?? [] }, ...(privacy ? { privacy } : {}), ...(mapping ? { mapping } : {}) }, text);
    } finally {
      out.stop();
      await source.close();
    }
  });

  commonOptions(
    requiredOption(program.command('report'), '-t, --target <name>', 'an entry of `targets` in the config')
      .description('Score the data live in a target against the source (SDMetrics-equivalent quality report) and write the HTML report.')
      .addHelpText('after', '\nExample:\n  $ npx synth report --target dev   # writes .synth/reports/report_dev_<id>.html'),
  ).action(async (flags: CommonFlags & { target: string }) => {
    const { config, out } = await setup(flags);
    const { reportOnTarget } = await import('../pipeline/index.js');
    const { formatQualitySummary } = await import('../validation/quality/index.js');
    try {
      const { report, paths } = await reportOnTarget(config, flags.target, out.emit);
      out.result(
        { status: 'ok', overall: report.overall, properties: report.properties, html: paths.html, json: paths.json },
        `${formatQualitySummary(report)}\nReport: ${paths.html}`,
      );
    } finally {
      out.stop();
    }
  });

  commonOptions(
    requiredOption(program.command('rollback'), '-t, --target <name>', 'an entry of `targets` in the config')
      .description('Swap the previous data (the backup kept by the last hydrate) back into the target.')
      .option('--wait', 'wait for a run holding the target lock instead of failing with LOCKED'),
  ).action(async (flags: CommonFlags & { target: string; wait?: boolean }) => {
    const { config, out } = await setup(flags);
    // Locked, recorded (kind rollback) and interruptible like a hydrate: scheduler/rollback-job.ts.
    const { runRollbackJob } = await import('../scheduler/rollback-job.js');
    const { runInterruptible } = await import('../scheduler/interrupt.js');
    try {
      const { run, result } = await runInterruptible((signal) => runRollbackJob({ config, target: flags.target, emit: out.emit, wait: flags.wait ?? false, signal }));
      for (const note of result.notes) out.text(note);
      out.result({ status: 'ok', runId: run.id, backups: result.backups }, `Rolled back target '${flags.target}': ${result.backups.map((b) => `${b.backup} → ${b.live}`).join(', ')} (run ${run.id}).`);
    } finally {
      out.stop();
    }
  });

  registerPrivacyCommands(program);
}

/** Lossy and impossible mappings, one line each, with what hydrate would do about them. */
function formatMapping(notes: TypeMappingNote[], dialect: string, target: string): string {
  if (notes.length === 0) return `Type mapping to ${dialect} (${target}): no lossy or impossible mappings.`;
  const impossible = notes.filter((n) => n.severity === 'impossible').length;
  const lines = notes.map((n) => `  [${n.severity}] ${n.table}.${n.column}: ${n.from} → ${n.to} — ${n.note}`);
  const verdict = impossible > 0
    ? `hydrate would refuse this schema (UNSUPPORTED_TYPE): ${impossible} impossible mapping(s); exclude those tables with \`schemas\` or hydrate into a target of the source's dialect.`
    : `${notes.length} lossy mapping(s); hydrate proceeds and warns about each.`;
  return `Type mapping to ${dialect} (${target}):\n${lines.join('\n')}\n${verdict}`;
}

/**
 * `synth privacy canary` (the memorisation experiment on the configured source), `synth privacy pii` (likely
 * PII columns and what hydrate would do with them), and the PII section appended to `synth plan`.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { SynthConfig } from '../config/schema.js';
import type { SourceConnector } from '../connectors/connector.js';
import { openSource } from '../connectors/index.js';
import { SynthError } from '../errors.js';
import { formatCanaryRun, runSourceCanary } from '../generation/privacy/dp-canary.js';
import { detectPii } from '../generation/privacy/pii-detect.js';
import { planPiiTransforms } from '../generation/privacy/pii-transform.js';
import type { PiiTransform } from '../generation/privacy/pii-config.js';
import type { TableSample } from '../generation/model.js';
import { introspectAndPlan, tableConfig } from '../hydrate.js';
import { tableKey, writableColumns, type DatabaseSchema, type Table } from '../schema/model.js';
import { entityOwnership, type EntityOwnership } from '../generation/privacy/entity-ownership.js';
import { commonOptions } from './options.js';
import { chooseMode, createRenderer } from './render.js';

interface Flags {
  config: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

export interface PiiListing {
  table: string;
  column: string;
  kind: string;
  confidence: number;
  reason: string;
  /** What hydrate does with it (config overrides applied), or null when it stays ordinary data. */
  transform: string | null;
}

const PII_SAMPLE_ROWS = 1000;

async function sampleOf(source: SourceConnector, table: Table, limit: number, seed: number): Promise<TableSample> {
  const totalRows = await source.countRows(table);
  const columns = writableColumns(table).map((c) => c.name);
  const rows: TableSample['rows'] = [];
  for await (const b of source.readRows(table, totalRows > limit ? { columns, limit, seed } : { columns })) rows.push(...b.rows);
  return { table: { schema: table.schema, name: table.name }, totalRows, columns, rows };
}

/** Likely PII columns of every table, from a small sample (read-only); `schema` when already introspected. */
export async function listPii(config: SynthConfig, source: SourceConnector, schema?: DatabaseSchema): Promise<PiiListing[]> {
  schema ??= (await introspectAndPlan(source, config)).schema;
  const out: PiiListing[] = [];
  for (const table of schema.tables) {
    const sample = await sampleOf(source, table, PII_SAMPLE_ROWS, config.seed);
    const findings = detectPii(table, sample);
    const overrides = (tableConfig(config, table)?.columns ?? {}) as Record<string, { transform?: PiiTransform }>;
    const plan = planPiiTransforms(findings, overrides);
    for (const f of findings) out.push({ table: tableKey(table), column: f.column, kind: f.kind, confidence: f.confidence, reason: f.reason, transform: plan.get(f.column) ?? null });
  }
  return out;
}

export function formatPii(list: PiiListing[]): string {
  if (list.length === 0) return 'Likely PII columns: none found.';
  const lines = ['Likely PII columns (transformed before training when privacy is on or a transform is configured):'];
  for (const p of list) {
    lines.push(`  ${p.table}.${p.column}: ${p.kind} (confidence ${p.confidence.toFixed(2)}) → ${p.transform ?? 'kept (below threshold or transform: keep)'} — ${p.reason}`);
  }
  return lines.join('\n');
}

/** What `privacy.unit: 'entity'` protects together, from the schema (printed by `synth plan`). */
export function formatEntityUnit(ownership: EntityOwnership, schema: DatabaseSchema): string {
  const lines = [`Privacy unit: one ${tableKey(ownership.root)} row with every row it owns (contributions bounded per table):`];
  for (const o of ownership.owned) {
    if (!o.via || !o.parent) continue;
    lines.push(`  ${tableKey(o.table)}: through ${o.via.columns.join(', ')} → ${tableKey(o.parent)}, at most ${o.maxRows} rows per entity`);
  }
  const owned = new Set(ownership.owned.map((o) => tableKey(o.table)));
  const rest = schema.tables.map(tableKey).filter((k) => !owned.has(k));
  if (rest.length > 0) lines.push(`  Not owned (each row its own unit): ${rest.join(', ')}`);
  return lines.join('\n');
}

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
    privacy
      .command('canary')
      .description('Plant secrets in a sample of the source, train with and without DP, and count how often each comes back (read-only).')
      .requiredOption('--table <name>', 'table to sample (name or schema.name)')
      .requiredOption('--column <name>', 'text column the secrets are planted in')
      .option('--repetitions <list>', 'how many rows carry each secret', '1,10,100')
      .option('--epsilon <number>', 'ε of the DP run (default: privacy.epsilon of the config, else 1)')
      .option('--model <kind>', 'learned or baseline', 'learned'),
  ).action(async (flags: Flags & { table: string; column: string; repetitions: string; epsilon?: string; model: string }) => {
    const { config } = await loadConfig(flags.config);
    const out = createRenderer(chooseMode(flags));
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
      const out = createRenderer(chooseMode(flags));
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

  // `synth plan` ends with the PII scan (text mode only: --json keeps its single object).
  const plan = program.commands.find((c) => c.name() === 'plan');
  plan?.hook('postAction', async (cmd) => {
    const flags = cmd.opts<Flags>();
    if (flags.json) return;
    const { config } = await loadConfig(flags.config);
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

/**
 * The memorisation experiment on a real source table (`synth privacy canary`): read a sample, plant secrets in
 * one text column (each repeated a chosen number of times), train the same model with and without DP, generate
 * as many rows as were trained on, and count how often each secret comes back. The source is only read.
 */
import { SynthError } from '../../errors.js';
import type { SourceConnector } from '../../connectors/connector.js';
import type { DatabaseSchema, Table } from '../../schema/model.js';
import { tableKey, writableColumns } from '../../schema/model.js';
import { runCanaryExperiment, type CanaryExperimentResult } from '../../validation/privacy/canary.js';
import { fitBaseline } from '../baseline/baseline-model.js';
import { attributeColumns, describeColumns } from '../metadata.js';
import type { AttributeModel, TableSample } from '../model.js';
import { createRng } from '../rng.js';
import { allocateBudget, fitTableDp, type AllocationInput, type DpLearnedSettings } from './dp-fit.js';
import type { LedgerEntry } from './rdp-accountant.js';
import { SecureRandom } from './secure-random.js';

export interface CanaryRunOptions {
  source: SourceConnector;
  table: Table;
  column: string;
  repetitions: number[];
  epsilon: number;
  delta: number;
  sampleRows: number;
  seed: number;
  model: 'baseline' | 'learned';
  learned?: DpLearnedSettings;
  /**
   * The whole source schema: the table then gets the share of ε a hydrate of the whole source would give it
   * (sequential composition over all tables), not all of ε. Without it the table gets all of ε.
   */
  schema?: DatabaseSchema;
}

export interface CanaryRunResult {
  table: string;
  column: string;
  withoutDp: CanaryExperimentResult;
  withDp: CanaryExperimentResult;
  /** ε the DP training spent on the table (at `delta`): its share of `epsilon` in a hydrate of the whole source. */
  epsilonSpent: number;
  /** The run's ε (what a hydrate would spend over all tables). */
  epsilon: number;
  delta: number;
  /**
   * Noisy count a value of the column must clear to be released as a category in the DP run (a secret held by
   * more rows than this is legitimately releasable under row-level DP); null when the column has no vocabulary.
   */
  vocabularyThreshold: number | null;
  /**
   * With `schema`: the same DP run with all of ε on this one table (what a hydrate of this table alone would
   * spend), so both settings are reported side by side.
   */
  fullEpsilon?: { withDp: CanaryExperimentResult; epsilonSpent: number; vocabularyThreshold: number | null };
}

/** τ of the column's vocabulary release, read back from the ledger (Laplace: 1 + b·ln(1/2δ); Gaussian: 1 + σ√(2 ln 1/δ)). */
function vocabularyThreshold(entries: readonly LedgerEntry[], column: string, delta: number): number | null {
  const e = entries.find((x) => x.label.endsWith(` vocabulary`) && x.label.includes(column));
  if (!e) return null;
  if (e.charge.mechanism === 'laplace') return 1 + Math.log(1 / (2 * delta)) / e.charge.epsilon;
  if (e.charge.mechanism === 'gaussian') return 1 + e.charge.noiseMultiplier * Math.sqrt(2 * Math.log(1 / delta));
  return null;
}

async function readSample(source: SourceConnector, table: Table, limit: number, seed: number): Promise<TableSample> {
  const totalRows = await source.countRows(table);
  const columns = writableColumns(table).map((c) => c.name);
  const rows: TableSample['rows'] = [];
  for await (const b of source.readRows(table, totalRows > limit ? { columns, limit, seed } : { columns })) rows.push(...b.rows);
  return { table: { schema: table.schema, name: table.name }, totalRows, columns, rows };
}

export async function runSourceCanary(o: CanaryRunOptions): Promise<CanaryRunResult> {
  const where = tableKey(o.table);
  const col = attributeColumns(o.table).find((c) => c.name === o.column);
  if (!col || col.type.kind !== 'text') {
    throw new SynthError('CONFIG_INVALID', `${where}.${o.column} is not a text attribute column, so secrets cannot be planted in it.`, {
      table: where,
      column: o.column,
      hint: `Pick a text column that is not a key: ${attributeColumns(o.table).filter((c) => c.type.kind === 'text').map((c) => c.name).join(', ') || '(this table has none)'}.`,
    });
  }
  const sample = await readSample(o.source, o.table, o.sampleRows, o.seed);
  if (sample.rows.length === 0) {
    throw new SynthError('EMPTY_SOURCE', `${where} has no rows to plant canaries in.`, { table: where, hint: 'Pick a table with data.' });
  }
  const generate = (model: AttributeModel, n: number) => {
    const rows = model.sample(n, null, createRng(o.seed, 'canary-generate'));
    return { columns: model.columns, rows };
  };
  const learnedOptions = { seed: o.seed, epochs: o.learned?.epochs ?? 20, hiddenSize: o.learned?.hiddenSize ?? 128, ...(o.learned?.batchSize ? { batchSize: o.learned.batchSize } : {}) };
  const withoutDp = await runCanaryExperiment<AttributeModel>({
    sample,
    column: o.column,
    repetitions: o.repetitions,
    rng: createRng(o.seed, 'canary'),
    train: async (s) => {
      const meta = describeColumns(o.table, s);
      if (o.model === 'baseline') return fitBaseline(o.table, s, meta);
      const learned = await import('../learned/index.js');
      return learned.learnedFactoryForFitModels(learnedOptions)(o.table, s, meta, null);
    },
    generate,
  });
  const dpRun = async (shareOfSource: boolean): Promise<{ withDp: CanaryExperimentResult; epsilonSpent: number; vocabularyThreshold: number | null }> => {
    let spent = 0;
    let threshold: number | null = null;
    const withDp = await runCanaryExperiment<AttributeModel>({
      sample,
      column: o.column,
      repetitions: o.repetitions,
      rng: createRng(o.seed, 'canary'),
      train: async (s) => {
        const options = {
          seed: o.seed,
          privacy: { epsilon: o.epsilon, delta: o.delta, unit: 'row' as const },
          sampleRows: o.sampleRows,
          ...(o.learned ? { learned: o.learned } : {}),
        };
        const inputs: AllocationInput[] = [{ table: o.table, kind: o.model, histograms: shareOfSource ? o.table.foreignKeys.length : 0, rows: s.rows.length }];
        for (const t of shareOfSource ? (o.schema?.tables ?? []) : []) {
          if (tableKey(t) === where) continue;
          inputs.push({ table: t, kind: o.model, histograms: t.foreignKeys.length, rows: Math.min(o.sampleRows, await o.source.countRows(t)) });
        }
        const { allocations } = allocateBudget(inputs, options.privacy, options);
        const allocation = allocations.get(where)!;
        const r = await fitTableDp(o.table, s, [], o.model, allocation, SecureRandom.secure(), options);
        spent = r.spend.epsilon;
        threshold = vocabularyThreshold(r.ledger.entries, o.column, allocation.vocabDelta);
        return r.model.model;
      },
      generate,
    });
    return { withDp, epsilonSpent: spent, vocabularyThreshold: threshold };
  };
  const shared = await dpRun(o.schema !== undefined);
  const full = o.schema !== undefined && o.schema.tables.length > 1 ? await dpRun(false) : undefined;
  return {
    table: where,
    column: o.column,
    withoutDp,
    withDp: shared.withDp,
    epsilonSpent: shared.epsilonSpent,
    epsilon: o.epsilon,
    delta: o.delta,
    vocabularyThreshold: shared.vocabularyThreshold,
    ...(full ? { fullEpsilon: full } : {}),
  };
}

export function formatCanaryRun(r: CanaryRunResult): string {
  const tau = (t: number | null): string => (t === null ? 'no vocabulary' : `a value is released as a category when its noisy count clears ${t.toFixed(1)} rows`);
  const lines = [`Canary experiment on ${r.table}.${r.column} (${r.withoutDp.trainingRows} training rows, ${r.withoutDp.generatedRows} generated):`];
  lines.push(`  DP (share): ε ${r.epsilon} for the whole source, of which this table spends ε ${r.epsilonSpent.toFixed(3)} (δ ${r.delta}); ${tau(r.vocabularyThreshold)}.`);
  if (r.fullEpsilon) {
    lines.push(`  DP (all ε): all of ε ${r.epsilon} on this table alone, spent ε ${r.fullEpsilon.epsilonSpent.toFixed(3)}; ${tau(r.fullEpsilon.vocabularyThreshold)}.`);
    lines.push('  repetitions   replays without DP   with DP (share)   with DP (all ε)');
  } else lines.push('  repetitions   replays without DP   replays with DP');
  r.withoutDp.replays.forEach((c, i) => {
    const d = r.withDp.replays[i]!;
    const f = r.fullEpsilon?.withDp.replays[i];
    lines.push(`  ${String(c.repetitions).padStart(11)}   ${String(c.replays).padStart(18)}   ${String(d.replays).padStart(15)}${f ? `   ${String(f.replays).padStart(15)}` : ''}`);
  });
  if (r.fullEpsilon) {
    lines.push('  Row-level DP hides one row, not a value held by many: a secret repeated more often than the threshold can be');
    lines.push('  released as an ordinary category (group privacy for k rows costs k·ε).');
  }
  return lines.join('\n');
}

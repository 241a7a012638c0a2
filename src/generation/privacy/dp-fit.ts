/**
 * Fitting under differential privacy (config `privacy: { epsilon, delta }`). Privacy unit: one row of any one
 * table. Every table's statistics and model read that table's sample, and parent/child statistics read two
 * tables, so the tables are composed *sequentially*: table t gets ε/T and δ/T (T = tables fitted), and the run
 * as a whole is (Σ εₜ, Σ δₜ) = (ε, δ)-DP by basic composition. Inside a table, all releases go to one RDP ledger:
 *   - the noisy row count, each FK child-count histogram and each attribute column get an equal share of the
 *     statistics budget (all of εₜ for baseline tables, half of it for learned ones), pure ε-DP each;
 *   - vocabulary thresholds share δₜ/2;
 *   - DP-SGD (learned tables) is planned for the other half of εₜ at δₜ/2.
 * Pure-DP releases have RDP at most their ε at every order, so the ledger's (ε, δ) of the table is at most
 * ε_stats + ε_sgd = εₜ; it is checked after each table. The reported total is the smaller of the RDP
 * composition of all ledger entries and the basic sum over tables (both valid bounds).
 *
 * What no mechanism sees: key columns (assigned structurally from data-free defaults), parent attributes as
 * context for a child model (a parent row would touch many child examples), held-out rows for early stopping
 * (DP-SGD runs exactly the planned steps).
 */
import { SynthError } from '../../errors.js';
import type { HydrationPlan } from '../../graph/plan.js';
import type { DatabaseSchema, Table, TableRef } from '../../schema/model.js';
import { tableKey } from '../../schema/model.js';
import { BaselineModel } from '../baseline/baseline-model.js';
import type { ColumnModelSpec } from '../baseline/column-spec.js';
import { foreignKeyNullRates, type ModelSet, type TableModel } from '../fit.js';
import { fitKeyStats } from '../keys.js';
import { attributeColumns, columnValues, describeColumns } from '../metadata.js';
import type { AttributeModel, ChildCountHistogram, TableSample } from '../model.js';
import { dpColumnSpec, encoderFromSpec } from './dp-columns.js';
import { dpChildCountHistogram } from './dp-keys.js';
import { dpBatchSampler, planDpSgd, type DpSgdPlan } from './dp-sgd.js';
import { dpCount } from './mechanisms.js';
import { PrivacyLedger, type PrivacySpent } from './rdp-accountant.js';
import { SecureRandom } from './secure-random.js';

export interface PrivacySettings {
  epsilon: number;
  delta: number;
  maxGradNorm?: number | undefined;
  noiseMultiplier?: number | undefined;
  unit: 'row' | 'entity';
}

export interface TablePrivacySpend {
  table: string;
  /** This table's share of the configured budget. */
  budget: { epsilon: number; delta: number };
  /** Spent, from the table's own ledger (RDP composition of its releases). */
  epsilon: number;
  delta: number;
  model: 'baseline' | 'learned';
  /** Per release label, each composed alone. */
  mechanisms: Array<{ label: string; epsilon: number }>;
  dpSgd: { steps: number; plannedSteps: number; noiseMultiplier: number; samplingRate: number; clipNorm: number; epsilon: number; stoppedEarly: boolean } | null;
}

export interface PrivacySpendReport {
  budget: { epsilon: number; delta: number };
  /** Total spent: min(RDP composition of every release, basic sum over tables). */
  epsilon: number;
  delta: number;
  method: 'rdp' | 'basic-over-tables';
  unit: 'row';
  composition: 'sequential-over-tables';
  tables: TablePrivacySpend[];
  /** Every release of the run (for the state ledger). */
  ledger: PrivacyLedger;
}

export interface DpLearnedSettings {
  epochs?: number | undefined;
  hiddenSize?: number | undefined;
  batchSize?: number | undefined;
}

export interface DpFitOptions {
  seed: number;
  privacy: PrivacySettings;
  modelFor?: (table: TableRef) => 'baseline' | 'learned';
  /** Columns declared public (`tables.<t>.columns.<c>.public`): raw statistics, no budget. */
  isPublic?: (table: TableRef, column: string) => boolean;
  /** Tables generated empty: fitted from nothing, no budget. */
  skipped?: (table: TableRef) => boolean;
  /** The configured sample size (bounds the DP estimate of a sample's size). */
  sampleRows: number;
  learned?: DpLearnedSettings;
  /** Progress / notes (one line each). */
  note?: (message: string) => void;
}

/** Defaults under DP: fewer, larger steps give DP-SGD a better signal-to-noise ratio. */
export const DP_DEFAULT_EPOCHS = 20;
export const DP_DEFAULT_BATCH = 512;
export const DP_DEFAULT_CLIP = 1;
/** Share of a learned table's ε given to DP-SGD (the rest buys its statistics and encoders). */
export const DP_SGD_SHARE = 0.5;

export function checkPrivacySettings(p: PrivacySettings): void {
  if (p.unit === 'entity') {
    throw new SynthError('CONFIG_INVALID', "privacy.unit 'entity' (one root entity with its child rows) is not supported yet.", {
      hint: "Use privacy.unit: 'row' (the default): every row of every table is protected, tables composed sequentially.",
      path: 'privacy.unit',
    });
  }
  if (!(p.epsilon > 0) || !(p.delta > 0 && p.delta < 1)) {
    throw new SynthError('CONFIG_INVALID', `privacy needs epsilon > 0 and 0 < delta < 1 (got ε=${p.epsilon}, δ=${p.delta}).`, {
      hint: 'Set privacy: { epsilon: 3, delta: 1e-6 } for example.',
      path: 'privacy',
    });
  }
}

function emptySample(table: Table): TableSample {
  return { table: { schema: table.schema, name: table.name }, totalRows: 0, columns: table.columns.map((c) => c.name), rows: [] };
}

/** Fits every table of the plan under DP; the models never see a raw statistic of a non-public column. */
export async function fitModelsDp(
  schema: DatabaseSchema,
  plan: HydrationPlan,
  samples: Map<string, TableSample>,
  histograms: ChildCountHistogram[],
  options: DpFitOptions,
): Promise<{ models: ModelSet; spend: PrivacySpendReport }> {
  const { privacy } = options;
  checkPrivacySettings(privacy);
  const fitted = plan.steps.filter((s) => !(options.skipped?.(s.table) ?? false));
  const T = Math.max(1, fitted.length);
  const perTable = { epsilon: privacy.epsilon / T, delta: privacy.delta / T };
  const rng = SecureRandom.secure();
  const total = new PrivacyLedger();
  const tables = new Map<string, TableModel>();
  const spends: TablePrivacySpend[] = [];
  for (const step of plan.steps) {
    const key = tableKey(step.table);
    const table = schema.tables.find((t) => tableKey(t) === key)!;
    const skipped = options.skipped?.(step.table) ?? false;
    const sample = skipped ? emptySample(table) : (samples.get(key) ?? emptySample(table));
    const kind = options.modelFor?.(step.table) ?? 'baseline';
    if (skipped) {
      tables.set(key, {
        table: step.table,
        meta: describeColumns(table, sample),
        model: new BaselineModel(table, []),
        sourceRows: 0,
        histograms: [],
        keyStats: fitKeyStats(table, emptySample(table)),
        fkNullRates: {},
      });
      continue;
    }
    const hists = histograms.filter((h) => tableKey(h.child) === key);
    const r = await fitTableDp(table, sample, hists, kind, perTable, rng, options);
    tables.set(key, r.model);
    for (const e of r.ledger.entries) total.charge(e.label, e.charge);
    spends.push(r.spend);
    options.note?.(`${key}: ε ${r.spend.epsilon.toFixed(3)} of ${perTable.epsilon.toFixed(3)} spent (${r.spend.model}${r.spend.dpSgd ? `, DP-SGD ${r.spend.dpSgd.steps} steps σ=${r.spend.dpSgd.noiseMultiplier.toFixed(2)}` : ''})`);
  }
  const viaRdp: PrivacySpent = total.spent(privacy.delta);
  const basic = spends.reduce((s, t) => s + t.epsilon, 0);
  const useRdp = viaRdp.epsilon <= basic;
  return {
    models: { seed: options.seed, tables },
    spend: {
      budget: { epsilon: privacy.epsilon, delta: privacy.delta },
      epsilon: useRdp ? viaRdp.epsilon : basic,
      delta: privacy.delta,
      method: useRdp ? 'rdp' : 'basic-over-tables',
      unit: 'row',
      composition: 'sequential-over-tables',
      tables: spends,
      ledger: total,
    },
  };
}

export async function fitTableDp(
  table: Table,
  sample: TableSample,
  hists: ChildCountHistogram[],
  kind: 'baseline' | 'learned',
  budget: { epsilon: number; delta: number },
  rng: SecureRandom,
  options: DpFitOptions,
): Promise<{ model: TableModel; ledger: PrivacyLedger; spend: TablePrivacySpend }> {
  const key = tableKey(table);
  const ledger = new PrivacyLedger();
  const attrs = attributeColumns(table);
  const isPublic = (c: string) => options.isPublic?.(table, c) ?? false;
  const privateColumns = attrs.filter((c) => !isPublic(c.name));
  const wantsLearned = kind === 'learned' && sample.rows.length > 0 && attrs.length > 0;
  const statsEpsilon = wantsLearned ? (1 - DP_SGD_SHARE) * budget.epsilon : budget.epsilon;
  const units = 1 + hists.length + privateColumns.length;
  const eps = statsEpsilon / units;
  const vocabDelta = budget.delta / 2 / Math.max(1, privateColumns.length);
  const ctx = { ledger, rng };

  const noisyRows = Math.max(0, dpCount(sample.totalRows, { epsilon: eps }, { ...ctx, label: key }));
  const sampleSize = Math.max(1, Math.min(noisyRows, options.sampleRows));
  const dpHists = hists.map((h) => dpChildCountHistogram(h, eps, { ...ctx, label: key }));
  const meta = describeColumns(table, sample);
  const specs = new Map<string, ColumnModelSpec>();
  for (const c of attrs) {
    const role = meta.find((m) => m.column === c.name)?.role;
    specs.set(
      c.name,
      dpColumnSpec({
        table,
        column: c,
        values: columnValues(sample, c.name),
        epsilon: eps,
        delta: vocabDelta,
        sampleSize,
        ctx,
        isPublic: isPublic(c.name),
        ...(role ? { role } : {}),
      }),
    );
  }

  let model: AttributeModel = new BaselineModel(table, attrs.map((c) => specs.get(c.name)!));
  let dpSgd: TablePrivacySpend['dpSgd'] = null;
  if (wantsLearned) {
    const r = await fitLearnedDp(table, sample, meta, specs, { epsilon: budget.epsilon * DP_SGD_SHARE, delta: budget.delta / 2 }, rng, ledger, options);
    if (r) {
      model = r.model;
      dpSgd = r.dpSgd;
    }
  }
  const spent = ledger.spent(budget.delta);
  if (spent.epsilon > budget.epsilon * (1 + 1e-9)) {
    throw new SynthError('PRIVACY_BUDGET', `${key}: the fitted statistics spent ε=${spent.epsilon.toPrecision(4)}, more than the table's share ${budget.epsilon.toPrecision(4)}.`, {
      table: key,
      hint: 'This is a bug in the budget split; report it. Meanwhile use the baseline model for this table.',
    });
  }
  const breakdown = ledger.breakdown(budget.delta).byLabel.map((b) => ({ label: b.label, epsilon: b.epsilon }));
  const dpSampleForNulls: TableSample = { ...emptySample(table), totalRows: noisyRows };
  return {
    model: {
      table: { schema: table.schema, name: table.name },
      meta,
      model,
      sourceRows: sample.totalRows > 0 ? Math.max(1, noisyRows) : 0,
      histograms: dpHists,
      // Data-free key statistics: the key assigner needs none of the source's key values.
      keyStats: fitKeyStats(table, emptySample(table)),
      fkNullRates: foreignKeyNullRates(table, dpSampleForNulls, dpHists),
    },
    ledger,
    spend: {
      table: key,
      budget,
      epsilon: spent.epsilon,
      delta: budget.delta,
      model: dpSgd ? 'learned' : 'baseline',
      mechanisms: breakdown,
      dpSgd,
    },
  };
}

async function fitLearnedDp(
  table: Table,
  sample: TableSample,
  meta: ReturnType<typeof describeColumns>,
  specs: Map<string, ColumnModelSpec>,
  budget: { epsilon: number; delta: number },
  rng: SecureRandom,
  ledger: PrivacyLedger,
  options: DpFitOptions,
): Promise<{ model: AttributeModel; dpSgd: NonNullable<TablePrivacySpend['dpSgd']> } | null> {
  const key = tableKey(table);
  const attrs = attributeColumns(table);
  const modelled = attrs.filter((c) => encoderFromSpec(c, specs.get(c.name)!) !== null);
  if (modelled.length === 0) return null;
  const learned = await import('../learned/index.js');
  const n = sample.rows.length;
  const epochs = options.learned?.epochs ?? DP_DEFAULT_EPOCHS;
  const batchSize = Math.min(n, options.learned?.batchSize ?? DP_DEFAULT_BATCH);
  const clipNorm = options.privacy.maxGradNorm ?? DP_DEFAULT_CLIP;
  const plan: DpSgdPlan = planDpSgd({
    epsilon: budget.epsilon,
    delta: budget.delta,
    datasetSize: n,
    batchSize,
    epochs,
    ...(options.privacy.noiseMultiplier !== undefined ? { noiseMultiplier: options.privacy.noiseMultiplier } : {}),
  });
  const sampler = dpBatchSampler({ plan, rng, ledger, label: `${key} DP-SGD` });
  const fitted = await learned.createLearnedFactory()({
    table,
    sample,
    meta,
    attributeColumns: attrs.map((c) => c.name),
    seed: options.seed,
    options: {
      epochs: Math.ceil(plan.steps * plan.q) + epochs,
      maxSteps: plan.steps,
      batchSize,
      validationFraction: 0,
      ...(options.learned?.hiddenSize !== undefined ? { hiddenSize: options.learned.hiddenSize } : {}),
      fitEncoder: (column) => {
        const spec = specs.get(column.name);
        return spec ? encoderFromSpec(column, spec) : null;
      },
      batchSampler: sampler,
      dp: {
        clipNorm,
        noiseMultiplier: plan.noiseMultiplier,
        expectedBatchSize: plan.q * n,
        noise: (shape) => rng.gaussian(shape[0] * shape[1], 1),
      },
    },
  });
  const rest = attrs.filter((c) => !fitted.columns.includes(c.name)).map((c) => specs.get(c.name)!);
  const baseline = rest.length > 0 ? new BaselineModel(table, rest) : null;
  return {
    model: new learned.ComposedLearnedModel(table, fitted, baseline),
    dpSgd: {
      steps: sampler.stepsTaken,
      plannedSteps: plan.steps,
      noiseMultiplier: plan.noiseMultiplier,
      samplingRate: plan.q,
      clipNorm,
      epsilon: plan.epsilon,
      stoppedEarly: plan.stoppedEarly,
    },
  };
}

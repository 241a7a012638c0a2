/**
 * Fitting under differential privacy (config `privacy: { epsilon, delta }`). Privacy unit: one row of any one
 * table. Every table's statistics and model read that table's sample, and parent/child statistics read two
 * tables, so all releases of the run are composed *sequentially* (no table is assumed to hold other people than
 * another): one RDP ledger over every release, converted to (ε, δ) once for the whole run.
 *
 * Budget split (`allocateBudget`, dp-budget.ts): each fitted table gets the nominal share ε/T; inside it the noisy row count,
 * each FK child-count histogram and each attribute column get equal pure-DP shares of the statistics budget (all
 * of the share for baseline tables, half for learned ones, whose other half goes to DP-SGD); vocabulary thresholds
 * share δ/2. The statistics shares are then scaled by the largest factor whose planned RDP composition (with
 * DP-SGD at its nominal share) stays within (ε, δ).
 * The plan is computed from the schema and sample sizes only; the run's actual ledger is checked against ε at
 * the end (PRIVACY_BUDGET otherwise, before anything is written).
 *
 * What no mechanism sees: key columns (assigned structurally from data-free defaults), parent attributes as
 * context for a child model at row level (a parent row would touch many child examples; under the entity unit
 * an owned parent is the child's own entity, so it may), held-out rows for early stopping (DP-SGD runs exactly the
 * planned steps).
 *
 * Entity unit (`privacy.unit: 'entity'`): owned tables arrive sampled by entity and bounded (pipeline/sample-entities.ts);
 * each release of an owned table uses noise for its bound m (`contribution`), DP-SGD draws lots by entity with
 * rows clipped to C/m, and owned row counts follow the ownership FK's histogram.
 */
import { SynthError } from '../../errors.js';
import type { HydrationPlan } from '../../graph/plan.js';
import type { Column, DatabaseSchema, ForeignKey, Table, TableRef } from '../../schema/model.js';
import type { Row } from '../../schema/values.js';
import type { PiiKind } from './pii-config.js';
import { tableKey } from '../../schema/model.js';
import { BaselineModel } from '../baseline/baseline-model.js';
import type { ColumnModelSpec } from '../baseline/column-spec.js';
import { foreignKeyNullRates, type ModelSet, type SampleChildCounts, type TableModel } from '../fit.js';
import { fitKeyStats, type TableKeyStats } from '../keys/index.js';
import { columnValues, describeColumns, dpAttributeColumns, sequenceColumns } from '../metadata.js';
import type { AttributeModel, ChildCountHistogram, TableSample } from '../model.js';
import { dpColumnSpec, encoderFromSpec, tokenPriors } from './dp-columns.js';
import { dpChildCountHistogram } from './dp-keys.js';
import { dpBatchSampler, type DpSgdPlan } from './dp-sgd.js';
import { dpCount } from './mechanisms.js';
import { mstScales } from './dp-mst.js';
import { fitMstAttributes, mstCandidates, type FamilySizes } from './dp-mst-model.js';
import { generatedRowCount, rowCountError, smallTableWarning } from './dp-row-counts.js';
import { childCountSensitivity, contributionBound, ownershipFk, type EntityOwnership } from './entity-ownership.js';
import { PrivacyLedger, type PrivacySpent } from './rdp-accountant.js';
import { fitDpOrderInvariants, FK_CHILD_CAP } from './dp-order-invariants.js';
import {
  allocateBudget,
  contextFk,
  DP_DEFAULT_BATCH,
  DP_DEFAULT_CLIP,
  DP_DEFAULT_EPOCHS,
  invariantParent,
  invariantReleasesOf,
  mstFamilyHeads,
  mstParentColumns,
  type AllocationInput,
  type TableAllocation,
} from './dp-budget.js';
export { allocateBudget, DP_DEFAULT_BATCH, DP_DEFAULT_CLIP, DP_DEFAULT_EPOCHS, DP_SGD_SHARE, invariantReleasesOf, mstFamilyHeads, mstParentColumns, type AllocationInput, type TableAllocation } from './dp-budget.js';
import type { OrderInvariant } from '../order-invariants.js';
import { SecureRandom } from './secure-random.js';

export interface PrivacySettings {
  epsilon: number;
  delta: number;
  maxGradNorm?: number | undefined;
  noiseMultiplier?: number | undefined;
  unit: 'row' | 'entity';
  /** unit 'entity': the entity table. */
  entity?: string | undefined;
  /** unit 'entity': rows one entity may contribute to each table it owns. */
  maxRowsPerEntity?: number | undefined;
  /** 'auto': each table whose `mstChoice` holds gets its coded attributes from MST (dp-mst-model.ts); false: never. */
  mst?: 'auto' | false | undefined;
}

/**
 * Entity unit: the parent (through the ownership FK, which is also the plan's primary parent) whose attributes a
 * learned child model takes as context. Parent and children belong to the same entity, so the context adds nothing
 * to what one entity contributes to DP-SGD; the context encoders come from the parent's DP specs.
 */
export interface DpParentContext {
  fk: ForeignKey;
  parent: Table;
  sample: TableSample;
  specs: Map<string, ColumnModelSpec>;
  /** Row level: for MST only, with capped families (a parent row touches all of its children's context). */
  rowLevel?: boolean;
}

/** Largest family a row-level MST child keeps per parent (its noise grows linearly with the cap). */
export const MST_FAMILY_CAP = 8;

/** What fitting under the entity unit needs besides the samples (see pipeline/sample-entities.ts). */
export interface EntityUnitInput {
  ownership: EntityOwnership;
  /** Owned table key → sample row → entity index (the entity table's sample row). */
  entityOf: Map<string, Int32Array>;
  /** Rows of the entity table's sample: the sampled entities. */
  entities: number;
}

export interface TablePrivacySpend {
  table: string;
  /** This table's share of the configured budget. */
  budget: { epsilon: number; delta: number };
  /** Spent, from the table's own ledger (RDP composition of its releases). */
  epsilon: number;
  delta: number;
  model: 'baseline' | 'learned' | 'mst';
  /** With `privacy.mst`: whether MST was chosen for this table, and why (the same line as `synth plan`). */
  mst?: { chosen: boolean; reason: string; rho: number };
  /** Rows of this table one privacy unit can add or remove (1 at row level). */
  contribution: number;
  /** Per release label, each composed alone. */
  mechanisms: Array<{ label: string; epsilon: number }>;
  dpSgd: { steps: number; plannedSteps: number; noiseMultiplier: number; samplingRate: number; clipNorm: number; epsilon: number; stoppedEarly: boolean } | null;
  /**
   * The released row count (absent when it is derived from the ownership FK): the noisy count, the count generated
   * (never below the noise scale), and the expected error of the release relative to the noisy count.
   */
  rowCount?: { noisy: number; generated: number; expectedError: number; relativeError: number; small: boolean };
  /** Columns whose budget located none of their values, generated from a fallback (`DpColumnInput.onFallback`). */
  fallbacks?: string[];
}

export interface PrivacySpendReport {
  budget: { epsilon: number; delta: number };
  /** Total spent: min(RDP composition of every release, basic sum over tables). */
  epsilon: number;
  delta: number;
  method: 'rdp' | 'basic-over-tables';
  unit: 'row' | 'entity';
  /** unit 'entity': the entity table, the bound, and the tables it owns. */
  entity?: { table: string; maxRowsPerEntity: number; owned: string[] };
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
  /** Set with `privacy.unit: 'entity'`. */
  entity?: EntityUnitInput;
  /** Text columns generated as fresh fakes, decided from the schema and config (`dpFakeKind`). */
  fakeKind?: (table: Table, column: Column) => PiiKind | undefined;
  /** A warning about one table (a row count its noise can swamp). */
  warn?: (message: string, table: string) => void;
  /**
   * Row level, read by key (pipeline/train-context.ts): child table key → the primary parent's rows its sample
   * points at (a parent's own random sample holds few of them), and table key → children per sample row through
   * each FK that references it, counted over the whole child table. MST's context and family sizes use them.
   */
  parentRows?: Map<string, TableSample>;
  childCounts?: Map<string, SampleChildCounts[]>;
}

export function checkPrivacySettings(p: PrivacySettings, entity?: EntityUnitInput): void {
  if (p.unit === 'entity' && !entity) {
    throw new SynthError('CONFIG_INVALID', "privacy.unit 'entity' needs the entity table and the samples read by entity.", {
      hint: "Set privacy.entity to the table whose rows are the people to protect, e.g. entity: 'customer'.",
      path: 'privacy.entity',
    });
  }
  if (!(p.epsilon > 0) || !(p.delta > 0 && p.delta < 1)) {
    throw new SynthError('CONFIG_INVALID', `privacy needs epsilon > 0 and 0 < delta < 1 (got ε=${p.epsilon}, δ=${p.delta}).`, {
      hint: 'Set privacy: { epsilon: 3, delta: 1e-6 } for example.',
      path: 'privacy',
    });
  }
}

/**
 * Key statistics from no data at all (the key assigner needs none of the source's key values), kept within the
 * declared length of text keys.
 */
function dataFreeKeyStats(table: Table): TableKeyStats {
  // A `nextval` default marks an identifier by itself: every such column is generated distinct, nothing is read.
  const stats = fitKeyStats(table, emptySample(table), sequenceColumns(table).map((c) => c.name));
  return {
    ...stats,
    columns: stats.columns.map((s) => {
      if (s.kind !== 'text-alphabet') return s;
      const max = table.columns.find((c) => c.name === s.column)?.type;
      const limit = max?.kind === 'text' && max.maxLength ? max.maxLength : s.length;
      return { ...s, length: Math.max(1, Math.min(s.length, limit)) };
    }),
  };
}

function emptySample(table: Table): TableSample {
  return { table: { schema: table.schema, name: table.name }, totalRows: 0, columns: table.columns.map((c) => c.name), rows: [] };
}

/**
 * Entity unit: an owned table has as many rows as its parents (through the ownership FK) have children, so its
 * count is the parent's count times the mean of the DP children-per-parent histogram: post-processing, consistent
 * with the families the key assigner builds, and independent of how many entities the sample holds.
 */
function deriveOwnedRowCounts(entity: EntityUnitInput, tables: Map<string, TableModel>): void {
  for (const o of entity.ownership.owned) {
    if (!o.via || !o.parent) continue;
    const model = tables.get(tableKey(o.table));
    const parent = tables.get(tableKey(o.parent));
    const h = model?.histograms.find((x) => x.foreignKey === o.via!.name);
    if (!model || !parent || !h) continue;
    const parents = h.counts.reduce((n, e) => n + e.parents, 0);
    const children = h.counts.reduce((n, e) => n + e.children * e.parents, 0);
    model.sourceRows = parents > 0 ? Math.round((parent.sourceRows * children) / parents) : 0;
  }
}

/**
 * Noisy row counts can ask for more rows than a key made of foreign keys can hold (a link table of 8 000 pairs
 * under a parent whose noisy count came out as 1). Such counts are lowered to what the parents' counts allow:
 * post-processing of DP outputs, so free.
 */
function capKeyedRowCounts(schema: DatabaseSchema, plan: HydrationPlan, tables: Map<string, TableModel>): void {
  for (const step of plan.steps) {
    const key = tableKey(step.table);
    const table = schema.tables.find((t) => tableKey(t) === key)!;
    const model = tables.get(key);
    if (!model) continue;
    const keys = [...(table.primaryKey ? [table.primaryKey.columns] : []), ...table.uniques.map((u) => u.columns)];
    for (const cols of keys) {
      const fks = table.foreignKeys.filter((f) => f.columns.every((c) => cols.includes(c)));
      const covered = new Set(fks.flatMap((f) => f.columns));
      if (fks.length === 0 || cols.some((c) => !covered.has(c))) continue;
      if (fks.some((f) => tableKey(f.references) === key)) continue;
      let capacity = 1;
      for (const f of fks) capacity *= tables.get(tableKey(f.references))?.sourceRows ?? 0;
      if (model.sourceRows > capacity) model.sourceRows = Math.max(0, capacity);
    }
  }
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
  const invariants: OrderInvariant[] = [];
  checkPrivacySettings(privacy, options.entity);
  const rng = SecureRandom.secure();
  const total = new PrivacyLedger();
  const tables = new Map<string, TableModel>();
  const spends: TablePrivacySpend[] = [];
  const inputs: AllocationInput[] = [];
  for (const step of plan.steps) {
    if (options.skipped?.(step.table)) continue;
    const key = tableKey(step.table);
    inputs.push({
      invariantReleases: invariantReleasesOf(schema, schema.tables.find((t) => tableKey(t) === key)!, step.primaryParent, options.entity?.ownership ?? null),
      table: schema.tables.find((t) => tableKey(t) === key)!,
      kind: options.modelFor?.(step.table) ?? 'baseline',
      histograms: histograms.filter((h) => tableKey(h.child) === key).length,
      rows: samples.get(key)?.rows.length ?? 0,
      ...(options.entity && ownershipFk(options.entity.ownership, step.table) ? { derivedCount: true } : {}),
      ...(options.entity ? { contribution: contributionBound(options.entity.ownership, step.table) } : {}),
      ...(options.privacy.mst === 'auto'
        ? {
            mstContext: mstParentColumns(schema, schema.tables.find((t) => tableKey(t) === key)!, step.primaryParent, options.entity?.ownership ?? null, options).length,
            mstFamilies: mstFamilyHeads(schema, plan, step.table, (t) => options.skipped?.(t) ?? false),
          }
        : {}),
    });
  }
  const { allocations, scale } = allocateBudget(inputs, privacy, options);
  const specsByTable = new Map<string, Map<string, ColumnModelSpec>>();
  options.note?.(`budget split over ${inputs.length} tables (sequential composition, shares scaled ×${scale.toFixed(2)} to the RDP bound)`);
  for (const step of plan.steps) {
    const key = tableKey(step.table);
    const table = schema.tables.find((t) => tableKey(t) === key)!;
    const allocation = allocations.get(key);
    if (!allocation) {
      tables.set(key, {
        table: step.table,
        meta: describeColumns(table, emptySample(table)),
        model: new BaselineModel(table, []),
        sourceRows: 0,
        histograms: [],
        keyStats: dataFreeKeyStats(table),
        fkNullRates: {},
      });
      continue;
    }
    const sample = samples.get(key) ?? emptySample(table);
    const kind = options.modelFor?.(step.table) ?? 'baseline';
    const hists = histograms.filter((h) => tableKey(h.child) === key);
    const families = allocation.mst?.mst ? familySizes(schema, plan, table, sample, samples, options) : [];
    const context = parentContext(schema, step.primaryParent, table, samples, specsByTable, options.entity);
    const byKey = context?.rowLevel ? options.parentRows?.get(key) : undefined;
    const invParent = invariantParent(schema, step.primaryParent, table, options.entity?.ownership ?? null);
    // A large parent's own sample holds few of the child's parents: the rows read by key for the child (row level,
    // the same primary parent) pair every sampled child with its parent.
    const parentByKey = !options.entity ? options.parentRows?.get(key) : undefined;
    const parentSample = invParent ? (parentByKey ?? samples.get(tableKey(invParent.table))) : undefined;
    const r = await fitTableDp(table, sample, hists, kind, allocation, rng, options, context && byKey ? { ...context, sample: byKey } : context, families, invParent && parentSample ? { ...invParent, sample: parentSample, ...(parentByKey ? { byKey: true } : {}) } : null);
    invariants.push(...r.invariants);
    specsByTable.set(key, r.specs);
    tables.set(key, r.model);
    for (const e of r.ledger.entries) total.charge(e.label, e.charge);
    spends.push(r.spend);
    options.note?.(`${key}: ε ${r.spend.epsilon.toFixed(3)} of ${r.spend.budget.epsilon.toFixed(3)} planned (${r.spend.model}${r.spend.dpSgd ? `, DP-SGD ${r.spend.dpSgd.steps} steps σ=${r.spend.dpSgd.noiseMultiplier.toFixed(2)}` : ''})`);
  }
  if (options.entity) deriveOwnedRowCounts(options.entity, tables);
  capKeyedRowCounts(schema, plan, tables);
  const spent: PrivacySpent = total.spent(privacy.delta);
  if (spent.epsilon > privacy.epsilon * (1 + 1e-9)) {
    throw new SynthError('PRIVACY_BUDGET', `The fitted statistics spent ε=${spent.epsilon.toPrecision(4)}, more than privacy.epsilon ${privacy.epsilon}.`, {
      hint: 'This is a bug in the budget split; report it. Nothing was written to the target.',
      path: 'privacy.epsilon',
    });
  }
  return {
    // Only the invariants: train.ts adds them to the rules learned without looking at the data.
    models: { seed: options.seed, tables, rules: { reference: [], invariants, fanOuts: [] } },
    spend: {
      budget: { epsilon: privacy.epsilon, delta: privacy.delta },
      epsilon: spent.epsilon,
      delta: privacy.delta,
      method: 'rdp',
      unit: options.entity ? 'entity' : 'row',
      ...(options.entity
        ? {
            entity: {
              table: tableKey(options.entity.ownership.root),
              maxRowsPerEntity: options.entity.ownership.maxRowsPerEntity,
              owned: options.entity.ownership.owned.map((o) => tableKey(o.table)),
            },
          }
        : {}),
      composition: 'sequential-over-tables',
      tables: spends,
      ledger: total,
    },
  };
}

/**
 * Entity unit: each row's clip bound C/k, k its entity's rows in the training sample (≤ the table's bound). The
 * bound depends on the entity's own rows only, so an entity's clipped rows sum to at most C whatever the others hold.
 */
function entityRowClip(groups: Int32Array, clipNorm: number): Float32Array {
  const rows = new Map<number, number>();
  for (const g of groups) if (g >= 0) rows.set(g, (rows.get(g) ?? 0) + 1);
  return Float32Array.from(groups, (g) => (g >= 0 ? clipNorm / rows.get(g)! : 0));
}

/**
 * The parent a child may condition on (see DpParentContext), or undefined: under the entity unit the owned parent
 * (MST and DP-SGD); at row level the primary parent, for MST only (`rowLevel`: its families are capped there).
 */
function parentContext(
  schema: DatabaseSchema,
  primaryParent: string | null,
  table: Table,
  samples: Map<string, TableSample>,
  specsByTable: Map<string, Map<string, ColumnModelSpec>>,
  entity: EntityUnitInput | undefined,
): DpParentContext | undefined {
  const via = contextFk(table, primaryParent, entity?.ownership ?? null);
  if (!via) return undefined;
  const parent = schema.tables.find((t) => tableKey(t) === tableKey(via.references));
  const sample = samples.get(tableKey(via.references));
  const specs = specsByTable.get(tableKey(via.references));
  return parent && sample && specs ? { fk: via, parent, sample, specs, ...(entity ? {} : { rowLevel: true }) } : undefined;
}

/**
 * Row-level MST context: children per parent kept in the tree's rows, read off the released (DP) child-count
 * histogram of the FK (post-processing): a typical family (the median over parents with children), 2..MST_FAMILY_CAP.
 * Capping thins large families but leaves each child's conditional on its parent as it was, which is what the
 * tree is sampled by (the parent is given); the noise grows with the cap. Null when the capped tree's noise
 * (σ₂ × cap) would pass 5 % of the rows: the tree is then fitted without the parent.
 */
function familyCap(hist: ChildCountHistogram | undefined, rows: number, columns: number, rho: number): number | null {
  if (!hist) return null;
  const families = [...hist.counts].filter((e) => e.parents > 0 && e.children > 0).sort((a, b) => a.children - b.children);
  const parents = families.reduce((n, e) => n + e.parents, 0);
  if (!(parents > 0)) return null;
  let acc = 0;
  let cap = families[families.length - 1]!.children;
  for (const e of families) {
    acc += e.parents;
    if (acc >= 0.5 * parents) {
      cap = e.children;
      break;
    }
  }
  const m = Math.max(2, Math.min(MST_FAMILY_CAP, Math.round(cap)));
  return mstScales(columns, rho).sigma2 * m <= 0.05 * rows ? m : null;
}

/**
 * For an MST parent: per sample row, its children in each child table whose primary parent it is (counted in the
 * child's sample), so the tree learns which rows have large families and the generator gives them more children.
 */
function familySizes(schema: DatabaseSchema, plan: HydrationPlan, table: Table, sample: TableSample, samples: Map<string, TableSample>, options: DpFitOptions): FamilySizes[] {
  const out: FamilySizes[] = [];
  const key = tableKey(table);
  for (const step of plan.steps) {
    if (options.skipped?.(step.table) || tableKey(step.table) === key) continue;
    const child = schema.tables.find((t) => tableKey(t) === tableKey(step.table));
    const fk = child?.foreignKeys.find((f) => f.name === step.primaryParent && tableKey(f.references) === key);
    if (!child || !fk) continue;
    const head = `${tableKey(child)}.${fk.name}`;
    // Counted by key over the whole child table when the pipeline could (a random child sample thins every family).
    const counted = options.childCounts?.get(key)?.find((c) => c.foreignKey === head);
    if (counted && counted.counts.length === sample.rows.length) {
      out.push({ head, counts: counted.counts });
      continue;
    }
    const childSample = samples.get(tableKey(step.table));
    if (!childSample || childSample.rows.length === 0) continue;
    const ref = fk.references.columns.map((c) => sample.columns.indexOf(c));
    const own = fk.columns.map((c) => childSample.columns.indexOf(c));
    if (ref.some((i) => i < 0) || own.some((i) => i < 0)) continue;
    const keyOf = (row: Row, idx: number[]) => idx.map((i) => String(row[i] ?? null)).join('\u0001');
    const children = new Map<string, number>();
    for (const row of childSample.rows) {
      const k = keyOf(row, own);
      children.set(k, (children.get(k) ?? 0) + 1);
    }
    out.push({ head, counts: sample.rows.map((row) => children.get(keyOf(row, ref)) ?? 0) });
  }
  return out;
}

export async function fitTableDp(
  table: Table,
  sample: TableSample,
  hists: ChildCountHistogram[],
  kind: 'baseline' | 'learned',
  allocation: TableAllocation,
  rng: SecureRandom,
  options: DpFitOptions,
  context?: DpParentContext,
  families: FamilySizes[] = [],
  invariantParent: { fk: ForeignKey; table: Table; sample: TableSample; byKey?: boolean } | null = null,
): Promise<{ model: TableModel; ledger: PrivacyLedger; spend: TablePrivacySpend; specs: Map<string, ColumnModelSpec>; invariants: OrderInvariant[] }> {
  const key = tableKey(table);
  const ledger = new PrivacyLedger();
  const attrs = dpAttributeColumns(table);
  const isPublic = (c: string) => options.isPublic?.(table, c) ?? false;
  const fakeKind = (c: Column) => (isPublic(c.name) ? undefined : options.fakeKind?.(table, c));
  const eps = allocation.unitEpsilon;
  const ownership = options.entity?.ownership ?? null;
  const contribution = contributionBound(ownership, table);
  const ctx = { ledger, rng, contribution };

  // An owned table's rows are its parents' children: counted from the ownership FK's histogram (entity unit), where
  // no parent can have more children than the entity keeps.
  const via = ownership ? ownershipFk(ownership, table) : null;
  const dpHists = hists.map((h) => {
    const fk = table.foreignKeys.find((f) => f.name === h.foreignKey);
    const sensitivity = fk ? childCountSensitivity(ownership, table, fk) : 2;
    return dpChildCountHistogram(h, eps, { ...ctx, label: `${key} count` }, sensitivity, via && fk?.name === via.name ? contribution : undefined);
  });
  const viaHist = via ? dpHists.find((h) => h.foreignKey === via.name) : undefined;
  const noisyRows = viaHist
    ? viaHist.counts.reduce((n, e) => n + e.children * e.parents, 0)
    : Math.max(0, dpCount(sample.totalRows, { epsilon: allocation.countEpsilon }, { ...ctx, label: `${key} count` }));
  const sampleSize = Math.max(1, Math.min(noisyRows, options.sampleRows));
  // Relative to the sample's size, which the budget split already treats as public (DP-SGD's sampling rate): a
  // table's flag does not then depend on how its noise fell.
  const countError = viaHist ? null : rowCountError(key, sample.rows.length, allocation.countEpsilon, contribution);
  if (countError?.small && sample.totalRows > 0) options.warn?.(smallTableWarning(countError, noisyRows, options.privacy.epsilon, table), key);
  const generatedRows = sample.totalRows === 0 ? 0 : countError ? generatedRowCount(noisyRows, countError.expectedError) : Math.max(1, noisyRows);
  const invariants =
    allocation.invariantEpsilon > 0 && sample.rows.length > 0
      ? fitDpOrderInvariants({
          table,
          sample,
          parent: invariantParent,
          epsilon: allocation.invariantEpsilon,
          sampleSize,
          ctx,
          // Entity unit: the parent is the child's own entity, so its m rows bound both sides; row level: capped families.
          parentSensitivity: ownership ? contribution : FK_CHILD_CAP,
          capChildren: !ownership,
        })
      : [];
  const meta = describeColumns(table, sample);
  const specs = new Map<string, ColumnModelSpec>();
  const fallbacks: string[] = [];
  const lost: string[] = [];
  for (const c of attrs) {
    const role = meta.find((m) => m.column === c.name)?.role;
    specs.set(
      c.name,
      dpColumnSpec({
        table,
        column: c,
        values: columnValues(sample, c.name),
        epsilon: eps,
        delta: allocation.vocabDelta,
        sampleSize,
        ctx,
        isPublic: isPublic(c.name),
        ...(role ? { role } : {}),
        ...(fakeKind(c) ? { fakeKind: fakeKind(c)! } : {}),
        onFallback: (what, kind) => (kind === 'lost' ? lost : fallbacks).push(what),
      }),
    );
  }
  // A number generated as NULL or a constant is a column lost: warned. Text from its profile is what free text
  // always gets, so it is only noted (and listed in the spend).
  if (lost.length > 0) {
    options.warn?.(
      `${key}: ${lost.join('; ')}. Its share of ε=${options.privacy.epsilon} is too small for ${lost.length > 1 ? 'these columns' : 'this column'}: declare a column public if nothing in it is personal, set tables.${table.name}.mode: 'copy' if the table is reference data, or raise privacy.epsilon.`,
      key,
    );
  }
  if (fallbacks.length > 0) options.note?.(`${key}: ${fallbacks.join('; ')}`);
  fallbacks.unshift(...lost);

  let model: AttributeModel = new BaselineModel(table, attrs.map((c) => specs.get(c.name)!));
  let dpSgd: TablePrivacySpend['dpSgd'] = null;
  const mstPlan = allocation.mst?.mst && allocation.mst.rho > 0 && sample.rows.length > 0 ? allocation.mst : null;
  const parentCandidates = context
    ? mstCandidates(context.parent, dpAttributeColumns(context.parent), (c) => options.isPublic?.(context.parent, c) ?? false, (c) => options.fakeKind?.(context.parent, c) !== undefined).map((c) => c.name)
    : [];
  const cap =
    context?.rowLevel && mstPlan
      ? familyCap(
          dpHists.find((h) => h.foreignKey === context.fk.name),
          sample.rows.length,
          mstPlan.candidates.length + parentCandidates.length,
          mstPlan.rho,
        )
      : null;
  const mstParent =
    context && (!context.rowLevel || cap !== null)
      ? { ...context, candidates: new Set(parentCandidates), ...(cap !== null ? { familyCap: cap, salt: rng.next().toString(36) } : {}) }
      : undefined;
  const mst = mstPlan ? fitMstAttributes(table, sample, attrs, specs, new Set(mstPlan.candidates), mstPlan.rho, { ...ctx, label: key }, mstParent, families) : null;
  if (mst) model = mst;
  else if (kind === 'learned' && allocation.sgd && sample.rows.length > 0) {
    const r = await fitLearnedDp(table, sample, meta, specs, allocation.sgd, rng, ledger, options, context?.rowLevel ? undefined : context);
    if (r) {
      model = r.model;
      dpSgd = r.dpSgd;
    }
  }
  const spent = ledger.spent(allocation.budget.delta);
  const breakdown = ledger.breakdown(allocation.budget.delta).byLabel.map((b) => ({ label: b.label, epsilon: b.epsilon }));
  const dpSampleForNulls: TableSample = { ...emptySample(table), totalRows: noisyRows };
  return {
    model: {
      table: { schema: table.schema, name: table.name },
      meta,
      model,
      sourceRows: generatedRows,
      histograms: dpHists,
      keyStats: dataFreeKeyStats(table),
      fkNullRates: foreignKeyNullRates(table, dpSampleForNulls, dpHists),
    },
    ledger,
    specs,
    invariants,
    spend: {
      table: key,
      budget: allocation.budget,
      epsilon: spent.epsilon,
      delta: allocation.budget.delta,
      model: mst ? 'mst' : dpSgd ? 'learned' : 'baseline',
      ...(allocation.mst ? { mst: { chosen: mst !== null, reason: allocation.mst.reason, rho: allocation.mst.rho } } : {}),
      contribution,
      mechanisms: breakdown,
      dpSgd,
      ...(countError
        ? { rowCount: { noisy: noisyRows, generated: generatedRows, expectedError: countError.expectedError, relativeError: countError.relativeError, small: countError.small } }
        : {}),
      ...(fallbacks.length > 0 ? { fallbacks } : {}),
    },
  };
}

async function fitLearnedDp(
  table: Table,
  sample: TableSample,
  meta: ReturnType<typeof describeColumns>,
  specs: Map<string, ColumnModelSpec>,
  plan: DpSgdPlan,
  rng: SecureRandom,
  ledger: PrivacyLedger,
  options: DpFitOptions,
  context?: DpParentContext,
): Promise<{ model: AttributeModel; dpSgd: NonNullable<TablePrivacySpend['dpSgd']> } | null> {
  const key = tableKey(table);
  const attrs = dpAttributeColumns(table);
  const modelled = attrs.filter((c) => encoderFromSpec(c, specs.get(c.name)!) !== null);
  if (modelled.length === 0) return null;
  const learned = await import('../learned/index.js');
  const n = sample.rows.length;
  const epochs = options.learned?.epochs ?? DP_DEFAULT_EPOCHS;
  const batchSize = Math.min(n, options.learned?.batchSize ?? DP_DEFAULT_BATCH);
  const clipNorm = options.privacy.maxGradNorm ?? DP_DEFAULT_CLIP;
  // Entity unit: lots are drawn by entity (all of a sampled entity's rows), each row clipped to C/k for an entity
  // with k training rows, so an entity's whole gradient stays within C; the noise stays σ·C.
  const m = contributionBound(options.entity?.ownership ?? null, table);
  const groups = m > 1 ? options.entity?.entityOf.get(key) : undefined;
  if (m > 1 && (!groups || groups.length !== n)) throw new SynthError('INTERNAL', `${key}: no entity index for the DP-SGD sample.`);
  const sampler = dpBatchSampler({ plan, rng, ledger, label: `${key} DP-SGD`, ...(groups ? { groups } : {}) });
  const aligned = context ? learned.alignParent(table, sample, context.sample, context.fk) : null;
  const fitted = await learned.createLearnedFactory()({
    table,
    sample,
    meta,
    attributeColumns: attrs.map((c) => c.name),
    ...(aligned ? { parentSample: aligned } : {}),
    seed: options.seed,
    options: {
      // Context tokens come from the parent's DP release (bins and released categories), never from raw values.
      fitContextEncoder: (name) => {
        const col = context?.parent.columns.find((c) => c.name === name);
        const spec = context?.specs.get(name);
        return col && spec ? encoderFromSpec(col, spec) : null;
      },
      epochs: Math.ceil(plan.steps * plan.q) + epochs,
      maxSteps: plan.steps,
      batchSize,
      validationFraction: 0,
      ...(options.learned?.hiddenSize !== undefined ? { hiddenSize: options.learned.hiddenSize } : {}),
      fitEncoder: (column) => {
        const spec = specs.get(column.name);
        return spec ? encoderFromSpec(column, spec) : null;
      },
      // The network starts from the DP marginals (DP-SGD's few noisy steps then only have to learn dependencies).
      outputPriors: (column, size) => {
        const col = table.columns.find((c) => c.name === column);
        const spec = specs.get(column);
        const priors = col && spec ? tokenPriors(col, spec) : null;
        return priors && priors.length === size ? priors : null;
      },
      batchSampler: sampler,
      dp: {
        clipNorm,
        noiseMultiplier: plan.noiseMultiplier,
        ...(groups ? { rowClipNorm: entityRowClip(groups, clipNorm) } : {}),
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

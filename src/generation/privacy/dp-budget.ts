/**
 * The DP budget plan (`allocateBudget`): what every table may spend, decided from the schema, the plan and the
 * sample sizes before any data is read, so the split itself reveals nothing. `synth plan` (privacy-plan.ts) and the
 * run (dp-fit.ts) share it, so the plan shows what the run will spend.
 */
import { SynthError } from '../../errors.js';
import type { HydrationPlan } from '../../graph/plan.js';
import type { Column, DatabaseSchema, ForeignKey, Table, TableRef } from '../../schema/model.js';
import { tableKey } from '../../schema/model.js';
import { dpAttributeColumns } from '../metadata.js';
import { columnCharges } from './dp-columns.js';
import type { DpFitOptions, PrivacySettings } from './dp-fit.js';
import { mstCharges } from './dp-mst.js';
import { mstCandidates, mstChoice, MST_SHARE, rhoForEpsilon, type MstChoice } from './dp-mst-model.js';
import { INVARIANT_SHARE, plannedInvariantReleases } from './dp-order-invariants.js';
import { planDpSgd, type DpSgdPlan } from './dp-sgd.js';
import { ownershipFk, type EntityOwnership } from './entity-ownership.js';
import { PrivacyLedger, type PrivacySpent } from './rdp-accountant.js';

/** Defaults under DP: fewer, larger steps give DP-SGD a better signal-to-noise ratio. */
export const DP_DEFAULT_EPOCHS = 20;
export const DP_DEFAULT_BATCH = 512;
export const DP_DEFAULT_CLIP = 1;
/** Share of a learned table's ε given to DP-SGD (the rest buys its statistics and encoders). */
export const DP_SGD_SHARE = 0.5;

/** What one table may spend, decided from the schema and sample sizes before any data is read. */
export interface TableAllocation {
  /** ε of each statistics release unit (one FK histogram, one attribute column). */
  unitEpsilon: number;
  /**
   * ε of the row count: at least `unitEpsilon`, more on a small table, whose count cannot carry a unit's noise
   * (`countEpsilon`).
   */
  countEpsilon: number;
  /** δ of each vocabulary threshold. */
  vocabDelta: number;
  /** DP-SGD plan of a learned table. */
  sgd: DpSgdPlan | null;
  /** The table's planned spend alone, at δ/T. */
  budget: { epsilon: number; delta: number };
  /** With `privacy.mst`: the table's choice; `rho` of a chosen one is what MST fits at (after the RDP scaling). */
  mst: (MstChoice & { candidates: string[] }) | null;
  /** ε of each order-invariant release (dp-order-invariants.ts); 0 when the table has no candidate pair. */
  invariantEpsilon: number;
}

export interface AllocationInput {
  table: Table;
  kind: 'baseline' | 'learned';
  histograms: number;
  /** Training rows (sample size; treated as public, as DP-SGD's sampling rate needs it). */
  rows: number;
  /**
   * Entity unit, tables the entity owns: the row count is derived from the ownership FK's child-count histogram
   * (children per parent), so no count of its own is released.
   */
  derivedCount?: boolean;
  /** Rows one privacy unit adds to this table (entity unit; default 1): MST's choice weighs its noise in rows. */
  contribution?: number;
  /** MST candidates of the parent joined to this table's tree as context (`mstParentColumns`). */
  mstContext?: number;
  /** Child tables whose primary parent this table is: one family-size column each in its tree (`mstFamilyHeads`). */
  mstFamilies?: number;
  /** Releases its order invariants may make (`plannedInvariantReleases`, from the schema). */
  invariantReleases?: number;
}

/**
 * The row count is held to this expected relative error (E|Lap(b)| = b ≤ 1.5 % of the rows: off by more than 10 %
 * with probability e^−6.7 ≈ 0.13 %, under the 0.5 % at which the table is warned, SMALL_TABLE_RELATIVE_ERROR) where
 * that costs at most COUNT_MAX_SHARE of the table's statistics. At 2.5 % (e^−4 ≈ 2 %) tables that met the target
 * still missed 10 % unwarned about once per 50 runs. A 200-row
 * table at a unit's ε ≈ 0.05 would be off by ±20 rows (10 %) on average; a count is one Laplace release, so
 * giving it more is the cheapest accuracy a small table can buy.
 */
export const COUNT_RELATIVE_ERROR = 0.015;
export const COUNT_MAX_SHARE = 0.4;

/**
 * ε of a table's row count and of each of its other statistics units, from the table's statistics budget (what is
 * left after DP-SGD/MST and the order invariants), its unit count and its (public) sample size. Schema and sizes
 * only: the split reveals nothing.
 */
export function countEpsilon(statistics: number, units: number, rows: number, contribution: number): { count: number; unit: number } {
  const even = statistics / units;
  if (rows <= 0 || units <= 1) return { count: even, unit: even };
  const need = contribution / (COUNT_RELATIVE_ERROR * rows);
  const count = Math.max(even, Math.min(need, statistics * COUNT_MAX_SHARE));
  return { count, unit: (statistics - count) / (units - 1) };
}

/** Plan steps whose primary parent is `table` (not itself, not skipped): the family-size columns of its MST tree. */
export function mstFamilyHeads(schema: DatabaseSchema, plan: HydrationPlan, table: TableRef, skipped: (t: TableRef) => boolean): number {
  const key = tableKey(table);
  return plan.steps.filter((step) => {
    if (skipped(step.table) || tableKey(step.table) === key) return false;
    const child = schema.tables.find((t) => tableKey(t) === tableKey(step.table));
    return child?.foreignKeys.some((f) => f.name === step.primaryParent && tableKey(f.references) === key) ?? false;
  }).length;
}

/**
 * Entity unit: how many of the owning parent's columns an MST child takes as context (the same parent a learned
 * child conditions on: the ownership FK when it is the plan's primary parent). Schema and config only.
 */
export function mstParentColumns(
  schema: DatabaseSchema,
  table: Table,
  primaryParent: string | null,
  ownership: EntityOwnership | null,
  options: Pick<DpFitOptions, 'isPublic' | 'fakeKind'>,
): Column[] {
  const via = contextFk(table, primaryParent, ownership);
  if (!via) return [];
  const parent = schema.tables.find((t) => tableKey(t) === tableKey(via.references));
  if (!parent) return [];
  return mstCandidates(parent, dpAttributeColumns(parent), (c) => options.isPublic?.(parent, c) ?? false, (c) => options.fakeKind?.(parent, c) !== undefined);
}

/**
 * The FK whose parent an MST child takes as context: under the entity unit the ownership FK when it is the plan's
 * primary parent; at row level the primary parent (not a self-reference), whose families `fitMstAttributes` caps so
 * that one parent row moves at most `familyCap` rows of the child's tree.
 */
export function contextFk(table: Table, primaryParent: string | null, ownership: EntityOwnership | null): ForeignKey | null {
  if (ownership) {
    const via = ownershipFk(ownership, table);
    return via && via.name === primaryParent ? via : null;
  }
  const fk = table.foreignKeys.find((f) => f.name === primaryParent);
  return fk && tableKey(fk.references) !== tableKey(table) ? fk : null;
}

function plannedLedger(
  inputs: AllocationInput[],
  scale: number,
  privacy: PrivacySettings,
  options: Pick<DpFitOptions, 'isPublic' | 'learned' | 'fakeKind'>,
  sgdPlans: Map<string, DpSgdPlan>,
  mstChoices: Map<string, MstChoice & { candidates: string[] }> = new Map(),
): { total: PrivacyLedger; allocations: Map<string, TableAllocation> } {
  const T = Math.max(1, inputs.length);
  const share = privacy.epsilon / T;
  const total = new PrivacyLedger();
  const allocations = new Map<string, TableAllocation>();
  for (const input of inputs) {
    const { table } = input;
    const key = tableKey(table);
    const own = new PrivacyLedger();
    const charge = (label: string, c: Parameters<PrivacyLedger['charge']>[1]) => {
      own.charge(label, c);
      total.charge(label, c);
    };
    const attrs = dpAttributeColumns(table);
    const isPublic = (c: string) => options.isPublic?.(table, c) ?? false;
    const fake = (c: Column) => options.fakeKind?.(table, c) !== undefined;
    // A faked NOT NULL column releases nothing; a faked nullable one only its NULL share.
    const privateColumns = attrs.filter((c) => !isPublic(c.name) && !(fake(c) && !c.nullable));
    const choice = mstChoices.get(key) ?? null;
    const mst = choice?.mst ? choice : null;
    const learned = !mst && input.kind === 'learned' && input.rows > 0 && attrs.length > 0;
    const counts = (input.derivedCount ? 0 : 1) + input.histograms;
    const units = Math.max(1, counts + privateColumns.length);
    const statistics = scale * share * (learned ? 1 - DP_SGD_SHARE : mst ? 1 - MST_SHARE : 1);
    // A table with candidate order invariants gives them a fixed INVARIANT_SHARE of its statistics budget, split
    // evenly over every release they may make (the plan counts each candidate as if it were kept).
    const invariantReleases = input.rows > 0 ? (input.invariantReleases ?? 0) : 0;
    const invariantEpsilon = invariantReleases > 0 ? (statistics * INVARIANT_SHARE) / invariantReleases : 0;
    const split = input.derivedCount
      ? { count: 0, unit: (statistics * (invariantReleases > 0 ? 1 - INVARIANT_SHARE : 1)) / units }
      : countEpsilon(statistics * (invariantReleases > 0 ? 1 - INVARIANT_SHARE : 1), units, input.rows, input.contribution ?? 1);
    const unitEpsilon = split.unit;
    const vocabDelta = privacy.delta / T / 2 / Math.max(1, privateColumns.length);
    if (!input.derivedCount) charge(`${key} count`, { mechanism: 'laplace', epsilon: split.count, count: 1 });
    if (input.histograms > 0) charge(`${key} count`, { mechanism: 'laplace', epsilon: unitEpsilon, count: input.histograms });
    for (const c of attrs) for (const ch of columnCharges(table, c, unitEpsilon, vocabDelta, isPublic(c.name), fake(c))) charge(`${key}.${c.name}`, ch);
    const sgd = learned ? (sgdPlans.get(key) ?? null) : null;
    if (sgd) charge(`${key} DP-SGD`, { mechanism: 'subsampled-gaussian', q: sgd.q, noiseMultiplier: sgd.noiseMultiplier, steps: sgd.steps });
    const delta = privacy.delta / T;
    const rho = mst ? rhoForEpsilon(scale * share * MST_SHARE, delta) : 0;
    if (mst) for (const ch of mstCharges(mst.columns, rho)) charge(`${key} MST`, ch);
    if (invariantReleases > 0) charge(`${key} order invariants`, { mechanism: 'laplace', epsilon: invariantEpsilon, count: invariantReleases });
    allocations.set(key, { unitEpsilon, countEpsilon: split.count, vocabDelta, sgd, budget: { epsilon: own.spent(delta).epsilon, delta }, mst: choice ? { ...choice, ...(mst ? { rho } : {}) } : null, invariantEpsilon });
  }
  return { total, allocations };
}

/**
 * With `privacy.mst: 'auto'`, each table's MST choice from its nominal share ε/T, sample size and candidate
 * columns (schema and config only, so choosing releases nothing).
 */
function planMstChoices(
  inputs: AllocationInput[],
  privacy: PrivacySettings,
  options: Pick<DpFitOptions, 'isPublic' | 'fakeKind'>,
): Map<string, MstChoice & { candidates: string[] }> {
  const out = new Map<string, MstChoice & { candidates: string[] }>();
  if (privacy.mst !== 'auto') return out;
  const T = Math.max(1, inputs.length);
  for (const input of inputs) {
    const { table } = input;
    const candidates = mstCandidates(
      table,
      dpAttributeColumns(table),
      (c) => options.isPublic?.(table, c) ?? false,
      (c) => options.fakeKind?.(table, c) !== undefined,
    );
    const extra = candidates.length > 0 ? (input.mstContext ?? 0) + (input.mstFamilies ?? 0) : 0;
    const choice = mstChoice(candidates.length + extra, input.rows, privacy.epsilon / T, privacy.delta / T, input.contribution ?? 1);
    out.set(tableKey(table), { ...choice, candidates: candidates.map((c) => c.name) });
  }
  return out;
}

/**
 * Splits the budget: every table gets an equal nominal share ε/T (statistics and, for learned tables, DP-SGD
 * half and half), then all shares are scaled by the largest factor whose RDP composition over *every* planned
 * release of the run stays within (ε, δ). The planned releases are each mechanism's longest path, computed from
 * the schema and sample sizes only, so the factor reveals nothing about the data; what a run actually spends is
 * at most what was planned.
 */
export function allocateBudget(
  inputs: AllocationInput[],
  privacy: PrivacySettings,
  options: Pick<DpFitOptions, 'isPublic' | 'learned' | 'fakeKind'> = {},
): { scale: number; planned: PrivacySpent; allocations: Map<string, TableAllocation> } {
  // DP-SGD keeps its nominal share (planning it is the costly part); the statistics take up what RDP saves.
  const T = Math.max(1, inputs.length);
  const mstChoices = planMstChoices(inputs, privacy, options);
  const sgdPlans = new Map<string, DpSgdPlan>();
  for (const input of inputs) {
    if (mstChoices.get(tableKey(input.table))?.mst) continue;
    if (!(input.kind === 'learned' && input.rows > 0 && dpAttributeColumns(input.table).length > 0)) continue;
    sgdPlans.set(
      tableKey(input.table),
      planDpSgd({
        epsilon: (privacy.epsilon / T) * DP_SGD_SHARE,
        delta: privacy.delta / T / 2,
        datasetSize: input.rows,
        batchSize: Math.min(input.rows, options.learned?.batchSize ?? DP_DEFAULT_BATCH),
        epochs: options.learned?.epochs ?? DP_DEFAULT_EPOCHS,
        ...(privacy.noiseMultiplier !== undefined ? { noiseMultiplier: privacy.noiseMultiplier } : {}),
      }),
    );
  }
  const spentAt = (k: number): number => plannedLedger(inputs, k, privacy, options, sgdPlans, mstChoices).total.spent(privacy.delta).epsilon;
  let lo = 0;
  let hi = 1;
  while (spentAt(hi) <= privacy.epsilon && hi < 1024) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 14; i++) {
    const mid = (lo + hi) / 2;
    if (spentAt(mid) <= privacy.epsilon) lo = mid;
    else hi = mid;
  }
  if (lo === 0) {
    throw new SynthError('PRIVACY_BUDGET', `No split of ε=${privacy.epsilon}, δ=${privacy.delta} over ${inputs.length} tables leaves room for a single release.`, {
      hint: 'Raise privacy.epsilon or privacy.noiseMultiplier, or skip tables.',
      path: 'privacy',
    });
  }
  const { total, allocations } = plannedLedger(inputs, lo, privacy, options, sgdPlans, mstChoices);
  return { scale: lo, planned: total.spent(privacy.delta), allocations };
}

/** The primary parent whose dates a table's order invariants may anchor on (the same FK as `contextFk`). */
export function invariantParent(schema: DatabaseSchema, primaryParent: string | null, table: Table, ownership: EntityOwnership | null): { fk: ForeignKey; table: Table } | null {
  const fk = contextFk(table, primaryParent, ownership);
  const parent = fk ? schema.tables.find((t) => tableKey(t) === tableKey(fk.references)) : undefined;
  return fk && parent ? { fk, table: parent } : null;
}

/** `AllocationInput.invariantReleases` of a table, from the schema and plan only (for `synth plan` as for the run). */
export function invariantReleasesOf(schema: DatabaseSchema, table: Table, primaryParent: string | null, ownership: EntityOwnership | null): number {
  return plannedInvariantReleases(table, invariantParent(schema, primaryParent, table, ownership));
}


/**
 * The privacy section of a run: budget and spend (total and per table), PII columns and how they were
 * transformed, and what the post-generation filters regenerated. Plain JSON (for HydrateResult, the JSON report
 * and the state ledger) plus a text summary for the CLI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { PrivacySpendReport } from '../../generation/privacy/dp-fit.js';
import type { PrivacySpendInput } from '../../scheduler/state-store.js';
import type { FilterCounts, Variety } from './filters.js';
import type { HoldoutBaseline } from './holdout-baseline.js';
import type { DiagnosticDetail, QualityReportResult } from '../quality/types.js';

export interface PiiColumnReport {
  table: string;
  column: string;
  /** Detected kind, or null when the column is transformed only by the config. */
  kind: string | null;
  confidence: number | null;
  /** Applied transform, or null when the finding was below the threshold or switched off (`keep`). */
  transform: string | null;
}

export interface FilterReport extends FilterCounts {
  /** Rows whose attributes were drawn again (copies and outliers). */
  regenerated: number;
  /** Rows still flagged after the last redraw (kept as drawn). */
  unresolved: number;
  /** Of the regenerated rows, those fixed by moving one numeric value out of the copies' tolerance band. */
  nudged?: number;
  /** Of the regenerated rows, copies no redraw fixed that had one category changed (filters.ts recategorize). */
  recategorized?: number;
  /** The distinct rows the compared columns allow, when few (filters.ts variety). */
  variety?: Variety;
  /**
   * The rows were not compared: the table holds no personal column, references no table that does, and its compared
   * columns allow few distinct rows (`variety`), so a match singles out no one (filter-scope.ts). The counts are
   * then the rows that passed.
   */
  unguarded?: boolean;
  /** How often held-out real rows are copies themselves (holdout-baseline.ts), and the near-copy share it allows. */
  holdout?: HoldoutBaseline;
  /** Near copies let through un-nudged: within the share a held-out real row is one (`holdout.allowance`). */
  allowedNear?: number;
}

/** The counts of a FilterReport, which add up over windows and shards (`variety` is the table's, not a count). */
const FILTER_COUNT_KEYS = ['total', 'kept', 'exactCopies', 'nearCopies', 'outliers', 'regenerated', 'unresolved', 'nudged', 'recategorized', 'allowedNear'] as const;

/** A report that counted nothing yet. */
export function emptyFilterReport(): FilterReport {
  return { total: 0, kept: 0, exactCopies: 0, nearCopies: 0, outliers: 0, regenerated: 0, unresolved: 0 };
}

/**
 * Adds `counts` (less `before`, when given: what was counted since) to `into`. `nudged` and `recategorized` stay
 * absent while 0, as a single process reports them; `variety` is left to the caller.
 */
export function addFilterCounts(into: FilterReport, counts: FilterReport, before?: FilterReport): void {
  for (const k of FILTER_COUNT_KEYS) {
    const d = (counts[k] ?? 0) - (before?.[k] ?? 0);
    if (d !== 0 || (k !== 'nudged' && k !== 'recategorized' && k !== 'allowedNear')) into[k] = (into[k] ?? 0) + d;
  }
  // The table's baseline, the same in every window and shard (a seeded split of the same sample).
  if (counts.holdout && !into.holdout) into.holdout = counts.holdout;
}

export interface PrivacyResult {
  /** False when only PII transforms ran (no `privacy` budget configured). */
  dp: boolean;
  budget: { epsilon: number; delta: number } | null;
  epsilon: number;
  delta: number;
  method: string | null;
  unit: 'row' | 'entity' | null;
  /** unit 'entity': the entity table, the per-table bound on its rows, and the tables it owns. */
  entity?: PrivacySpendReport['entity'];
  composition: string | null;
  tables: Array<{
    table: string;
    model: 'baseline' | 'learned' | 'mst';
    /** With `privacy.mst: 'auto'`: whether MST generated the attributes, and why. */
    mst?: PrivacySpendReport['tables'][number]['mst'];
    /** Rows of the table one privacy unit can add or remove. */
    contribution: number;
    budget: { epsilon: number; delta: number };
    epsilon: number;
    delta: number;
    dpSgd: PrivacySpendReport['tables'][number]['dpSgd'];
    mechanisms: Array<{ label: string; epsilon: number }>;
    /** The noisy row count, the count generated and the release's expected error (dp-row-counts.ts). */
    rowCount?: PrivacySpendReport['tables'][number]['rowCount'];
  }>;
  pii: PiiColumnReport[];
  filters: Record<string, FilterReport>;
}

export function buildPrivacyResult(spend: PrivacySpendReport | null, pii: PiiColumnReport[], filters: Record<string, FilterReport>): PrivacyResult {
  return {
    dp: spend !== null,
    budget: spend?.budget ?? null,
    epsilon: spend?.epsilon ?? 0,
    delta: spend?.delta ?? 0,
    method: spend?.method ?? null,
    unit: spend?.unit ?? null,
    ...(spend?.entity ? { entity: spend.entity } : {}),
    composition: spend?.composition ?? null,
    tables: (spend?.tables ?? []).map((t) => ({
      table: t.table,
      model: t.model,
      contribution: t.contribution,
      budget: t.budget,
      epsilon: t.epsilon,
      delta: t.delta,
      dpSgd: t.dpSgd,
      mechanisms: t.mechanisms,
      ...(t.mst ? { mst: t.mst } : {}),
      ...(t.rowCount ? { rowCount: t.rowCount } : {}),
    })),
    pii,
    filters,
  };
}

/** The shape `writeQualityReport` renders as its privacy section. */
export function privacySummaryForReport(p: PrivacyResult): { epsilonSpent: number; delta: number; perTable: Record<string, number> } {
  return { epsilonSpent: p.epsilon, delta: p.delta, perTable: Object.fromEntries(p.tables.map((t) => [t.table, t.epsilon])) };
}

export function formatPrivacyResult(p: PrivacyResult): string {
  const lines: string[] = [];
  if (p.dp && p.budget) {
    const unit = p.entity
      ? `unit: one ${p.entity.table} row with every row it owns, at most ${p.entity.maxRowsPerEntity} rows per owned table unless set per table`
      : 'unit: one row of any table';
    lines.push(`Privacy: ε ${p.epsilon.toFixed(3)} spent of ${p.budget.epsilon} at δ ${p.delta} (${unit}; tables composed sequentially; ${p.method})`);
    for (const t of p.tables) {
      const sgd = t.dpSgd ? `, DP-SGD ${t.dpSgd.steps} steps, σ ${t.dpSgd.noiseMultiplier.toFixed(2)}, q ${t.dpSgd.samplingRate.toFixed(3)}` : '';
      const owned = p.entity && t.contribution > 1 ? `, ≤ ${t.contribution} rows per entity` : '';
      // A count its noise can swamp says so, with what was generated (never below the noise scale).
      const rows = t.rowCount?.small ? `; rows ${t.rowCount.generated} from a noisy count of ${t.rowCount.noisy} ±${t.rowCount.expectedError.toFixed(1)}` : '';
      lines.push(`  ${t.table}: ε ${t.epsilon.toFixed(3)} of ${t.budget.epsilon.toFixed(3)} (${t.model}${sgd}${owned}${rows})`);
    }
  }
  const transformed = p.pii.filter((x) => x.transform !== null);
  if (transformed.length > 0) {
    lines.push(`PII transformed before training: ${transformed.map((x) => `${x.table}.${x.column} (${x.transform})`).join(', ')}`);
  }
  const filters = formatFilterCounts(p);
  if (filters) lines.push(filters);
  return lines.join('\n');
}

/**
 * One line on what the post-generation filters did (empty when they did nothing). With the run's quality report,
 * rows the filters left flagged are stated next to what the report measured for that table, so the two never
 * tell different stories: flagged rows the report finds new, or a table whose columns cannot single out a row,
 * are not called unresolved copies.
 */
export function formatFilterCounts(p: PrivacyResult, quality?: QualityReportResult | null): string {
  const filtered = Object.entries(p.filters).filter(([, f]) => !f.unguarded && (f.regenerated > 0 || f.unresolved > 0));
  const passed = Object.entries(p.filters).filter(([, f]) => f.unguarded && f.total > 0);
  const lines: string[] = [];
  if (filtered.length > 0) {
    lines.push(
      `Privacy filters regenerated: ${filtered
        .map(([t, f]) => `${t} ${f.regenerated} (exact ${f.exactCopies}, near ${f.nearCopies}, outliers ${f.outliers}${f.recategorized ? `, ${f.recategorized} with one category changed` : ''}${holdoutText(f)}${unresolvedText(t, f, quality)})`)
        .join('; ')}`,
    );
  }
  if (passed.length > 0) lines.push(`Privacy filters left alone (no one's rows): ${passed.map(([t, f]) => unguardedText(t, f, quality)).join('; ')}`);
  return lines.join('\n');
}

/**
 * The table's holdout baseline (holdout-baseline.ts): how often a held-out real row is a near copy itself, and the
 * near copies let through because of it.
 */
function holdoutText(f: FilterReport): string {
  const h = f.holdout;
  if (!h || h.heldOut === 0) return '';
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  const let_ = f.allowedNear ? `, ${f.allowedNear} near copies let through (up to ${pct(h.allowance)})` : '';
  return `; held-out real rows: near ${pct(h.nearShare)}, exact ${pct(h.exactShare)} of ${h.heldOut}${let_}`;
}

/**
 * Why a table's rows were not compared (filter-scope.ts), with what the quality report measured on them: its
 * NewRowSynthesis counts matches on these columns too, and a reader must not take them for copies of someone.
 */
function unguardedText(table: string, f: FilterReport, quality: QualityReportResult | null | undefined): string {
  const v = f.variety;
  const few = v ? `, and (${v.columns.join(', ')}) allow only ${v.possible} distinct rows (${v.values.join(' × ')} values; the source holds ${v.inSource})` : '';
  const measured = quality ? newRowDetail(quality, table) : undefined;
  const matching =
    measured?.checkedRows !== undefined && measured.score !== null
      ? `; the quality report's ${measured.checkedRows - (measured.newRows ?? 0)} of ${measured.checkedRows} rows matching a source row are matches on these columns, not copies of anyone`
      : '';
  return `${table} ${f.total} rows as generated: it holds no personal column and references no table that does${few}, so a match singles out no one${matching}`;
}

/** Of the combinations the columns allow, the share the source must hold for a match to be called unavoidable. */
const ALL_COMBINATIONS = 0.9;

function unresolvedText(table: string, f: FilterReport, quality: QualityReportResult | null | undefined): string {
  if (!f.unresolved) return '';
  const measured = quality ? newRowDetail(quality, table) : undefined;
  const v = f.variety;
  if (v && v.inSource >= ALL_COMBINATIONS * v.possible) {
    // Few values per column and (nearly) every combination in the source: whatever is generated matches a source
    // row, and so many others do too that the match singles out nobody. Saying "unresolved copies" would alarm.
    const held = v.inSource >= v.possible ? 'all of them' : `${v.inSource} of them`;
    const found = measured?.checkedRows
      ? `the quality report finds ${measured.checkedRows - (measured.newRows ?? 0)} of ${measured.checkedRows} checked rows matching a source row, as any generated rows would`
      : 'any generated row matches one';
    return `, ${f.unresolved} left as drawn: (${v.columns.join(', ')}) allow only ${v.possible} distinct rows (${v.values.join(' × ')} values) and the source holds ${held}, so ${found}; unavoidable, and no leak`;
  }
  if (!measured) return `, ${f.unresolved} unresolved`;
  if (measured.score === null) return `, ${f.unresolved} left as drawn (quality report: ${measured.detail ?? 'not measured'})`;
  const matching = (measured.checkedRows ?? 0) - (measured.newRows ?? 0);
  if (matching === 0) return `, ${f.unresolved} left as drawn; the quality report finds none of ${measured.checkedRows ?? 0} checked rows matching a source row`;
  return `, ${f.unresolved} unresolved; the quality report finds ${matching} of ${measured.checkedRows ?? 0} checked rows matching a source row`;
}

/** The report's NewRowSynthesis entry of a filter table key (`schema.table`; the report names tables bare unless they clash). */
function newRowDetail(quality: QualityReportResult, table: string): DiagnosticDetail | undefined {
  const entries = quality.diagnostics.details.filter((d) => d.metric === 'NewRowSynthesis');
  return entries.find((d) => d.table === table) ?? entries.find((d) => table.endsWith(`.${d.table}`) && !d.table.includes('.'));
}

/** Adds the privacy section to the JSON quality report `writeQualityReport` wrote. */
export function addPrivacyToJsonReport(path: string, p: PrivacyResult): void {
  const report = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(path, JSON.stringify({ ...report, privacy: p }, null, 2));
}

/**
 * The rows the state ledger keeps for a run (`StateStore.recordPrivacySpend`, one call each): one per table,
 * mechanism `dp-synth`, the table's releases as detail. No separate total row: the ledger's cumulative spend
 * sums its rows (basic composition), and the per-table sum is exactly that bound for the run.
 */
export function privacySpendRecords(p: PrivacyResult, sourceFingerprint: string, runId: string | null): PrivacySpendInput[] {
  if (!p.dp) return [];
  return p.tables.map((t) => ({
    sourceFingerprint,
    runId,
    table: t.table,
    epsilon: t.epsilon,
    delta: t.delta,
    mechanism: 'dp-synth',
    detail: { budget: t.budget, model: t.model, dpSgd: t.dpSgd, mechanisms: t.mechanisms, run: { epsilon: p.epsilon, method: p.method, composition: p.composition } },
  }));
}

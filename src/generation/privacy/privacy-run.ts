/**
 * The privacy side of one hydration run, as pipeline/hydrate.ts uses it: PII transforms applied to every sample before
 * anything is fitted, DP fitting, the post-generation filters, and the result for events, the report and the
 * state ledger. Active when `privacy` is configured or any column names a `transform`.
 */
import type { SynthConfig } from '../../config/schema.js';
import { SynthError } from '../../errors.js';
import type { HydrationPlan } from '../../graph/plan.js';
import type { DatabaseSchema, NeutralType, Table, TableRef } from '../../schema/model.js';
import { tableKey } from '../../schema/model.js';
import type { Row, RowBatch } from '../../schema/values.js';
import type { GeneratedBatch } from '../generate.js';
import type { RowLocalRules } from '../apply-rules.js';
import { buildPrivacyResult, emptyFilterReport, type FilterReport, type PiiColumnReport, type PrivacyResult } from '../../validation/privacy/privacy-report.js';
import { PrivacyFilter, type FilterColumn, type FilterResult } from '../../validation/privacy/filters.js';
import { holdoutBaseline, type HoldoutBaseline } from '../../validation/privacy/holdout-baseline.js';
import { createRng } from '../rng.js';
import { decideFilterScopes, type FilterScope, type ScopeInput } from '../../validation/privacy/filter-scope.js';
import type { ModelSet } from '../fit.js';
import type { ChildCountHistogram, ColumnMeta, Rng, TableSample } from '../model.js';
import { fitModelsDp, type DpFitOptions, type EntityUnitInput, type PrivacySpendReport } from './dp-fit.js';
import type { PiiTransform } from './pii-config.js';
import { detectPii, dpFakeKind } from './pii-detect.js';
import { fakeKinds, planPiiTransforms, transformBatches } from './pii-transform.js';

export const PII_KEY_ENV = 'SYNTH_PII_KEY';

/** The transform key synth manages for a source (scheduler/hydrate-job.ts keeps it in the state database). */
export type PiiKeyProvider = () => Promise<string>;

type ColumnOverrides = Record<string, { transform?: PiiTransform | undefined; public?: boolean | undefined }>;

function tableOverrides(config: SynthConfig, t: TableRef): ColumnOverrides {
  const tc = config.tables[`${t.schema}.${t.name}`] ?? config.tables[t.name];
  return (tc?.columns ?? {}) as ColumnOverrides;
}

/** Redraws of a flagged row before it is kept as drawn. */
const FILTER_ROUNDS = 3;
/** Rows the futility probe draws, and the flagged rows (in a probe or a round) below which redrawing is never judged futile. */
const PROBE_ROWS = 1000;
const FUTILE_MIN = 100;

/**
 * Draws a probe of PROBE_ROWS rows from the model (no parent context), nudges its copies, and redraws what is left
 * once: futile when at least FUTILE_MIN rows are left and the redraw fixes under half of them.
 */
function probeFutile(filter: PrivacyFilter, model: { columns: string[]; sample(n: number, context: Row[] | null, rng: Rng): Row[] }, rng: Rng): boolean {
  const columns = model.columns;
  const flaggedOf = (rows: Row[]): Row[] => {
    const r = filter.filterBatch({ columns, rows }, false);
    return r.flagged.filter((row, i) => !filter.escape(row, columns, r.copied[i]));
  };
  const flagged = flaggedOf(model.sample(PROBE_ROWS, null, rng.fork('draw')));
  if (flagged.length < FUTILE_MIN) return false;
  const left = flaggedOf(model.sample(flagged.length, null, rng.fork('redraw')));
  return flagged.length - left.length < 0.5 * flagged.length;
}

/** Per model column: its name when the filter found marker values in it, else undefined. */
function markedIn(filter: PrivacyFilter, columns: readonly string[]): Array<string | undefined> {
  const marked = new Set(filter.markedColumns());
  return columns.map((c) => (marked.has(c) ? c : undefined));
}

/** The quantum a nudged numeric value is rounded to, so the stored value is the one the filter checked. */
function numericStep(type: NeutralType | undefined): number | undefined {
  if (!type) return 0;
  switch (type.kind) {
    case 'integer':
    case 'year':
      return 1;
    case 'decimal':
      return type.scale === null ? undefined : 10 ** -type.scale;
    case 'money':
      return 0.01;
    case 'float':
      return undefined;
    default:
      return 0;
  }
}

/**
 * Filters built per training sample (its rows array) and settings: a `synth worker` keeps a run's bundle, so its
 * shards of one table share one filter instead of indexing the sample again per unit. A filter's decisions depend on
 * the sample and settings alone; what it caches is the same for every caller.
 */
const builtFilters = new WeakMap<Row[], Map<string, PrivacyFilter>>();

const builtBaselines = new WeakMap<Row[], Map<string, HoldoutBaseline>>();

/** The holdout baseline of a filter (holdout-baseline.ts), once per sample and columns, on a split seeded by the run. */
function holdoutFor(sample: { columns: string[]; rows: Row[] }, columns: FilterColumn[], tolerance: number, seed: number, key: string): HoldoutBaseline {
  let bySpec = builtBaselines.get(sample.rows);
  if (!bySpec) builtBaselines.set(sample.rows, (bySpec = new Map()));
  const spec = JSON.stringify([sample.columns, columns, tolerance, seed]);
  let baseline = bySpec.get(spec);
  if (!baseline) {
    const rng = createRng(seed, `holdout:${key}`);
    bySpec.set(spec, (baseline = holdoutBaseline({ columns: sample.columns, rows: sample.rows }, { columns, matchTolerance: tolerance }, () => rng.next())));
  }
  return baseline;
}

function filterFor(sample: { columns: string[]; rows: Row[] }, columns: FilterColumn[], tolerance: number): PrivacyFilter {
  let bySpec = builtFilters.get(sample.rows);
  if (!bySpec) builtFilters.set(sample.rows, (bySpec = new Map()));
  const spec = JSON.stringify([sample.columns, columns, tolerance]);
  let filter = bySpec.get(spec);
  if (!filter) bySpec.set(spec, (filter = new PrivacyFilter({ columns: sample.columns, rows: sample.rows }, { columns, matchTolerance: tolerance })));
  return filter;
}

export class PrivacyRun {
  spend: PrivacySpendReport | null = null;
  readonly pii: PiiColumnReport[] = [];
  readonly filters: Record<string, FilterReport> = {};
  /** Training samples (after PII transforms), kept for the copy filters; bounded by `training.sampleRows`. */
  private readonly samples = new Map<string, TableSample>();
  /** What decides each table's filter scope (filter-scope.ts), kept past release() so children still see their parents. */
  private readonly scopeInputs = new Map<string, ScopeInput>();
  /** Which tables the copy filters guard; a table missing here is guarded (a worker given no decision stays safe). */
  private readonly scopes = new Map<string, FilterScope>();

  private managedKey: Promise<string> | null = null;

  private constructor(
    private readonly config: SynthConfig,
    private readonly env: Record<string, string | undefined>,
    private readonly keyProvider: PiiKeyProvider | undefined,
  ) {}

  /**
   * Null when the config asks for neither DP, PII transforms nor the copy filters. `keyProvider` supplies the key
   * synth manages when neither SYNTH_PII_KEY nor privacy.piiKey is set (asked once, only when a transform needs it).
   */
  static forConfig(config: SynthConfig, env: Record<string, string | undefined> = process.env, keyProvider?: PiiKeyProvider): PrivacyRun | null {
    const run = new PrivacyRun(config, env, keyProvider);
    return run.dp || run.transformsPii || run.filtering ? run : null;
  }

  get dp(): boolean {
    return this.config.privacy !== false;
  }

  /** PII is replaced before training under DP, or when any column names a transform. */
  get transformsPii(): boolean {
    return this.dp || Object.values(this.config.tables).some((t) => Object.values(t.columns ?? {}).some((c) => c.transform !== undefined && c.transform !== 'keep'));
  }

  /**
   * The post-generation copy filters run (`filters.enabled`). Under DP only with `privacy.copyFilters`: the output
   * is already private (post-processing of DP releases), and on a narrow table the filters would redraw nearly every
   * row (each value of a one-attribute table is some training row's value), costing quality for no guarantee.
   */
  get filtering(): boolean {
    const e = this.config.filters.enabled;
    if (this.config.privacy !== false) return e !== false && this.config.privacy.copyFilters;
    return e === true;
  }

  private async key(): Promise<string | null> {
    const fromEnv = this.env[PII_KEY_ENV];
    if (fromEnv) return fromEnv;
    const configured = this.config.privacy !== false ? this.config.privacy.piiKey : undefined;
    if (configured) return configured;
    if (this.keyProvider === undefined) return null;
    this.managedKey ??= this.keyProvider();
    return this.managedKey;
  }

  isPublic(t: TableRef, column: string): boolean {
    return tableOverrides(this.config, t)[column]?.public === true;
  }

  /**
   * Detects PII in the sample and replaces those columns with keyed deterministic fakes, in place of the sample
   * (so nothing downstream sees the real values), and records the plan's kinds as the sample's `piiKinds`.
   * Refuses when a transform needs a key and none is set.
   */
  async transformSample(table: Table, sample: TableSample): Promise<TableSample> {
    if (!this.transformsPii) return sample;
    const findings = detectPii(table, sample);
    const overrides = tableOverrides(this.config, table);
    const plan = planPiiTransforms(findings, overrides);
    const key = tableKey(table);
    for (const f of findings) this.pii.push({ table: key, column: f.column, kind: f.kind, confidence: f.confidence, transform: plan.get(f.column) ?? null });
    for (const [column, transform] of plan) {
      if (!findings.some((f) => f.column === column)) this.pii.push({ table: key, column, kind: null, confidence: null, transform });
    }
    const piiKinds = fakeKinds(plan);
    // Without DP, detected columns are already generated as fresh fakes (piiKinds); a configured transform changes
    // its own column only, never switching on the keyed transform of every detected one.
    const applied = this.dp ? plan : new Map([...plan].filter(([column]) => overrides[column]?.transform !== undefined));
    if (applied.size === 0 || sample.rows.length === 0) return { ...sample, piiKinds };
    const secret = await this.key();
    const needsKey = [...applied.values()].some((t) => t !== 'redact');
    if (needsKey && !secret) {
      const [column, transform] = [...applied.entries()].find(([, t]) => t !== 'redact')!;
      throw new SynthError('CONFIG_INVALID', `${key}.${column} looks like PII (${transform}) and must be transformed before training, but no transform key is set.`, {
        table: key,
        column,
        hint: `Run it through the synth CLI, which keeps a key for each source in its state, or set the environment variable ${PII_KEY_ENV} to a long random secret (or privacy.piiKey in the config); mark the column \`transform: 'keep'\` if it is not personal data.`,
        path: 'privacy.piiKey',
      });
    }
    const rows: Row[] = [];
    const one = (async function* () {
      yield { columns: sample.columns, rows: sample.rows };
    })();
    for await (const b of transformBatches(one, applied, secret ?? 'redact-only', table.columns)) rows.push(...b.rows);
    return { ...sample, rows, piiKinds };
  }

  /** Fits under DP (config `privacy`); the samples are kept for the copy filters. */
  async fit(
    schema: DatabaseSchema,
    plan: HydrationPlan,
    samples: Map<string, TableSample>,
    histograms: ChildCountHistogram[],
    options: {
      modelFor: (t: TableRef) => 'baseline' | 'learned';
      skipped: (t: TableRef) => boolean;
      note?: (m: string) => void;
      warn?: (message: string, table: string) => void;
      entity?: EntityUnitInput;
      /** Row level: each table's primary parent rows read by key, and children per sample row (MST context). */
      byKey?: Pick<DpFitOptions, 'parentRows' | 'childCounts'>;
    },
  ): Promise<ModelSet> {
    const p = this.config.privacy;
    if (p === false) throw new SynthError('INTERNAL', 'PrivacyRun.fit called without a privacy budget.');
    this.remember(samples, schema);
    const { models, spend } = await fitModelsDp(schema, plan, samples, histograms, {
      seed: this.config.seed,
      privacy: p,
      modelFor: options.modelFor,
      skipped: options.skipped,
      isPublic: (t, c) => this.isPublic(t, c),
      fakeKind: (t, c) => dpFakeKind(t, c, tableOverrides(this.config, t)[c.name]?.transform),
      sampleRows: this.config.training.sampleRows,
      learned: { epochs: this.config.training.epochs, hiddenSize: this.config.training.hidden, batchSize: this.config.training.batchSize },
      ...(options.note ? { note: options.note } : {}),
      ...(options.warn ? { warn: options.warn } : {}),
      ...(options.entity ? { entity: options.entity } : {}),
      ...(options.byKey ?? {}),
    });
    this.spend = spend;
    return models;
  }

  /** The samples the copy filters compare with, by table key (`synth worker`s get them in the run bundle). */
  filterSamples(): Map<string, { columns: string[]; rows: Row[]; filterScope?: FilterScope }> {
    if (!this.filtering) return new Map();
    // Each with its table's scope, decided here from the whole schema: a worker holds only the samples it filters.
    return new Map([...this.samples].map(([k, s]) => {
      const scope = this.scopes.get(k);
      return [k, { columns: s.columns, rows: s.rows, ...(scope ? { filterScope: scope } : {}) }] as const;
    }));
  }

  /** The copy filters run but hold no training sample of this table (its models were reused, not fitted here). */
  lacksFilterSample(key: string): boolean {
    return this.filtering && !this.samples.has(key);
  }

  /**
   * The table is loaded: its training sample, and with it the filter built on it, can go (a run holds one per
   * table, several times the sample's own size). Only the in-process load calls this, once per table.
   */
  release(key: string): void {
    this.samples.delete(key);
  }

  /**
   * Keeps the samples for the copy filters when fitting happened elsewhere (runs without DP). With the schema it
   * decides which tables the filters guard (filter-scope.ts); without it (a load worker) each sample brings the
   * decision filterSamples() shipped, and a sample without one is guarded.
   */
  remember(samples: Map<string, TableSample & { filterScope?: FilterScope }>, schema?: DatabaseSchema): void {
    for (const [k, s] of samples) {
      this.samples.set(k, s);
      if (s.filterScope) this.scopes.set(k, s.filterScope);
    }
    if (!schema) return;
    for (const t of schema.tables) {
      const k = tableKey(t);
      const s = samples.get(k);
      if (!s) continue;
      const overrides = tableOverrides(this.config, t);
      // A sample read again for the filters (reused models) was not scanned when no transform ran: scan it here.
      const piiKinds = s.piiKinds ?? fakeKinds(planPiiTransforms(detectPii(t, s), overrides));
      const transformed = Object.entries(overrides).filter(([, o]) => o.transform !== undefined && o.transform !== 'keep').map(([c]) => c);
      this.scopeInputs.set(k, { piiKinds, transformed });
    }
    for (const [k, scope] of decideFilterScopes(schema, this.scopeInputs)) if (this.scopeInputs.has(k)) this.scopes.set(k, scope);
  }

  /** The table's filter scope (undefined: guarded, as decided nowhere). */
  filterScope(key: string): FilterScope | undefined {
    return this.scopes.get(key);
  }

  /**
   * Generated rows that copy a training row (exactly or nearly) or fall outside what training showed get their
   * attribute columns drawn again from the model; key columns stay, so every FK stays valid. Runs when `filtering`.
   */
  filterRows(
    table: Table,
    meta: ColumnMeta[],
    model: { columns: string[]; sample(n: number, context: Row[] | null, rng: Rng): Row[] },
    batches: AsyncIterable<GeneratedBatch>,
    rng: Rng,
  ): AsyncIterable<RowBatch> {
    const key = tableKey(table);
    const sample = this.samples.get(key);
    if (!this.filtering || !sample || sample.rows.length === 0) return batches;
    const columns: FilterColumn[] = [];
    // Exactly the columns SDMetrics' NewRowSynthesis compares (the quality metadata's sdtypes for these roles).
    for (const name of model.columns) {
      const m = meta.find((x) => x.column === name);
      const role = m?.role;
      if (!sample.columns.includes(name)) continue;
      // A float on a grid of decimals (value-grid.ts) is nudged on that grid, as the model's values are snapped to it.
      const grid = m?.grid && 'decimals' in m.grid ? 10 ** -m.grid.decimals : undefined;
      if (role === 'numerical') columns.push({ name, kind: 'numeric', step: grid ?? numericStep(table.columns.find((c) => c.name === name)?.type) });
      else if (role === 'datetime') columns.push({ name, kind: 'datetime' });
      else if (role === 'categorical' || role === 'boolean' || role === 'constant') columns.push({ name, kind: 'categorical' });
    }
    if (columns.length === 0) return batches;
    const filter = filterFor(sample, columns, this.config.filters.tolerance);
    // Columns a redraw may not move into or out of a marker: which rows are "current" is the table's, not the
    // filter's (redrawing a copied current row until it was no longer current took employees' salaries from 12 %
    // current rows to none, since every current row's dense salary matches a real one within 1 %).
    const marked = markedIn(filter, model.columns);
    const variety = filter.variety();
    const scope = this.scopes.get(key);
    // Nobody's rows, and columns that allow few distinct rows: a match singles out no one (filter-scope.ts). The rows
    // go through as generated; the report counts them and says why.
    if (scope && !scope.guarded && variety !== null && this.config.filters.scope !== 'all') {
      const passed: FilterReport = (this.filters[key] = { ...emptyFilterReport(), variety, unguarded: true });
      return (async function* () {
        for await (const batch of batches) {
          passed.total += batch.rows.length;
          passed.kept += batch.rows.length;
          yield batch;
        }
      })();
    }
    const report: FilterReport = (this.filters[key] = { ...emptyFilterReport(), ...(variety ? { variety } : {}) });
    // Near copies no more often than held-out real rows are near copies say nothing about anyone (SDMetrics'
    // DCROverfittingProtection): up to that share they go through un-nudged. A personal table's rows, and a table
    // a worker got no scope for, keep every nudge; exact copies are always drawn again.
    // Measured with the first batch, so the filters' own CPU counts it.
    const eligible = scope !== undefined && !scope.personal?.length && this.config.filters.scope !== 'all';
    const seed = this.config.seed;
    const tolerance = this.config.filters.tolerance;
    let allowance: number | undefined;
    let pos = 0;
    // A batch's share of the allowance is fixed by where it lies in the table (floor(a × end) − floor(a × start)), so
    // a shard or window that draws some of the batches lets the same rows through as the whole table's stream.
    const allow = (r: FilterResult, at: number | undefined): void => {
      if (allowance === undefined) {
        report.holdout = holdoutFor(sample, columns, tolerance, seed, key);
        allowance = eligible ? report.holdout.allowance : 0;
      }
      const start = at ?? pos;
      pos = start + r.counts.total;
      if (allowance <= 0) return;
      let left = Math.floor(allowance * pos) - Math.floor(allowance * start);
      if (left <= 0) return;
      let w = 0;
      for (let i = 0; i < r.flagged.length; i++) {
        if (left > 0 && r.copied[i] && !r.exact[i]) {
          r.rows.push(r.flagged[i]!);
          left--;
          report.allowedNear = (report.allowedNear ?? 0) + 1;
          continue;
        }
        r.flagged[w] = r.flagged[i]!;
        r.copied[w] = r.copied[i]!;
        r.exact[w++] = r.exact[i]!;
      }
      r.counts.kept += r.flagged.length - w;
      r.flagged.length = r.copied.length = r.exact.length = w;
    };
    // The data rules run after the filters (generate.ts conform). Those that depend only on the row (a region the
    // location fakes draw from the row's country, a value copied from the parent) may write a compared column and
    // turn a row checked here into a real one: then each row is judged as they will leave it, on a copy of the row,
    // and the filter's changes go back to the row itself. A nudge or a new category never goes into a column they
    // write (it would be drawn over), nor a new category into one they read (a new country would leave the row's
    // faked region in the old one).
    let local: RowLocalRules | null | undefined;
    const rulesOf = (batch: GeneratedBatch): RowLocalRules | null => {
      if (local !== undefined) return local;
      const l = batch.rowLocal?.() ?? null;
      return (local = l && filter.compared.some((c) => l.writes.has(c)) ? l : null);
    };
    const finalRows = (rules: RowLocalRules, rows: Row[], start: number): Row[] => {
      const out = rows.map((row) => row.slice());
      rules.apply(out, start);
      return out;
    };
    // A value the rules write is new on purpose (a region of the row's locale no real customer has): an outlier is
    // judged on the row as drawn, a copy on the row as the rules leave it.
    const settle = (r: FilterResult, real: (f: Row) => Row, columns: string[]): FilterResult => {
      const keep = r.flagged.map((f, i) => r.copied[i] || filter.classify(real(f), columns) === 'outlier');
      if (keep.every(Boolean)) return r;
      const cleared = keep.filter((k) => !k).length;
      const counts = { ...r.counts, outliers: r.counts.outliers - cleared, kept: r.counts.kept + cleared };
      const kept = <T>(xs: T[]): T[] => xs.filter((_, i) => keep[i]);
      return { ...r, rows: [...r.rows, ...r.flagged.filter((_, i) => !keep[i])], counts, flagged: kept(r.flagged), copied: kept(r.copied), exact: kept(r.exact) };
    };
    // A copy first has one numeric value moved just out of the matching real rows' tolerance band (a change of
    // about 1 %, so the column's distribution stays); only what that cannot fix is drawn again.
    const escape = (rows: Row[], copied: readonly boolean[], columns: readonly string[], frozen: ReadonlySet<string> | undefined): Row[] =>
      rows.filter((row, i) => {
        const ok = filter.escape(row, columns, copied[i], frozen);
        if (ok) report.nudged = (report.nudged ?? 0) + 1;
        return !ok;
      });
    // Whether redrawing helps this table at all, judged once on a probe the table's model draws apart from any
    // batch: with few or dense attributes whatever the model draws sits next to a training row, and redrawing
    // would cost several times the load itself. The verdict depends on (seed, table, model, sample) alone, so every
    // shard of a distributed run reaches it without drawing the rows before its range.
    let verdict: boolean | undefined;
    const futile = (): boolean => (verdict ??= probeFutile(filter, model, rng.fork('probe')));
    return (async function* () {
      let seq = 0;
      let next = 0;
      for await (const batch of batches) {
        // Redraws are seeded by the batch's number in the table (a windowed batch says it), never by what came before.
        const batchNo = (batch.batch ?? seq) + 1;
        seq = batchNo;
        // Where the batch starts in the table, as the data rules count it.
        const start = batch.start ?? next;
        next = start + batch.rows.length;
        const rules = rulesOf(batch);
        const judged = rules ? finalRows(rules, batch.rows, start) : batch.rows;
        const rowOf = rules ? new Map(judged.map((f, i) => [f, batch.rows[i]!])) : null;
        const real = (f: Row): Row => rowOf?.get(f) ?? f;
        const first = filter.filterBatch({ columns: batch.columns, rows: judged });
        const r = rules ? settle(first, real, batch.columns) : first;
        allow(r, batch.start);
        report.total += r.counts.total;
        report.kept += r.counts.kept;
        report.exactCopies += r.counts.exactCopies;
        report.nearCopies += r.counts.nearCopies;
        report.outliers += r.counts.outliers;
        if (r.rows.length === batch.rows.length) {
          yield batch;
          continue;
        }
        const at = model.columns.map((c) => batch.columns.indexOf(c));
        report.regenerated += r.flagged.length;
        // What the filter changes in a judged row goes back to the batch's row it stands for (itself without rules):
        // every column the rules do not write.
        const free = rules ? batch.columns.flatMap((c, i) => (rules.writes.has(c) ? [] : [i])) : [];
        const back = (f: Row): void => {
          const row = real(f);
          if (row !== f) for (const c of free) row[c] = f[c] ?? null;
        };
        const writes = rules?.writes;
        const rejudge = (flagged: Row[]): Row[] => {
          if (!rules) return flagged;
          const indexOf = new Map(batch.rows.map((row, i) => [row, i]));
          const all = finalRows(rules, batch.rows, start);
          return flagged.map((f) => {
            const row = real(f);
            const g = all[indexOf.get(row)!]!;
            rowOf!.set(g, row);
            return g;
          });
        };
        let flagged = escape(r.flagged, r.copied, batch.columns, writes);
        for (const f of r.flagged) back(f);
        // A conditioned model draws a row again with the parents it was generated for, so the row stays consistent
        // with them.
        const contextOf = batch.context ? new Map(batch.rows.map((row, i) => [row, batch.context![i] ?? null])) : null;
        const worthRedrawing = flagged.length < FUTILE_MIN || !futile();
        for (let round = 0; worthRedrawing && round < FILTER_ROUNDS && flagged.length > 0; round++) {
          const context = contextOf ? flagged.map((f) => contextOf.get(real(f)) ?? null) : null;
          const fresh = model.sample(flagged.length, context as Row[] | null, rng.fork(`redraw${batchNo}.${round}`));
          flagged.forEach((f, i) => {
            const row = real(f);
            at.forEach((j, c) => {
              if (j < 0) return;
              const v = fresh[i]![c] ?? null;
              const name = marked[c];
              if (name === undefined || filter.isMarker(name, v) === filter.isMarker(name, row[j] ?? null)) row[j] = v;
            });
          });
          flagged = rejudge(flagged);
          const judgedAgain = filter.filterBatch({ columns: batch.columns, rows: flagged });
          const again = rules ? settle(judgedAgain, real, batch.columns) : judgedAgain;
          const redrawn = flagged.length;
          flagged = escape(again.flagged, again.copied, batch.columns, writes);
          for (const f of again.flagged) back(f);
          // Within a batch too: a round that fixes under half of what it redrew is the last.
          if (redrawn >= FUTILE_MIN && redrawn - flagged.length < 0.5 * redrawn) break;
        }
        // A copy no draw fixed gets one category changed to another of its column's values (the only way out for a
        // row of categories alone; a personal table's job title, region and country are that person's).
        if (flagged.length > 0) {
          const pick = rng.fork(`recategorize${batchNo}`);
          const fixed = rules ? new Set([...rules.writes, ...rules.reads]) : undefined;
          flagged = flagged.filter((f) => {
            if (!filter.recategorize(f, batch.columns, pick.next(), fixed)) return true;
            back(f);
            report.recategorized = (report.recategorized ?? 0) + 1;
            return false;
          });
        }
        report.unresolved += flagged.length;
        // What is left copies a real row within tolerance; at least none replays one verbatim.
        for (const f of flagged) {
          filter.unexact(f, batch.columns, writes);
          back(f);
        }
        yield batch;
      }
    })();
  }

  result(): PrivacyResult {
    const r = buildPrivacyResult(this.spend, this.pii, this.filters);
    const p = this.config.privacy;
    // DP configured but nothing fitted here (reused models): a DP run that spent nothing.
    if (p !== false && this.spend === null) return { ...r, dp: true, budget: { epsilon: p.epsilon, delta: p.delta }, delta: p.delta, method: 'reused-models', unit: p.unit };
    return r;
  }
}

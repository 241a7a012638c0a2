/**
 * Learns the data rules (generation/data-rules.ts) from the samples training already read, plus what a sample
 * alone cannot show: the actual parent row of each sampled child row (for `order date ≤ ship date` across a FK)
 * and the children of each sampled parent row (for a count fixed by a parent column). Both are read by key,
 * bounded by the sample sizes. Under privacy nothing data-dependent is learned here (it would be published without
 * accounting): only tables declared `mode: 'copy'` are copied, and the order invariants are decided and measured
 * by the DP fit instead (generation/privacy/dp-order-invariants.ts), on the run's ledger.
 */
import type { SourceConnector } from '../connectors/connector.js';
import type { SynthConfig } from '../config/schema.js';
import type { DataRules } from '../generation/data-rules.js';
import { constantFanOut, detectColumnFanOut, type FanOutRule } from '../generation/fan-out.js';
import type { ChildCountHistogram, TableSample } from '../generation/model.js';
import { DEFAULT_MIN_SUPPORT, detectOrderInvariants, type AlignedParent, type OrderInvariant } from '../generation/order-invariants.js';
import { copiedTables, decideReferenceTables, DEFAULT_REFERENCE_MAX_ROWS, referenceKey, type CopiedParentCounts } from '../generation/reference-tables.js';
import { detectLookupRules, keptLookupRules } from '../generation/lookup-rules.js';
import { detectPii } from '../generation/privacy/pii-detect.js';
import { fakeKinds, planPiiTransforms } from '../generation/privacy/pii-transform.js';
import { locationFakeRule, type LocationFakeRule } from '../generation/privacy/location-fakes.js';
import { learnAggregates } from './learn-aggregates.js';
import { learnConditionalNulls } from './learn-conditional-nulls.js';
import { learnParentCopies, learnParentRoles } from './learn-parent-rules.js';
import { findTable, tableKey, writableColumns, type DatabaseSchema, type Table, type TableRef } from '../schema/model.js';
import type { Row, Value } from '../schema/values.js';
import { histogramOf, keysOf } from './sample-keys.js';

/** Histograms with more distinct counts than this cannot come from a parent column of few values. */
const MAX_FUNCTION_COUNTS = 50;

function tableSettings(config: SynthConfig, t: TableRef): SynthConfig['tables'][string] | undefined {
  return config.tables[`${t.schema}.${t.name}`] ?? config.tables[t.name];
}

const keyOf = referenceKey;

function hasTimeColumn(table: Table): boolean {
  return table.columns.some((c) => c.type.kind === 'date' || c.type.kind === 'timestamp');
}

/** The parent row of every sample row through `fk`: from a complete parent sample, else read by key. */
async function alignedParent(source: SourceConnector, child: Table, sample: TableSample, fkName: string, parent: Table, parentSample: TableSample | undefined): Promise<AlignedParent | null> {
  const fk = child.foreignKeys.find((f) => f.name === fkName)!;
  const idx = fk.columns.map((c) => sample.columns.indexOf(c));
  if (idx.some((i) => i < 0)) return null;
  const childKeys = sample.rows.map((r) => keyOf(idx.map((i) => r[i] as Value)));
  let columns: string[];
  let rows: Row[];
  if (parentSample && parentSample.rows.length >= parentSample.totalRows) {
    columns = parentSample.columns;
    rows = parentSample.rows;
  } else if (source.readRowsByKeys) {
    columns = writableColumns(parent).map((c) => c.name);
    rows = [];
    const seen = new Set<string>();
    const keys: Row[] = [];
    sample.rows.forEach((r, n) => {
      const k = childKeys[n];
      if (k === null || k === undefined || seen.has(k)) return;
      seen.add(k);
      keys.push(idx.map((i) => (r[i] ?? null) as Value));
    });
    for await (const batch of source.readRowsByKeys(parent, columns, fk.references.columns, keys)) rows.push(...batch.rows);
  } else return null;
  const ref = fk.references.columns.map((c) => columns.indexOf(c));
  if (ref.some((i) => i < 0)) return null;
  const byKey = new Map<string, Row>();
  for (const r of rows) {
    const k = keyOf(ref.map((i) => r[i] as Value));
    if (k !== null) byKey.set(k, r);
  }
  return { foreignKey: fk.name, columns, rows: childKeys.map((k) => (k === null ? null : (byKey.get(k) ?? null))) };
}

async function learnInvariants(source: SourceConnector, schema: DatabaseSchema, samples: Map<string, TableSample>, skip: (t: Table) => boolean, minSupport: number): Promise<OrderInvariant[]> {
  const out: OrderInvariant[] = [];
  for (const table of schema.tables) {
    const sample = samples.get(tableKey(table));
    if (!sample || sample.rows.length === 0 || skip(table)) continue;
    const parents: AlignedParent[] = [];
    const parentTables = new Map<string, Table>();
    if (hasTimeColumn(table)) {
      for (const fk of table.foreignKeys) {
        const parent = findTable(schema, fk.references);
        if (!parent || tableKey(parent) === tableKey(table) || !hasTimeColumn(parent)) continue;
        const aligned = await alignedParent(source, table, sample, fk.name, parent, samples.get(tableKey(parent)));
        if (!aligned) continue;
        parents.push(aligned);
        parentTables.set(fk.name, parent);
      }
    }
    out.push(...detectOrderInvariants(table, sample, parents, parentTables, { minSupport }));
  }
  return out;
}

async function learnFanOuts(source: SourceConnector, schema: DatabaseSchema, samples: Map<string, TableSample>, histograms: ChildCountHistogram[], skip: (t: Table) => boolean): Promise<FanOutRule[]> {
  const out: FanOutRule[] = [];
  for (const child of schema.tables) {
    if (skip(child)) continue;
    for (const fk of child.foreignKeys) {
      const parent = findTable(schema, fk.references);
      if (!parent || tableKey(parent) === tableKey(child)) continue;
      const ref = { schema: child.schema, name: child.name };
      const histogram = histogramOf(histograms, child, fk.name);
      const k = constantFanOut(histogram);
      if (k !== null) {
        out.push({ child: ref, foreignKey: fk.name, kind: 'constant', count: k });
        continue;
      }
      const distinctCounts = (histogram?.counts ?? []).filter((e) => e.parents > 0).length;
      const parentSample = samples.get(tableKey(parent));
      if (!source.countChildrenByKeys || !parentSample || distinctCounts < 2 || distinctCounts > MAX_FUNCTION_COUNTS || skip(parent)) continue;
      const keys = keysOf(parentSample, fk.references.columns);
      if (!keys) continue;
      const counts = await source.countChildrenByKeys(child, fk, keys);
      const rule = detectColumnFanOut(parent, parentSample, counts, ref, fk.name);
      if (rule) out.push(rule);
    }
  }
  return out;
}

/** For every FK from a synthesized child to a copied parent: the children of each parent row, counted in the source. */
async function learnCopiedCounts(source: SourceConnector, schema: DatabaseSchema, samples: Map<string, TableSample>, copied: Set<string>, skip: (t: Table) => boolean): Promise<CopiedParentCounts[]> {
  const out: CopiedParentCounts[] = [];
  if (!source.countChildrenByKeys) return out;
  for (const child of schema.tables) {
    if (skip(child)) continue;
    for (const fk of child.foreignKeys) {
      const parent = findTable(schema, fk.references);
      const sample = parent ? samples.get(tableKey(parent)) : undefined;
      if (!parent || !copied.has(tableKey(parent)) || !sample || sample.rows.length < sample.totalRows) continue;
      const keys = keysOf(sample, fk.references.columns);
      if (!keys) continue;
      const counts = await source.countChildrenByKeys(child, fk, keys);
      const byKey: Record<string, number> = {};
      keys.forEach((k, i) => {
        const key = keyOf(k);
        if (key !== null) byKey[key] = counts[i] ?? 0;
      });
      out.push({ child: { schema: child.schema, name: child.name }, foreignKey: fk.name, byKey });
    }
  }
  return out;
}

/** Reference tables, order invariants and exact fan-outs of the source, from the training samples. */
export async function learnDataRules(
  source: SourceConnector,
  schema: DatabaseSchema,
  samples: Map<string, TableSample>,
  histograms: ChildCountHistogram[],
  config: SynthConfig,
): Promise<DataRules> {
  const privacy = config.privacy !== false;
  const reference = decideReferenceTables(schema, samples, {
    maxRows: config.reference?.maxRows ?? DEFAULT_REFERENCE_MAX_ROWS,
    privacy,
    mode: (t) => tableSettings(config, t)?.mode,
    columns: (t) => tableSettings(config, t)?.columns,
    skipped: (t) => tableSettings(config, t)?.skip === true,
  });
  const copied = copiedTables(reference);
  const skip = (t: Table): boolean => copied.has(tableKey(t)) || tableSettings(config, t)?.skip === true;
  const lookups = detectLookupRules(schema, samples, skip, privacy);
  const locationFakes = learnLocationFakes(schema, samples, skip, config);
  if (privacy) return { reference, invariants: [], fanOuts: [], ...(lookups.length ? { lookups } : {}), ...(locationFakes.length ? { locationFakes } : {}) };
  const setting = config.invariants ?? { minSupport: DEFAULT_MIN_SUPPORT };
  const invariants = setting === false ? [] : await learnInvariants(source, schema, samples, skip, setting.minSupport);
  const fanOuts = await learnFanOuts(source, schema, samples, histograms, skip);
  const copiedCounts = await learnCopiedCounts(source, schema, samples, copied, skip);
  const parentCopies = await learnParentCopies(schema, samples, skip, (t, s, fk, p, ps) => alignedParent(source, t, s, fk, p, ps));
  const aggregates = await learnAggregates(source, schema, samples, histograms, skip, { fanOuts, invariants, parentCopies }, setting === false ? DEFAULT_MIN_SUPPORT : setting.minSupport);
  const parentRoles = await learnParentRoles(source, schema, samples, histograms, skip);
  const conditionalNulls = learnConditionalNulls(schema, samples, skip, { fanOuts, parentCopies, parentRoles, locationFakes });
  return { reference, invariants, fanOuts, copiedCounts, ...(aggregates.length ? { aggregates } : {}), ...(parentCopies.length ? { parentCopies } : {}), ...(parentRoles.length ? { parentRoles } : {}), ...(lookups.length ? { lookups } : {}), ...(locationFakes.length ? { locationFakes } : {}), ...(conditionalNulls.length ? { conditionalNulls } : {}) };
}

/** The location columns generation redraws per table: those the sample's PII plan fakes (location-fakes.ts). */
function learnLocationFakes(schema: DatabaseSchema, samples: Map<string, TableSample>, skip: (t: Table) => boolean, config: SynthConfig): LocationFakeRule[] {
  return schema.tables.flatMap((t) => {
    const sample = samples.get(tableKey(t));
    const rule = sample && !skip(t) ? locationFakeRule(t, sample, tableSettings(config, t)?.columns ?? {}, { dp: config.privacy !== false }) : null;
    return rule ? [rule] : [];
  });
}

/** Every row of each copied table, read from the source for generation (reference tables are small). */
export async function readReferenceRows(source: SourceConnector, schema: DatabaseSchema, rules: DataRules | undefined): Promise<Map<string, { columns: string[]; rows: Row[] }>> {
  const out = new Map<string, { columns: string[]; rows: Row[] }>();
  for (const key of copiedTables(rules?.reference ?? [])) {
    const table = schema.tables.find((t) => tableKey(t) === key);
    if (!table) continue;
    const columns = writableColumns(table).map((c) => c.name);
    const rows: Row[] = [];
    for await (const batch of source.readRows(table, { columns })) rows.push(...batch.rows);
    out.set(key, { columns, rows });
  }
  return out;
}

/** One run-log line: what is copied, how many invariants and exact fan-outs generation keeps. */
export function formatRulesNote(rules: DataRules): string | null {
  const copied = rules.reference.filter((d) => d.copy).map((d) => d.table.name);
  const parts: string[] = [];
  if (copied.length > 0) parts.push(`copied verbatim (reference data): ${copied.join(', ')}`);
  if (rules.invariants.length > 0) parts.push(`${rules.invariants.length} order invariant(s) kept`);
  if (rules.fanOuts.length > 0) parts.push(`${rules.fanOuts.length} exact fan-out(s) kept`);
  if (rules.aggregates?.length) parts.push(`${rules.aggregates.length} parent aggregate(s) kept`);
  const mostlyCopied = rules.parentCopies?.filter((c) => c.mostly).length ?? 0;
  if ((rules.parentCopies?.length ?? 0) > mostlyCopied) parts.push(`${(rules.parentCopies?.length ?? 0) - mostlyCopied} column(s) copied from the parent`);
  if (mostlyCopied > 0) parts.push(`${mostlyCopied} column(s) copied from the parent on most rows`);
  if (rules.parentRoles?.length) parts.push(`${rules.parentRoles.length} parent role(s) kept`);
  const lookups = keptLookupRules(rules.lookups ?? []);
  if (lookups.length) parts.push(`${lookups.length} looked-up column(s) kept (vocabularies, sequence identifiers)`);
  if (rules.conditionalNulls?.length) parts.push(`${rules.conditionalNulls.length} column(s) NULL exactly when a status says so`);
  return parts.length > 0 ? `Data rules: ${parts.join('; ')} (see \`synth plan\`).` : null;
}

/** For `synth plan`: samples and child-count histograms read the way training reads them, then the rules. */
export async function planDataRules(source: SourceConnector, schema: DatabaseSchema, config: SynthConfig): Promise<DataRules> {
  const samples = new Map<string, TableSample>();
  const histograms: ChildCountHistogram[] = [];
  for (const table of schema.tables) {
    if (tableSettings(config, table)?.skip) continue;
    try {
      const totalRows = await source.countRows(table);
      const columns = writableColumns(table).map((c) => c.name);
      const limit = config.training.sampleRows;
      const rows: Row[] = [];
      for await (const batch of source.readRows(table, totalRows > limit ? { columns, limit, seed: config.seed } : { columns })) rows.push(...batch.rows);
      const sample: TableSample = { table: { schema: table.schema, name: table.name }, totalRows, columns, rows };
      // The PII scan's columns, as training marks them (sample.ts): a personal column is no vocabulary nor role.
      sample.piiKinds = fakeKinds(planPiiTransforms(detectPii(table, sample), tableSettings(config, table)?.columns ?? {}));
      samples.set(tableKey(table), sample);
      for (const fk of table.foreignKeys) {
        if (!findTable(schema, fk.references)) continue;
        histograms.push({ child: { schema: table.schema, name: table.name }, foreignKey: fk.name, counts: await source.childCountHistogram(table, fk) });
      }
    } catch {
      // A table the plan cannot read (a type hydrate would refuse, reported by the plan itself) just has no rules.
      samples.delete(tableKey(table));
    }
  }
  return learnDataRules(source, schema, samples, histograms, config);
}

/**
 * Sample: a bounded sample of every table and the child-count histogram of every FK, with PII and credentials
 * replaced as they are read. Big children's counts come from their parents' sample (sample-child-counts.ts); under
 * the entity privacy unit the owned tables are read by entity (sample-entities.ts).
 */
import type { SourceConnector } from '../connectors/connector.js';
import type { SynthConfig } from '../config/schema.js';
import { type EventSink, stage } from '../events.js';
import type { HydrationPlan } from '../graph/plan.js';
import { createRng } from '../generation/index.js';
import type { ChildCountHistogram, TableSample } from '../generation/model.js';
import type { ModelSet } from '../generation/index.js';
import type { EntityUnitInput } from '../generation/privacy/dp-fit.js';
import { entityOwnership, histogramFromSamples, ownedTable } from '../generation/privacy/entity-ownership.js';
import type { PrivacyRun } from '../generation/privacy/privacy-run.js';
import type { CredentialScrubber } from '../generation/privacy/credential-fakes.js';
import { detectPii } from '../generation/privacy/pii-detect.js';
import { fakeKinds, planPiiTransforms } from '../generation/privacy/pii-transform.js';
import { copiedTables } from '../generation/reference-tables.js';
import type { DatabaseSchema, ForeignKey, Table, TableRef } from '../schema/model.js';
import { tableKey, writableColumns } from '../schema/model.js';
import { estimateChildCounts, wantsChildCountEstimate } from './sample-child-counts.js';
import { readEntityUnit } from './sample-entities.js';
import { tableConfig } from './table-config.js';

/** What training reads from the source; the entity unit only under `privacy.unit: 'entity'`. */
export interface SourceSamples {
  samples: Map<string, TableSample>;
  histograms: ChildCountHistogram[];
  entityUnit: EntityUnitInput | undefined;
}

/** The sample stage of `trainModels` (train.ts). */
export async function sampleSource(
  source: SourceConnector,
  schema: DatabaseSchema,
  plan: HydrationPlan,
  config: SynthConfig,
  emit: EventSink,
  privacy: PrivacyRun | null,
  credentials: CredentialScrubber,
): Promise<SourceSamples> {
  const samples = new Map<string, TableSample>();
  const histograms: ChildCountHistogram[] = [];
  // privacy.unit 'entity': the tables the entity owns are read by entity, after the entity table's own sample.
  const ownership =
    privacy?.dp && config.privacy !== false && config.privacy.unit === 'entity'
      ? entityOwnership(schema, plan, config.privacy.entity ?? '', config.privacy.maxRowsPerEntity, (t) => tableConfig(config, t)?.maxRowsPerEntity)
      : null;
  // readEntityUnit reads them (a skipped one it leaves empty).
  const readByEntity = (t: TableRef) => (ownership ? ownedTable(ownership, t)?.via != null : false);
  let entityUnit: EntityUnitInput | undefined;
  const estimated: Array<{ table: Table; fk: ForeignKey }> = [];
  await stage(emit, 'sample', async () => {
    for (const table of schema.tables) {
      if (readByEntity(table)) continue;
      const started = Date.now();
      // A skipped table is created empty: nothing of it is read or learned (so unsupported types there do not matter).
      const sample = tableConfig(config, table)?.skip
        ? await scrubbed(table, { table: { schema: table.schema, name: table.name }, totalRows: 0, columns: writableColumns(table).map((c) => c.name), rows: [] }, privacy, credentials)
        : await readScrubbedSample(source, table, config, privacy, credentials);
      // Without DP, the generators of personal free text (names, emails, phones) draw fresh fakes of their kind
      // (the transform above already planned them when it ran).
      if (!privacy?.dp) sample.piiKinds ??= fakeKinds(planPiiTransforms(detectPii(table, sample), tableConfig(config, table)?.columns ?? {}));
      samples.set(tableKey(table), sample);
      for (const fk of table.foreignKeys) {
        if (histogramFromSamples(ownership, table, fk)) continue;
        // A big child's counts come from its parents' sample, once every table is sampled (sample-child-counts.ts).
        if (!privacy?.dp && wantsChildCountEstimate(source, table, fk, sample, config.training.sampleRows)) {
          estimated.push({ table, fk });
          continue;
        }
        const counts = await source.childCountHistogram(table, fk);
        const histogram: ChildCountHistogram = { child: { schema: table.schema, name: table.name }, foreignKey: fk.name, counts };
        // A big hierarchy's depth and fan-out cannot be read off a sample: walk it in the source (exact counts, so never under DP).
        const self = fk.references.schema === table.schema && fk.references.name === table.name;
        if (self && sample.rows.length < sample.totalRows && !privacy?.dp && source.hierarchyLevels) {
          const levels = await source.hierarchyLevels(table, fk);
          if (levels) histogram.levels = levels;
        }
        histograms.push(histogram);
      }
      emit({ type: 'table', stage: 'sample', table: tableKey(table), rows: sample.rows.length, total: sample.totalRows, done: true, ms: Date.now() - started });
    }
    for (const { table, fk } of estimated) {
      const estimate = await estimateChildCounts(source, table, fk, samples.get(tableKey(fk.references)));
      histograms.push({ child: { schema: table.schema, name: table.name }, foreignKey: fk.name, ...(estimate ?? { counts: await source.childCountHistogram(table, fk) }) });
      const e = estimate?.estimate;
      if (e) emit({ type: 'info', message: `${tableKey(table)} (${fk.name}): ${e.meanChildren.toFixed(2)} ± ${e.margin.toFixed(2)} children per parent (95 %), counted for a sample of ${e.parentsSampled} of ${e.parents} parents.` });
    }
    if (ownership && privacy) {
      const started = Date.now();
      const read = await readEntityUnit(source, schema, ownership, samples, {
        sampleRows: config.training.sampleRows,
        rng: createRng(config.seed).fork('entity-samples'),
        transform: (t, s) => scrubbed(t, s, privacy, credentials),
        skip: (t) => tableConfig(config, t)?.skip === true,
      });
      entityUnit = read.unit;
      histograms.push(...read.histograms);
      for (const t of read.tables) {
        emit({ type: 'table', stage: 'sample', table: t.table, rows: t.rows, total: t.readRows, done: true, ms: Date.now() - started });
        if (t.readRows > t.keptRows) {
          emit({ type: 'info', message: `Privacy: ${t.table}: ${t.readRows - t.keptRows} of ${t.readRows} rows of the sampled entities left out (at most ${t.maxRows} per ${tableKey(ownership.root)} row; raise tables.${t.name}.maxRowsPerEntity to keep more, at the cost of more noise).` });
        }
      }
    }
  });
  return { samples, histograms, entityUnit };
}

/**
 * Models reused from an earlier run (`training.reuse`, `synth generate`) come without their training sample, and the
 * copy filters need one to know what a copy is: it is read again, the same way training reads it (same seed and
 * size, so the same rows of an unchanged table), with credentials and PII replaced as they are read. Without this
 * a reused run would skip the filters and could replay real rows.
 */
export async function sampleForFilters(
  source: SourceConnector,
  schema: DatabaseSchema,
  models: ModelSet,
  config: SynthConfig,
  emit: EventSink,
  privacy: PrivacyRun | null,
  credentials: CredentialScrubber,
): Promise<void> {
  if (!privacy) return;
  const copied = copiedTables(models.rules?.reference ?? []);
  const missing = schema.tables.filter((t) => {
    const key = tableKey(t);
    return models.tables.has(key) && !copied.has(key) && !tableConfig(config, t)?.skip && privacy.lacksFilterSample(key);
  });
  if (missing.length === 0) return;
  await stage(emit, 'sample', async () => {
    const samples = new Map<string, TableSample>();
    for (const table of missing) {
      const started = Date.now();
      const sample = await readScrubbedSample(source, table, config, privacy, credentials);
      samples.set(tableKey(table), sample);
      emit({ type: 'table', stage: 'sample', table: tableKey(table), rows: sample.rows.length, total: sample.totalRows, done: true, ms: Date.now() - started });
    }
    privacy.remember(samples, schema);
  });
  emit({ type: 'info', message: `Copy filters: the models were reused, so ${missing.length} table sample(s) were read again to compare generated rows with.` });
}

/**
 * Credentials (passwords, hashes, tokens) are swapped for fresh ones first, so nothing downstream sees a real one;
 * then PII columns are replaced, so no model (and no copy filter) ever sees the real values.
 */
export function scrubbed(table: Table, raw: TableSample, privacy: PrivacyRun | null, credentials: CredentialScrubber): Promise<TableSample> {
  const clean = credentials.scrub(table, raw);
  return privacy ? privacy.transformSample(table, clean) : Promise.resolve(clean);
}

/** The training sample of `table` as every stage reads it: `training.sampleRows` rows at the run's seed, scrubbed. */
function readScrubbedSample(source: SourceConnector, table: Table, config: SynthConfig, privacy: PrivacyRun | null, credentials: CredentialScrubber): Promise<TableSample> {
  return readSample(source, table, config.training.sampleRows, config.seed).then((raw) => scrubbed(table, raw, privacy, credentials));
}

export async function readSample(source: SourceConnector, table: Table, limit: number, seed: number): Promise<TableSample> {
  const totalRows = await source.countRows(table);
  const columns = writableColumns(table).map((c) => c.name);
  const rows: TableSample['rows'] = [];
  const options = totalRows > limit ? { columns, limit, seed, totalRows } : { columns };
  for await (const batch of source.readRows(table, options)) rows.push(...batch.rows);
  return { table: { schema: table.schema, name: table.name }, totalRows, columns, rows };
}

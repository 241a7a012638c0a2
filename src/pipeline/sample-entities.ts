/**
 * Training samples under the entity privacy unit. The entity table is sampled as usual (at most
 * `training.sampleRows` rows); every table it owns is then read *by entity*: the rows whose ownership FK points at a
 * sampled (and kept) parent row, read by key in the source, so each sampled entity comes with all of its rows.
 * Each entity then keeps at most `maxRowsPerEntity` rows per table (`ContributionBound`), and the child-count
 * histograms of owned tables are counted on these bounded samples rather than over the whole table, whose
 * unbounded families would have unbounded sensitivity.
 */
import { randomBytes } from 'node:crypto';
import type { SourceConnector } from '../connectors/connector.js';
import { distinct } from './train-context.js';
import { SynthError } from '../errors.js';
import type { ChildCountHistogram, Rng, TableSample } from '../generation/model.js';
import type { EntityUnitInput } from '../generation/privacy/dp-fit.js';
import { ContributionBound, histogramFromSamples, ownedTable, valuesKey, type EntityOwnership } from '../generation/privacy/entity-ownership.js';
import { findTable, tableKey, writableColumns, type DatabaseSchema, type ForeignKey, type Table } from '../schema/model.js';
import type { Row } from '../schema/values.js';

/** What the DP fit needs to know about one owned table's sample. */
export interface EntitySampleInfo {
  /** Row index of the sample → entity index (the row's position in the entity table's sample). */
  entityOf: Int32Array;
  /** Rows read for the sampled entities, before the bound. */
  readRows: number;
  /** Rows kept under the bound (before the sample was cut to `training.sampleRows`). */
  keptRows: number;
}

export interface EntitySamples {
  /** Owned table key (the entity table included) → its sample's entity indices and counts. */
  info: Map<string, EntitySampleInfo>;
  /** Rows the entity table's sample holds: the sampled entities. */
  entities: number;
}

function columnIndexes(sample: TableSample, columns: readonly string[], where: string): number[] {
  const idx = columns.map((c) => sample.columns.indexOf(c));
  if (idx.some((i) => i < 0)) throw new SynthError('INTERNAL', `${where}: key columns ${columns.join(', ')} are not in the sample.`);
  return idx;
}

function keyOf(row: Row, idx: readonly number[]): string | null {
  const values = idx.map((i) => row[i] ?? null);
  return values.some((v) => v === null) ? null : valuesKey(values);
}

/**
 * Reads the owned tables' samples by entity into `samples` (the entity table's own sample must be there already)
 * and returns which entity each row belongs to. `transform` runs on every sample read (PII before fitting).
 */
export async function readEntitySamples(
  source: SourceConnector,
  schema: DatabaseSchema,
  ownership: EntityOwnership,
  samples: Map<string, TableSample>,
  options: {
    sampleRows: number;
    rng: Rng;
    transform?: (table: Table, sample: TableSample) => Promise<TableSample>;
    /** Tables generated empty (`skip`): their sample stays empty, and so do their owned children's. */
    skip?: (table: Table) => boolean;
  },
): Promise<EntitySamples> {
  if (!source.readRowsByKeys) {
    throw new SynthError('CONFIG_INVALID', `privacy.unit 'entity' reads each entity's rows by key, which the ${source.dialect} source connector cannot do.`, {
      hint: "Use privacy.unit: 'row'.",
      path: 'privacy.unit',
    });
  }
  const rootKey = tableKey(ownership.root);
  const rootSample = samples.get(rootKey);
  if (!rootSample) throw new SynthError('INTERNAL', `No sample of the entity table ${rootKey}.`);
  const info = new Map<string, EntitySampleInfo>();
  info.set(rootKey, { entityOf: Int32Array.from(rootSample.rows, (_r, i) => i), readRows: rootSample.rows.length, keptRows: rootSample.rows.length });
  // A fresh secret per run: which rows an entity keeps cannot be predicted from its data.
  const salt = randomBytes(16).toString('hex');
  for (const o of ownership.owned) {
    if (!o.via || !o.parent) continue;
    const table = findTable(schema, o.table)!;
    const key = tableKey(table);
    const columns = writableColumns(table).map((c) => c.name);
    const parentSample = samples.get(tableKey(o.parent))!;
    if (options.skip?.(table)) {
      samples.set(key, { table: { schema: table.schema, name: table.name }, totalRows: 0, columns, rows: [] });
      info.set(key, { entityOf: new Int32Array(0), readRows: 0, keptRows: 0 });
      continue;
    }
    const parentInfo = info.get(tableKey(o.parent))!;
    const parentIdx = columnIndexes(parentSample, o.via.references.columns, tableKey(o.parent));
    const entityOfKey = new Map<string, number>();
    const keys: Row[] = [];
    parentSample.rows.forEach((r, i) => {
      const k = keyOf(r, parentIdx);
      if (k === null) return;
      entityOfKey.set(k, parentInfo.entityOf[i]!);
      keys.push(parentIdx.map((j) => r[j] ?? null));
    });
    // The bound applies while the rows stream in, so a huge family never sits in memory whole.
    const bound = new ContributionBound(o.maxRows, salt);
    const childIdx = o.via.columns.map((c) => columns.indexOf(c));
    if (keys.length > 0) {
      for await (const batch of source.readRowsByKeys(table, columns, o.via.columns, distinct(keys))) {
        for (const r of batch.rows) bound.add(r, entityOfKey.get(keyOf(r, childIdx) ?? '') ?? -1);
      }
    }
    let kept = bound.kept();
    const keptRows = kept.length;
    if (kept.length > options.sampleRows) kept = pickUniform(kept, options.sampleRows, options.rng);
    const bounded: TableSample = { table: { schema: table.schema, name: table.name }, totalRows: keptRows, columns, rows: kept.map((k) => k.row) };
    samples.set(key, options.transform ? await options.transform(table, bounded) : bounded);
    info.set(key, { entityOf: Int32Array.from(kept, (k) => k.entity), readRows: bound.offered, keptRows });
  }
  return { info, entities: rootSample.rows.length };
}

/** `k` of `items` uniformly at random (partial Fisher–Yates), in their original order. */
function pickUniform<T extends { i: number }>(items: T[], k: number, rng: Rng): T[] {
  const a = [...items];
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(a.length - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k).sort((x, y) => x.i - y.i);
}

/**
 * The child-count histogram of an FK of an owned table, counted on the bounded samples: parents are the sampled
 * rows of an owned parent, or every row of a parent the entity does not own (those no sampled child references
 * count as childless).
 */
export function sampleChildCountHistogram(ownership: EntityOwnership, child: TableSample, fk: ForeignKey, parent: TableSample): ChildCountHistogram {
  const childIdx = columnIndexes(child, fk.columns, tableKey(child.table));
  const perParent = new Map<string, number>();
  const ownedParent = ownedTable(ownership, fk.references) !== undefined;
  if (ownedParent) {
    const parentIdx = columnIndexes(parent, fk.references.columns, tableKey(parent.table));
    for (const r of parent.rows) {
      const k = keyOf(r, parentIdx);
      if (k !== null) perParent.set(k, 0);
    }
  }
  for (const r of child.rows) {
    const k = keyOf(r, childIdx);
    if (k === null) continue;
    if (ownedParent && !perParent.has(k)) continue;
    perParent.set(k, (perParent.get(k) ?? 0) + 1);
  }
  const bins = new Map<number, number>();
  for (const c of perParent.values()) bins.set(c, (bins.get(c) ?? 0) + 1);
  if (!ownedParent) bins.set(0, (bins.get(0) ?? 0) + Math.max(0, parent.totalRows - perParent.size));
  const counts = [...bins.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]).map(([children, parents]) => ({ children, parents }));
  return { child: child.table, foreignKey: fk.name, counts };
}

/** One owned table's sample under the entity unit, for the run's events. */
export interface EntityTableRead {
  table: string;
  name: string;
  rows: number;
  readRows: number;
  keptRows: number;
  maxRows: number;
}

/**
 * Everything the entity unit needs from the source after the other samples are in `samples`: the owned tables read
 * by entity (into `samples`), the child-count histograms of the FKs that touch them (counted on the bounded
 * samples), and the fit's input.
 */
export async function readEntityUnit(
  source: SourceConnector,
  schema: DatabaseSchema,
  ownership: EntityOwnership,
  samples: Map<string, TableSample>,
  options: Parameters<typeof readEntitySamples>[4],
): Promise<{ unit: EntityUnitInput; histograms: ChildCountHistogram[]; tables: EntityTableRead[] }> {
  const read = await readEntitySamples(source, schema, ownership, samples, options);
  const histograms: ChildCountHistogram[] = [];
  for (const table of schema.tables) {
    for (const fk of table.foreignKeys) {
      const parent = samples.get(tableKey(fk.references));
      if (parent && histogramFromSamples(ownership, table, fk)) histograms.push(sampleChildCountHistogram(ownership, samples.get(tableKey(table))!, fk, parent));
    }
  }
  const tables: EntityTableRead[] = [];
  for (const o of ownership.owned) {
    const info = read.info.get(tableKey(o.table));
    if (!o.via || !info) continue;
    tables.push({ table: tableKey(o.table), name: o.table.name, rows: samples.get(tableKey(o.table))!.rows.length, readRows: info.readRows, keptRows: info.keptRows, maxRows: o.maxRows });
  }
  return { unit: { ownership, entityOf: new Map([...read.info].map(([k, v]) => [k, v.entityOf])), entities: read.entities }, histograms, tables };
}

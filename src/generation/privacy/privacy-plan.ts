/**
 * The privacy part of `synth plan`: before anything is fitted, each table's share of ε from the same split the run
 * makes (`allocateBudget`, from the schema, the config and the source's row counts) and what it means for the
 * table's noisy row count. Row counts are read from the source, which the operator running the plan may see.
 */
import type { SynthConfig } from '../../config/schema.js';
import type { SourceConnector } from '../../connectors/connector.js';
import { SynthError } from '../../errors.js';
import type { HydrationPlan } from '../../graph/plan.js';
import { findTable, tableKey, type DatabaseSchema, type TableRef } from '../../schema/model.js';
import { allocateBudget, invariantReleasesOf, mstFamilyHeads, mstParentColumns, type AllocationInput } from './dp-fit.js';
import { rowCountError, type RowCountError } from './dp-row-counts.js';
import { contributionBound, entityOwnership, ownershipFk } from './entity-ownership.js';
import { dpFakeKind } from './pii-detect.js';
import type { PiiTransform } from './pii-config.js';

export interface PrivacyPlan {
  epsilon: number;
  /** Per fitted table (copied and skipped tables spend nothing and are left out). */
  rowCounts: RowCountError[];
  /** With `privacy.mst: 'auto'`: per fitted table, whether MST generates its attributes and why. */
  mst?: Array<{ table: string; chosen: boolean; reason: string }>;
  /** Why no split could be planned (a type refused under privacy, a budget too small), when none could. */
  refused?: { code: string; message: string };
}

function tableConfig(config: SynthConfig, t: TableRef): SynthConfig['tables'][string] | undefined {
  return config.tables[`${t.schema}.${t.name}`] ?? config.tables[t.name];
}

/** Null when the config has no `privacy`. `copied`: tables the run copies verbatim (declared `mode: 'copy'`). */
export async function planPrivacy(source: SourceConnector, schema: DatabaseSchema, plan: HydrationPlan, config: SynthConfig, copied: ReadonlySet<string>): Promise<PrivacyPlan | null> {
  const privacy = config.privacy;
  if (privacy === false) return null;
  const ownership =
    privacy.unit === 'entity' ? entityOwnership(schema, plan, privacy.entity ?? '', privacy.maxRowsPerEntity, (t) => tableConfig(config, t)?.maxRowsPerEntity) : null;
  const columns = (t: TableRef) => (tableConfig(config, t)?.columns ?? {}) as Record<string, { transform?: PiiTransform; public?: boolean }>;
  const inputs: AllocationInput[] = [];
  const rows = new Map<string, number>();
  for (const step of plan.steps) {
    const key = tableKey(step.table);
    if (tableConfig(config, step.table)?.skip || copied.has(key)) continue;
    const table = findTable(schema, step.table);
    if (!table) continue;
    const total = await source.countRows(table);
    rows.set(key, total);
    inputs.push({
      table,
      kind: tableConfig(config, table)?.model ?? config.model,
      histograms: table.foreignKeys.length,
      rows: Math.min(total, config.training.sampleRows),
      invariantReleases: invariantReleasesOf(schema, table, step.primaryParent, ownership),
      ...(ownership && ownershipFk(ownership, table) ? { derivedCount: true } : {}),
      ...(ownership ? { contribution: contributionBound(ownership, table) } : {}),
      ...(privacy.mst === 'auto'
        ? {
            mstContext: mstParentColumns(schema, table, step.primaryParent, ownership, { isPublic: (t, c) => columns(t)[c]?.public === true, fakeKind: (t, c) => dpFakeKind(t, c, columns(t)[c.name]?.transform) }).length,
            mstFamilies: mstFamilyHeads(schema, plan, table, (t) => Boolean(tableConfig(config, t)?.skip) || copied.has(tableKey(t))),
          }
        : {}),
    });
  }
  try {
    const { allocations } = allocateBudget(inputs, privacy, {
      isPublic: (t, c) => columns(t)[c]?.public === true,
      fakeKind: (t, c) => dpFakeKind(t, c, columns(t)[c.name]?.transform),
      learned: { epochs: config.training.epochs, hiddenSize: config.training.hidden, batchSize: config.training.batchSize },
    });
    const rowCounts = inputs
      .filter((i) => !i.derivedCount)
      .map((i) => {
        const key = tableKey(i.table);
        return rowCountError(key, rows.get(key) ?? 0, allocations.get(key)!.countEpsilon, contributionBound(ownership, i.table));
      });
    const mst = inputs.flatMap((i) => {
      const choice = allocations.get(tableKey(i.table))?.mst;
      return choice ? [{ table: tableKey(i.table), chosen: choice.mst, reason: choice.reason }] : [];
    });
    return { epsilon: privacy.epsilon, rowCounts, ...(mst.length > 0 ? { mst } : {}) };
  } catch (e) {
    if (!(e instanceof SynthError)) throw e;
    return { epsilon: privacy.epsilon, rowCounts: [], refused: { code: e.code, message: e.message } };
  }
}

import type { Shadow, TargetConnector } from '../connectors/connector.js';
import { type EventSink, stage } from '../events.js';
import type { DatabaseSchema } from '../schema/model.js';
import { tableKey } from '../schema/model.js';

/** The repair stage of a run: `repairChecks` over the loaded shadow, before it is validated. */
export function repairShadow(
  target: TargetConnector,
  shadow: Shadow,
  schema: DatabaseSchema,
  emit: EventSink,
): Promise<{ total: number; byTable: Record<string, number> }> {
  return stage(emit, 'repair', () => repairChecks(target, shadow, schema, emit), (r) => `${r.total} rows resampled`);
}

/**
 * Generated rows that violate a CHECK are resampled in the shadow (the connector borrows the checked columns from
 * rows that satisfy it). Key columns are never touched; a few rounds settle checks that share columns.
 */
export async function repairChecks(
  target: TargetConnector,
  shadow: Shadow,
  schema: DatabaseSchema,
  emit: EventSink,
): Promise<{ total: number; byTable: Record<string, number> }> {
  const byTable: Record<string, number> = {};
  let total = 0;
  for (const table of schema.tables) {
    if (table.checks.length === 0) continue;
    const keyColumns = new Set([
      ...(table.primaryKey?.columns ?? []),
      ...table.uniques.flatMap((u) => u.columns),
      ...table.foreignKeys.flatMap((f) => f.columns),
    ]);
    for (let round = 0; round < 3; round++) {
      let changed = 0;
      for (const check of table.checks) {
        const columns = check.columns.filter((c) => !keyColumns.has(c));
        if (columns.length === 0) continue;
        changed += await target.repairCheck(shadow, table, check, columns);
      }
      if (changed === 0) break;
      byTable[tableKey(table)] = (byTable[tableKey(table)] ?? 0) + changed;
      total += changed;
    }
    const n = byTable[tableKey(table)];
    if (n) emit({ type: 'info', message: `${tableKey(table)}: resampled ${n} row(s) that violated CHECK constraints` });
  }
  return { total, byTable };
}

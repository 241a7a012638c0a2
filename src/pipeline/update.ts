import type { Shadow, TargetConnector } from '../connectors/connector.js';
import { type EventSink, stage } from '../events.js';
import type { HydrationPlan } from '../graph/plan.js';
import type { Generation } from '../generation/index.js';
import type { DatabaseSchema } from '../schema/model.js';
import { tableKey } from '../schema/model.js';

/**
 * FKs the plan deferred as 'null-then-update' (cycles) were loaded as NULL; now that every row exists, the
 * generation's remembered keys are written in. No stage event when the plan deferred none.
 */
export async function applyDeferredUpdates(
  target: TargetConnector,
  shadow: Shadow,
  schema: DatabaseSchema,
  plan: HydrationPlan,
  generation: Generation,
  emit: EventSink,
): Promise<void> {
  const nullThenUpdate = plan.deferred.filter((d) => d.strategy === 'null-then-update');
  if (nullThenUpdate.length === 0) return;
  await stage(emit, 'update', async () => {
    const tables = new Set(nullThenUpdate.map((d) => tableKey(d.table)));
    for (const key of tables) {
      const table = schema.tables.find((t) => tableKey(t) === key)!;
      const rows = await target.update(shadow, table, generation.deferredUpdates(table));
      emit({ type: 'table', stage: 'update', table: key, rows, done: true });
    }
  });
}

import type { Shadow, TargetConnector } from '../connectors/connector.js';
import { type EventSink, stage } from '../events.js';
import type { DatabaseSchema } from '../schema/model.js';
import { physicalSchema } from '../graph/virtual-fks.js';
import { checkShadowIntegrity, formatIntegrityReport, type IntegrityReport } from '../validation/integrity.js';
import type { ShadowFault } from './shadow.js';

/**
 * The validation gate on the loaded shadow (validation/integrity.ts asks, the connector answers in its SQL), after
 * the target built the shadow's keys and indexes where it can (TargetConnector.buildKeys). A report that is not ok
 * refuses the swap and the caller stops there; `resampled` is what the repair stage already fixed, so the report
 * says both.
 */
export async function validateShadow(
  target: TargetConnector,
  shadow: Shadow,
  schema: DatabaseSchema,
  resampled: Record<string, number>,
  fault: ShadowFault,
  emit: EventSink,
): Promise<IntegrityReport> {
  // Keys first where the target can: each unique index built is that key's check on every row, and the gate's
  // orphan counts and the quality report then read through the indexes (finalize adds the rest). A stage of its own:
  // these are the schema's own indexes, which the target needs whatever the gate finds (a dump and restore builds
  // them too), so their seconds are finalize's work done early, not the gate's (issue 16 counts them so).
  const notes = target.buildKeys ? await stage(emit, 'keys', async () => (await target.buildKeys?.(shadow, physicalSchema(schema))) ?? []) : [];
  for (const message of notes) emit({ type: 'info', message });
  const integrity = await stage(emit, 'validate', async () => {
    await fault('during-validate');
    return checkShadowIntegrity(target, shadow, schema);
  }, (r) =>
    r.ok ? 'no violations' : `${r.totalViolations} violations`,
  );
  integrity.resampled = resampled;
  emit({ type: 'info', message: formatIntegrityReport(integrity), section: 'validation' });
  if (!integrity.ok) emit({ type: 'warning', message: 'Validation refused the swap; the live schema is untouched.' });
  return integrity;
}

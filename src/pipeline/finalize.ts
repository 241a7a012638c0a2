import type { Shadow, TargetConnector } from '../connectors/connector.js';
import { type EventSink, stage } from '../events.js';
import { physicalSchema } from '../graph/virtual-fks.js';
import type { DatabaseSchema } from '../schema/model.js';
import type { ShadowFault } from './shadow.js';

/**
 * Keys, uniques, checks, FKs, indexes and triggers go onto the shadow only now, after the data (loading into bare
 * tables is what keeps the load fast), and sequences move past the generated keys; the parity check that follows
 * then sees the shadow exactly as it will go live.
 */
export async function finalizeShadow(target: TargetConnector, shadow: Shadow, schema: DatabaseSchema, fault: ShadowFault, emit: EventSink): Promise<void> {
  await stage(emit, 'finalize', async () => {
    await fault('during-finalize');
    await target.finalize(shadow, physicalSchema(schema));
  });
}

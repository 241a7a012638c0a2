import type { Shadow, SwapResult, TargetConnector } from '../connectors/connector.js';
import { type EventSink, stage } from '../events.js';
import { physicalSchema } from '../graph/virtual-fks.js';
import type { DatabaseSchema } from '../schema/model.js';
import type { HydrateHooks } from './hydrate.js';
import type { ShadowFault } from './shadow.js';

/**
 * The only moment the live schema changes: the shadow is renamed into place atomically. `beforeSwap` is the
 * orchestration's last chance to refuse (its target lock was lost).
 */
export async function swapShadow(
  target: TargetConnector,
  shadow: Shadow,
  schema: DatabaseSchema,
  hooks: HydrateHooks,
  fault: ShadowFault,
  emit: EventSink,
): Promise<SwapResult> {
  await hooks.beforeSwap?.();
  return stage(emit, 'swap', async () => {
    await fault('during-swap');
    return target.swap(shadow, physicalSchema(schema));
  });
}

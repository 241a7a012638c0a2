/**
 * The shadow the run generates into: created next to the live schema, dropped again unless it was swapped in (or
 * kept on request, for inspection), so a refused or failed run leaves the live schema and nothing else behind.
 */
import type { Shadow, TargetConnector } from '../connectors/connector.js';
import { type EventSink, stage } from '../events.js';
import { physicalSchema } from '../graph/virtual-fks.js';
import type { DatabaseSchema } from '../schema/model.js';
import type { FaultPoint, HydrateHooks } from './hydrate.js';

/** Breaks the run at a named point once the shadow exists (the fault hook, bound to this target and shadow). */
export type ShadowFault = (point: FaultPoint, table?: string) => Promise<void>;

export function createShadow(target: TargetConnector, schema: DatabaseSchema, runId: string, emit: EventSink): Promise<Shadow> {
  return stage(emit, 'shadow', () => target.createShadow(runId, physicalSchema(schema)), (s) => s.namespaces.map((n) => n.shadow).join(', '));
}

export function shadowFault(hooks: HydrateHooks, target: TargetConnector, shadow: Shadow): ShadowFault {
  return async (point, table) => hooks.fault?.(point, table === undefined ? { target, shadow } : { target, shadow, table });
}

/** A failure to drop must not hide the error (or refusal) that ended the run. */
export async function dropShadow(target: TargetConnector, shadow: Shadow): Promise<void> {
  await target.dropShadow(shadow).catch(() => undefined);
}

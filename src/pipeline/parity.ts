import type { Shadow, TargetConnector } from '../connectors/connector.js';
import { type EventSink, stage } from '../events.js';
import { physicalSchema } from '../graph/virtual-fks.js';
import type { DatabaseSchema } from '../schema/model.js';
import { addParityToJsonReport, formatParity, parityRefusal, shadowParity, type SchemaParity } from '../validation/schema-parity.js';

/**
 * The finalized shadow's schema against the source's. Any difference refuses the swap (a SynthError naming it),
 * so a target that silently lost a constraint or a type never goes live; the run's JSON report records the result.
 */
export async function checkShadowParity(
  target: TargetConnector,
  shadow: Shadow,
  schema: DatabaseSchema,
  reportPaths: { html: string; json: string } | null,
  emit: EventSink,
): Promise<SchemaParity> {
  const parity = await stage(emit, 'parity', () => shadowParity(target, shadow, physicalSchema(schema)), formatParity);
  if (reportPaths) addParityToJsonReport(reportPaths.json, parity);
  if (parity.differences.length > 0) throw parityRefusal(parity, shadow);
  return parity;
}

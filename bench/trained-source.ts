/**
 * What the generation benches start from: a source introspected and planned, its models trained and its reference
 * rows read, the source closed again. `privacy`/`credentials` as the pipeline takes them (null: copy filters off).
 */
import type { SynthConfig } from '../src/config/schema.js';
import { openSource } from '../src/connectors/index.js';
import type { CredentialScrubber } from '../src/generation/privacy/credential-fakes.js';
import type { PrivacyRun } from '../src/generation/privacy/privacy-run.js';
import { introspectAndPlan, readReferenceRows, trainModels } from '../src/pipeline/index.js';

export async function trainedSource(config: SynthConfig, privacy: PrivacyRun | null = null, credentials?: CredentialScrubber) {
  const source = await openSource(config.source.url);
  try {
    const { schema, plan } = await introspectAndPlan(source, config);
    const models = await trainModels(source, schema, plan, config, undefined, privacy, credentials);
    return { schema, plan, models, reference: await readReferenceRows(source, schema, models.rules) };
  } finally {
    await source.close();
  }
}

/** This process's user + system CPU-seconds so far. */
export function processCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

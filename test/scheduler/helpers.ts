/** Shared by the orchestration tests: checksums of a database's live tables and a synth config around test databases. */
import { openSource } from '../../src/connectors/index.js';
import { parseConfig } from '../../src/config/load-config.js';
import type { SynthConfig, SynthConfigInput } from '../../src/config/schema.js';
import { tableKey } from '../../src/schema/model.js';

/** Order-independent checksum of every live table (through the read-only source connector), keyed by table. */
export async function liveChecksums(url: string): Promise<Record<string, string>> {
  const source = await openSource(url);
  try {
    const schema = await source.introspect();
    const out: Record<string, string> = {};
    for (const t of schema.tables) out[tableKey(t)] = `${await source.countRows(t)}:${await source.checksum(t)}`;
    return out;
  } finally {
    await source.close();
  }
}

export function testConfig(input: Partial<SynthConfigInput> & Pick<SynthConfigInput, 'source' | 'targets'>): SynthConfig {
  return parseConfig({ quality: { enabled: false }, ...input }, 'test');
}

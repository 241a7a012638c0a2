/**
 * Prints the connector's checksum of every table of a database (PostgreSQL or MySQL URL), one `table checksum` line
 * each and a last `all` line over them: to show that a change which must not alter any row (a faster generator or
 * encoder) leaves a hydrated target identical, run the same hydrate (same seed) before and after and compare.
 * Usage: tsx bench/table-checksums.ts URL
 */
import { createHash } from 'node:crypto';
import { openSource } from '../src/connectors/index.js';

const url = process.argv[2];
if (!url) throw new Error('usage: tsx bench/table-checksums.ts URL');
const source = await openSource(url);
try {
  const schema = await source.introspect();
  const all = createHash('sha256');
  for (const t of [...schema.tables].sort((a, b) => `${a.schema}.${a.name}`.localeCompare(`${b.schema}.${b.name}`))) {
    const sum = await source.checksum(t);
    all.update(`${t.name} ${sum}\n`);
    process.stdout.write(`${t.name} ${sum}\n`);
  }
  process.stdout.write(`all ${all.digest('hex').slice(0, 16)}\n`);
} finally {
  await source.close();
}

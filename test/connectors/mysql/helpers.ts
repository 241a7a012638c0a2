export { createTargetDatabase } from '../../support/mysql-connector.js';

export async function collect<T>(it: AsyncIterable<{ columns: string[]; rows: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of it) out.push(...b.rows);
  return out;
}

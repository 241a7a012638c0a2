/** Opens the right connector for a connection URL. Dialect modules load lazily so one dialect's driver never loads for the other. */
import { canonicalConnectionUrl, parseConnectionUrl } from './connection-url.js';
import type { Dialect } from '../schema/model.js';
import type { SourceConnector, TargetConnector } from './connector.js';

export function dialectOf(url: string): Dialect | 'pglite' {
  return parseConnectionUrl(url).dialect;
}

export async function openSource(given: string): Promise<SourceConnector> {
  const url = canonicalConnectionUrl(given, { what: 'the source URL' });
  const dialect = dialectOf(url);
  if (dialect === 'mysql') return (await import('./mysql/index.js')).openMysqlSource(url);
  if (dialect === 'pglite') return (await import('./pglite/index.js')).openPgliteSource(url);
  return (await import('./postgres/index.js')).openPostgresSource(url);
}

export async function openTarget(given: string): Promise<TargetConnector> {
  const url = canonicalConnectionUrl(given, { what: 'the target URL' });
  const dialect = dialectOf(url);
  if (dialect === 'mysql') return (await import('./mysql/index.js')).openMysqlTarget(url);
  if (dialect === 'pglite') return (await import('./pglite/index.js')).openPgliteTarget(url);
  return (await import('./postgres/index.js')).openPostgresTarget(url);
}

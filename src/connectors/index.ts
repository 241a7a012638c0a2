/** Opens the right connector for a connection URL. Dialect modules load lazily so one dialect's driver never loads for the other. */
import { SynthError, redactSecrets } from '../errors.js';
import type { Dialect } from '../schema/model.js';
import type { SourceConnector, TargetConnector } from './connector.js';

export function dialectOf(url: string): Dialect | 'pglite' {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      return 'postgres';
    case 'mysql':
    case 'mariadb':
      return 'mysql';
    case 'pglite':
      return 'pglite';
    default:
      throw new SynthError('BAD_URL', `Unsupported connection URL: ${redactSecrets(url)}`, {
        hint: 'Use postgresql://user:password@host:5432/database, mysql://user:password@host:3306/database or pglite://./folder.',
      });
  }
}

export async function openSource(url: string): Promise<SourceConnector> {
  const dialect = dialectOf(url);
  if (dialect === 'mysql') return (await import('./mysql/index.js')).openMysqlSource(url);
  if (dialect === 'pglite') return (await import('./pglite/index.js')).openPgliteSource(url);
  return (await import('./postgres/index.js')).openPostgresSource(url);
}

export async function openTarget(url: string): Promise<TargetConnector> {
  const dialect = dialectOf(url);
  if (dialect === 'mysql') return (await import('./mysql/index.js')).openMysqlTarget(url);
  if (dialect === 'pglite') return (await import('./pglite/index.js')).openPgliteTarget(url);
  return (await import('./postgres/index.js')).openPostgresTarget(url);
}

/**
 * Embedded PostgreSQL (PGlite) connectors: the postgres connector's modules over a PGlite session, so the
 * introspection, COPY load, validation and swap contract is the same code path as a PostgreSQL server.
 */
import type { SourceConnector, TargetConnector } from '../connector.js';
import { createPostgresSource, createPostgresTarget } from '../postgres/index.js';
import { openPgliteSession } from './pglite-session.js';

export { parsePgliteUrl } from './pglite-session.js';

export async function openPgliteSource(url: string): Promise<SourceConnector> {
  const { session } = await openPgliteSession(url, { readOnly: true });
  return createPostgresSource(session, url);
}

export async function openPgliteTarget(url: string): Promise<TargetConnector> {
  const { session } = await openPgliteSession(url, { readOnly: false });
  return createPostgresTarget(session, url, 'public');
}

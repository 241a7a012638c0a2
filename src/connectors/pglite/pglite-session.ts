/**
 * Embedded PostgreSQL (PGlite) behind the same PgSession the postgres connector uses, so introspection, COPY
 * loads, validation and swap are the very same code. PGlite is one connection in this process: `pin()` hands out
 * the same connection, and COPY FROM STDIN becomes COPY FROM '/dev/blob' fed in bounded slices.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { SynthError, connectionError } from '../../errors.js';
import type { PgSession } from '../postgres/postgres-session.js';

/** Rows per COPY slice: each slice is one Blob in memory, so this bounds memory whatever the table size. */
const COPY_SLICE_BYTES = 8 * 1024 * 1024;

/** Types whose JavaScript parse would lose precision or add a local time zone; kept as text as in postgres-session. */
const TEXT_TYPES = [
  pgliteTypes.INT8,
  pgliteTypes.NUMERIC,
  pgliteTypes.DATE,
  pgliteTypes.TIME,
  pgliteTypes.TIMESTAMP,
  pgliteTypes.TIMESTAMPTZ,
  pgliteTypes.TIMETZ,
  pgliteTypes.INTERVAL,
  790, // money
];

export interface PgliteLocation {
  /** Absolute folder, or null for an in-memory database. */
  dir: string | null;
}

/** `pglite://./relative/folder`, `pglite:///absolute/folder` or `pglite://memory`. */
export function parsePgliteUrl(url: string): PgliteLocation {
  const m = /^pglite:\/\/(.*)$/i.exec(url);
  if (!m || m[1] === undefined || m[1] === '') {
    throw new SynthError('BAD_URL', `Not a PGlite URL: ${url}`, {
      hint: 'Use pglite://./folder (relative to the current directory), pglite:///absolute/folder or pglite://memory.',
    });
  }
  const rest = decodeURIComponent(m[1]);
  if (rest === 'memory' || rest === 'memory/') return { dir: null };
  return { dir: resolve(rest) };
}

export async function openPgliteSession(url: string, options: { readOnly: boolean }): Promise<{ session: PgSession; db: PGlite; location: PgliteLocation }> {
  const location = parsePgliteUrl(url);
  const parsers = Object.fromEntries(TEXT_TYPES.map((oid) => [oid, (v: string) => v]));
  let db: PGlite;
  try {
    if (location.dir) mkdirSync(location.dir, { recursive: true });
    db = location.dir ? new PGlite(location.dir, { parsers }) : new PGlite({ parsers });
    await db.waitReady;
    await db.exec(`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex';`);
    if (options.readOnly) await db.exec('SET default_transaction_read_only = on');
  } catch (cause) {
    throw connectionError('embedded PostgreSQL (PGlite)', url, cause);
  }
  return { session: pgliteSession(db), db, location };
}

function pgliteSession(db: PGlite): PgSession {
  const self: PgSession = {
    async query<T>(sql: string, params?: unknown[]) {
      if (params && params.length > 0) {
        const res = await db.query<T>(sql, params);
        return { rows: res.rows };
      }
      // Without parameters a statement list is allowed, as with pg's simple query protocol; the last result wins.
      const results = await db.exec(sql);
      const last = results[results.length - 1];
      return { rows: (last?.rows ?? []) as T[] };
    },
    async copyFrom(sql, chunks) {
      const blobSql = sql.replace(/\bFROM\s+STDIN\b/i, "FROM '/dev/blob'");
      let parts: string[] = [];
      let size = 0;
      let copied = 0;
      const flush = async () => {
        if (parts.length === 0) return;
        const res = await db.query(blobSql, [], { blob: new Blob(parts) });
        copied += res.affectedRows ?? 0;
        parts = [];
        size = 0;
      };
      let pending = '';
      for await (const chunk of chunks) {
        // A slice must end on a row boundary (a newline outside any escape: COPY text escapes embedded newlines).
        pending += chunk;
        const cut = pending.lastIndexOf('\n');
        if (cut < 0) continue;
        parts.push(pending.slice(0, cut + 1));
        size += cut + 1;
        pending = pending.slice(cut + 1);
        if (size >= COPY_SLICE_BYTES) await flush();
      }
      if (pending.length > 0) parts.push(pending);
      await flush();
      return copied;
    },
    async pin() {
      return { ...self, close: async () => {} };
    },
    async close() {
      await db.close();
    },
  };
  return self;
}

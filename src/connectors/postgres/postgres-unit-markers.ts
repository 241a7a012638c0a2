/**
 * Scale-out done-markers on PostgreSQL: `_synth_units` in the shadow's first schema. A unit's COPY and its marker
 * run in one transaction on one pinned connection.
 */
import type { Shadow, UnitMarkers } from '../connector.js';
import { SynthError } from '../../errors.js';
import type { Table } from '../../schema/model.js';
import { inTransaction, type PgSession } from './postgres-session.js';
import { qn } from './postgres-quote.js';
import { loadTable } from './postgres-write.js';

const MARKERS = '_synth_units';

function markersTable(shadow: Shadow): string {
  const first = shadow.namespaces[0];
  if (!first) throw new SynthError('INTERNAL', `Shadow of run ${shadow.runId} has no namespace for the unit markers.`);
  return qn(first.shadow, MARKERS);
}

export function pgUnitMarkers(session: PgSession, locate: (shadow: Shadow) => (t: Table) => string): UnitMarkers {
  return {
    async create(shadow) {
      await session.query(`CREATE TABLE IF NOT EXISTS ${markersTable(shadow)} (id text PRIMARY KEY, note text NOT NULL)`);
    },
    async load(shadow, table, batches, marker, progress) {
      return inTransaction(session, async (pinned) => {
        const rows = await loadTable(pinned, locate(shadow)(table), table, batches, progress);
        // A second worker holding the same unit fails here and rolls its rows back: the first commit wins.
        await pinned.query(`INSERT INTO ${markersTable(shadow)} (id, note) VALUES ($1, $2)`, [marker.id, marker.note(rows)]);
        return rows;
      });
    },
    async get(shadow, id) {
      const r = await session.query<{ note: string }>(`SELECT note FROM ${markersTable(shadow)} WHERE id = $1`, [id]);
      return r.rows[0]?.note ?? null;
    },
    async drop(shadow) {
      await session.query(`DROP TABLE IF EXISTS ${markersTable(shadow)}`);
    },
  };
}

/**
 * Scale-out done-markers on MySQL/MariaDB: `_synth_units` in the shadow database. A unit's LOAD DATA (or its
 * INSERT fallback) and its marker commit in one InnoDB transaction on one connection.
 */
import type { Shadow, UnitMarkers } from '../connector.js';
import type { MysqlSession } from './mysql-session.js';
import { qt } from './mysql-quote.js';
import type { MysqlWriter } from './mysql-write.js';

const MARKERS = '_synth_units';

export function mysqlUnitMarkers(session: MysqlSession, writer: MysqlWriter, dbFor: (shadow: Shadow) => string): UnitMarkers {
  const markers = (shadow: Shadow) => qt(dbFor(shadow), MARKERS);
  return {
    async create(shadow) {
      await session.query(`CREATE TABLE IF NOT EXISTS ${markers(shadow)} (id VARCHAR(512) NOT NULL PRIMARY KEY, note TEXT NOT NULL) ENGINE=InnoDB`);
    },
    load(shadow, table, batches, marker, progress) {
      // A second worker holding the same unit fails on the marker's key and its rows roll back: the first commit wins.
      return writer.load(dbFor(shadow), table, batches, progress, { into: markers(shadow), id: marker.id, note: marker.note });
    },
    async get(shadow, id) {
      const rows = await session.query<{ note: string }>(`SELECT note FROM ${markers(shadow)} WHERE id = ?`, [id]);
      return rows[0]?.note ?? null;
    },
    async drop(shadow) {
      await session.query(`DROP TABLE IF EXISTS ${markers(shadow)}`);
    },
  };
}

/** Parent aggregates in a PostgreSQL shadow: one grouped pass over the children per rule, joined back by key. */
import type { AggregateWriter, ChildShareWrite, ParentSumWrite } from '../aggregate-writes.js';
import type { Shadow } from '../connector.js';
import type { ForeignKey } from '../../schema/model.js';
import { qi, qn } from './postgres-quote.js';
import type { Locate } from './postgres-read.js';
import type { PgSession } from './postgres-session.js';

function grouped(write: { child: ParentSumWrite['child']; foreignKey: ForeignKey }, value: string, locate: Locate): string {
  const fk = write.foreignKey.columns.map(qi).join(', ');
  return `SELECT ${fk}, ${value} AS v FROM ${qn(locate(write.child), write.child.name)} GROUP BY ${fk}`;
}

function sumOf(write: ParentSumWrite): string {
  return `SUM(${write.terms.map((t) => `CAST(${qi(t)} AS numeric)`).join(' * ')})`;
}

/** `a.ref = b.fk` over the FK's column pairs. */
function joined(fk: ForeignKey, parent: string, child: string): string {
  return fk.references.columns.map((r, i) => `${parent}.${qi(r)} = ${child}.${qi(fk.columns[i]!)}`).join(' AND ');
}

async function count(session: PgSession, update: string): Promise<number> {
  const res = await session.query<{ n: string }>(`WITH u AS (${update} RETURNING 1) SELECT count(*) AS n FROM u`);
  return Number(res.rows[0]?.n ?? 0);
}

export function pgAggregateWriter(session: PgSession, locateIn: (shadow: Shadow) => Locate): AggregateWriter {
  return {
    async sumRange(shadow, write) {
      const res = await session.query<{ lo: string | null; hi: string | null }>(
        `SELECT min(v)::text AS lo, max(v)::text AS hi FROM (${grouped(write, sumOf(write), locateIn(shadow))}) s`,
      );
      const row = res.rows[0];
      return row?.lo == null || row.hi == null ? null : { min: Number(row.lo), max: Number(row.hi) };
    },
    async writeSums(shadow, write) {
      const locate = locateIn(shadow);
      const parent = qn(locate(write.parent), write.parent.name);
      const col = qi(write.column.name);
      const rounded = write.decimals === null ? 's.v' : `ROUND(s.v, ${write.decimals})`;
      const value = write.column.nullable ? rounded : `COALESCE(${rounded}, 0)`;
      // Only rows whose value changes: an UPDATE leaves the old version of each row it writes behind (compact).
      let n = await count(session, `UPDATE ${parent} AS p SET ${col} = ${value} FROM (${grouped(write, sumOf(write), locate)}) s WHERE ${joined(write.foreignKey, 'p', 's')} AND p.${col} IS DISTINCT FROM ${value}`);
      if (write.empty !== 'keep') {
        const child = qn(locate(write.child), write.child.name);
        const empty = write.empty === 'zero' ? '0' : 'NULL';
        n += await count(session, `UPDATE ${parent} AS p SET ${col} = ${empty} WHERE p.${col} IS DISTINCT FROM ${empty} AND NOT EXISTS (SELECT 1 FROM ${child} c WHERE ${joined(write.foreignKey, 'p', 'c')})`);
      }
      return n;
    },
    async compact(shadow, table) {
      // The rewritten rows' old versions would stay in the table (twice its size when every row is written) and in
      // every index built next. VACUUM FULL copies the live rows into a new file; a plain VACUUM frees the space for
      // reuse but keeps the file. The shadow is this run's alone, so its exclusive lock holds nobody up. A
      // transaction older than the update, anywhere on the server, still sees the old versions: they are then copied
      // too, and the table keeps its size.
      await session.query(`VACUUM FULL ${qn(locateIn(shadow)(table), table.name)}`);
    },
    boundShares(shadow, write: ChildShareWrite) {
      const locate = locateIn(shadow);
      const child = qn(locate(write.child), write.child.name);
      const col = qi(write.column);
      const unit = `1e${write.decimals}`;
      const fkJoin = write.foreignKey.columns.map((c) => `c.${qi(c)} = s.${qi(c)}`).join(' AND ');
      // In numeric, so the rounded-down shares add up to at most the bound exactly.
      return count(session, `
        UPDATE ${child} AS c SET ${col} = FLOOR(CAST(c.${col} AS numeric) * ${write.bound} / s.v * ${unit}) / ${unit}
        FROM (${grouped(write, `SUM(CAST(${col} AS numeric))`, locate)}) s
        WHERE ${fkJoin} AND s.v > ${write.bound}`);
    },
  };
}

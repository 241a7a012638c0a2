/**
 * Parent aggregates in a MySQL/MariaDB shadow: one grouped pass over the children per rule, joined back by key in a
 * multi-table UPDATE (the grouped derived table is materialized, which is what lets a child be read while updated).
 */
import type { AggregateWriter, ChildShareWrite, ParentSumWrite } from '../aggregate-writes.js';
import type { ForeignKey, Table } from '../../schema/model.js';
import { qi, qt } from './mysql-quote.js';
import type { MysqlSession } from './mysql-session.js';

function grouped(database: string, child: Table, fk: ForeignKey, value: string): string {
  const cols = fk.columns.map(qi).join(', ');
  return `SELECT ${cols}, ${value} AS v FROM ${qt(database, child.name)} GROUP BY ${cols}`;
}

function sumOf(write: ParentSumWrite): string {
  return `SUM(${write.terms.map(qi).join(' * ')})`;
}

function joined(fk: ForeignKey, parent: string, child: string): string {
  return fk.references.columns.map((r, i) => `${parent}.${qi(r)} = ${child}.${qi(fk.columns[i]!)}`).join(' AND ');
}

/** Rows the statement changed: InnoDB leaves a row that already holds the value as it was (no write). */
async function affected(session: MysqlSession, sql: string): Promise<number> {
  const result = (await session.query(sql)) as unknown as { affectedRows?: number; changedRows?: number };
  return Number(result.changedRows ?? result.affectedRows ?? 0);
}

export function mysqlAggregateWriter(session: MysqlSession, databaseOf: (shadow: Parameters<AggregateWriter['sumRange']>[0]) => string): AggregateWriter {
  return {
    async sumRange(shadow, write) {
      const rows = await session.query<{ lo: unknown; hi: unknown }>(
        `SELECT CAST(MIN(v) AS CHAR) AS lo, CAST(MAX(v) AS CHAR) AS hi FROM (${grouped(databaseOf(shadow), write.child, write.foreignKey, sumOf(write))}) s`,
      );
      const row = rows[0];
      return row?.lo == null || row.hi == null ? null : { min: Number(row.lo), max: Number(row.hi) };
    },
    async writeSums(shadow, write) {
      const db = databaseOf(shadow);
      const parent = qt(db, write.parent.name);
      const col = qi(write.column.name);
      const rounded = write.decimals === null ? 's.v' : `ROUND(s.v, ${write.decimals})`;
      const value = write.column.nullable ? rounded : `COALESCE(${rounded}, 0)`;
      const groups = grouped(db, write.child, write.foreignKey, sumOf(write));
      if (write.empty === 'keep') {
        return affected(session, `UPDATE ${parent} AS p JOIN (${groups}) s ON ${joined(write.foreignKey, 'p', 's')} SET p.${col} = ${value}`);
      }
      // One pass with the childless parents: a NOT EXISTS per parent would scan the child for each (no index on the FK
      // before the keys stage), where the grouped derived table is materialized once and joined by key.
      const none = `s.${qi(write.foreignKey.columns[0]!)} IS NULL`;
      return affected(session, `UPDATE ${parent} AS p LEFT JOIN (${groups}) s ON ${joined(write.foreignKey, 'p', 's')} SET p.${col} = CASE WHEN ${none} THEN ${write.empty === 'zero' ? '0' : 'NULL'} ELSE ${value} END`);
    },
    boundShares(shadow, write: ChildShareWrite) {
      const db = databaseOf(shadow);
      const col = qi(write.column);
      const unit = 10 ** write.decimals;
      const fkJoin = write.foreignKey.columns.map((c) => `c.${qi(c)} = s.${qi(c)}`).join(' AND ');
      // Multiplied before the division, so the quotient's rounding (div_precision_increment) lands below the unit.
      return affected(session, `
        UPDATE ${qt(db, write.child.name)} AS c JOIN (${grouped(db, write.child, write.foreignKey, `SUM(${col})`)}) s ON ${fkJoin}
        SET c.${col} = FLOOR(c.${col} * ${write.bound * unit} / s.v) / ${unit}
        WHERE s.v > ${write.bound}`);
    },
  };
}

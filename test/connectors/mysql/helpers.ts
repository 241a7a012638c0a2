import mysql from 'mysql2/promise';
import { MYSQL_SERVER, createMysqlDatabase, type TestDatabase } from '../../support/databases.js';

/** A test database plus cleanup of the shadow/backup databases the connector creates next to it. */
export async function createTargetDatabase(prefix = 'synth_my'): Promise<TestDatabase> {
  const db = await createMysqlDatabase(prefix);
  const drop = db.drop.bind(db);
  return {
    ...db,
    async drop() {
      await drop();
      const a = await mysql.createConnection({ uri: MYSQL_SERVER });
      try {
        const [rows] = await a.query('SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA');
        for (const r of rows as Array<{ s: string }>) {
          if (r.s.startsWith(`${db.name}__synth`)) await a.query(`DROP DATABASE IF EXISTS \`${r.s.replace(/`/g, '``')}\``);
        }
      } finally {
        await a.end();
      }
    },
  };
}

export async function collect<T>(it: AsyncIterable<{ columns: string[]; rows: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of it) out.push(...b.rows);
  return out;
}

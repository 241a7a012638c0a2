import type { TestDatabase } from './databases.js';

/** A MariaDB database's partitions, table by table in partition order: what the partition tests compare. */
export const partitionsOf = (db: TestDatabase) =>
  db.query<{ t: string; p: string; m: string; e: string | null; d: string | null }>(
    `SELECT TABLE_NAME AS t, PARTITION_NAME AS p, PARTITION_METHOD AS m, PARTITION_EXPRESSION AS e, PARTITION_DESCRIPTION AS d
       FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1, PARTITION_ORDINAL_POSITION`,
  );

import { describe, expect, it } from 'vitest';
import type { IntegrityCheck } from '../../../src/connectors/connector.js';
import { countViolationsIn } from '../../../src/connectors/mysql/mysql-validate.js';
import { mysqlSessionFixture } from '../../support/mysql-connector.js';

const orphan = (db: string, child: string, parent: string, column = 'pid'): IntegrityCheck => ({
  kind: 'orphan',
  table: { schema: db, name: child },
  foreignKey: { name: `${child}_fk`, columns: [column], references: { schema: db, name: parent, columns: ['id'] }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION', deferrable: false },
});

/**
 * The gate proves an integer foreign key orphan-free from MIN / MAX when the parent's unique key holds every integer
 * in its range; anything short of that (a gap, no unique index, a child value outside) is counted row by row.
 */
describe('MySQL gate: orphans of a dense integer key answered from the key range', () => {
  const env = mysqlSessionFixture('synth_orange_my', `
      CREATE TABLE dense (id INT NOT NULL PRIMARY KEY);
      INSERT INTO dense SELECT seq FROM seq_1_to_1000;
      CREATE TABLE gap (id BIGINT NOT NULL PRIMARY KEY);
      INSERT INTO gap SELECT seq FROM seq_1_to_1000 WHERE seq <> 500;
      CREATE TABLE nokey (id INT NOT NULL);
      INSERT INTO nokey VALUES (1), (2), (2), (4);
      CREATE TABLE clean (id INT PRIMARY KEY, pid INT NULL, KEY (pid));
      INSERT INTO clean SELECT seq, CASE WHEN seq % 7 = 0 THEN NULL ELSE 1 + (seq * 31) % 1000 END FROM seq_1_to_5000;
      CREATE TABLE in_gap (id INT PRIMARY KEY, pid INT NULL, KEY (pid));
      INSERT INTO in_gap SELECT seq, CASE WHEN seq IN (10, 20) THEN 500 ELSE 1 + seq % 499 END FROM seq_1_to_5000;
      CREATE TABLE past_end (id INT PRIMARY KEY, pid INT NULL);
      INSERT INTO past_end SELECT seq, CASE WHEN seq = 10 THEN 1001 ELSE 1 + seq % 1000 END FROM seq_1_to_5000;
      CREATE TABLE to_nokey (id INT PRIMARY KEY, pid INT NULL);
      INSERT INTO to_nokey VALUES (1, 1), (2, 3), (3, 4);`);

  it('counts exactly whatever the range does not prove', async () => {
    const { db, session } = env;
    const checks = [
      orphan(db.name, 'clean', 'dense'),
      orphan(db.name, 'in_gap', 'gap'),
      orphan(db.name, 'past_end', 'dense'),
      orphan(db.name, 'to_nokey', 'nokey'),
      orphan(db.name, 'clean', 'gap'),
    ];
    const counts = await countViolationsIn(session, db.name, checks);
    // clean → gap: the five rows of clean that hold 500.
    expect(counts.map((c) => c.violations)).toEqual([0, 2, 1, 1, 5]);
  });
});

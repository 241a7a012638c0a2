import { describe, expect, it } from 'vitest';
import type { IntegrityCheck } from '../../../src/connectors/connector.js';
import { countViolationsIn } from '../../../src/connectors/mysql/mysql-validate.js';
import { mysqlSessionFixture } from '../../support/mysql-connector.js';

const orphan = (db: string, child: string, parent: string, columns = ['pid'], parentColumns = ['id']): IntegrityCheck => ({
  kind: 'orphan',
  table: { schema: db, name: child },
  foreignKey: { name: `${child}_fk`, columns, references: { schema: db, name: parent, columns: parentColumns }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION', deferrable: false },
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

/**
 * A composite key (lineitem -> partsupp) is counted row by row through the parent's index (a LEFT JOIN, no temporary
 * table): every orphan row counts, a row with a NULL column is none (MATCH SIMPLE), a parent key held twice (a
 * non-unique index) counts its children once, with or without an index on the child.
 */
describe('MySQL gate: orphans of a composite key counted through the parent\'s index', () => {
  const env = mysqlSessionFixture('synth_ocomp_my', `
      CREATE TABLE ps (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a, b));
      INSERT INTO ps SELECT seq, s FROM seq_1_to_300 CROSS JOIN (SELECT 1 AS s UNION ALL SELECT 3 UNION ALL SELECT 7) k;
      CREATE TABLE ps_twice (a INT NOT NULL, b INT NOT NULL, KEY (b, a));
      INSERT INTO ps_twice SELECT a, b FROM ps UNION ALL SELECT a, b FROM ps WHERE a <= 10;
      CREATE TABLE li (id INT PRIMARY KEY, a INT NULL, b INT NULL, KEY (a, b));
      INSERT INTO li SELECT seq, 1 + seq % 300, ELT(1 + seq % 3, 1, 3, 7) FROM seq_1_to_6000;
      -- Orphans: (5, 2) three times, (301, 1) once; (5, NULL) and (NULL, 99) are no orphans.
      INSERT INTO li VALUES (7001, 5, 2), (7002, 5, 2), (7003, 5, 2), (7004, 301, 1), (7005, 5, NULL), (7006, NULL, 99);
      CREATE TABLE li_bare (id INT PRIMARY KEY, a INT NULL, b INT NULL);
      INSERT INTO li_bare SELECT id, a, b FROM li;
      CREATE TABLE li_nn (id INT PRIMARY KEY, a INT NOT NULL, b INT NOT NULL, KEY (a, b));
      INSERT INTO li_nn SELECT id, a, b FROM li WHERE a IS NOT NULL AND b IS NOT NULL;`);

  it('counts every orphan row once, whichever side has an index', async () => {
    const { db, session } = env;
    const checks = [
      orphan(db.name, 'li', 'ps', ['a', 'b'], ['a', 'b']),
      orphan(db.name, 'li', 'ps_twice', ['a', 'b'], ['a', 'b']),
      orphan(db.name, 'li_bare', 'ps', ['a', 'b'], ['a', 'b']),
      // The columns matched the other way round: (b, a) against ps (a, b) finds almost nothing.
      orphan(db.name, 'li', 'ps', ['b', 'a'], ['a', 'b']),
    ];
    const counts = await countViolationsIn(session, db.name, checks);
    const swappedMatches = await session.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${db.name}\`.li c JOIN \`${db.name}\`.ps p ON p.a = c.b AND p.b = c.a`);
    expect(counts.map((c) => c.violations)).toEqual([4, 4, 4, 6004 - Number(swappedMatches[0]!.n)]);
  });

  it('gives the child\'s row count from the same pass where the parent key is unique, NULL columns or not', async () => {
    const { db, session } = env;
    const counts = await countViolationsIn(session, db.name, [
      orphan(db.name, 'li', 'ps', ['a', 'b'], ['a', 'b']),
      orphan(db.name, 'li_bare', 'ps', ['a', 'b'], ['a', 'b']),
      // Declared NOT NULL on a strict server: no NULL term.
      orphan(db.name, 'li_nn', 'ps', ['a', 'b'], ['a', 'b']),
      // A parent key held twice would count a child row twice: the row count is left to the gate's own COUNT(*).
      orphan(db.name, 'li', 'ps_twice', ['a', 'b'], ['a', 'b']),
    ]);
    expect(counts.map((c) => c.violations)).toEqual([4, 4, 4, 4]);
    expect(counts.map((c) => c.rows)).toEqual([6006, 6006, 6004, undefined]);
  });
});

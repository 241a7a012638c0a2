import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlDatabase, type TestDatabase } from '../../support/databases.js';
import { openMysqlSource } from '../../../src/connectors/mysql/index.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import { isSynthError } from '../../../src/errors.js';

let db: TestDatabase;
let schema: DatabaseSchema;
const table = (name: string): Table => {
  const t = schema.tables.find((x) => x.name === name);
  if (!t) throw new Error(`no table ${name}`);
  return t;
};
const col = (t: string, c: string) => {
  const x = table(t).columns.find((y) => y.name === c);
  if (!x) throw new Error(`no column ${t}.${c}`);
  return x;
};

beforeAll(async () => {
  db = await createMysqlDatabase('synth_myintro');
  await db.exec(`
    CREATE TABLE parent (a INT NOT NULL, b VARCHAR(10) NOT NULL, PRIMARY KEY (a, b)) ENGINE=InnoDB;
    CREATE TABLE everything (
      id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      ti TINYINT, flag TINYINT(1) NOT NULL DEFAULT 0, si SMALLINT, mi MEDIUMINT UNSIGNED, bi BIGINT,
      dec1 DECIMAL(10,2) DEFAULT 1.50, fl FLOAT, db DOUBLE, bits BIT(5), yr YEAR,
      ch CHAR(3) CHARACTER SET latin1 COLLATE latin1_swedish_ci, vc VARCHAR(40) DEFAULT 'it''s', tt TINYTEXT, tx TEXT, mt MEDIUMTEXT, lt LONGTEXT,
      bn BINARY(4), vb VARBINARY(16), bl BLOB, lb LONGBLOB,
      d DATE, t TIME(3), dt DATETIME(6) ON UPDATE CURRENT_TIMESTAMP(6), ts TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
      e ENUM('small','it''s','large') NOT NULL, s SET('a','b','c'), j JSON,
      g GEOMETRY, p POINT, poly POLYGON,
      gv INT AS (si * 2) VIRTUAL, gs INT AS (si + 1) STORED,
      pa INT, pb VARCHAR(10),
      qty INT CHECK (qty >= 0),
      UNIQUE KEY uq_vc (vc),
      UNIQUE KEY uq_pair (si, mi),
      KEY ix_dt (dt, d),
      KEY ix_prefix (tx(20)),
      CONSTRAINT fk_parent FOREIGN KEY (pa, pb) REFERENCES parent (a, b) ON DELETE CASCADE ON UPDATE SET NULL,
      CONSTRAINT ck_dec CHECK (dec1 < 1000 AND fl > -1)
    ) ENGINE=InnoDB COMMENT='all the types';
    CREATE VIEW v_everything AS SELECT id, vc FROM everything;
    CREATE TRIGGER trg_ev BEFORE INSERT ON everything FOR EACH ROW SET NEW.si = COALESCE(NEW.si, 7);
    CREATE FUNCTION f_one() RETURNS INT DETERMINISTIC RETURN 1;
    INSERT INTO parent VALUES (1, 'x'), (2, 'y');
  `);
  const src = await openMysqlSource(db.url);
  try {
    schema = await src.introspect();
  } finally {
    await src.close();
  }
});
afterAll(async () => {
  await db?.drop();
});

describe('mysql introspection', () => {
  it('reports the database as the one schema, with the MariaDB version', () => {
    expect(schema.dialect).toBe('mysql');
    expect(schema.schemas).toEqual([db.name]);
    expect(schema.serverVersion).toMatch(/MariaDB|^\d/);
    expect(schema.tables.map((t) => t.name).sort()).toEqual(['everything', 'parent']);
    expect(table('parent').estimatedRows).toBeGreaterThanOrEqual(0);
    expect(table('everything').comment).toBe('all the types');
  });

  it('maps integer, boolean, decimal, float, bit and year types', () => {
    expect(col('everything', 'id').type).toEqual({ kind: 'integer', bytes: 4, unsigned: true });
    expect(col('everything', 'id').autoIncrement).toBe('auto_increment');
    expect(col('everything', 'ti').type).toEqual({ kind: 'integer', bytes: 1, unsigned: false });
    expect(col('everything', 'flag').type).toEqual({ kind: 'boolean' });
    expect(col('everything', 'flag').default).toBe('0');
    expect(col('everything', 'si').type).toEqual({ kind: 'integer', bytes: 2, unsigned: false });
    expect(col('everything', 'mi').type).toEqual({ kind: 'integer', bytes: 3, unsigned: true });
    expect(col('everything', 'bi').type).toEqual({ kind: 'integer', bytes: 8, unsigned: false });
    expect(col('everything', 'dec1').type).toEqual({ kind: 'decimal', precision: 10, scale: 2 });
    expect(col('everything', 'dec1').default).toBe('1.50');
    expect(col('everything', 'fl').type).toEqual({ kind: 'float', bytes: 4 });
    expect(col('everything', 'db').type).toEqual({ kind: 'float', bytes: 8 });
    expect(col('everything', 'bits').type).toEqual({ kind: 'bit', length: 5, varying: false });
    expect(col('everything', 'yr').type).toEqual({ kind: 'year' });
  });

  it('maps text, binary, temporal, enum, set, json and geometry types with collations', () => {
    expect(col('everything', 'ch').type).toEqual({ kind: 'text', maxLength: 3, fixedLength: true });
    expect(col('everything', 'ch').collation).toBe('latin1_swedish_ci');
    expect(col('everything', 'vc').type).toEqual({ kind: 'text', maxLength: 40, fixedLength: false });
    expect(col('everything', 'vc').default).toBe("'it''s'");
    expect(col('everything', 'vc').collation).toBe('utf8mb4_unicode_ci');
    expect(col('everything', 'lt').type).toEqual({ kind: 'text', maxLength: null, fixedLength: false });
    expect(col('everything', 'tx').type.kind).toBe('text');
    expect(col('everything', 'bn').type).toEqual({ kind: 'binary', maxLength: 4 });
    expect(col('everything', 'lb').type).toEqual({ kind: 'binary', maxLength: null });
    expect(col('everything', 'bl').type.kind).toBe('binary');
    expect(col('everything', 'd').type).toEqual({ kind: 'date' });
    expect(col('everything', 't').type).toEqual({ kind: 'time', withTimeZone: false });
    expect(col('everything', 'dt').type).toEqual({ kind: 'timestamp', withTimeZone: false });
    expect(col('everything', 'dt').nativeType).toBe('datetime(6) on update current_timestamp(6)');
    expect(col('everything', 'ts').type).toEqual({ kind: 'timestamp', withTimeZone: true });
    expect(col('everything', 'ts').default?.toLowerCase()).toContain('current_timestamp');
    expect(col('everything', 'e').type).toEqual({ kind: 'enum', values: ['small', "it's", 'large'], name: null });
    expect(col('everything', 's').type).toEqual({ kind: 'set', values: ['a', 'b', 'c'] });
    // MariaDB: JSON is LONGTEXT with a json_valid CHECK.
    expect(col('everything', 'j').type.kind).toBe('json');
    expect(col('everything', 'j').nativeType).toBe('json');
    expect(col('everything', 'g').type).toEqual({ kind: 'geometry', subtype: null });
    expect(col('everything', 'p').type).toEqual({ kind: 'geometry', subtype: 'point' });
    expect(col('everything', 'poly').type).toEqual({ kind: 'geometry', subtype: 'polygon' });
  });

  it('reports generated columns with expression and storage', () => {
    expect(col('everything', 'gv').generated).toEqual({ expression: expect.stringContaining('si'), stored: false });
    expect(col('everything', 'gs').generated).toEqual({ expression: expect.stringContaining('si'), stored: true });
    expect(col('everything', 'si').generated).toBeNull();
  });

  it('reads keys, composite FK with actions, uniques, checks and indexes', () => {
    const ev = table('everything');
    expect(ev.primaryKey?.columns).toEqual(['id']);
    expect(table('parent').primaryKey?.columns).toEqual(['a', 'b']);
    expect(ev.foreignKeys).toEqual([
      { name: 'fk_parent', columns: ['pa', 'pb'], references: { schema: db.name, name: 'parent', columns: ['a', 'b'] }, onDelete: 'CASCADE', onUpdate: 'SET NULL', deferrable: false },
    ]);
    expect(ev.uniques.map((u) => [u.name, u.columns]).sort()).toEqual([['uq_pair', ['si', 'mi']], ['uq_vc', ['vc']]]);
    const checks = Object.fromEntries(ev.checks.map((c) => [c.name, c]));
    expect(Object.keys(checks).sort()).toEqual(['ck_dec', 'qty']);
    expect(checks['qty']?.origin).toBe('column');
    expect(checks['qty']?.columns).toEqual(['qty']);
    expect(checks['ck_dec']?.columns.sort()).toEqual(['dec1', 'fl']);
    expect(checks['ck_dec']?.expression).toContain('1000');
    const idx = Object.fromEntries(ev.indexes.map((i) => [i.name, i.definition]));
    expect(idx['ix_dt']).toBe('INDEX `ix_dt` (`dt`, `d`)');
    expect(idx['ix_prefix']).toBe('INDEX `ix_prefix` (`tx`(20))');
  });

  it('lists views, triggers and routines as other objects', () => {
    const kinds = schema.otherObjects.map((o) => `${o.kind}:${o.name}`).sort();
    expect(kinds).toEqual(['function:f_one', 'trigger:trg_ev', 'view:v_everything']);
    const view = schema.otherObjects.find((o) => o.kind === 'view');
    expect(view?.definition).toMatch(/^CREATE OR REPLACE SQL SECURITY DEFINER VIEW `v_everything` AS select/i);
    // Routines carry their DDL without the source's DEFINER, so another account can recreate them.
    const fn = schema.otherObjects.find((o) => o.kind === 'function');
    expect(fn?.definition).toMatch(/^CREATE FUNCTION `f_one`/);
    expect(view?.definition).not.toContain(db.name);
    const trg = schema.otherObjects.find((o) => o.kind === 'trigger');
    expect(trg?.table).toBe('everything');
    expect(trg?.definition).toContain('BEFORE INSERT ON `everything`');
  });

  it('refuses bad URLs and unreachable servers with redacted messages', async () => {
    const bad = await openMysqlSource('postgres://u:secret@localhost/x').catch((e: unknown) => e);
    expect(isSynthError(bad) && bad.code).toBe('BAD_URL');
    const noDb = await openMysqlSource('mysql://root:hunter2@127.0.0.1:3306').catch((e: unknown) => e);
    expect(isSynthError(noDb) && noDb.code).toBe('BAD_URL');
    const down = await openMysqlSource('mysql://root:hunter2@127.0.0.1:1/x').catch((e: unknown) => e);
    expect(isSynthError(down) && down.code).toBe('CONNECTION_FAILED');
    expect(String((down as Error).message)).not.toContain('hunter2');
    expect(String((down as Error).message)).toContain('***');
  });
});

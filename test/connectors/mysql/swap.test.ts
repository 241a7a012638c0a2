import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMysqlDatabase, type TestDatabase } from '../../support/databases.js';
import { backupDatabaseName, openMysqlSource, openMysqlTarget, shadowDatabaseName } from '../../../src/connectors/mysql/index.js';
import mysql from 'mysql2/promise';
import { MYSQL_SERVER, uniqueName } from '../../support/databases.js';
import type { DatabaseSchema, Table } from '../../../src/schema/model.js';
import type { RowBatch } from '../../../src/schema/values.js';
import { createTargetDatabase } from './helpers.js';

let source: TestDatabase;
let target: TestDatabase;
let schema: DatabaseSchema;
const table = (name: string): Table => schema.tables.find((x) => x.name === name)!;
const one = (columns: string[], rows: unknown[][]): AsyncIterable<RowBatch> =>
  (async function* () {
    yield { columns, rows: rows as RowBatch['rows'] };
  })();

const DDL = `
  CREATE TABLE author (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL);
  CREATE TABLE book (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, author_id INT NOT NULL, title VARCHAR(80),
    CONSTRAINT fk_book_author FOREIGN KEY (author_id) REFERENCES author (id) ON DELETE CASCADE);
  CREATE TABLE audit (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(100));
  CREATE TRIGGER trg_book AFTER INSERT ON book FOR EACH ROW INSERT INTO audit (msg) VALUES (CONCAT('book ', NEW.title));
  CREATE VIEW book_titles AS SELECT b.title, a.name FROM book b JOIN author a ON a.id = b.author_id;
`;

beforeEach(async () => {
  source = await createMysqlDatabase('synth_myswsrc');
  target = await createTargetDatabase('synth_myswtgt');
  await source.exec(DDL);
  const src = await openMysqlSource(source.url);
  schema = await src.introspect();
  await src.close();
  // The target holds "old" data with the same schema, trigger and view.
  await target.exec(DDL);
  await target.exec(`INSERT INTO author VALUES (1, 'old author'); INSERT INTO book (author_id, title) VALUES (1, 'old book');`);
});
afterEach(async () => {
  await source?.drop();
  await target?.drop();
});

async function hydrate(runId: string) {
  const tgt = await openMysqlTarget(target.url);
  const shadow = await tgt.createShadow(runId, schema);
  await tgt.load(shadow, table('author'), one(['id', 'name'], [[10, 'Ann'], [20, 'Bob']]));
  await tgt.load(shadow, table('book'), one(['id', 'author_id', 'title'], [[100, 10, 'A1'], [101, 20, 'B1'], [102, 20, 'B2']]));
  await tgt.finalize(shadow, schema);
  return { tgt, shadow };
}

describe('mysql swap and rollback', () => {
  it('swaps atomically: FKs point at live tables, AUTO_INCREMENT follows, trigger and view work', async () => {
    const { tgt, shadow } = await hydrate('s1');
    try {
      expect((await tgt.listShadows()).map((s) => s.runId)).toEqual(['s1']);
      const res = await tgt.swap(shadow, schema);
      expect(res.backups).toEqual([{ live: target.name, backup: `${target.name}__synth_backup` }]);
      expect(res.notes.join('\n')).toMatch(/3 table\(s\) are live/);
      expect(res.notes.join('\n')).toMatch(/view/);
      expect(res.notes.join('\n')).toMatch(/1 trigger\(s\) recreated/);
      expect(await tgt.listShadows()).toEqual([]);

      const fks = await target.query<{ TABLE_SCHEMA: string; REFERENCED_TABLE_SCHEMA: string; REFERENCED_TABLE_NAME: string }>(
        `SELECT TABLE_SCHEMA, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL`, [target.name]);
      expect(fks).toEqual([{ TABLE_SCHEMA: target.name, REFERENCED_TABLE_SCHEMA: target.name, REFERENCED_TABLE_NAME: 'author' }]);
      // AUTO_INCREMENT continues after the synthetic max; the recreated trigger fires on the live table.
      await target.exec(`INSERT INTO book (author_id, title) VALUES (10, 'new')`);
      const books = await target.query<{ id: number; title: string }>('SELECT id, title FROM book ORDER BY id');
      expect(books.map((b) => [b.id, b.title])).toEqual([[100, 'A1'], [101, 'B1'], [102, 'B2'], [103, 'new']]);
      expect(await target.query('SELECT msg FROM audit')).toEqual([{ msg: 'book new' }]);
      // The FK is enforced against the live parent.
      await expect(target.exec(`INSERT INTO book (author_id, title) VALUES (1, 'x')`)).rejects.toThrow(/foreign key/i);
      expect(await target.query('SELECT title, name FROM book_titles ORDER BY title LIMIT 1')).toEqual([{ title: 'A1', name: 'Ann' }]);
      // The old data sits in the backup with its own FK.
      const old = await target.query(`SELECT title FROM \`${target.name}__synth_backup\`.book`);
      expect(old).toEqual([{ title: 'old book' }]);
      const backupFk = await target.query<{ REFERENCED_TABLE_SCHEMA: string }>(
        `SELECT REFERENCED_TABLE_SCHEMA FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL`, [`${target.name}__synth_backup`]);
      expect(backupFk).toEqual([{ REFERENCED_TABLE_SCHEMA: `${target.name}__synth_backup` }]);
    } finally {
      await tgt.close();
    }
  });

  it('rolls back to the previous tables and triggers; a second rollback goes forward again', async () => {
    const { tgt, shadow } = await hydrate('s2');
    try {
      await tgt.swap(shadow, schema);
      const res = await tgt.rollback();
      expect(res.notes.join('\n')).toMatch(/3 table\(s\) restored/);
      expect(await target.query('SELECT title FROM book')).toEqual([{ title: 'old book' }]);
      await target.exec(`INSERT INTO book (author_id, title) VALUES (1, 'again')`);
      expect(await target.query('SELECT msg FROM audit ORDER BY id')).toEqual([{ msg: 'book old book' }, { msg: 'book again' }]);
      await expect(target.exec(`INSERT INTO book (author_id, title) VALUES (10, 'x')`)).rejects.toThrow(/foreign key/i);
      // The replaced tables became the backup, so rolling back again brings the synthetic generation back.
      await tgt.rollback();
      const again = await target.query<{ title: string }>('SELECT title FROM book ORDER BY title');
      expect(again.map((r) => r.title)).toEqual(['A1', 'B1', 'B2']);
      const backup = await target.query<{ title: string }>(`SELECT title FROM \`${target.name}__synth_backup\`.book ORDER BY title`);
      expect(backup.map((r) => r.title)).toEqual(['again', 'old book']);
    } finally {
      await tgt.close();
    }
  });

  it('keeps only the latest backup across two swaps', async () => {
    const first = await hydrate('a');
    await first.tgt.swap(first.shadow, schema);
    await first.tgt.close();
    const second = await hydrate('b');
    try {
      await second.tgt.swap(second.shadow, schema);
      // The backup now holds the first synthetic generation, not the original data.
      const b = await target.query<{ title: string }>(`SELECT title FROM \`${target.name}__synth_backup\`.book ORDER BY title`);
      expect(b.map((r) => r.title)).toEqual(['A1', 'B1', 'B2']);
    } finally {
      await second.tgt.close();
    }
  });

  it('has nothing to roll back on a fresh target, and lists/drops shadows', async () => {
    const tgt = await openMysqlTarget(target.url);
    try {
      await expect(tgt.rollback()).rejects.toMatchObject({ code: 'NOTHING_TO_ROLLBACK' });
      const s1 = await tgt.createShadow('x1', schema);
      await tgt.createShadow('x2', schema);
      expect((await tgt.listShadows()).map((s) => s.runId).sort()).toEqual(['x1', 'x2']);
      await tgt.dropShadow(s1);
      expect((await tgt.listShadows()).map((s) => s.runId)).toEqual(['x2']);
      await expect(tgt.createShadow('x2', schema)).rejects.toMatchObject({ code: 'LOCKED' });
      expect(await tgt.identity()).toContain(target.name);
    } finally {
      await tgt.close();
    }
  });

  it('hashes shadow and backup names that would pass 64 characters, and still lists and swaps them', async () => {
    const long = uniqueName('synth_long_database_name_for_hashing_tests').slice(0, 64);
    const admin = await mysql.createConnection({ uri: MYSQL_SERVER });
    await admin.query(`CREATE DATABASE \`${long}\``);
    const tgt = await openMysqlTarget(`${MYSQL_SERVER}/${long}`);
    try {
      const shadowName = shadowDatabaseName(long, 'run-1');
      expect(shadowName.length).toBeLessThanOrEqual(64);
      expect(backupDatabaseName(long).length).toBeLessThanOrEqual(64);
      const shadow = await tgt.createShadow('run-1', schema);
      expect(shadow.namespaces[0]!.shadow).toBe(shadowName);
      expect((await tgt.listShadows()).map(({ runId, namespace }) => ({ runId, namespace }))).toEqual([{ runId: 'run-1', namespace: shadowName }]);
      await tgt.finalize(shadow, schema);
      await tgt.swap(shadow, schema);
      expect(await tgt.countRows(null, table('book'))).toBe(0);
      await tgt.rollback();
    } finally {
      await tgt.close();
      for (const d of [long, shadowDatabaseName(long, 'run-1'), backupDatabaseName(long)]) await admin.query(`DROP DATABASE IF EXISTS \`${d}\``);
      await admin.end();
    }
  });
});

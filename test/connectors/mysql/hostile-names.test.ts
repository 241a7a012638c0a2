import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMysqlDatabase, type TestDatabase } from '../../support/databases.js';
import { openMysqlSource, openMysqlTarget } from '../../../src/connectors/mysql/index.js';
import type { IntegrityCheck } from '../../../src/connectors/connector.js';
import { collect, createTargetDatabase } from './helpers.js';

let source: TestDatabase;
let target: TestDatabase;

beforeEach(async () => {
  source = await createMysqlDatabase('synth_myhost');
  target = await createTargetDatabase('synth_myhostt');
});
afterEach(async () => {
  await source?.drop();
  await target?.drop();
});

describe('hostile identifiers', () => {
  it('round-trips tables and columns named with spaces, backticks, unicode and reserved words', async () => {
    await source.exec(`
      CREATE TABLE \`select\` (\`from\` INT NOT NULL PRIMARY KEY, \`we\`\`ird col\` VARCHAR(20) NOT NULL,
        \`naïve 列\` ENUM('a b', 'c''d') NULL, \`order\` INT CHECK (\`order\` > 0), UNIQUE KEY \`uq \`\`x\` (\`we\`\`ird col\`));
      CREATE TABLE \`my table\` (id INT PRIMARY KEY, \`sel ref\` INT,
        CONSTRAINT \`fk \`\`odd\` FOREIGN KEY (\`sel ref\`) REFERENCES \`select\` (\`from\`),
        KEY \`idx key\` (\`sel ref\`));
      CREATE TRIGGER \`trg \`\`t\` BEFORE INSERT ON \`my table\` FOR EACH ROW SET NEW.\`sel ref\` = NEW.\`sel ref\`;
      INSERT INTO \`select\` VALUES (1, 'a\`b', 'a b', 5), (2, 'x', 'c''d', NULL);
      INSERT INTO \`my table\` VALUES (1, 1), (2, 2), (3, NULL);
    `);
    const src = await openMysqlSource(source.url);
    const schema = await src.introspect();
    const sel = schema.tables.find((t) => t.name === 'select')!;
    const mine = schema.tables.find((t) => t.name === 'my table')!;
    expect(sel.columns.map((c) => c.name)).toEqual(['from', 'we`ird col', 'naïve 列', 'order']);
    expect(sel.columns[2]!.type).toEqual({ kind: 'enum', values: ['a b', "c'd"], name: null });
    expect(sel.uniques[0]!.name).toBe('uq `x');
    expect(mine.foreignKeys[0]!.name).toBe('fk `odd');
    const tgt = await openMysqlTarget(target.url);
    try {
      const shadow = await tgt.createShadow('h-1', schema);
      for (const t of [sel, mine]) {
        const cols = t.columns.map((c) => c.name);
        await tgt.load(shadow, t, src.readRows(t, { columns: cols }));
      }
      const checks: IntegrityCheck[] = [
        { kind: 'orphan', table: mine, foreignKey: mine.foreignKeys[0]! },
        { kind: 'duplicate', table: sel, columns: ['we`ird col'], constraint: 'uq `x', nullsDistinct: true },
        { kind: 'not-null', table: sel, column: 'naïve 列' },
        { kind: 'check', table: sel, constraint: 'order', expression: sel.checks[0]!.expression, dialect: 'mysql' },
      ];
      expect((await tgt.countViolations(shadow, checks)).map((r) => r.violations)).toEqual([0, 0, 0, 0]);
      await tgt.finalize(shadow, schema);
      const res = await tgt.swap(shadow, schema);
      expect(res.notes.join('\n')).toMatch(/1 trigger\(s\) recreated/);
      const back = await collect(tgt.readRows(null, sel, { columns: sel.columns.map((c) => c.name) }));
      back.sort((a, b) => Number(a[0]) - Number(b[0]));
      expect(back).toEqual([[1, 'a`b', 'a b', 5], [2, 'x', "c'd", null]]);
      expect(await tgt.countRows(null, mine)).toBe(3);
      const again = await openMysqlSource(target.url);
      const live = await again.introspect();
      await again.close();
      const liveMine = live.tables.find((t) => t.name === 'my table')!;
      expect(liveMine.foreignKeys[0]).toMatchObject({ name: 'fk `odd', references: { schema: target.name, name: 'select', columns: ['from'] } });
      expect(liveMine.indexes.map((i) => i.name)).toContain('idx key');
      // The target was empty before the swap: rolling back restores an empty database.
      await tgt.rollback();
      expect(await target.query('SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [target.name])).toEqual([]);
    } finally {
      await tgt.close();
      await src.close();
    }
  });
});

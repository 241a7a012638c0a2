import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { SynthError } from '../../src/errors.js';
import { hydrate } from '../../src/pipeline/index.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { PG_HOSTILE, TORTURE_PG, TORTURE_PG_TABLES } from '../support/torture-pg.js';
import { MY_HOSTILE, TORTURE_MYSQL, TORTURE_MY_TABLES, dropWithBackup, myHierarchyStatsSql } from '../support/torture-mysql.js';

const note = (notes: Array<{ table: string; column: string; severity: string }>, table: string, column: string) =>
  notes.find((n) => n.table.endsWith(`.${table}`) && n.column === column)?.severity;

let pgSource: TestDatabase;
let mySource: TestDatabase;

beforeAll(async () => {
  pgSource = await createPgDatabase('synth_tort_xpg');
  mySource = await createMysqlDatabase('synth_tort_xmy');
  await pgSource.exec(TORTURE_PG);
  await mySource.exec(TORTURE_MYSQL);
}, 60_000);

afterAll(async () => {
  await pgSource?.drop();
  await mySource?.drop();
});

describe('torture fixtures across dialects', () => {
  it('PostgreSQL → MariaDB', async () => {
    const dst = await createMysqlDatabase('synth_tort_xmyd');
    try {
      const config = parseConfig({ source: { url: pgSource.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false } });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status, JSON.stringify(result.integrity.tables.filter((t) => t.failures.length > 0))).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      // Types without a MySQL counterpart are stored as text/JSON and said so before anything is written.
      const notes = result.mappingNotes;
      for (const c of ['doc', 'warranty', 'ip', 'net', 'mac', 'tags', 'flags']) expect(note(notes, 'gadget', c), c).toBe('lossy');
      // The generated column's expression translates, so MariaDB computes it.
      expect(notes.filter((n) => n.table.endsWith('gadget') && n.column === 'area').map((n) => n.severity)).toEqual(['info']);
      expect(note(notes, 'measurement', '*')).toBe('info');
      // Views and triggers are PostgreSQL SQL: not recreated, and the swap says so.
      expect(result.swap!.notes.join('\n')).toMatch(/2 view\(s\) and 2 trigger\(s\) of the postgres source were not recreated/);
      for (const t of TORTURE_PG_TABLES) {
        if (t === 'audit_log') continue;
        const [src] = await pgSource.query<{ n: string }>(`SELECT count(*) AS n FROM public."${t.replace(/"/g, '""')}"`);
        const [d] = await dst.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${t.replace(/`/g, '``')}\``);
        expect(Number(d!.n), t).toBe(Number(src!.n));
      }
      const zero = async (sql: string) => expect(Number((await dst.query<{ n: number }>(sql))[0]!.n), sql).toBe(0);
      await zero(`SELECT COUNT(*) AS n FROM rental WHERE end_date < start_date OR price <= 0`);
      await zero(`SELECT COUNT(*) AS n FROM store s LEFT JOIN staff m ON m.staff_id = s.manager_staff_id WHERE m.staff_id IS NULL`);
      await zero(`SELECT COUNT(*) AS n FROM gadget WHERE NOT JSON_VALID(attrs) OR zip NOT REGEXP '^[0-9]{5}$' OR area IS NULL OR area <> width * height`);
      await zero(`SELECT COUNT(*) AS n FROM (SELECT actor_id, film_id FROM film_actor GROUP BY 1, 2 HAVING COUNT(*) > 1) d`);
      const [h] = await dst.query<{ reachable: number; total: number }>(myHierarchyStatsSql('employee', 'employee_id', 'reports_to'));
      expect(Number(h!.reachable)).toBe(Number(h!.total));
      const cols = await dst.query<{ c: string }>(
        `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        [PG_HOSTILE.table],
      );
      expect(cols.map((c) => c.c)).toEqual([PG_HOSTILE.id, PG_HOSTILE.name, PG_HOSTILE.long, 'CamelCase']);
    } finally {
      await dropWithBackup(dst);
    }
  });

  it('MariaDB → PostgreSQL', async () => {
    const dst = await createPgDatabase('synth_tort_xpgd');
    try {
      const config = parseConfig({ source: { url: mySource.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false } });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status, JSON.stringify(result.integrity.tables.filter((t) => t.failures.length > 0))).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      const notes = result.mappingNotes;
      for (const [t, c] of [['place', 'location'], ['place', 'label'], ['film', 'special_features']] as const) expect(note(notes, t, c), `${t}.${c}`).toBe('lossy');
      // width * height translates, so PostgreSQL computes it; CONCAT(…) does not, so label is a plain NULL column.
      expect(note(notes, 'place', 'surface')).toBe('info');
      expect(result.swap!.notes.join('\n')).toMatch(/2 view\(s\) and 2 trigger\(s\) of the mysql source were not recreated/);
      for (const t of TORTURE_MY_TABLES) {
        if (t === 'audit_log') continue;
        const [src] = await mySource.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${t.replace(/`/g, '``')}\``);
        const [d] = await dst.query<{ n: string }>(`SELECT count(*) AS n FROM public."${t.replace(/"/g, '""')}"`);
        expect(Number(d!.n), t).toBe(Number(src!.n));
      }
      const zero = async (sql: string) => expect(Number((await dst.query<{ n: string }>(sql))[0]!.n), sql).toBe(0);
      await zero(`SELECT count(*) AS n FROM rental WHERE end_date < start_date OR price <= 0`);
      await zero(`SELECT count(*) AS n FROM store s LEFT JOIN staff m ON m.staff_id = s.manager_staff_id WHERE m.staff_id IS NULL`);
      await zero(`SELECT count(*) AS n FROM place WHERE location !~ '^POINT\\(-?[0-9.]+ -?[0-9.]+\\)$'`);
      await zero(`SELECT count(*) AS n FROM place WHERE surface IS DISTINCT FROM width * height`);
      await zero(`SELECT count(*) AS n FROM film WHERE NOT special_features <@ ARRAY['Trailers','Commentaries','Deleted Scenes','Behind the Scenes']`);
      await zero(`SELECT count(*) AS n FROM doc WHERE jsonb_typeof(attrs::jsonb) <> 'object'`);
      // Unsigned limits survive in wider PostgreSQL types.
      const [l] = await dst.query<{ tiny: number; big: string }>(`SELECT max(tiny) AS tiny, max(big)::text AS big FROM limits`);
      expect(Number(l!.tiny)).toBeLessThanOrEqual(255);
      expect(BigInt(l!.big)).toBeGreaterThan(2n ** 63n);
      const [h] = await dst.query<{ max_depth: number; reachable: string; total: string }>(`
        WITH RECURSIVE walk(id, depth) AS (SELECT employee_id, 0 FROM employee WHERE reports_to IS NULL
          UNION ALL SELECT e.employee_id, w.depth + 1 FROM employee e JOIN walk w ON e.reports_to = w.id WHERE w.depth < 1000)
        SELECT max(depth) AS max_depth, count(*) AS reachable, (SELECT count(*) FROM employee) AS total FROM walk`);
      expect(Number(h!.reachable)).toBe(Number(h!.total));
      expect(h!.max_depth).toBe(4);
      const cols = await dst.query<{ attname: string }>(
        `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [`public."${MY_HOSTILE.table.replace(/"/g, '""')}"`],
      );
      // 64-character MySQL names are cut to PostgreSQL's 63 bytes, and said so.
      expect(cols.map((c) => c.attname)).toEqual([MY_HOSTILE.id, MY_HOSTILE.name, MY_HOSTILE.long.slice(0, 63), 'CamelCase']);
      expect(note(notes, MY_HOSTILE.table, MY_HOSTILE.long)).toBe('lossy');
      // A 64-character table name with a two-byte character is 65 bytes: truncated, said, and still loaded.
      expect(note(notes, MY_HOSTILE.longTable, '*')).toBe('lossy');
    } finally {
      await dst.drop();
    }
  });

  it('MariaDB → PostgreSQL refuses, before writing, two long names that PostgreSQL would make the same', async () => {
    const src = await createMysqlDatabase('synth_tort_xlong');
    const dst = await createPgDatabase('synth_tort_xlongd');
    try {
      const a = 'x'.repeat(63) + 'a';
      const b = 'x'.repeat(63) + 'b';
      await src.exec(`CREATE TABLE t (id INT PRIMARY KEY, \`${a}\` INT, \`${b}\` INT); INSERT INTO t VALUES (1, 1, 2), (2, 3, 4);`);
      const config = parseConfig({ source: { url: src.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false } });
      const err = await hydrate({ config, target: 'dev' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).code).toBe('UNSUPPORTED_TYPE');
      expect((err as SynthError).message).toContain(`${src.name}.t.${a}`);
      expect(await dst.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'synth_shadow%'`)).toEqual([]);
    } finally {
      await src.drop();
      await dst.drop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource, openTarget } from '../../src/connectors/index.js';
import { SynthError } from '../../src/errors.js';
import { hydrate, type HydrateResult } from '../../src/pipeline/index.js';
import { createMysqlDatabase, type TestDatabase } from '../support/databases.js';
import { MY_HOSTILE, TORTURE_MYSQL, TORTURE_MY_TABLES, dropWithBackup, myHierarchyStatsSql } from '../support/torture-mysql.js';

let source: TestDatabase;
let target: TestDatabase;
let result: HydrateResult;
let before: Record<string, string>;

const b = (s: string) => `\`${s.replace(/`/g, '``')}\``;

async function checksums(db: TestDatabase): Promise<Record<string, string>> {
  const s = await openSource(db.url);
  try {
    const out: Record<string, string> = {};
    for (const t of TORTURE_MY_TABLES) out[t] = await s.checksum({ schema: db.name, name: t });
    return out;
  } finally {
    await s.close();
  }
}

async function count(db: TestDatabase, sql: string): Promise<number> {
  const [row] = await db.query<{ n: string | number }>(sql);
  return Number(row!.n);
}

beforeAll(async () => {
  source = await createMysqlDatabase('synth_tort_my');
  target = await createMysqlDatabase('synth_tort_myd');
  await source.exec(TORTURE_MYSQL);
  await target.exec(TORTURE_MYSQL);
  before = await checksums(source);
  // rental and the hostile child keep the baseline model: its independent draws break their cross-column CHECKs,
  // which is what the repair test needs (the learned default mostly draws valid pairs).
  const tables = { rental: { model: 'baseline' }, [MY_HOSTILE.child]: { model: 'baseline' } };
  // `invariants: false`: kept order invariants would satisfy the date CHECKs by construction; the repair path is what this covers.
  const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, tables, invariants: false });
  result = await hydrate({ config, target: 'dev' });
}, 120_000);

afterAll(async () => {
  await source?.drop();
  if (target) await dropWithBackup(target);
});

describe('MariaDB torture fixture → MariaDB', () => {
  it('hydrates with zero violations, exact row counts and an unchanged source', async () => {
    expect(result.status, JSON.stringify(result.integrity.tables.filter((t) => t.failures.length > 0))).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    for (const t of TORTURE_MY_TABLES) {
      if (t === 'audit_log') continue;
      const src = await count(source, `SELECT COUNT(*) AS n FROM ${b(t)}`);
      const dst = await count(target, `SELECT COUNT(*) AS n FROM ${b(t)}`);
      expect(dst, t).toBe(src);
    }
    expect(await checksums(source)).toEqual(before);
  });

  it('loads the all-NOT-NULL store/staff cycle and the database enforces both FKs afterwards', async () => {
    const fks = await target.query<{ name: string }>(
      `SELECT CONSTRAINT_NAME AS name FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME IN ('store', 'staff') ORDER BY 1`,
    );
    expect(fks.map((f) => f.name)).toEqual(['staff_store_fk', 'store_manager_fk']);
    expect(await count(target, `SELECT COUNT(*) AS n FROM store s LEFT JOIN staff m ON m.staff_id = s.manager_staff_id WHERE m.staff_id IS NULL`)).toBe(0);
    await expect(target.exec(`UPDATE store SET manager_staff_id = 999999 ORDER BY store_id LIMIT 1`)).rejects.toThrow(/foreign key/i);
  });

  it('generates an acyclic hierarchy whose depth and fan-out follow the source', async () => {
    const sql = myHierarchyStatsSql('employee', 'employee_id', 'reports_to');
    const [src] = await source.query<{ max_depth: number; reachable: number; total: number; mean_fanout: string }>(sql);
    const [dst] = await target.query<{ max_depth: number; reachable: number; total: number; mean_fanout: string }>(sql);
    expect(Number(dst!.reachable)).toBe(Number(dst!.total));
    expect(Math.abs(Number(dst!.max_depth) - Number(src!.max_depth))).toBeLessThanOrEqual(1);
    expect(Math.abs(Number(dst!.mean_fanout) - Number(src!.mean_fanout)) / Number(src!.mean_fanout)).toBeLessThanOrEqual(0.35);
  });

  it('keeps depth and fan-out when the hierarchy is bigger than the training sample (walked in the source)', async () => {
    const dst = await createMysqlDatabase('synth_tort_mydeep');
    try {
      const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false }, training: { sampleRows: 100 } });
      expect((await hydrate({ config, target: 'dev' })).status).toBe('ok');
      const sql = myHierarchyStatsSql('employee', 'employee_id', 'reports_to');
      const [src] = await source.query<{ max_depth: number; mean_fanout: string }>(sql);
      const [out] = await dst.query<{ max_depth: number; reachable: number; total: number; mean_fanout: string }>(sql);
      expect(Number(out!.reachable)).toBe(Number(out!.total));
      expect(Number(out!.max_depth)).toBe(Number(src!.max_depth));
      expect(Math.abs(Number(out!.mean_fanout) - Number(src!.mean_fanout)) / Number(src!.mean_fanout)).toBeLessThanOrEqual(0.35);
    } finally {
      await dropWithBackup(dst);
    }
  });

  it('keeps composite keys over FK columns unique', async () => {
    expect(await count(target, `SELECT COUNT(*) AS n FROM (SELECT actor_id, film_id FROM film_actor GROUP BY 1, 2 HAVING COUNT(*) > 1) d`)).toBe(0);
    expect(await count(target, `SELECT COUNT(*) AS n FROM (SELECT playlist_id, position FROM playlist_track GROUP BY 1, 2 HAVING COUNT(*) > 1) d`)).toBe(0);
  });

  it('satisfies cross-column CHECKs, and says how many rows it repaired', async () => {
    expect(await count(target, `SELECT COUNT(*) AS n FROM rental WHERE end_date < start_date OR price <= 0`)).toBe(0);
    expect(await count(target, `SELECT COUNT(*) AS n FROM ${b(MY_HOSTILE.child)} WHERE \`to\` < \`from\``)).toBe(0);
    expect(result.integrity.resampled?.[`${source.name}.rental`] ?? 0).toBeGreaterThan(0);
    expect(result.integrity.resampled?.[`${source.name}.${MY_HOSTILE.child}`] ?? 0).toBeGreaterThan(0);
  });

  it('round-trips ENUM, SET, YEAR, spatial, JSON, generated columns and unsigned limits', async () => {
    const [f] = await target.query<Record<string, string | number>>(`
      SELECT COUNT(DISTINCT rating) AS ratings, SUM(FIND_IN_SET('Trailers', special_features) > 0) AS trailers,
             MIN(release_year) AS y0, MAX(release_year) AS y1 FROM film`);
    expect(Number(f!.ratings)).toBeGreaterThan(1);
    expect(Number(f!.trailers)).toBeGreaterThan(0);
    expect(Number(f!.y0)).toBeGreaterThanOrEqual(1990);
    expect(Number(f!.y1)).toBeLessThanOrEqual(2019);
    // MariaDB 10.11 has no ST_IsValid (MySQL 8 and MariaDB 11 do): there, a polygon is valid here when its ring is
    // closed and simple and the geometry parses back from its own WKT.
    const hasIsValid = await target.query(`SELECT ST_IsValid(POINT(0, 0)) AS v`).then(() => true, () => false);
    const valid = (g: string) =>
      hasIsValid ? `ST_IsValid(${g})` : `(ST_GeomFromText(ST_AsText(${g})) IS NOT NULL AND ST_IsSimple(${g}) AND NOT ST_IsEmpty(${g})
        AND (ST_GeometryType(${g}) <> 'POLYGON' OR (ST_IsClosed(ST_ExteriorRing(${g})) AND ST_Area(${g}) > 0)))`;
    const [p] = await target.query<Record<string, string | number>>(`
      SELECT SUM(NOT ${valid('location')}) AS bad_points, SUM(area IS NOT NULL AND NOT ${valid('area')}) AS bad_areas,
             SUM(ST_GeometryType(location) <> 'POINT') AS not_points, SUM(surface <> width * height) AS bad_surface,
             SUM(label <> CONCAT(name, ' (', width, 'x', height, ')')) AS bad_label FROM place`);
    for (const k of ['bad_points', 'bad_areas', 'not_points', 'bad_surface', 'bad_label']) expect(Number(p![k]), k).toBe(0);
    const gen = await target.query<{ c: string; e: string }>(
      `SELECT COLUMN_NAME AS c, EXTRA AS e FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'place' AND COLUMN_NAME IN ('surface', 'label') ORDER BY 1`,
    );
    expect(gen.map((g) => g.e.toUpperCase())).toEqual(['VIRTUAL GENERATED', 'STORED GENERATED']);
    const [l] = await target.query<Record<string, string>>(
      `SELECT MAX(tiny) AS tiny, MAX(small) AS small, CAST(MAX(big) AS CHAR) AS big, CAST(MIN(big) AS CHAR) AS minbig, MIN(signed_tiny) AS st FROM limits`,
    );
    expect(Number(l!.tiny)).toBeLessThanOrEqual(255);
    expect(Number(l!.tiny)).toBeGreaterThan(200);
    expect(BigInt(l!.big!)).toBeGreaterThan(2n ** 63n);
    expect(Number(l!.st)).toBeGreaterThanOrEqual(-128);
    const [d] = await target.query<Record<string, string | number>>(
      `SELECT SUM(NOT JSON_VALID(attrs)) AS bad, SUM(extra IS NOT NULL AND NOT JSON_VALID(extra)) AS bad_extra, COUNT(DISTINCT flags) AS flag_sets FROM doc`,
    );
    expect(Number(d!.bad)).toBe(0);
    expect(Number(d!.bad_extra)).toBe(0);
    expect(Number(d!.flag_sets)).toBeGreaterThan(1);
    await target.exec(`INSERT INTO rental (film_id, staff_id, start_date, end_date, price) SELECT MIN(film_id), MIN(staff_id), '2024-01-01', '2024-01-02', 1 FROM film, staff`);
  });

  it('fires no trigger during the load, keeps the triggers afterwards, and the views work after the swap', async () => {
    expect(await count(target, `SELECT COUNT(*) AS n FROM ledger WHERE memo = 'TRIGGERED'`)).toBe(0);
    expect(await count(target, `SELECT COUNT(*) AS n FROM audit_log`)).toBe(0);
    expect(await count(target, `SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = 'ledger'`)).toBe(2);
    expect(await count(target, `SELECT COUNT(*) AS n FROM film_cast`)).toBe(await count(target, 'SELECT COUNT(*) AS n FROM film'));
    expect(await count(target, `SELECT COUNT(*) AS n FROM \`naïve view\``)).toBeGreaterThan(0);
  });

  it('round-trips hostile identifiers, and rolls back over them', async () => {
    const cols = await target.query<{ c: string }>(
      `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [MY_HOSTILE.table],
    );
    expect(cols.map((c) => c.c)).toEqual([MY_HOSTILE.id, MY_HOSTILE.name, MY_HOSTILE.long, 'CamelCase']);
    await target.exec(`UPDATE ${b(MY_HOSTILE.table)} SET ${b(MY_HOSTILE.name)} = 'marker' ORDER BY ${b(MY_HOSTILE.id)} LIMIT 1`);
    const t = await openTarget(target.url);
    try {
      await t.rollback();
      expect(await count(target, `SELECT COUNT(*) AS n FROM ${b(MY_HOSTILE.table)} WHERE ${b(MY_HOSTILE.name)} = 'marker'`)).toBe(0);
      expect(await count(target, `SELECT COUNT(*) AS n FROM ${b(MY_HOSTILE.table)} WHERE ${b(MY_HOSTILE.name)} = 'Kunde 1'`)).toBe(1);
      // The replaced tables became the backup: a second rollback goes forward again, as on PostgreSQL.
      await t.rollback();
      expect(await count(target, `SELECT COUNT(*) AS n FROM ${b(MY_HOSTILE.table)} WHERE ${b(MY_HOSTILE.name)} = 'marker'`)).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('refuses an impossible scale on a composite key before anything is loaded', async () => {
    const dst = await createMysqlDatabase('synth_tort_myu');
    try {
      await dst.exec(`CREATE TABLE film_actor (actor_id INT, film_id INT); INSERT INTO film_actor VALUES (1, 1);`);
      const config = parseConfig({
        source: { url: source.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false },
        tables: { film_actor: { scale: 100 } },
      });
      const stages: string[] = [];
      const err = await hydrate({ config, target: 'dev', emit: (e) => void (e.type === 'stage' && e.status === 'start' && stages.push(e.stage)) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).code).toBe('UNIQUENESS_IMPOSSIBLE');
      expect((err as SynthError).table).toMatch(/film_actor$/);
      expect((err as SynthError).column).toBe('actor_id, film_id');
      // Refused before a shadow was created, let alone loaded.
      expect(stages).not.toContain('shadow');
      expect(stages).not.toContain('load');
      expect((err as SynthError).message).toMatch(/film_actor.*actor_id/s);
      const dbs = await dst.query<{ d: string }>(`SELECT SCHEMA_NAME AS d FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'synth\\_shadow%'`);
      expect(dbs.filter((x) => x.d.includes(dst.name))).toEqual([]);
      expect(await dst.query('SELECT * FROM film_actor')).toEqual([{ actor_id: 1, film_id: 1 }]);
    } finally {
      await dropWithBackup(dst);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openTarget } from '../../src/connectors/index.js';
import { SynthError } from '../../src/errors.js';
import { hydrate, type HydrateResult } from '../../src/pipeline/index.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { PG_HOSTILE, TORTURE_PG, TORTURE_PG_TABLES, pgHierarchyStatsSql } from '../support/torture-pg.js';

let source: TestDatabase;
let target: TestDatabase;
let result: HydrateResult;

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

async function checksums(db: TestDatabase): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TORTURE_PG_TABLES) {
    const [row] = await db.query<{ sum: string }>(`SELECT md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))) AS sum FROM public.${q(t)} x`);
    out[t] = row!.sum;
  }
  return out;
}

async function count(db: TestDatabase, sql: string): Promise<number> {
  const [row] = await db.query<{ n: string }>(sql);
  return Number(row!.n);
}

let before: Record<string, string>;

beforeAll(async () => {
  source = await createPgDatabase('synth_tort_src');
  target = await createPgDatabase('synth_tort_dst');
  await source.exec(TORTURE_PG);
  // The target has its own copy of the schema (with the triggers), so the swap must replace and not fire them.
  await target.exec(TORTURE_PG);
  before = await checksums(source);
  // rental and the hostile child keep the baseline model: its independent draws break their cross-column CHECKs,
  // which is what the repair test needs (the learned default mostly draws valid pairs).
  const tables = { rental: { model: 'baseline' }, [PG_HOSTILE.child]: { model: 'baseline' } };
  // `invariants: false`: kept order invariants would satisfy end_date ≥ start_date by construction, and the repair
  // path is what this fixture covers.
  const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, tables, invariants: false });
  result = await hydrate({ config, target: 'dev' });
}, 120_000);

afterAll(async () => {
  await source?.drop();
  await target?.drop();
});

describe('PostgreSQL torture fixture → PostgreSQL', () => {
  it('hydrates with zero violations, exact row counts and an unchanged source', async () => {
    expect(result.status, JSON.stringify(result.integrity.tables.filter((t) => t.failures.length > 0))).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    for (const t of TORTURE_PG_TABLES) {
      if (t === 'audit_log') continue;
      const src = await count(source, `SELECT count(*) AS n FROM public.${q(t)}`);
      const dst = await count(target, `SELECT count(*) AS n FROM public.${q(t)}`);
      expect(dst, t).toBe(src);
    }
    expect(await checksums(source)).toEqual(before);
  });

  it('loads the all-NOT-NULL store/staff cycle and the database enforces both FKs afterwards', async () => {
    const fks = await target.query<{ conname: string }>(
      `SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid IN ('public.store'::regclass, 'public.staff'::regclass) ORDER BY 1`,
    );
    expect(fks.map((f) => f.conname)).toEqual(['staff_store_id_fkey', 'store_manager_fkey']);
    expect(await count(target, `SELECT count(*) AS n FROM store s LEFT JOIN staff m ON m.staff_id = s.manager_staff_id WHERE m.staff_id IS NULL`)).toBe(0);
    await expect(target.exec(`UPDATE store SET manager_staff_id = -1 WHERE store_id = (SELECT min(store_id) FROM store)`)).rejects.toThrow(/foreign key/);
  });

  it('generates an acyclic hierarchy whose depth and fan-out follow the source', async () => {
    const sql = pgHierarchyStatsSql('employee', 'employee_id', 'reports_to');
    const [src] = await source.query<{ max_depth: number; reachable: string; total: string; mean_fanout: number }>(sql);
    const [dst] = await target.query<{ max_depth: number; reachable: string; total: string; mean_fanout: number }>(sql);
    // Every row reachable from a root ⇔ no cycle.
    expect(Number(dst!.reachable)).toBe(Number(dst!.total));
    expect(Math.abs(dst!.max_depth - src!.max_depth)).toBeLessThanOrEqual(1);
    expect(Math.abs(dst!.mean_fanout - src!.mean_fanout) / src!.mean_fanout).toBeLessThanOrEqual(0.35);
  });

  it('keeps depth and fan-out when the hierarchy is bigger than the training sample (walked in the source)', async () => {
    const dst = await createPgDatabase('synth_tort_deep');
    try {
      const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false }, training: { sampleRows: 100 } });
      expect((await hydrate({ config, target: 'dev' })).status).toBe('ok');
      const sql = pgHierarchyStatsSql('employee', 'employee_id', 'reports_to');
      const [src] = await source.query<{ max_depth: number; mean_fanout: number }>(sql);
      const [out] = await dst.query<{ max_depth: number; reachable: string; total: string; mean_fanout: number }>(sql);
      expect(Number(out!.reachable)).toBe(Number(out!.total));
      expect(out!.max_depth).toBe(src!.max_depth);
      expect(Math.abs(out!.mean_fanout - src!.mean_fanout) / src!.mean_fanout).toBeLessThanOrEqual(0.35);
    } finally {
      await dst.drop();
    }
  });

  it('keeps composite keys over FK columns unique', async () => {
    expect(await count(target, `SELECT count(*) AS n FROM (SELECT actor_id, film_id FROM film_actor GROUP BY 1, 2 HAVING count(*) > 1) d`)).toBe(0);
    expect(await count(target, `SELECT count(*) AS n FROM (SELECT playlist_id, position FROM playlist_track GROUP BY 1, 2 HAVING count(*) > 1) d`)).toBe(0);
  });

  it('satisfies cross-column CHECKs, and says how many rows it repaired', async () => {
    expect(await count(target, `SELECT count(*) AS n FROM rental WHERE end_date < start_date OR price <= 0`)).toBe(0);
    expect(await count(target, `SELECT count(*) AS n FROM film WHERE rating NOT IN ('G','PG','PG-13','R','NC-17')`)).toBe(0);
    expect(await count(target, `SELECT count(*) AS n FROM ${q(PG_HOSTILE.child)} WHERE "to" < "from"`)).toBe(0);
    expect(result.integrity.resampled?.['public.rental'] ?? 0).toBeGreaterThan(0);
    // Repair goes through the hostile identifiers too.
    expect(result.integrity.resampled?.[`public.${PG_HOSTILE.child}`] ?? 0).toBeGreaterThan(0);
  });

  it('routes rows to the right partitions and keeps the FK declared on one partition', async () => {
    expect(await count(target, `SELECT count(*) AS n FROM measurement_2023 WHERE logdate >= '2024-01-01'`)).toBe(0);
    expect(await count(target, `SELECT count(*) AS n FROM measurement_2023`)).toBeGreaterThan(0);
    expect(await count(target, `SELECT count(*) AS n FROM measurement_2024`)).toBeGreaterThan(0);
    expect(await count(target, `SELECT count(*) AS n FROM region_sale_eu WHERE region NOT IN ('de','fr','it')`)).toBe(0);
    expect(await count(target, `SELECT count(*) AS n FROM region_sale_us`)).toBeGreaterThan(0);
    expect(await count(target, `SELECT count(*) AS n FROM pg_constraint WHERE conname = 'region_sale_eu_store_fkey' AND conrelid = 'public.region_sale_eu'::regclass`)).toBe(1);
    // The partition key is in the PK only because PostgreSQL demands it: it follows the source distribution instead
    // of being a run of distinct values (which piled up on the last day that fits, or on one list value).
    for (const [table, part] of [['measurement', 'measurement_2023'], ['region_sale', 'region_sale_eu']] as const) {
      const share = async (db: TestDatabase) => (await count(db, `SELECT count(*) AS n FROM ${part}`)) / (await count(db, `SELECT count(*) AS n FROM ${table}`));
      expect(Math.abs((await share(target)) - (await share(source))), part).toBeLessThanOrEqual(0.1);
    }
    expect(await count(target, `SELECT max(n) AS n FROM (SELECT count(*) AS n FROM measurement GROUP BY logdate) x`)).toBeLessThanOrEqual(10);
    expect(await count(target, `SELECT min(n) AS n FROM (SELECT count(*) AS n FROM region_sale GROUP BY region) x`)).toBeGreaterThan(60);
  });

  it('round-trips the type zoo: domains, enums, arrays, json, tsvector, bytea, network, money, bits, generated and identity columns', async () => {
    const rows = await target.query<Record<string, unknown>>(`
      SELECT count(*) FILTER (WHERE zip !~ '^[0-9]{5}$') AS bad_zip,
             count(*) FILTER (WHERE qty <= 0) AS bad_qty,
             count(*) FILTER (WHERE area <> width * height) AS bad_area,
             count(*) FILTER (WHERE jsonb_typeof(attrs) <> 'object') AS bad_json,
             count(DISTINCT feeling) AS moods, count(DISTINCT serial) AS serials, count(*) AS n,
             count(doc) AS docs, count(blob) AS blobs, count(ip) AS ips, count(mac) AS macs, count(flags) AS flags,
             min(price::numeric) AS min_price, count(warranty) AS warranties, count(scores) AS scores
      FROM gadget`);
    const r = rows[0]!;
    expect(Number(r.bad_zip)).toBe(0);
    expect(Number(r.bad_qty)).toBe(0);
    expect(Number(r.bad_area)).toBe(0);
    expect(Number(r.bad_json)).toBe(0);
    expect(Number(r.moods)).toBeGreaterThan(1);
    expect(Number(r.serials)).toBe(Number(r.n));
    for (const c of ['docs', 'blobs', 'ips', 'macs', 'flags', 'warranties', 'scores']) expect(Number(r[c]), c).toBeGreaterThan(0);
    expect(Number(r.min_price)).toBeGreaterThan(0);
    // The generated column is computed by the database, identity columns continue after the generated keys.
    const [g] = await target.query<{ attgenerated: string }>(`SELECT attgenerated FROM pg_attribute WHERE attrelid = 'public.gadget'::regclass AND attname = 'area'`);
    expect(g!.attgenerated).toBe('s');
    await target.exec(`INSERT INTO event_log (happened_at, level) VALUES (now(), 'info')`);
    await expect(target.exec(`INSERT INTO event_log (seq, happened_at, level) VALUES (1, now(), 'info')`)).rejects.toThrow(/GENERATED ALWAYS|non-DEFAULT value/i);
    await target.exec(`INSERT INTO rental (film_id, staff_id, start_date, end_date, price) SELECT min(film_id), min(staff_id), '2024-01-01', '2024-01-02', 1 FROM film, staff`);
  });

  it('fires no trigger during the load, keeps the triggers afterwards, and the views work after the swap', async () => {
    expect(await count(target, `SELECT count(*) AS n FROM ledger WHERE memo = 'TRIGGERED'`)).toBe(0);
    expect(await count(target, `SELECT count(*) AS n FROM audit_log`)).toBe(0);
    expect(await count(target, `SELECT count(*) AS n FROM pg_trigger WHERE tgrelid = 'public.ledger'::regclass AND NOT tgisinternal`)).toBe(2);
    expect(await count(target, `SELECT count(*) AS n FROM film_cast`)).toBe(await count(target, 'SELECT count(*) AS n FROM film'));
    expect(await count(target, `SELECT count(*) AS n FROM ${q('naïve view')}`)).toBeGreaterThan(0);
    expect(await count(target, `SELECT film_count() AS n`)).toBe(500);
  });

  it('round-trips hostile identifiers, and rolls back and forward over them', async () => {
    const cols = await target.query<{ attname: string }>(
      `SELECT attname FROM pg_attribute WHERE attrelid = 'public.${q(PG_HOSTILE.table).replace(/'/g, "''")}'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    );
    expect(cols.map((c) => c.attname)).toEqual([PG_HOSTILE.id, PG_HOSTILE.name, PG_HOSTILE.long, 'CamelCase']);
    expect(await count(target, `SELECT count(*) AS n FROM ${q(PG_HOSTILE.table)} WHERE ${q(PG_HOSTILE.long)} < 0`)).toBe(0);
    await target.exec(`UPDATE ${q(PG_HOSTILE.table)} SET ${q(PG_HOSTILE.name)} = 'marker' WHERE ${q(PG_HOSTILE.id)} = (SELECT min(${q(PG_HOSTILE.id)}) FROM ${q(PG_HOSTILE.table)})`);
    const t = await openTarget(target.url);
    try {
      await t.rollback();
      // The backup is the target's original copy of the fixture (no marker there).
      expect(await count(target, `SELECT count(*) AS n FROM ${q(PG_HOSTILE.table)} WHERE ${q(PG_HOSTILE.name)} = 'marker'`)).toBe(0);
      expect(await count(target, `SELECT count(*) AS n FROM ${q(PG_HOSTILE.table)} WHERE ${q(PG_HOSTILE.name)} = 'Kunde 1'`)).toBe(1);
      await t.rollback();
      expect(await count(target, `SELECT count(*) AS n FROM ${q(PG_HOSTILE.table)} WHERE ${q(PG_HOSTILE.name)} = 'marker'`)).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('refuses an impossible scale on a composite key before anything is loaded', async () => {
    const dst = await createPgDatabase('synth_tort_uniq');
    try {
      await dst.exec(`CREATE TABLE film_actor (actor_id integer, film_id integer); INSERT INTO film_actor VALUES (1, 1);`);
      // 200 actors × 500 films = 100 000 pairs at scale 1; link tables keep the parents' scale, so scaling only
      // film_actor by 100 asks for ~240 000 distinct pairs.
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
      expect((err as SynthError).message).toMatch(/film_actor/);
      expect((err as SynthError).message).toMatch(/actor_id/);
      expect(await dst.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'synth_shadow%'`)).toEqual([]);
      expect(await dst.query('SELECT * FROM film_actor')).toEqual([{ actor_id: 1, film_id: 1 }]);
    } finally {
      await dst.drop();
    }
  });

  it('refuses an ungeneratable type with a SynthError naming table, column and reason, and the hint works', async () => {
    const src = await createPgDatabase('synth_tort_unsup');
    const dst = await createPgDatabase('synth_tort_unsupd');
    try {
      await src.exec(`CREATE TABLE booking (id integer PRIMARY KEY, spot point, note text);
        INSERT INTO booking SELECT i, point(i, i * 2), 'n' || i FROM generate_series(1, 60) i;
        CREATE TABLE guest (id integer PRIMARY KEY, booking_id integer REFERENCES booking(id));
        INSERT INTO guest SELECT i, 1 + i % 60 FROM generate_series(1, 120) i;`);
      const base = { source: { url: src.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false } };
      // 60 bookings under 120 guests read as reference data, which is copied as is, point included (copied-fit.ts):
      // synthesized, the point column has no generator.
      const synthesized = { booking: { mode: 'synthesize' as const } };
      const err = await hydrate({ config: parseConfig({ ...base, tables: synthesized }), target: 'dev' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect(err).toMatchObject({ code: 'UNSUPPORTED_TYPE', table: 'public.booking', column: 'spot' });
      expect((err as SynthError).message).toMatch(/point/);
      expect(await dst.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'synth_shadow%'`)).toEqual([]);
      // What the hint offers: NULL for the column (it is nullable) …
      const redacted = await hydrate({ config: parseConfig({ ...base, tables: { booking: { mode: 'synthesize', columns: { spot: { transform: 'redact' } } } } }), target: 'dev' });
      expect(redacted.status).toBe('ok');
      expect(await dst.query(`SELECT count(*)::int AS n, count(spot)::int AS d FROM booking`)).toEqual([{ n: 60, d: 0 }]);
      // … or the table created empty (its nullable children then point nowhere).
      const skipped = await hydrate({ config: parseConfig({ ...base, tables: { booking: { skip: true } } }), target: 'dev' });
      expect(skipped.status).toBe('ok');
      expect(await dst.query(`SELECT (SELECT count(*)::int FROM booking) AS b, (SELECT count(booking_id)::int FROM guest) AS g`)).toEqual([{ b: 0, g: 0 }]);
    } finally {
      await src.drop();
      await dst.drop();
    }
  });
});

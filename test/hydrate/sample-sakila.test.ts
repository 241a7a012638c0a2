/**
 * MySQL's sakila sample database, never seen by synth's own fixtures, hydrated through the CLI as a user would:
 * MariaDB → MariaDB must be a drop-in copy (schema parity with its triggers, views, routines, SPATIAL/FULLTEXT
 * indexes and ON UPDATE defaults; reference lists verbatim; the application's rules kept; no real person's row),
 * MariaDB → PostgreSQL must load with 0 violations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { dropWithBackup } from '../support/torture-mysql.js';
import { hydrateThroughCli, STACK_FRAME, type HydrateCliRun } from '../fixtures/hydrate-cli.js';
import { createSakila, SAKILA_REFERENCE_TABLES, SAKILA_TABLES } from '../fixtures/sakila-mariadb.js';

let source: TestDatabase;
let target: TestDatabase;
let run: HydrateCliRun;

const n = async (db: TestDatabase, sql: string) => Number((await db.query<{ n: string | number }>(sql))[0]!.n);

beforeAll(async () => {
  source = await createMysqlDatabase('synth_sakila');
  target = await createMysqlDatabase('synth_sakilad');
  await createSakila(source);
  run = await hydrateThroughCli(source.url, target.url, { model: 'baseline', quality: { enabled: false } });
}, 120_000);

afterAll(async () => {
  await source?.drop();
  if (target) await dropWithBackup(target);
});

describe('sakila MariaDB → MariaDB through the CLI (baseline)', () => {
  it('succeeds with 0 violations, full schema parity and no stack trace', () => {
    expect(run.cli.code, run.cli.stderr + run.cli.stdout.slice(-3000)).toBe(0);
    expect(run.last).toMatchObject({ type: 'result', status: 'ok', violations: 0, tables: SAKILA_TABLES.length });
    expect(run.last.parity!.total).toBeGreaterThan(150);
    expect(run.last.parity!.matched).toBe(run.last.parity!.total);
    expect(run.cli.stderr).not.toMatch(STACK_FRAME);
    expect(run.cli.stdout).not.toMatch(STACK_FRAME);
  });

  it('keeps the triggers, views, routines, SPATIAL/FULLTEXT indexes and ON UPDATE defaults', async () => {
    const names = async (sql: string) => (await target.query<{ name: string }>(sql)).map((r) => r.name).sort();
    expect(await names(`SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()`)).toEqual(['customer_create_date', 'del_film', 'ins_film', 'upd_film']);
    expect(await names(`SELECT TABLE_NAME AS name FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()`)).toEqual(['customer_list', 'film_list', 'sales_by_film_category', 'sales_by_store', 'staff_list']);
    expect(await names(`SELECT ROUTINE_NAME AS name FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()`)).toEqual(['film_in_stock', 'get_customer_balance', 'inventory_in_stock']);
    expect(await names(`SELECT CONCAT(TABLE_NAME, '.', INDEX_NAME, ' ', INDEX_TYPE) AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_TYPE IN ('SPATIAL', 'FULLTEXT') GROUP BY 1`))
      .toEqual(['address.idx_location SPATIAL', 'film_text.idx_title_description FULLTEXT']);
    expect(await n(target, `SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME = 'last_update' AND EXTRA LIKE '%on update current_timestamp%'`)).toBe(15);
    // The views and routines run on the generated rows.
    expect(await n(target, `SELECT COUNT(*) AS n FROM customer_list`)).toBeGreaterThan(0);
    expect(await n(target, `SELECT COUNT(*) AS n FROM sales_by_store`)).toBeGreaterThan(0);
    expect(await n(target, `SELECT COUNT(*) AS n FROM film_list`)).toBeGreaterThan(0);
    await target.query(`SELECT get_customer_balance(customer_id, NOW()) FROM customer LIMIT 5`);
    await target.exec(`CALL film_in_stock((SELECT MIN(film_id) FROM film), 1, @c)`);
  });

  it('keeps row counts close, the reference lists verbatim and the rental/payment rules', async () => {
    for (const t of SAKILA_TABLES) {
      const src = await n(source, `SELECT COUNT(*) AS n FROM ${t}`);
      const dst = await n(target, `SELECT COUNT(*) AS n FROM ${t}`);
      expect(Math.abs(dst - src), `${t}: ${src} → ${dst}`).toBeLessThanOrEqual(Math.max(2, src * 0.1));
    }
    for (const t of SAKILA_REFERENCE_TABLES) {
      const sql = `SELECT * FROM ${t} ORDER BY 1`;
      expect(await target.query(sql), t).toEqual(await source.query(sql));
    }
    expect(await n(target, `SELECT COUNT(*) AS n FROM rental WHERE return_date < rental_date`)).toBe(0);
    expect(await n(target, `SELECT COUNT(*) AS n FROM payment WHERE amount <= 0`)).toBe(0);
    // The store/staff cycle: each store's manager exists and manages one store.
    expect(await n(target, `SELECT COUNT(*) AS n FROM store s JOIN staff m ON m.staff_id = s.manager_staff_id`)).toBe(2);
  });

  it('copies no real person: actor, customer and staff names and emails are not the source’s', async () => {
    for (const t of ['actor', 'customer', 'staff']) {
      const sql = `SELECT CONCAT(first_name, ' ', last_name) AS name FROM ${t}`;
      const real = new Set((await source.query<{ name: string }>(sql)).map((r) => r.name.toLowerCase()));
      const out = (await target.query<{ name: string }>(sql)).map((r) => r.name.toLowerCase());
      const copied = out.filter((name) => real.has(name));
      expect(copied.length, `${t}: ${copied.slice(0, 5).join(', ')}`).toBeLessThanOrEqual(Math.ceil(out.length * 0.02));
    }
    for (const t of ['customer', 'staff']) {
      const sql = `SELECT LOWER(email) AS email FROM ${t} WHERE email IS NOT NULL`;
      const real = new Set((await source.query<{ email: string }>(sql)).map((r) => r.email));
      expect((await target.query<{ email: string }>(sql)).filter((r) => real.has(r.email)), t).toEqual([]);
    }
    const [pic] = await source.query<{ p: Buffer }>(`SELECT picture AS p FROM staff WHERE picture IS NOT NULL`);
    expect(await n(target, `SELECT COUNT(*) AS n FROM staff WHERE picture = X'${pic!.p.toString('hex')}'`)).toBe(0);
  });
});

describe('sakila MariaDB → PostgreSQL through the CLI', () => {
  it('loads every table with 0 violations and the rental/payment rules kept', async () => {
    const pg = await createPgDatabase('synth_sakilapg');
    try {
      const r = await hydrateThroughCli(source.url, pg.url, { model: 'baseline', quality: { enabled: false } });
      expect(r.cli.code, r.cli.stderr + r.cli.stdout.slice(-3000)).toBe(0);
      expect(r.last).toMatchObject({ type: 'result', status: 'ok', violations: 0, tables: SAKILA_TABLES.length });
      expect(r.cli.stderr).not.toMatch(STACK_FRAME);
      const pn = async (sql: string) => Number((await pg.query<{ n: string }>(sql))[0]!.n);
      expect(await pn(`SELECT COUNT(*) AS n FROM public.rental WHERE return_date < rental_date`)).toBe(0);
      expect(await pn(`SELECT COUNT(*) AS n FROM public.payment WHERE amount <= 0`)).toBe(0);
      for (const t of SAKILA_REFERENCE_TABLES) {
        const names = await pg.query<{ v: string }>(`SELECT ${t === 'country' ? 'country' : 'name'}::text AS v FROM public.${t} ORDER BY 1`);
        const src = await source.query<{ v: string }>(`SELECT ${t === 'country' ? 'country' : 'name'} AS v FROM ${t} ORDER BY 1`);
        expect(names.map((x) => x.v.trimEnd()).sort(), t).toEqual(src.map((x) => x.v).sort());
      }
    } finally {
      await pg.drop();
    }
  }, 120_000);
});

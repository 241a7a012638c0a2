import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource, openTarget } from '../../src/connectors/index.js';
import { SynthError } from '../../src/errors.js';
import { hydrate } from '../../src/pipeline/index.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { SHOP_PG, SHOP_TABLES } from '../support/fixtures.js';

let source: TestDatabase;
let target: TestDatabase;

async function checksums(db: TestDatabase): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of SHOP_TABLES) {
    const [row] = await db.query<{ sum: string }>(`SELECT md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))) AS sum FROM "${t}" x`);
    out[t] = row!.sum;
  }
  return out;
}

beforeAll(async () => {
  source = await createPgDatabase('synth_src');
  target = await createPgDatabase('synth_dst');
  await source.exec(SHOP_PG);
});
afterAll(async () => {
  await source?.drop();
  await target?.drop();
});

describe('hydrate PostgreSQL → PostgreSQL', () => {
  it('hydrates every table with zero violations, keeps row counts, and never changes the source', async () => {
    const before = await checksums(source);
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false } });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    for (const t of SHOP_TABLES) {
      const [src] = await source.query<{ n: string }>(`SELECT count(*) AS n FROM "${t}"`);
      const [dst] = await target.query<{ n: string }>(`SELECT count(*) AS n FROM public."${t}"`);
      expect(Math.abs(Number(dst!.n) - Number(src!.n)) / Number(src!.n), t).toBeLessThanOrEqual(0.01);
    }
    // Constraints exist in the live schema after the swap, and the database agrees the data satisfies them.
    const [fks] = await target.query<{ n: string }>(`SELECT count(*) AS n FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND contype = 'f'`);
    expect(Number(fks!.n)).toBe(8);
    // The self-reference is a forest: no employee is their own ancestor.
    const [cyc] = await target.query<{ n: string }>(`
      WITH RECURSIVE up(start, id, depth) AS (
        SELECT employee_id, manager_id, 1 FROM employee WHERE manager_id IS NOT NULL
        UNION ALL SELECT up.start, e.manager_id, depth + 1 FROM up JOIN employee e ON e.employee_id = up.id WHERE e.manager_id IS NOT NULL AND depth < 100)
      SELECT count(*) AS n FROM up WHERE id = start`);
    expect(Number(cyc!.n)).toBe(0);
    // Sequences continue after the generated keys.
    await target.exec(`INSERT INTO employee (name, salary, hired) VALUES ('new', 1, '2024-01-01')`);
    // The view was recreated on the new data.
    const [v] = await target.query<{ n: string }>('SELECT count(*) AS n FROM big_orders');
    expect(Number(v!.n)).toBeGreaterThan(0);
    expect(await checksums(source)).toEqual(before);
  });

  it('is deterministic: the same seed gives the same data', async () => {
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false } });
    const first = await target.query<{ s: string }>(`SELECT md5(string_agg(md5(c::text), '' ORDER BY customer_id)) AS s FROM customer c`);
    await hydrate({ config, target: 'dev' });
    const second = await target.query<{ s: string }>(`SELECT md5(string_agg(md5(c::text), '' ORDER BY customer_id)) AS s FROM customer c`);
    expect(second[0]!.s).toBe(first[0]!.s);
  });

  it('rolls back to the previous data and forward again', async () => {
    await target.exec(`UPDATE public.customer SET email = 'marker@example.com' WHERE customer_id = (SELECT min(customer_id) FROM customer)`);
    // Rollback swaps schemas whatever filled them: the baseline keeps this third run from training networks again.
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, model: 'baseline' });
    await hydrate({ config, target: 'dev' });
    const marker = async () => (await target.query(`SELECT 1 FROM public.customer WHERE email = 'marker@example.com'`)).length;
    expect(await marker()).toBe(0);
    const t = await openTarget(target.url);
    try {
      await t.rollback();
      expect(await marker()).toBe(1);
      await t.rollback();
      expect(await marker()).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('refuses the swap when generated data violates a constraint, leaving the live schema untouched', async () => {
    const src = await createPgDatabase('synth_src_bad');
    const dst = await createPgDatabase('synth_dst_bad');
    try {
      // A CHECK tying two columns through a hash: no generator reproduces it by chance.
      await src.exec(`CREATE TABLE token (id integer PRIMARY KEY, code text NOT NULL, CHECK (code = md5(id::text)));
                      INSERT INTO token SELECT i, md5(i::text) FROM generate_series(1, 200) i;`);
      await dst.exec(`CREATE TABLE token (id integer PRIMARY KEY, code text); INSERT INTO token VALUES (1, 'live');`);
      // The baseline draws code and id independently, so the CHECK fails for nearly every row, as any model's would.
      const config = parseConfig({ source: { url: src.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false }, model: 'baseline' });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status).toBe('refused');
      expect(result.integrity.tables.find((t) => t.table === 'public.token')?.checkViolations).toBeGreaterThan(0);
      expect(await dst.query('SELECT id, code FROM token')).toEqual([{ id: 1, code: 'live' }]);
      const shadows = await dst.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'synth_shadow%'`);
      expect(shadows).toEqual([]);
    } finally {
      await src.drop();
      await dst.drop();
    }
  });

  it('refuses to hydrate a target that is the source database', async () => {
    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: source.url.replace('127.0.0.1', 'localhost') } } });
    const err = await hydrate({ config, target: 'dev' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).code).toBe('SOURCE_IS_TARGET');
  });

  it('opens the source read-only', async () => {
    const s = await openSource(source.url);
    try {
      const schema = await s.introspect();
      expect(schema.tables.map((t) => t.name).sort()).toEqual([...SHOP_TABLES].sort());
    } finally {
      await s.close();
    }
  });
});

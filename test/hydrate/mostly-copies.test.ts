/**
 * Mostly-copied columns end to end on northwind's ship-to pattern (test/fixtures/northwind-ship-to.ts): after a
 * hydrate, with either model, from PostgreSQL or MariaDB, in one process or with a load worker drawing windows of the
 * orders, about as many orders ship to their customer's (generated) name and address as in the source, a copied
 * order carries the whole address and one that is not copied carries none of it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { RunEvent } from '../../src/events.js';
import { hydrate } from '../../src/pipeline/index.js';
import { NORTHWIND_SHIP_TO, northwindShipToSql, SHIP_TO_COUNTS, SHIP_TO_COUNTS_PG } from '../fixtures/northwind-ship-to.js';
import { rulesConfigInput, type ModelKind } from '../support/app-rules.js';
import { runCli } from '../support/cli.js';
import { createMysqlDatabase, pgHydrationFixture, type TestDatabase } from '../support/databases.js';
import { waitForWorker } from '../support/load-workers.js';

const env = pgHydrationFixture('h3_mostly', northwindShipToSql());
const settings = (model: ModelKind) => rulesConfigInput(env, model, { referenceMaxRows: 0, epochs: 3, quality: false });

async function counts(db: TestDatabase, pg: boolean): Promise<Record<string, number>> {
  const [row] = await db.query<Record<string, string | number>>(pg ? SHIP_TO_COUNTS_PG : SHIP_TO_COUNTS);
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}

/** The source's shares within 4 points; every copied address whole, and no other order with part of it. */
function expectShipTo(c: Record<string, number>): void {
  expect(c.orders).toBeGreaterThan(0);
  expect(Math.abs(c.name! / c.orders! - NORTHWIND_SHIP_TO.name / NORTHWIND_SHIP_TO.orders)).toBeLessThan(0.04);
  expect(Math.abs(c.whole_address! / c.orders! - NORTHWIND_SHIP_TO.wholeAddress / NORTHWIND_SHIP_TO.orders)).toBeLessThan(0.04);
  expect(c.street_only).toBe(0);
  // Another street that names the customer's city or postal code by chance (drawn from the source's 89 towns).
  expect(c.partly_elsewhere! / c.orders!).toBeLessThan(0.01);
  expect(c.country).toBe(c.orders);
}

describe('mostly-copied columns (northwind ship-to)', () => {
  it('the source has the pattern: 796/830 names, 777/830 whole addresses, 5 streets without the rest, 35 other streets in the same city or postal code', async () => {
    expect(await counts(env.source, true)).toEqual({ orders: 830, name: 796, address: 782, city: 817, region: 817, postal: 788, whole_address: 777, street_only: 5, partly_elsewhere: 35, country: 830 });
  });

  for (const model of ['baseline', 'learned'] as const) {
    it(`(${model}, PostgreSQL) ship to the customer's generated address about as often, whole or not at all, 0 violations`, async () => {
      const events: string[] = [];
      const result = await hydrate({ config: parseConfig(settings(model)), target: 'dev', emit: (e) => void (e.type === 'info' && events.push(e.message)) });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      expect(events.join('\n')).toMatch(/1 column\(s\) copied from the parent; 5 column\(s\) copied from the parent on most rows/);
      expectShipTo(await counts(env.target, true));
    }, 300_000);
  }

  it('hold when the orders load in a worker process too (the draw is by row index)', async () => {
    // Scale 13: 10 790 orders, two windows of 10 000 rows or less; the hook holds the main process until the worker took one.
    const config = parseConfig({ ...settings('baseline'), scale: 13, generation: { workers: 1, minRows: 1000 } });
    const events: RunEvent[] = [];
    const result = await hydrate({ config, target: 'dev', emit: (e) => events.push(e), hooks: { fault: waitForWorker(events, 'public.orders', 'public.customers') } });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const split = events.flatMap((e) => (e.type === 'info' ? [/public\.orders: \d+ window\(s\) of \d+ rows, \d drawn here, (\d) on 1 worker/.exec(e.message)] : [])).find((m) => m);
    expect(Number(split?.[1] ?? 0)).toBeGreaterThan(0);
    expectShipTo(await counts(env.target, true));
  }, 300_000);

  it('synth plan lists the group with its share, in text and JSON', async () => {
    const configPath = join(env.outDir, 'synth.config.json');
    writeFileSync(configPath, JSON.stringify(settings('baseline')));
    const r = await runCli(['plan', '--config', configPath, '--no-json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('public.orders.ship_country = customers.country through orders_customer_id_fkey (830 rows, 89 parents)');
    expect(r.stdout).toContain(
      'public.orders.ship_address ← customers.address on 93.6 % of rows, with ship_city ← city, ship_region ← region, ship_postal_code ← postal_code (one draw a row for all 4; alone 94.2 %, 98.4 %, 98.4 %, 94.9 %) through orders_customer_id_fkey (830 rows, 89 parents)',
    );
    expect(r.stdout).toMatch(/public\.orders\.ship_name ← customers\.company_name on 95\.9 % of rows through orders_customer_id_fkey/);
    const json = await runCli(['plan', '--config', configPath, '--json']);
    const { rules } = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as { rules: { parentCopies: Array<{ column: string; mostly?: { share: number; group: string[] } }> } };
    const city = rules.parentCopies.find((c) => c.column === 'ship_city');
    expect(city?.mostly?.group).toEqual(['ship_address', 'ship_city', 'ship_region', 'ship_postal_code']);
    expect(city?.mostly?.share).toBeCloseTo(NORTHWIND_SHIP_TO.wholeAddress / NORTHWIND_SHIP_TO.orders, 6);
  }, 120_000);
});

describe('mostly-copied columns, MariaDB to MariaDB', () => {
  const db = {} as { source: TestDatabase; target: TestDatabase };
  beforeAll(async () => {
    db.source = await createMysqlDatabase('h3_mostly_src');
    db.target = await createMysqlDatabase('h3_mostly_dst');
    await db.source.exec(northwindShipToSql());
  });
  afterAll(async () => {
    await db.source?.drop();
    await db.target?.drop();
  });

  it('(baseline) ship to the customer\'s generated address about as often, whole or not at all', async () => {
    const config = parseConfig({ ...settings('baseline'), source: { url: db.source.url }, targets: { dev: { url: db.target.url } } });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    expectShipTo(await counts(db.target, false));
  }, 300_000);
});

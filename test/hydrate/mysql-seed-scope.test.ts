/**
 * A MySQL source's schema is its database, and tables used to be seeded by `database.table`: the same seed on a
 * renamed copy of the database (app_prod vs app_copy) gave other rows. Tables of the source's default schema are now
 * seeded under one fixed name (generation/seed-scope.ts), so the copy hydrates to the very same rows. The fixture
 * reaches every table-labelled stream: learned training and attributes, text and UUID keys, a nullable UNIQUE
 * column's NULLs, FK parents and fresh credentials.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { seedScope } from '../../src/generation/seed-scope.js';
import { hydrate } from '../../src/pipeline/index.js';
import { createMysqlDatabase, type TestDatabase } from '../support/databases.js';
import { dropWithBackup } from '../support/torture-mysql.js';

const FIXTURE = `
CREATE TABLE customer (
  id INT AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(8) NOT NULL UNIQUE,
  nick VARCHAR(20) NULL UNIQUE,
  password_hash CHAR(64) NOT NULL,
  segment VARCHAR(12) NOT NULL,
  joined DATE NOT NULL
);
CREATE TABLE orders (
  id INT AUTO_INCREMENT PRIMARY KEY,
  customer_id INT NOT NULL,
  ext UUID NOT NULL UNIQUE,
  total DECIMAL(10,2) NOT NULL,
  placed DATE NOT NULL,
  CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customer (id)
);
INSERT INTO customer (code, nick, password_hash, segment, joined)
  SELECT CONCAT('C', LPAD(seq, 5, '0')), IF(seq % 3 = 0, NULL, CONCAT('nick', seq)), SHA2(CONCAT('pw', seq), 256),
         ELT(1 + seq % 3, 'retail', 'wholesale', 'online'), DATE '2020-01-01' + INTERVAL seq % 700 DAY
    FROM seq_1_to_300;
INSERT INTO orders (customer_id, ext, total, placed)
  SELECT 1 + seq % 300, UUID(), (seq % 500) + 0.25 * (seq % 4), DATE '2021-01-01' + INTERVAL seq % 365 DAY
    FROM seq_1_to_900;
`;

let prod: TestDatabase;
let copy: TestDatabase;
const targets: TestDatabase[] = [];
const outDir = mkdtempSync(join(tmpdir(), 'synth-seed-scope-'));

beforeAll(async () => {
  prod = await createMysqlDatabase('synth_h5seed_prod');
  copy = await createMysqlDatabase('synth_h5seed_copy');
  await prod.exec(FIXTURE);
  // The copy holds the same rows (UUIDs included), as a dump of app_prod restored as app_copy would.
  await copy.exec(FIXTURE.slice(0, FIXTURE.indexOf('INSERT')));
  await copy.exec(`INSERT INTO customer SELECT * FROM \`${prod.name}\`.customer; INSERT INTO orders SELECT * FROM \`${prod.name}\`.orders;`);
}, 60_000);

afterAll(async () => {
  await prod?.drop();
  await copy?.drop();
  for (const t of targets) await dropWithBackup(t);
});

/** Hydrates `source` into a fresh target with seed 7; every table's checksum there, by table name. */
async function hydrateChecksums(source: TestDatabase): Promise<Map<string, string>> {
  const target = await createMysqlDatabase('synth_h5seed_dst');
  targets.push(target);
  const config = parseConfig({
    source: { url: source.url },
    targets: { dev: { url: target.url } },
    seed: 7,
    outDir,
    training: { epochs: 2 },
    quality: { enabled: false },
  });
  const result = await hydrate({ config, target: 'dev' });
  expect(result.status).toBe('ok');
  const out = await openSource(target.url);
  try {
    const schema = await out.introspect();
    return new Map(await Promise.all(schema.tables.map(async (t) => [t.name, await out.checksum(t)] as const)));
  } finally {
    await out.close();
  }
}

describe('seeds independent of the MySQL source database name', () => {
  it('seeds the default schema as public and other schemas qualified', () => {
    expect(seedScope({ defaultSchema: 'app_prod' }, { schema: 'app_prod', name: 'orders' })).toBe('public.orders');
    expect(seedScope({ defaultSchema: 'app_prod' }, { schema: 'audit', name: 'orders' })).toBe('audit.orders');
    // A PostgreSQL schema records no default: `public` stays `public`, so its output is what it was.
    expect(seedScope({}, { schema: 'public', name: 'orders' })).toBe('public.orders');
    expect(seedScope(undefined, { schema: 'sales', name: 'orders' })).toBe('sales.orders');
  });

  it('the introspected schema names the URL database as the default', async () => {
    const src = await openSource(prod.url);
    try {
      expect((await src.introspect()).defaultSchema).toBe(prod.name);
    } finally {
      await src.close();
    }
  });

  it('the same source under two database names hydrates to identical rows with the same seed', async () => {
    const fromProd = await hydrateChecksums(prod);
    const fromCopy = await hydrateChecksums(copy);
    expect([...fromProd.keys()].sort()).toEqual(['customer', 'orders']);
    expect(fromCopy).toEqual(fromProd);
    // And the rows are new ones, not the source's: the checksums differ from the source tables'.
    const src = await openSource(prod.url);
    try {
      const schema = await src.introspect();
      for (const t of schema.tables) expect(await src.checksum(t), t.name).not.toBe(fromProd.get(t.name));
    } finally {
      await src.close();
    }
  }, 300_000);
});

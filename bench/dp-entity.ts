/**
 * Row-level against entity-level DP on a shop whose orders follow their customer (business customers order more,
 * larger and over the b2b channel), PostgreSQL → PostgreSQL, learned model:
 *   npm run bench -- dp-entity                     3000 customers, ε = 3 and 10
 *   SYNTH_ENTITY_CUSTOMERS=10000 SYNTH_ENTITY_EPSILONS=1,3,10 SYNTH_ENTITY_MODEL=baseline …
 * Each setting reports the Overall score and its properties, the share of the whale customer's secret note in the
 * output (one customer, 300 orders), the largest generated family, ε spent and integrity violations.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { parseConfig } from '../src/config/load-config.js';
import { hydrate } from '../src/pipeline/index.js';
import { freshDatabase } from './sample-datasets.js';

const SECRET = 'whale-secret-note';

export function fixture(customers: number): string {
  return `
CREATE TABLE customer (id serial PRIMARY KEY, segment text NOT NULL, country text NOT NULL, joined date NOT NULL);
CREATE TABLE product (id serial PRIMARY KEY, category text NOT NULL, price numeric(8,2) NOT NULL);
CREATE TABLE orders (
  id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customer(id), channel text NOT NULL,
  amount numeric(10,2) NOT NULL CHECK (amount >= 0), note text,
  ordered_at timestamp NOT NULL, shipped_at timestamp NOT NULL
);
CREATE TABLE order_line (
  id serial PRIMARY KEY, order_id int NOT NULL REFERENCES orders(id), product_id int NOT NULL REFERENCES product(id),
  qty int NOT NULL CHECK (qty > 0)
);
SELECT setseed(0.42);
INSERT INTO customer (segment, country, joined)
SELECT CASE WHEN random() < 0.3 THEN 'business' ELSE 'retail' END,
       (ARRAY['DE','FR','US','GB','NL','SE','IT','ES'])[1 + floor(random() * 8)::int],
       DATE '2015-01-01' + floor(random() * 3000)::int
FROM generate_series(1, ${customers});
INSERT INTO product (category, price)
SELECT (ARRAY['book','tool','food','toy'])[1 + g % 4], round((3 + random() * 120)::numeric, 2) FROM generate_series(1, 200) g;
INSERT INTO orders (customer_id, channel, amount, note, ordered_at, shipped_at)
SELECT customer_id, channel, amount, note, ordered_at,
       -- Dated children: shipped after the order, with a lag by channel (store: handed over at once).
       ordered_at + CASE channel WHEN 'store' THEN interval '0' WHEN 'b2b' THEN (2 + random() * 8) * interval '1 day'
                                 ELSE (0.5 + random() * 3) * interval '1 day' END
FROM (
  SELECT c.id customer_id, o.channel,
         round((CASE WHEN c.segment = 'business' THEN 200 + random() * 400 ELSE 10 + random() * 50 END)::numeric, 2) amount,
         (ARRAY['gift','express','standard',NULL])[1 + floor(random() * 4)::int] note,
         -- After the customer joined, sooner by channel: b2b within a year, web within 2.5, store one to three years on.
         c.joined + (CASE o.channel WHEN 'b2b' THEN random() * 300 WHEN 'web' THEN random() * 900
                     ELSE 270 * floor(random() * 4)::int + 300 + random() * 90 END) * interval '1 day' ordered_at
  FROM customer c,
       LATERAL generate_series(1, CASE WHEN c.segment = 'business' THEN 5 + floor(random() * 10)::int ELSE 1 + floor(random() * 3)::int END) k,
       LATERAL (SELECT CASE WHEN c.segment = 'business' THEN (CASE WHEN random() < 0.85 + 0 * k THEN 'b2b' ELSE 'web' END)
                            ELSE (CASE WHEN random() < 0.6 + 0 * k THEN 'web' ELSE 'store' END) END channel) o
) x;
INSERT INTO orders (customer_id, channel, amount, note, ordered_at, shipped_at)
SELECT 7, 'web', 42, '${SECRET}', c.joined + g * interval '1 day', c.joined + (g + 1) * interval '1 day'
FROM customer c, generate_series(1, 300) g WHERE c.id = 7;
INSERT INTO order_line (order_id, product_id, qty)
SELECT o.id, 1 + floor(random() * 200)::int,
       CASE WHEN o.channel = 'b2b' THEN 10 + floor(random() * 40)::int ELSE 1 + floor(random() * 3)::int END
FROM orders o, LATERAL generate_series(1, 1 + floor(random() * 4 + 0 * o.id)::int) k;
ANALYZE;
`;
}

async function sql<T>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

export async function benchDpEntity(): Promise<Record<string, number | string>> {
  const customers = Number(process.env.SYNTH_ENTITY_CUSTOMERS ?? 3000);
  const epsilons = (process.env.SYNTH_ENTITY_EPSILONS ?? 'off,3,10').split(',');
  const model = process.env.SYNTH_ENTITY_MODEL === 'baseline' ? 'baseline' : 'learned';
  const src = await freshDatabase('pg', 'synth_dp_entity_src');
  const c = new pg.Client({ connectionString: src });
  await c.connect();
  await c.query(fixture(customers));
  await c.end();
  const sizes = await sql<{ t: string; n: string }>(src, `SELECT 'orders' t, count(*) n FROM orders UNION ALL SELECT 'order_line', count(*) FROM order_line`);
  const out: Record<string, number | string> = { model, source: `${customers} customers, ${sizes.map((s) => `${s.n} ${s.t}`).join(', ')}` };
  process.env.SYNTH_PII_KEY ??= 'bench-pii-key';
  const units: Array<'row' | 'entity'> = ['row', 'entity'];
  // DP noise moves the scores between runs: SYNTH_ENTITY_REPEATS=3 runs each setting three times.
  const repeats = Math.max(1, Number(process.env.SYNTH_ENTITY_REPEATS ?? 1));
  const sums = new Map<string, number[]>();
  for (const e of epsilons) {
    for (const unit of e === 'off' ? (['row'] as const) : units) for (let rep = 0; rep < repeats; rep++) {
      const dst = await freshDatabase('pg', 'synth_dp_entity_dst');
      const privacy = e === 'off' ? {} : { privacy: { epsilon: Number(e), delta: 1e-6, ...(unit === 'entity' ? { unit, entity: 'customer', maxRowsPerEntity: 16 } : {}) } };
      const config = parseConfig({
        source: { url: src },
        targets: { dev: { url: dst } },
        model,
        outDir: mkdtempSync(join(tmpdir(), 'synth-entity-bench-')),
        training: { epochs: model === 'learned' ? 10 : undefined, hidden: 128 },
        ...(unit === 'entity' ? { tables: { order_line: { maxRowsPerEntity: 48 } } } : {}),
        ...privacy,
      });
      const setting = e === 'off' ? 'no DP' : `ε=${e} ${unit}`;
      const label = repeats > 1 ? `${setting} #${rep + 1}` : setting;
      const started = Date.now();
      const r = await hydrate({ config, target: 'dev' });
      const q = r.quality;
      const props = (q?.properties ?? []).map((p) => `${p.name.replace('Column ', '').replace(' Trends', '')} ${p.score === null ? 'n/a' : p.score.toFixed(3)}`).join(', ');
      const secret = await sql<{ n: string }>(dst, `SELECT count(*) n FROM orders WHERE note = '${SECRET}'`);
      const family = await sql<{ n: string }>(dst, 'SELECT max(c) n FROM (SELECT count(*) c FROM orders GROUP BY customer_id) x');
      out[label] = `overall ${q?.overall?.toFixed(3) ?? 'n/a'} (${props}) | secret rows ${secret[0]!.n} | largest family ${family[0]!.n} | ε ${r.privacy?.epsilon.toFixed(2) ?? '-'} | violations ${r.integrity.totalViolations} | ${((Date.now() - started) / 1000).toFixed(0)} s`;
      process.stderr.write(`${label}: ${out[label]}\n`);
      const scores: Array<[string, number | null | undefined]> = [['overall', q?.overall], ...(q?.properties ?? []).map((p) => [p.name, p.score] as [string, number | null])];
      for (const [name, v] of scores) if (typeof v === 'number') sums.set(`${setting}\u0000${name}`, [...(sums.get(`${setting}\u0000${name}`) ?? []), v]);
    }
  }
  if (repeats > 1) {
    const means = new Map<string, string[]>();
    for (const [k, v] of sums) {
      const [setting, name] = k.split('\u0000') as [string, string];
      means.set(setting, [...(means.get(setting) ?? []), `${name} ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)} [${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}]`]);
    }
    for (const [setting, parts] of means) out[`${setting} mean`] = parts.join(', ');
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchDpEntity();
  for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(16)} ${v}\n`);
}

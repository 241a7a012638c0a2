/**
 * The ≥1M-row PostgreSQL fixture the benchmarks hydrate: 100k customers and 1M orders with an FK, numerics,
 * categories, timestamps and nullable text, built server-side with generate_series so it takes seconds.
 */
import pg from 'pg';

export const FIXTURE_SQL = `
CREATE TABLE customer (
  customer_id integer PRIMARY KEY,
  name varchar(60) NOT NULL,
  tier text NOT NULL CHECK (tier IN ('basic', 'plus', 'premium')),
  created_at timestamptz NOT NULL,
  balance numeric(10,2) NOT NULL
);
INSERT INTO customer
SELECT i,
       'customer ' || i,
       (ARRAY['basic','basic','basic','plus','plus','premium'])[1 + (i * 7919) % 6],
       timestamptz '2020-01-01' + ((i * 104729) % 1500) * interval '1 day',
       round(((i * 31337) % 100000) / 37.0, 2)
FROM generate_series(1::bigint, 100000) AS i;

CREATE TABLE orders (
  order_id bigint PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customer(customer_id),
  amount numeric(8,2) NOT NULL CHECK (amount > 0),
  status text NOT NULL,
  created_at timestamptz NOT NULL,
  note text
);
INSERT INTO orders
SELECT i,
       1 + (i * 2654435761) % 100000,
       1 + round((((i * 40503) % 50000) / 100.0)::numeric, 2),
       (ARRAY['new','paid','paid','paid','shipped','refunded'])[1 + (i * 13) % 6],
       timestamptz '2022-01-01' + ((i * 7) % 900) * interval '1 day' + (i % 86400) * interval '1 second',
       CASE WHEN i % 5 = 0 THEN NULL ELSE 'note ' || (i % 997) END
FROM generate_series(1::bigint, 1000000) AS i;
ANALYZE;
`;

export async function recreateDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return `${serverUrl}/${name}`;
}

export async function exec(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

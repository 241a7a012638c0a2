/**
 * A small TPC-H-like PostgreSQL schema with what an application relies on: reference tables (region, nation),
 * 4 suppliers per part and exactly 80 parts per supplier (partsupp), and dates in order
 * (orderdate ≤ shipdate ≤ receiptdate, orderdate ≤ commitdate). Deterministic (setseed).
 */
export const TPCH_NATIONS = [
  ['ALGERIA', 0], ['ARGENTINA', 1], ['BRAZIL', 1], ['CANADA', 1], ['EGYPT', 4], ['ETHIOPIA', 0], ['FRANCE', 3], ['GERMANY', 3],
  ['INDIA', 2], ['INDONESIA', 2], ['IRAN', 4], ['IRAQ', 4], ['JAPAN', 2], ['JORDAN', 4], ['KENYA', 0], ['MOROCCO', 0],
  ['MOZAMBIQUE', 0], ['PERU', 1], ['CHINA', 2], ['ROMANIA', 3], ['SAUDI ARABIA', 4], ['VIETNAM', 2], ['RUSSIA', 3],
  ['UNITED KINGDOM', 3], ['UNITED STATES', 1],
] as const;

export function tpchLiteSql(options: { parts?: number; suppliers?: number; customers?: number; orders?: number } = {}): string {
  const parts = options.parts ?? 200;
  const suppliers = options.suppliers ?? 10;
  const customers = options.customers ?? 300;
  const orders = options.orders ?? 1500;
  const nations = TPCH_NATIONS.map(([n, r], i) => `(${i}, '${n}', ${r}, 'nation ${n.toLowerCase()} of region ${r}')`).join(',\n    ');
  return `
  SELECT setseed(0.42);
  CREATE TABLE region (r_regionkey int PRIMARY KEY, r_name text NOT NULL, r_comment text);
  INSERT INTO region VALUES (0, 'AFRICA', 'lar deposits'), (1, 'AMERICA', 'hs use ironic'), (2, 'ASIA', 'ges. thinly even'),
    (3, 'EUROPE', 'ly final courts'), (4, 'MIDDLE EAST', 'uickly special');
  CREATE TABLE nation (n_nationkey int PRIMARY KEY, n_name text NOT NULL, n_regionkey int NOT NULL REFERENCES region, n_comment text);
  INSERT INTO nation VALUES
    ${nations};
  CREATE TABLE supplier (s_suppkey int PRIMARY KEY, s_name text NOT NULL, s_nationkey int NOT NULL REFERENCES nation,
    s_phone text NOT NULL, s_acctbal numeric(12,2) NOT NULL);
  INSERT INTO supplier SELECT i, 'Supplier#' || lpad(i::text, 9, '0'), (i * 7) % 25,
    (10 + (i * 7) % 25)::text || '-' || (100 + floor(random() * 900))::int || '-' || (100 + floor(random() * 900))::int || '-' || (1000 + floor(random() * 9000))::int,
    round((random() * 10000 - 999)::numeric, 2)
    FROM generate_series(1, ${suppliers}) i;
  CREATE TABLE part (p_partkey int PRIMARY KEY, p_name text NOT NULL, p_size int NOT NULL, p_retailprice numeric(12,2) NOT NULL);
  INSERT INTO part SELECT i, (ARRAY['almond','antique','aquamarine','azure','beige','bisque','black','blanched'])[1 + floor(random() * 8)::int] || ' ' ||
    (ARRAY['blue','blush','brown','burlywood','burnished','chartreuse'])[1 + floor(random() * 6)::int], 1 + floor(random() * 50)::int,
    round((900 + i / 10.0 + random() * 100)::numeric, 2) FROM generate_series(1, ${parts}) i;
  CREATE TABLE partsupp (ps_partkey int NOT NULL REFERENCES part, ps_suppkey int NOT NULL REFERENCES supplier,
    ps_availqty int NOT NULL, ps_supplycost numeric(12,2) NOT NULL, PRIMARY KEY (ps_partkey, ps_suppkey));
  INSERT INTO partsupp SELECT p, ((p + k) % ${suppliers}) + 1, 1 + floor(random() * 9999)::int, round((1 + random() * 999)::numeric, 2)
    FROM generate_series(1, ${parts}) p, generate_series(0, 3) k;
  CREATE TABLE customer (c_custkey int PRIMARY KEY, c_name text NOT NULL, c_nationkey int NOT NULL REFERENCES nation,
    c_phone text NOT NULL, c_acctbal numeric(12,2) NOT NULL, c_mktsegment text NOT NULL);
  INSERT INTO customer SELECT i, 'Customer#' || lpad(i::text, 9, '0'), floor(random() * 25)::int,
    (10 + floor(random() * 25))::int || '-' || (100 + floor(random() * 900))::int || '-' || (100 + floor(random() * 900))::int || '-' || (1000 + floor(random() * 9000))::int,
    round((random() * 10000 - 999)::numeric, 2),
    (ARRAY['AUTOMOBILE','BUILDING','FURNITURE','HOUSEHOLD','MACHINERY'])[1 + floor(random() * 5)::int]
    FROM generate_series(1, ${customers}) i;
  CREATE TABLE orders (o_orderkey int PRIMARY KEY, o_custkey int NOT NULL REFERENCES customer, o_orderstatus char(1) NOT NULL,
    o_totalprice numeric(12,2) NOT NULL, o_orderdate date NOT NULL, o_orderpriority text NOT NULL);
  INSERT INTO orders SELECT i, 1 + floor(random() * ${customers})::int, (ARRAY['F','O','P'])[1 + floor(random() * 3)::int],
    round((1000 + random() * 400000)::numeric, 2), date '1992-01-01' + floor(random() * 2400)::int,
    (ARRAY['1-URGENT','2-HIGH','3-MEDIUM','4-NOT SPECIFIED','5-LOW'])[1 + floor(random() * 5)::int]
    FROM generate_series(1, ${orders}) i;
  CREATE TABLE lineitem (l_orderkey int NOT NULL REFERENCES orders, l_linenumber int NOT NULL, l_partkey int NOT NULL, l_suppkey int NOT NULL,
    l_quantity int NOT NULL, l_extendedprice numeric(12,2) NOT NULL, l_discount numeric(4,2) NOT NULL, l_tax numeric(4,2) NOT NULL,
    l_shipdate date NOT NULL, l_commitdate date NOT NULL, l_receiptdate date NOT NULL, l_shipmode text NOT NULL,
    PRIMARY KEY (l_orderkey, l_linenumber), FOREIGN KEY (l_partkey, l_suppkey) REFERENCES partsupp (ps_partkey, ps_suppkey));
  INSERT INTO lineitem
    SELECT o.o_orderkey, n, ps.ps_partkey, ps.ps_suppkey, q, round((q * (900 + random() * 100))::numeric, 2),
      round((random() * 0.10)::numeric, 2), round((random() * 0.08)::numeric, 2), s, o.o_orderdate + 30 + floor(random() * 61)::int,
      s + 1 + floor(random() * 30)::int, (ARRAY['AIR','MAIL','RAIL','SHIP','TRUCK'])[1 + floor(random() * 5)::int]
    FROM orders o
    CROSS JOIN LATERAL generate_series(1, 1 + (o.o_orderkey * 7919) % 7) n
    CROSS JOIN LATERAL (SELECT n AS line, 1 + floor(random() * 50)::int AS q, o.o_orderdate + 1 + floor(random() * 121)::int AS s, 1 + floor(random() * ${parts * 4}) ::int AS pick) r
    JOIN (SELECT ps_partkey, ps_suppkey, row_number() OVER (ORDER BY ps_partkey, ps_suppkey) AS rn FROM partsupp) ps ON ps.rn = r.pick;
  `;
}

/**
 * The `scale` bench's TPC-H-like fixture, the same rows on PostgreSQL and MariaDB: region, nation, supplier, part,
 * partsupp (4 suppliers per part), customer, orders and a large lineitem (1–7 lines per order, a composite FK to
 * partsupp), with dates in order and numeric amounts. Rows come from integer hashes of the keys, not random(), so
 * both servers hold identical data and a rebuild is identical too. SF1 is 8 660 030 rows (lineitem 6 000 000).
 */
export type Dialect = 'postgres' | 'mysql';

/** Rows of TPC-H SF1 in the eight tables. */
export const SF1_ROWS = 8_660_030;

export interface ScaleSizes {
  suppliers: number;
  parts: number;
  customers: number;
  orders: number;
}

/** Table sizes for about `totalRows` rows in all (lineitem averages 4 lines per order, partsupp 4 per part). */
export function scaleSizes(totalRows: number): ScaleSizes {
  const sf = totalRows / SF1_ROWS;
  return {
    suppliers: Math.max(8, Math.round(10_000 * sf)),
    parts: Math.max(10, Math.round(200_000 * sf)),
    customers: Math.max(10, Math.round(150_000 * sf)),
    orders: Math.max(10, Math.round(1_500_000 * sf)),
  };
}

export const SCALE_TABLES = ['region', 'nation', 'supplier', 'part', 'partsupp', 'customer', 'orders', 'lineitem'] as const;

const FOREIGN_KEYS: Array<[string, string, string, string]> = [
  ['nation', 'n_regionkey', 'region', 'r_regionkey'],
  ['supplier', 's_nationkey', 'nation', 'n_nationkey'],
  ['partsupp', 'ps_partkey', 'part', 'p_partkey'],
  ['partsupp', 'ps_suppkey', 'supplier', 's_suppkey'],
  ['customer', 'c_nationkey', 'nation', 'n_nationkey'],
  ['orders', 'o_custkey', 'customer', 'c_custkey'],
  ['lineitem', 'l_orderkey', 'orders', 'o_orderkey'],
  // The composite FK of the fact table.
  ['lineitem', 'l_partkey, l_suppkey', 'partsupp', 'ps_partkey, ps_suppkey'],
];

const NATIONS = ['ALGERIA', 'ARGENTINA', 'BRAZIL', 'CANADA', 'EGYPT', 'ETHIOPIA', 'FRANCE', 'GERMANY', 'INDIA', 'INDONESIA', 'IRAN', 'IRAQ', 'JAPAN',
  'JORDAN', 'KENYA', 'MOROCCO', 'MOZAMBIQUE', 'PERU', 'CHINA', 'ROMANIA', 'SAUDI ARABIA', 'VIETNAM', 'RUSSIA', 'UNITED KINGDOM', 'UNITED STATES'];
const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];

/** The dialect's spelling of the few expressions that differ. */
function sqlOf(d: Dialect) {
  const pg = d === 'postgres';
  return {
    pick: (options: string[], index: string) => (pg ? `(ARRAY[${options.map((o) => `'${o}'`).join(', ')}])[1 + (${index})]` : `ELT(1 + (${index}), ${options.map((o) => `'${o}'`).join(', ')})`),
    concat: (...parts: string[]) => (pg ? parts.join(' || ') : `CONCAT(${parts.join(', ')})`),
    pad: (n: string, width: number) => (pg ? `lpad((${n})::text, ${width}, '0')` : `LPAD(${n}, ${width}, '0')`),
    date: (days: string) => (pg ? `(date '1992-01-01' + (${days})::int)` : `DATE_ADD('1992-01-01', INTERVAL (${days}) DAY)`),
    series: (alias: string, n: number) => (pg ? `generate_series(1::bigint, ${n}) ${alias}` : `seq_1_to_${n} ${alias}_t`),
    col: (alias: string) => (pg ? alias : `${alias}_t.seq`),
    text: pg ? 'text' : 'VARCHAR(120)',
    int: pg ? 'integer' : 'INT',
    big: pg ? 'bigint' : 'BIGINT',
    dec: (p: number, s: number) => (pg ? `numeric(${p},${s})` : `DECIMAL(${p},${s})`),
  };
}

/** DDL and data of the fixture, as statements to run in order in an empty database. */
export function scaleFixtureSql(d: Dialect, sizes: ScaleSizes): string[] {
  const q = sqlOf(d);
  const { suppliers: S, parts: P, customers: C, orders: O } = sizes;
  const quarter = Math.max(1, Math.floor(S / 4));
  // The k-th supplier of part p (k = 0..3): distinct for one part as long as there are at least 4 suppliers.
  const supplierOf = (p: string, k: string) => `((${p} + (${k}) * ${quarter}) % ${S}) + 1`;
  const s = q.col('s');
  const statements = [
    `CREATE TABLE region (r_regionkey ${q.int} PRIMARY KEY, r_name ${q.text} NOT NULL, r_comment ${q.text} NOT NULL)`,
    `INSERT INTO region VALUES ${REGIONS.map((r, i) => `(${i}, '${r}', 'region ${r.toLowerCase()}')`).join(', ')}`,
    `CREATE TABLE nation (n_nationkey ${q.int} PRIMARY KEY, n_name ${q.text} NOT NULL, n_regionkey ${q.int} NOT NULL, n_comment ${q.text} NOT NULL)`,
    `INSERT INTO nation VALUES ${NATIONS.map((n, i) => `(${i}, '${n}', ${(i * 7) % 5}, 'nation ${n.toLowerCase()}')`).join(', ')}`,
    `CREATE TABLE supplier (s_suppkey ${q.int} PRIMARY KEY, s_name ${q.text} NOT NULL, s_nationkey ${q.int} NOT NULL,
       s_phone ${q.text} NOT NULL, s_acctbal ${q.dec(12, 2)} NOT NULL)`,
    `INSERT INTO supplier SELECT ${s}, ${q.concat(`'Supplier#'`, q.pad(s, 9))}, ${s} * 7 % 25,
       ${q.concat(`'1'`, `${q.pad(`${s} % 100`, 2)}`, `'-'`, q.pad(`${s} * 7919 % 1000`, 3), `'-'`, q.pad(`${s} * 104729 % 10000`, 4))},
       ROUND((${s} * 2654435761 % 1099900) * 0.01 - 999, 2) FROM ${q.series('s', S)}`,
    `CREATE TABLE part (p_partkey ${q.int} PRIMARY KEY, p_name ${q.text} NOT NULL, p_brand ${q.text} NOT NULL, p_size ${q.int} NOT NULL, p_retailprice ${q.dec(12, 2)} NOT NULL)`,
    `INSERT INTO part SELECT ${s}, ${q.concat(q.pick(['almond', 'antique', 'aquamarine', 'azure', 'beige', 'bisque', 'black', 'blanched'], `${s} * 31 % 8`), `' '`, q.pick(['blue', 'blush', 'brown', 'burlywood', 'chartreuse', 'chiffon'], `${s} * 17 % 6`))},
       ${q.concat(`'Brand#'`, `${s} % 5 + 1`, `${s} * 7 % 5 + 1`)}, 1 + ${s} * 13 % 50, ROUND(900 + (${s} % 20001) * 0.01 + (${s} % 1000) * 0.1, 2) FROM ${q.series('s', P)}`,
    `CREATE TABLE partsupp (ps_partkey ${q.int} NOT NULL, ps_suppkey ${q.int} NOT NULL,
       ps_availqty ${q.int} NOT NULL, ps_supplycost ${q.dec(12, 2)} NOT NULL, PRIMARY KEY (ps_partkey, ps_suppkey))`,
    `INSERT INTO partsupp SELECT ${s}, ${supplierOf(s, q.col('k') + ' - 1')}, 1 + (${s} * 7919 + ${q.col('k')}) % 9999, ROUND(1 + ((${s} * 104729 + ${q.col('k')} * 31) % 99900) * 0.01, 2)
       FROM ${q.series('s', P)} CROSS JOIN ${q.series('k', 4)}`,
    `CREATE TABLE customer (c_custkey ${q.int} PRIMARY KEY, c_name ${q.text} NOT NULL, c_nationkey ${q.int} NOT NULL,
       c_acctbal ${q.dec(12, 2)} NOT NULL, c_mktsegment ${q.text} NOT NULL)`,
    `INSERT INTO customer SELECT ${s}, ${q.concat(`'Customer#'`, q.pad(s, 9))}, ${s} * 2654435761 % 25, ROUND((${s} * 40503 % 1099900) * 0.01 - 999, 2),
       ${q.pick(['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY'], `${s} * 7 % 5`)} FROM ${q.series('s', C)}`,
    `CREATE TABLE orders (o_orderkey ${q.big} PRIMARY KEY, o_custkey ${q.int} NOT NULL, o_orderstatus ${q.text} NOT NULL,
       o_totalprice ${q.dec(12, 2)} NOT NULL, o_orderdate date NOT NULL, o_orderpriority ${q.text} NOT NULL)`,
    `INSERT INTO orders SELECT ${s}, 1 + ${s} * 2654435761 % ${C}, ${q.pick(['F', 'O', 'P'], `${s} * 13 % 3`)}, ROUND(1000 + (${s} * 69069 % 40000000) * 0.01, 2),
       ${q.date(`${s} * 37 % 2400`)}, ${q.pick(['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'], `${s} * 11 % 5`)} FROM ${q.series('s', O)}`,
    `CREATE TABLE lineitem (l_orderkey ${q.big} NOT NULL, l_linenumber ${q.int} NOT NULL, l_partkey ${q.int} NOT NULL, l_suppkey ${q.int} NOT NULL,
       l_quantity ${q.int} NOT NULL, l_extendedprice ${q.dec(12, 2)} NOT NULL, l_discount ${q.dec(4, 2)} NOT NULL, l_tax ${q.dec(4, 2)} NOT NULL,
       l_shipdate date NOT NULL, l_commitdate date NOT NULL, l_receiptdate date NOT NULL, l_shipmode ${q.text} NOT NULL,
       PRIMARY KEY (l_orderkey, l_linenumber))`,
    lineitemInsert(d, sizes, supplierOf),
  ];
  // Foreign keys after the data: the rows are consistent by construction, so MariaDB adds them without a check
  // (a rebuild of each table otherwise) and PostgreSQL checks each once instead of row by row.
  if (d === 'mysql') statements.unshift('SET foreign_key_checks = 0');
  for (const [table, columns, parent, parentColumns] of FOREIGN_KEYS) {
    statements.push(`ALTER TABLE ${table} ADD FOREIGN KEY (${columns}) REFERENCES ${parent} (${parentColumns})`);
  }
  if (d === 'postgres') statements.push('ANALYZE');
  else statements.push('SET foreign_key_checks = 1', `ANALYZE TABLE ${SCALE_TABLES.join(', ')}`);
  return statements;
}

function lineitemInsert(d: Dialect, sizes: ScaleSizes, supplierOf: (p: string, k: string) => string): string {
  const q = sqlOf(d);
  const o = q.col('o');
  const n = q.col('n');
  // Order o has 1 + (o · 7919) mod 7 lines; line n's part and which of its 4 suppliers follow from (o, n).
  const part = `(1 + (${o} * 2654435761 + ${n} * 40503) % ${sizes.parts})`;
  const qty = `(1 + (${o} * 31 + ${n} * 17) % 50)`;
  const orderDays = `(${o} * 37 % 2400)`;
  const ship = `(${orderDays} + 1 + (${o} * ${n} * 13) % 121)`;
  return `INSERT INTO lineitem SELECT ${o}, ${n}, ${part}, ${supplierOf(part, `(${o} + ${n}) % 4`)}, ${qty},
      ROUND(${qty} * (900 + (${part} % 1000) * 0.1), 2), ((${o} + ${n}) % 11) * 0.01, ((${o} * ${n}) % 9) * 0.01,
      ${q.date(ship)}, ${q.date(`${orderDays} + 30 + (${o} + ${n} * 7) % 61`)}, ${q.date(`${ship} + 1 + (${o} * 3 + ${n}) % 30`)},
      ${q.pick(['AIR', 'MAIL', 'RAIL', 'SHIP', 'TRUCK'], `(${o} + ${n} * 3) % 5`)}
    FROM ${q.series('o', sizes.orders)} JOIN ${q.series('n', 7)} ON ${n} <= 1 + ${o} * 7919 % 7`;
}

/**
 * The structured fixture of the fidelity bench: orders with dated lines (commit and receipt after the order date),
 * a fixed-fan-out link table (2 tags per order), lookup tables (region, category, tag), and amounts that depend on
 * parent attributes (a line's unit price on the product's list price and the customer's segment, quantities on the
 * segment). `lines` order lines; orders = lines / 4, customers = lines / 50, 2 000 products.
 */
export function structuredFixtureSql(lines: number): string {
  const orders = Math.max(10, Math.floor(lines / 4));
  const customers = Math.max(10, Math.floor(lines / 50));
  return `
SELECT setseed(0.5);
CREATE TABLE region (region_id int PRIMARY KEY, name text NOT NULL, tax_rate numeric(4,3) NOT NULL);
INSERT INTO region VALUES (1,'north',0.200),(2,'south',0.070),(3,'east',0.100),(4,'west',0.150),(5,'central',0.050);
CREATE TABLE category (category_id int PRIMARY KEY, name text NOT NULL, base_price numeric(10,2) NOT NULL);
INSERT INTO category SELECT g, 'category ' || g, (5 * g * g)::numeric(10,2) FROM generate_series(1, 12) g;
CREATE TABLE tag (tag_id int PRIMARY KEY, label text NOT NULL);
INSERT INTO tag SELECT g, 'tag ' || g FROM generate_series(1, 8) g;
CREATE TABLE customer (
  customer_id int PRIMARY KEY, region_id int NOT NULL REFERENCES region, segment text NOT NULL,
  signup_date date NOT NULL, credit_limit numeric(10,2) NOT NULL);
INSERT INTO customer
SELECT g, r, s, date '2015-01-01' + (random() * 2500)::int,
       round(((CASE s WHEN 'enterprise' THEN 50000 WHEN 'smb' THEN 8000 ELSE 1500 END) * (0.5 + random()))::numeric, 2)
FROM (SELECT g, 1 + (random() * 4)::int AS r,
             CASE WHEN random() < 0.15 THEN 'enterprise' WHEN random() < 0.4 THEN 'smb' ELSE 'consumer' END AS s
      FROM generate_series(1, ${customers}) g) x;
CREATE TABLE product (
  product_id int PRIMARY KEY, category_id int NOT NULL REFERENCES category, list_price numeric(10,2) NOT NULL,
  weight_kg numeric(8,3) NOT NULL);
INSERT INTO product
SELECT g, c, round((5 * c * c * (0.6 + 0.8 * random()))::numeric, 2), round((c * (0.2 + random()))::numeric, 3)
FROM (SELECT g, 1 + (random() * 11)::int AS c FROM generate_series(1, 2000) g) x;
CREATE TABLE orders (
  order_id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer, status text NOT NULL,
  priority text NOT NULL, order_date date NOT NULL, ship_date date NOT NULL, delivered_at timestamp,
  CHECK (ship_date >= order_date));
INSERT INTO orders
SELECT g, c, st, pr, od, od + sd, CASE WHEN st = 'delivered' THEN (od + sd + 1 + (random() * 6)::int) + (random() * 86399)::int * interval '1 second' END
FROM (SELECT g, 1 + (random() * (${customers} - 1))::int AS c,
             (ARRAY['delivered','delivered','delivered','shipped','open','cancelled'])[1 + (random() * 5)::int] AS st,
             (ARRAY['low','medium','high','urgent'])[1 + (random() * 3)::int] AS pr,
             date '2021-01-01' + (random() * 1000)::int AS od, (random() * 10)::int AS sd
      FROM generate_series(1, ${orders}) g) x;
CREATE TABLE order_line (
  order_id int NOT NULL REFERENCES orders, line_no int NOT NULL, product_id int NOT NULL REFERENCES product,
  quantity int NOT NULL CHECK (quantity > 0), unit_price numeric(10,2) NOT NULL, discount numeric(4,3) NOT NULL,
  commit_date date NOT NULL, receipt_date date NOT NULL, PRIMARY KEY (order_id, line_no));
INSERT INTO order_line
SELECT o.order_id, l, p.product_id, q,
       round((p.list_price * (CASE cu.segment WHEN 'enterprise' THEN 0.8 WHEN 'smb' THEN 0.9 ELSE 1 END))::numeric, 2),
       CASE cu.segment WHEN 'enterprise' THEN 0.100 WHEN 'smb' THEN 0.050 ELSE 0.000 END + round((random() * 0.02)::numeric, 3),
       o.order_date + 2 + (random() * 5)::int, o.order_date + 4 + (random() * 20)::int
FROM orders o JOIN customer cu USING (customer_id)
CROSS JOIN LATERAL (SELECT l, 1 + ((o.order_id * 7 + l * 13) % 2000) AS pid,
                           1 + floor(-ln(1 - random()) * CASE cu.segment WHEN 'enterprise' THEN 20 ELSE 3 END)::int AS q
                    FROM generate_series(1, 4) l) x
JOIN product p ON p.product_id = x.pid;
CREATE TABLE order_tag (order_id int NOT NULL REFERENCES orders, tag_id int NOT NULL REFERENCES tag, PRIMARY KEY (order_id, tag_id));
INSERT INTO order_tag SELECT order_id, 1 + (order_id % 8) FROM orders UNION ALL SELECT order_id, 1 + ((order_id + 3) % 8) FROM orders;
ANALYZE;`;
}


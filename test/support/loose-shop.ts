/**
 * A shop whose tables relate only by naming and values (no FOREIGN KEY constraint anywhere), as ORMs without
 * constraints and MyISAM schemas leave them. customers 201..300 have no orders and 1..10 many; orders.coupon_id names coupons but
 * mostly holds other values; reviews.product_id names products but is text.
 */
export const LOOSE_SHOP_TABLES = ['customers', 'products', 'coupons', 'orders', 'order_items', 'shipments', 'reviews'] as const;

/** The relations the data follows, in the config's shape. */
export const LOOSE_SHOP_RELATIONS = [
  { from: 'orders.customer_id', to: 'customers.id' },
  { from: 'order_items.order_id', to: 'orders.id' },
  { from: 'order_items.product_id', to: 'products.product_id' },
  { from: 'shipments.(order_id, line_no)', to: 'order_items.(order_id, line_no)' },
];

export const LOOSE_SHOP_PG = `
CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, tier text NOT NULL);
CREATE TABLE products (product_id integer PRIMARY KEY, title text NOT NULL, price numeric(8,2) NOT NULL);
CREATE TABLE coupons (coupon_id integer PRIMARY KEY, percent integer NOT NULL);
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL, coupon_id integer, placed date NOT NULL, total numeric(10,2) NOT NULL);
CREATE TABLE order_items (order_id integer NOT NULL, line_no integer NOT NULL, product_id integer NOT NULL, qty integer NOT NULL, PRIMARY KEY (order_id, line_no));
CREATE TABLE shipments (id integer PRIMARY KEY, order_id integer NOT NULL, line_no integer NOT NULL, carrier text NOT NULL);
CREATE TABLE reviews (id integer PRIMARY KEY, product_id varchar(10) NOT NULL, stars integer NOT NULL);
INSERT INTO customers SELECT i, 'customer ' || i, (ARRAY['gold','silver','bronze'])[1 + i % 3] FROM generate_series(1, 300) i;
INSERT INTO products SELECT 100 + i, 'product ' || i, 2.5 + (i * 7) % 90 FROM generate_series(1, 50) i;
INSERT INTO coupons SELECT i, 5 * (1 + i % 4) FROM generate_series(1, 20) i;
INSERT INTO orders SELECT i, CASE WHEN i % 5 = 0 THEN 1 + i % 10 ELSE 1 + (i * 37) % 200 END, CASE WHEN i % 2 = 0 THEN 1 + i % 97 END, date '2024-01-01' + i % 300, 10 + (i * 13) % 400 FROM generate_series(1, 900) i;
INSERT INTO order_items SELECT o, l, 101 + (o * 7 + l) % 50, 1 + (o + l) % 5 FROM generate_series(1, 900) o CROSS JOIN generate_series(1, 4) l WHERE l <= 1 + o % 4;
INSERT INTO shipments SELECT o, o, 1, (ARRAY['ups','dhl'])[1 + o % 2] FROM generate_series(3, 900, 3) o;
INSERT INTO reviews SELECT i, (100 + 1 + i % 50)::text, 1 + i % 5 FROM generate_series(1, 120) i;
ANALYZE;
`;

/** The same shop on MariaDB/MySQL (MyISAM-style: no constraints), filled from MariaDB's sequence tables. */
export const LOOSE_SHOP_MYSQL = `
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, tier VARCHAR(10) NOT NULL);
CREATE TABLE products (product_id INT PRIMARY KEY, title VARCHAR(40) NOT NULL, price DECIMAL(8,2) NOT NULL);
CREATE TABLE coupons (coupon_id INT PRIMARY KEY, percent INT NOT NULL);
CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, coupon_id INT NULL, placed DATE NOT NULL, total DECIMAL(10,2) NOT NULL);
CREATE TABLE order_items (order_id INT NOT NULL, line_no INT NOT NULL, product_id INT NOT NULL, qty INT NOT NULL, PRIMARY KEY (order_id, line_no));
CREATE TABLE shipments (id INT PRIMARY KEY, order_id INT NOT NULL, line_no INT NOT NULL, carrier VARCHAR(10) NOT NULL);
CREATE TABLE reviews (id INT PRIMARY KEY, product_id VARCHAR(10) NOT NULL, stars INT NOT NULL);
INSERT INTO customers SELECT seq, CONCAT('customer ', seq), ELT(1 + seq % 3, 'gold', 'silver', 'bronze') FROM seq_1_to_300;
INSERT INTO products SELECT 100 + seq, CONCAT('product ', seq), 2.5 + (seq * 7) % 90 FROM seq_1_to_50;
INSERT INTO coupons SELECT seq, 5 * (1 + seq % 4) FROM seq_1_to_20;
INSERT INTO orders SELECT seq, CASE WHEN seq % 5 = 0 THEN 1 + seq % 10 ELSE 1 + (seq * 37) % 200 END, CASE WHEN seq % 2 = 0 THEN 1 + seq % 97 END, DATE_ADD('2024-01-01', INTERVAL seq % 300 DAY), 10 + (seq * 13) % 400 FROM seq_1_to_900;
INSERT INTO order_items SELECT o.seq, l.seq, 101 + (o.seq * 7 + l.seq) % 50, 1 + (o.seq + l.seq) % 5 FROM seq_1_to_900 o CROSS JOIN seq_1_to_4 l WHERE l.seq <= 1 + o.seq % 4;
INSERT INTO shipments SELECT seq, seq, 1, ELT(1 + seq % 2, 'ups', 'dhl') FROM seq_3_to_900_step_3;
INSERT INTO reviews SELECT seq, CAST(101 + seq % 50 AS CHAR), 1 + seq % 5 FROM seq_1_to_120;
`;

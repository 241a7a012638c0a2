/**
 * The MariaDB schema-parity fixture (issue 13): every kind of schema object a drop-in copy must reproduce —
 * SPATIAL, FULLTEXT, prefix and descending indexes, generated columns (VIRTUAL and STORED), ON UPDATE
 * CURRENT_TIMESTAMP, DATETIME(6)/TIMESTAMP(6), charsets and collations per table and column, comments,
 * column- and table-level CHECKs, FK actions, AUTO_INCREMENT, an INVISIBLE column, ROW_FORMAT, a view, a trigger, a
 * procedure, a function, an event, a SEQUENCE a key's default draws from.
 * Each statement is executed on its own (routine bodies contain semicolons).
 */
export const PARITY_MY_TABLES = ['shop_item', 'shop_order', 'item_log', 'tag', 'ticket'] as const;

export const PARITY_MYSQL: string[] = [
  `CREATE TABLE shop_item (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    sku VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'stock keeping unit',
    title VARCHAR(200) NOT NULL,
    body TEXT,
    price DECIMAL(12,4) NOT NULL DEFAULT 0.0000 CHECK (price >= 0),
    qty SMALLINT NOT NULL DEFAULT 1,
    total DECIMAL(16,4) AS (price * qty) STORED,
    title_lc VARCHAR(200) AS (LOWER(title)) VIRTUAL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    location POINT NOT NULL,
    status ENUM('new','sold') NOT NULL DEFAULT 'new',
    UNIQUE KEY uq_sku (sku),
    KEY ix_title_prefix (title(20)),
    KEY ix_created_desc (created_at DESC, id),
    FULLTEXT KEY ft_body (title, body),
    SPATIAL KEY sp_location (location),
    CONSTRAINT qty_positive CHECK (qty > 0)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='items for sale'`,
  `CREATE TABLE shop_order (
    order_id BIGINT AUTO_INCREMENT PRIMARY KEY,
    item_id INT UNSIGNED NOT NULL,
    placed_at DATETIME(6) NOT NULL,
    amount DECIMAL(10,2) NOT NULL,
    note VARCHAR(100) DEFAULT 'none',
    CONSTRAINT fk_order_item FOREIGN KEY (item_id) REFERENCES shop_item (id) ON DELETE CASCADE ON UPDATE RESTRICT,
    KEY ix_placed (placed_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=latin1`,
  `CREATE TABLE item_log (
    id INT AUTO_INCREMENT PRIMARY KEY,
    item_id INT UNSIGNED NOT NULL,
    what VARCHAR(20) NOT NULL,
    at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    internal_note VARCHAR(40) INVISIBLE COMMENT 'not in SELECT *'
  ) ROW_FORMAT=COMPACT`,
  `CREATE TABLE tag (
    tag_id SMALLINT AUTO_INCREMENT,
    item_id INT UNSIGNED NOT NULL,
    label VARCHAR(40) NOT NULL,
    PRIMARY KEY (tag_id),
    UNIQUE KEY uq_item_label (item_id, label),
    FOREIGN KEY (item_id) REFERENCES shop_item (id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  `INSERT INTO shop_item (sku, title, body, price, qty, created_at, updated_at, location, status)
    SELECT CONCAT('SKU-', seq), CONCAT('Item number ', seq), CONCAT('A fine thing, model ', seq % 17, ' of the range'),
           (seq % 500) / 7 + 0.1234, 1 + seq % 9,
           TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq * 3607 SECOND + INTERVAL seq * 137 MICROSECOND,
           TIMESTAMP '2024-06-01 00:00:00' + INTERVAL seq * 61 SECOND + INTERVAL seq * 11 MICROSECOND,
           POINT(seq % 180, seq % 90), IF(seq % 3 = 0, 'sold', 'new')
    FROM seq_1_to_400`,
  `INSERT INTO shop_order (item_id, placed_at, amount, note)
    SELECT 1 + (seq * 7) % 400, TIMESTAMP '2024-02-01 00:00:00' + INTERVAL seq * 977 SECOND + INTERVAL seq * 13 MICROSECOND,
           (seq % 300) + 0.99, IF(seq % 4 = 0, NULL, CONCAT('note ', seq))
    FROM seq_1_to_900`,
  `INSERT INTO item_log (item_id, what, at, internal_note) SELECT 1 + seq % 400, 'created', TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq MINUTE, IF(seq % 3 = 0, NULL, CONCAT('batch ', seq % 7)) FROM seq_1_to_200`,
  `INSERT INTO tag (item_id, label) SELECT 1 + seq % 400, CONCAT('tag', seq % 5) FROM seq_1_to_600 GROUP BY 1, 2`,
  `CREATE SEQUENCE ticket_seq START WITH 1000 INCREMENT BY 5`,
  `CREATE TABLE ticket (id BIGINT NOT NULL DEFAULT nextval(ticket_seq) PRIMARY KEY, label VARCHAR(20) NOT NULL)`,
  `INSERT INTO ticket (label) SELECT CONCAT('t', seq) FROM seq_1_to_150`,
  `CREATE VIEW item_totals AS SELECT i.id, i.title, SUM(o.amount) AS spent FROM shop_item i LEFT JOIN shop_order o ON o.item_id = i.id GROUP BY i.id, i.title`,
  `CREATE ALGORITHM=MERGE VIEW cheap_items AS SELECT id, sku, price FROM shop_item WHERE price < 10 WITH CASCADED CHECK OPTION`,
  `CREATE TRIGGER order_log AFTER INSERT ON shop_order FOR EACH ROW INSERT INTO item_log (item_id, what) VALUES (NEW.item_id, 'ordered')`,
  `CREATE PROCEDURE restock(IN p_id INT, IN p_qty INT)
   BEGIN
     UPDATE shop_item SET qty = qty + p_qty WHERE id = p_id;
     INSERT INTO item_log (item_id, what) VALUES (p_id, 'restocked');
   END`,
  `CREATE FUNCTION order_value(p_id BIGINT) RETURNS DECIMAL(10,2) DETERMINISTIC READS SQL DATA
   RETURN (SELECT amount FROM shop_order WHERE order_id = p_id)`,
  `CREATE EVENT purge_log ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' ON COMPLETION PRESERVE DISABLE
   DO DELETE FROM item_log WHERE at < NOW() - INTERVAL 30 DAY`,
];

/** Creates the fixture statement by statement. */
export async function createParityFixture(db: { exec(sql: string): Promise<void> }): Promise<void> {
  for (const sql of PARITY_MYSQL) await db.exec(sql);
}

import { backupDatabaseName } from '../../src/connectors/mysql/mysql-shadow.js';

/**
 * The MySQL/MariaDB torture fixture (issue 4): every hard schema feature synth claims to handle on MySQL, with a
 * few hundred to a few thousand rows each, built from MariaDB's sequence engine (`seq_1_to_N`) so it is deterministic.
 */

/** Identifiers that break naive quoting: spaces, both quote characters, mixed case, unicode, reserved words, 64 chars. */
export const MY_HOSTILE = {
  table: 'naïve_客户 `Order` "x"',
  id: 'select',
  name: 'Group "name" `x`',
  // 64 characters: MySQL's identifier limit.
  long: 'a_very_long_column_name_that_is_exactly_sixty_four_characters_xy',
  child: 'order',
  // 64 characters, some multi-byte: the longest table name MySQL allows.
  longTable: 'lieferanten_bestellpositionen_über_alle_standorte_und_jahre_xyzw',
} as const;
if ([...MY_HOSTILE.longTable].length !== 64) throw new Error(`long table name is ${[...MY_HOSTILE.longTable].length} characters`);
if ([...MY_HOSTILE.long].length !== 64) throw new Error(`long name is ${[...MY_HOSTILE.long].length} characters`);

const b = (s: string) => `\`${s.replace(/`/g, '``')}\``;

/** Tables whose row counts and checksums the tests compare. */
export const TORTURE_MY_TABLES = [
  'store', 'staff', 'employee', 'actor', 'film', 'film_actor', 'playlist', 'track', 'playlist_track', 'rental',
  'place', 'limits', 'doc', 'ledger', 'audit_log', MY_HOSTILE.table, MY_HOSTILE.child, MY_HOSTILE.longTable,
] as const;

export const TORTURE_MYSQL = `
SET FOREIGN_KEY_CHECKS = 0;
-- All-NOT-NULL FK cycle (Sakila's store/staff).
CREATE TABLE store (
  store_id INT PRIMARY KEY,
  manager_staff_id INT NOT NULL,
  city VARCHAR(40) NOT NULL,
  CONSTRAINT store_manager_fk FOREIGN KEY (manager_staff_id) REFERENCES staff (staff_id)
) ENGINE=InnoDB;
CREATE TABLE staff (
  staff_id INT PRIMARY KEY,
  store_id INT NOT NULL,
  first_name VARCHAR(40) NOT NULL,
  email VARCHAR(80),
  CONSTRAINT staff_store_fk FOREIGN KEY (store_id) REFERENCES store (store_id)
) ENGINE=InnoDB;
INSERT INTO store SELECT seq, seq * 10, CONCAT('City ', seq) FROM seq_1_to_30;
INSERT INTO staff SELECT seq, 1 + (seq - 1) % 30, CONCAT('Staff ', seq), CONCAT('staff', seq, '@example.com') FROM seq_1_to_300;
SET FOREIGN_KEY_CHECKS = 1;

-- Self-reference: CEO → 5 VPs → 25 directors → 125 managers → 500 clerks.
CREATE TABLE employee (
  employee_id INT PRIMARY KEY,
  reports_to INT NULL,
  name VARCHAR(40) NOT NULL,
  salary DECIMAL(10,2) NOT NULL CHECK (salary > 0),
  FOREIGN KEY (reports_to) REFERENCES employee (employee_id)
);
INSERT INTO employee VALUES (1, NULL, 'CEO', 500000);
INSERT INTO employee SELECT seq, 1, CONCAT('VP ', seq), 250000 FROM seq_2_to_6;
INSERT INTO employee SELECT seq, 2 + (seq - 7) DIV 5, CONCAT('Director ', seq), 150000 FROM seq_7_to_31;
INSERT INTO employee SELECT seq, 7 + (seq - 32) DIV 5, CONCAT('Manager ', seq), 90000 + seq FROM seq_32_to_156;
INSERT INTO employee SELECT seq, 32 + (seq - 157) DIV 4, CONCAT('Clerk ', seq), 40000 + seq FROM seq_157_to_656;

-- Link tables: PK over two FK columns.
CREATE TABLE actor (actor_id SMALLINT UNSIGNED PRIMARY KEY, name VARCHAR(45) NOT NULL);
CREATE TABLE film (
  film_id SMALLINT UNSIGNED PRIMARY KEY,
  title VARCHAR(128) NOT NULL,
  rating ENUM('G','PG','PG-13','R','NC-17') DEFAULT 'G',
  special_features SET('Trailers','Commentaries','Deleted Scenes','Behind the Scenes'),
  release_year YEAR,
  rental_rate DECIMAL(4,2) NOT NULL CHECK (rental_rate > 0),
  length SMALLINT UNSIGNED CHECK (length BETWEEN 1 AND 400)
);
CREATE TABLE film_actor (
  actor_id SMALLINT UNSIGNED NOT NULL,
  film_id SMALLINT UNSIGNED NOT NULL,
  PRIMARY KEY (actor_id, film_id),
  FOREIGN KEY (actor_id) REFERENCES actor (actor_id),
  FOREIGN KEY (film_id) REFERENCES film (film_id)
);
INSERT INTO actor SELECT seq, CONCAT('Actor ', seq) FROM seq_1_to_200;
INSERT INTO film SELECT seq, CONCAT('Film ', seq), ELT(1 + seq % 5, 'G','PG','PG-13','R','NC-17'),
  ELT(1 + seq % 4, 'Trailers', 'Trailers,Commentaries', 'Deleted Scenes,Behind the Scenes', ''),
  1990 + seq % 30, 0.99 + (seq % 4) * 1.5, IF(seq % 11 = 0, NULL, 46 + (seq * 7) % 140) FROM seq_1_to_500;
INSERT IGNORE INTO film_actor SELECT 1 + (f.seq * k.seq * 13) % 200, f.seq FROM seq_1_to_500 f, seq_1_to_5 k;

CREATE TABLE playlist (playlist_id INT PRIMARY KEY, name VARCHAR(60) NOT NULL);
CREATE TABLE track (track_id INT PRIMARY KEY, name VARCHAR(60) NOT NULL, milliseconds INT NOT NULL CHECK (milliseconds > 0));
CREATE TABLE playlist_track (
  playlist_id INT NOT NULL,
  track_id INT NOT NULL,
  position INT NOT NULL,
  PRIMARY KEY (playlist_id, track_id),
  UNIQUE KEY uq_position (playlist_id, position),
  FOREIGN KEY (playlist_id) REFERENCES playlist (playlist_id),
  FOREIGN KEY (track_id) REFERENCES track (track_id)
);
INSERT INTO playlist SELECT seq, CONCAT('Playlist ', seq) FROM seq_1_to_18;
INSERT INTO track SELECT seq, CONCAT('Track ', seq), 120000 + (seq * 7919) % 300000 FROM seq_1_to_400;
INSERT INTO playlist_track SELECT p.seq, t.seq, t.seq FROM seq_1_to_18 p, seq_1_to_400 t WHERE (p.seq * t.seq) % 7 < 2;

-- Cross-column CHECKs.
CREATE TABLE rental (
  rental_id INT AUTO_INCREMENT PRIMARY KEY,
  film_id SMALLINT UNSIGNED NOT NULL,
  staff_id INT NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  price DECIMAL(6,2) NOT NULL CHECK (price > 0),
  CONSTRAINT rental_dates CHECK (end_date >= start_date),
  FOREIGN KEY (film_id) REFERENCES film (film_id),
  FOREIGN KEY (staff_id) REFERENCES staff (staff_id)
);
INSERT INTO rental (film_id, staff_id, start_date, end_date, price)
  SELECT 1 + (seq * 7) % 500, 1 + (seq * 3) % 300, DATE '2023-01-01' + INTERVAL seq % 365 DAY,
         DATE '2023-01-01' + INTERVAL (seq % 365 + seq % 3) DAY, 0.5 + (seq % 20) * 0.75
  FROM seq_1_to_1500;

-- Spatial, generated columns.
CREATE TABLE place (
  place_id INT PRIMARY KEY,
  name VARCHAR(40) NOT NULL,
  location POINT NOT NULL,
  area POLYGON,
  width DECIMAL(8,2) NOT NULL,
  height DECIMAL(8,2) NOT NULL,
  surface DECIMAL(16,4) AS (width * height) STORED,
  label VARCHAR(60) AS (CONCAT(name, ' (', width, 'x', height, ')')) VIRTUAL
);
INSERT INTO place (place_id, name, location, area, width, height)
  SELECT seq, CONCAT('Place ', seq), POINT(-10 + (seq % 200) * 0.1, 40 + (seq % 97) * 0.05),
         IF(seq % 3 = 0, NULL, ST_GeomFromText(CONCAT('POLYGON((0 0,', seq % 10 + 1, ' 0,', seq % 10 + 1, ' ', seq % 7 + 1, ',0 ', seq % 7 + 1, ',0 0))'))),
         1 + (seq % 90) * 0.5, 2 + (seq % 40) * 0.25
  FROM seq_1_to_600;

-- Unsigned ranges at their limits.
CREATE TABLE limits (
  id BIGINT UNSIGNED PRIMARY KEY,
  tiny TINYINT UNSIGNED NOT NULL,
  small SMALLINT UNSIGNED NOT NULL,
  big BIGINT UNSIGNED NOT NULL,
  signed_tiny TINYINT NOT NULL
);
INSERT INTO limits SELECT 18446744073709551615 - seq, IF(seq % 10 = 0, 255, seq % 256), IF(seq % 7 = 0, 65535, seq * 13 % 65536),
  IF(seq % 5 = 0, 18446744073709551615, 18446744073709551615 - seq * 1000003), IF(seq % 9 = 0, -128, CAST(seq AS SIGNED) % 128 - 1)
  FROM seq_1_to_500;

-- JSON (MariaDB: LONGTEXT with a json_valid CHECK) and an explicit json_valid CHECK on text.
CREATE TABLE doc (
  doc_id INT PRIMARY KEY,
  attrs JSON NOT NULL,
  extra LONGTEXT CHECK (extra IS NULL OR json_valid(extra)),
  kind ENUM('a','b','c') NOT NULL,
  flags SET('x','y','z') NOT NULL DEFAULT ''
);
INSERT INTO doc SELECT seq, JSON_OBJECT('color', ELT(1 + seq % 3, 'red', 'green', 'blue'), 'size', seq % 40, 'tags', JSON_ARRAY('t', seq % 5)),
  IF(seq % 4 = 0, NULL, JSON_OBJECT('n', seq)), ELT(1 + seq % 3, 'a', 'b', 'c'), ELT(1 + seq % 4, '', 'x', 'x,y', 'y,z') FROM seq_1_to_700;

-- Triggers: one writes an audit row, one rewrites values; neither may fire during the load.
CREATE TABLE ledger (ledger_id INT PRIMARY KEY, memo VARCHAR(40) NOT NULL, amount DECIMAL(10,2) NOT NULL);
CREATE TABLE audit_log (audit_id INT AUTO_INCREMENT PRIMARY KEY, ledger_id INT, note VARCHAR(20) NOT NULL);
INSERT INTO ledger SELECT seq, CONCAT('memo ', seq), (seq * 17) % 5000 / 10.0 FROM seq_1_to_400;
CREATE TRIGGER ledger_audit AFTER INSERT ON ledger FOR EACH ROW INSERT INTO audit_log (ledger_id, note) VALUES (NEW.ledger_id, 'inserted');
CREATE TRIGGER ledger_shout BEFORE INSERT ON ledger FOR EACH ROW SET NEW.memo = 'TRIGGERED';
CREATE VIEW film_cast AS SELECT f.film_id, f.title, COUNT(fa.actor_id) AS actors FROM film f LEFT JOIN film_actor fa ON fa.film_id = f.film_id GROUP BY f.film_id, f.title;

-- Hostile identifiers.
CREATE TABLE ${b(MY_HOSTILE.table)} (
  ${b(MY_HOSTILE.id)} INT PRIMARY KEY,
  ${b(MY_HOSTILE.name)} VARCHAR(40) NOT NULL,
  ${b(MY_HOSTILE.long)} INT NOT NULL CHECK (${b(MY_HOSTILE.long)} >= 0),
  \`CamelCase\` VARCHAR(20)
);
CREATE TABLE ${b(MY_HOSTILE.child)} (
  \`group\` INT PRIMARY KEY,
  \`Customer "Ref"\` INT NOT NULL,
  \`from\` DATE NOT NULL,
  \`to\` DATE NOT NULL,
  CONSTRAINT \`fk "odd" \`\`x\`\`\` FOREIGN KEY (\`Customer "Ref"\`) REFERENCES ${b(MY_HOSTILE.table)} (${b(MY_HOSTILE.id)}),
  CONSTRAINT \`from to\` CHECK (\`to\` >= \`from\`)
);
CREATE VIEW \`naïve view\` AS SELECT c.${b(MY_HOSTILE.id)} AS id, COUNT(*) AS n FROM ${b(MY_HOSTILE.table)} c JOIN ${b(MY_HOSTILE.child)} o ON o.\`Customer "Ref"\` = c.${b(MY_HOSTILE.id)} GROUP BY 1;
INSERT INTO ${b(MY_HOSTILE.table)} SELECT seq, CONCAT('Kunde ', seq), (seq * 37) % 1000, IF(seq % 3 = 0, NULL, CONCAT('Mixed', seq)) FROM seq_1_to_300;
CREATE TABLE ${b(MY_HOSTILE.longTable)} (
  id INT AUTO_INCREMENT PRIMARY KEY,
  ${b(MY_HOSTILE.long)} INT NOT NULL,
  qty INT NOT NULL CHECK (qty > 0),
  UNIQUE KEY (${b(MY_HOSTILE.long)}, qty),
  KEY (qty),
  FOREIGN KEY (${b(MY_HOSTILE.long)}) REFERENCES ${b(MY_HOSTILE.table)} (${b(MY_HOSTILE.id)})
);
INSERT INTO ${b(MY_HOSTILE.longTable)} (${b(MY_HOSTILE.long)}, qty) SELECT 1 + seq % 300, 1 + seq DIV 300 FROM seq_0_to_599;
INSERT INTO ${b(MY_HOSTILE.child)} SELECT seq, 1 + (seq * 7) % 300, DATE '2024-01-01' + INTERVAL seq % 200 DAY, DATE '2024-01-01' + INTERVAL (seq % 200 + seq % 9) DAY FROM seq_1_to_900;
`;

/** Max depth, reachable rows and mean fan-out of a self-referencing hierarchy (MariaDB recursive CTE). */
export function myHierarchyStatsSql(table: string, id: string, parent: string): string {
  return `
    WITH RECURSIVE walk(id, depth) AS (
      SELECT ${id}, 0 FROM ${table} WHERE ${parent} IS NULL
      UNION ALL
      SELECT e.${id}, w.depth + 1 FROM ${table} e JOIN walk w ON e.${parent} = w.id WHERE w.depth < 1000)
    SELECT (SELECT MAX(depth) FROM walk) AS max_depth,
           (SELECT COUNT(*) FROM walk) AS reachable,
           (SELECT COUNT(*) FROM ${table}) AS total,
           (SELECT AVG(n) FROM (SELECT COUNT(*) AS n FROM ${table} WHERE ${parent} IS NOT NULL GROUP BY ${parent}) x) AS mean_fanout`;
}

/**
 * Drops a MySQL test target together with the backup database a swap leaves next to it (`<db>__synth_backup`),
 * which the plain `drop()` of test/support/databases.ts does not know about.
 */
export async function dropWithBackup(db: { name: string; exec(sql: string): Promise<void>; drop(): Promise<void> }): Promise<void> {
  await db.exec(`DROP DATABASE IF EXISTS ${b(backupDatabaseName(db.name))}`).catch(() => undefined);
  await db.drop();
}

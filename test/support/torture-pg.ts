/**
 * The PostgreSQL torture fixture (issue 4): every hard schema feature synth claims to handle, with a few hundred to
 * a few thousand rows each, built from generate_series so the data is deterministic and realistic enough to learn.
 */

/** Identifiers that break naive quoting: spaces, both quote characters, mixed case, unicode, reserved words, 63 bytes. */
export const PG_HOSTILE = {
  table: 'naïve_客户 "Order"',
  id: 'select',
  name: 'Group `name`',
  // 63 bytes exactly: PostgreSQL's identifier limit (NAMEDATALEN - 1).
  long: 'a_very_long_column_name_that_is_exactly_sixty_three_bytes_longx',
  child: 'order',
  // 63 bytes with multi-byte characters: the longest table name PostgreSQL keeps.
  longTable: 'lieferanten_bestellpositionen_über_alle_standorte_und_jahre_xy',
} as const;
if (Buffer.byteLength(PG_HOSTILE.longTable) !== 63) throw new Error(`long table name is ${Buffer.byteLength(PG_HOSTILE.longTable)} bytes`);
if (Buffer.byteLength(PG_HOSTILE.long) !== 63) throw new Error(`long name is ${Buffer.byteLength(PG_HOSTILE.long)} bytes`);

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Tables whose row counts and checksums the tests compare (schema public). */
export const TORTURE_PG_TABLES = [
  'store', 'staff', 'employee', 'actor', 'film', 'film_actor', 'playlist', 'track', 'playlist_track', 'rental',
  'measurement', 'region_sale', 'gadget', 'event_log', 'ledger', 'audit_log', PG_HOSTILE.table, PG_HOSTILE.child, PG_HOSTILE.longTable,
] as const;

export const TORTURE_PG = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic');
CREATE DOMAIN us_postal AS text CHECK (VALUE ~ '^[0-9]{5}$');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);

-- All-NOT-NULL FK cycle (Sakila's store/staff): needs both sides loaded before either FK is enforced.
CREATE TABLE store (
  store_id integer PRIMARY KEY,
  manager_staff_id integer NOT NULL,
  city text NOT NULL
);
CREATE TABLE staff (
  staff_id integer PRIMARY KEY,
  store_id integer NOT NULL REFERENCES store(store_id),
  first_name text NOT NULL,
  email text
);
INSERT INTO store SELECT i, i * 10, 'City ' || i FROM generate_series(1, 30) i;
INSERT INTO staff SELECT i, 1 + (i - 1) % 30, 'Staff ' || i, 'staff' || i || '@example.com' FROM generate_series(1, 300) i;
ALTER TABLE store ADD CONSTRAINT store_manager_fkey FOREIGN KEY (manager_staff_id) REFERENCES staff(staff_id);

-- Self-reference: a hierarchy 1 CEO → 5 VPs → 25 directors → 125 managers → 500 staff (depth 4, fan-out 5/4).
CREATE TABLE employee (
  employee_id integer PRIMARY KEY,
  reports_to integer REFERENCES employee(employee_id),
  name text NOT NULL,
  salary numeric(10,2) NOT NULL CHECK (salary > 0)
);
INSERT INTO employee VALUES (1, NULL, 'CEO', 500000);
INSERT INTO employee SELECT i, 1, 'VP ' || i, 250000 FROM generate_series(2, 6) i;
INSERT INTO employee SELECT i, 2 + (i - 7) / 5, 'Director ' || i, 150000 FROM generate_series(7, 31) i;
INSERT INTO employee SELECT i, 7 + (i - 32) / 5, 'Manager ' || i, 90000 + i FROM generate_series(32, 156) i;
INSERT INTO employee SELECT i, 32 + (i - 157) / 4, 'Clerk ' || i, 40000 + i FROM generate_series(157, 656) i;

-- Link tables: PK over two FK columns.
CREATE TABLE actor (actor_id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE film (
  film_id integer PRIMARY KEY,
  title text NOT NULL,
  rating text NOT NULL CHECK (rating IN ('G', 'PG', 'PG-13', 'R', 'NC-17')),
  rental_rate numeric(4,2) NOT NULL CHECK (rental_rate > 0),
  length smallint CHECK (length BETWEEN 1 AND 400),
  release_year positive_int
);
CREATE TABLE film_actor (
  actor_id integer NOT NULL REFERENCES actor(actor_id),
  film_id integer NOT NULL REFERENCES film(film_id),
  PRIMARY KEY (actor_id, film_id)
);
INSERT INTO actor SELECT i, 'Actor ' || i FROM generate_series(1, 200) i;
INSERT INTO film SELECT i, 'Film ' || i, (ARRAY['G','PG','PG-13','R','NC-17'])[1 + i % 5], 0.99 + (i % 4) * 1.5,
  CASE WHEN i % 11 = 0 THEN NULL ELSE 46 + (i * 7) % 140 END, 1990 + i % 30 FROM generate_series(1, 500) i;
INSERT INTO film_actor SELECT DISTINCT 1 + (f * k * 13) % 200, f FROM generate_series(1, 500) f, generate_series(1, 5) k;

CREATE TABLE playlist (playlist_id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE track (track_id integer PRIMARY KEY, name text NOT NULL, milliseconds integer NOT NULL CHECK (milliseconds > 0));
CREATE TABLE playlist_track (
  playlist_id integer NOT NULL REFERENCES playlist(playlist_id),
  track_id integer NOT NULL REFERENCES track(track_id),
  position integer NOT NULL,
  PRIMARY KEY (playlist_id, track_id),
  UNIQUE (playlist_id, position)
);
INSERT INTO playlist SELECT i, 'Playlist ' || i FROM generate_series(1, 18) i;
INSERT INTO track SELECT i, 'Track ' || i, 120000 + (i * 7919) % 300000 FROM generate_series(1, 400) i;
INSERT INTO playlist_track SELECT p, t, t FROM generate_series(1, 18) p, generate_series(1, 400) t WHERE (p * t) % 7 < 2;

-- Cross-column CHECKs the per-column baseline cannot satisfy by itself.
CREATE TABLE rental (
  rental_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  film_id integer NOT NULL REFERENCES film(film_id),
  staff_id integer NOT NULL REFERENCES staff(staff_id),
  start_date date NOT NULL,
  end_date date NOT NULL,
  price numeric(6,2) NOT NULL CHECK (price > 0),
  CONSTRAINT rental_dates CHECK (end_date >= start_date)
);
INSERT INTO rental (film_id, staff_id, start_date, end_date, price)
  SELECT 1 + (i * 7) % 500, 1 + (i * 3) % 300, date '2023-01-01' + i % 365, date '2023-01-01' + i % 365 + (i % 3),
         0.5 + (i % 20) * 0.75
  FROM generate_series(1, 1500) i;

-- Partitioned tables: RANGE and LIST, and an FK declared on one partition only.
CREATE TABLE measurement (
  id integer NOT NULL,
  logdate date NOT NULL,
  peak integer NOT NULL,
  PRIMARY KEY (id, logdate)
) PARTITION BY RANGE (logdate);
CREATE TABLE measurement_2023 PARTITION OF measurement FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE measurement_2024 PARTITION OF measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO measurement SELECT i, date '2023-01-01' + (i * 3) % 730, (i * 31) % 1000 FROM generate_series(1, 1000) i;
CREATE TABLE region_sale (
  sale_id integer NOT NULL,
  region text NOT NULL,
  amount numeric(10,2) NOT NULL,
  store_id integer NOT NULL,
  PRIMARY KEY (sale_id, region)
) PARTITION BY LIST (region);
CREATE TABLE region_sale_eu PARTITION OF region_sale FOR VALUES IN ('de', 'fr', 'it');
CREATE TABLE region_sale_us PARTITION OF region_sale FOR VALUES IN ('us', 'ca');
ALTER TABLE region_sale_eu ADD CONSTRAINT region_sale_eu_store_fkey FOREIGN KEY (store_id) REFERENCES store(store_id);
INSERT INTO region_sale SELECT i, (ARRAY['de','fr','it','us','ca'])[1 + i % 5], (i * 13) % 900 + 10, 1 + i % 30 FROM generate_series(1, 600) i;

-- Type zoo.
CREATE TABLE gadget (
  gadget_id uuid PRIMARY KEY,
  serial integer GENERATED BY DEFAULT AS IDENTITY UNIQUE,
  zip us_postal NOT NULL,
  qty positive_int NOT NULL,
  feeling mood NOT NULL,
  tags text[] NOT NULL,
  scores integer[],
  attrs jsonb NOT NULL,
  raw_doc json,
  doc tsvector,
  blob bytea,
  warranty interval,
  ip inet,
  net cidr,
  mac macaddr,
  price money NOT NULL,
  flags bit varying(16),
  width numeric(8,2) NOT NULL,
  height numeric(8,2) NOT NULL,
  area numeric(16,4) GENERATED ALWAYS AS (width * height) STORED
);
INSERT INTO gadget (gadget_id, zip, qty, feeling, tags, scores, attrs, raw_doc, doc, blob, warranty, ip, net, mac, price, flags, width, height)
  SELECT md5('g' || i)::uuid, lpad(((i * 7919) % 99999)::text, 5, '0'), 1 + i % 50,
         (ARRAY['sad','ok','happy','ecstatic']::mood[])[1 + i % 4],
         ARRAY['t' || i % 7, 'k' || i % 3], CASE WHEN i % 5 = 0 THEN NULL ELSE ARRAY[i % 10, i % 100] END,
         jsonb_build_object('color', (ARRAY['red','green','blue'])[1 + i % 3], 'size', i % 40, 'ok', i % 2 = 0),
         CASE WHEN i % 4 = 0 THEN NULL ELSE json_build_object('n', i) END,
         to_tsvector('english', 'gadget number ' || i || ' ships quickly'),
         CASE WHEN i % 6 = 0 THEN NULL ELSE decode(md5(i::text), 'hex') END,
         make_interval(days => i % 400, hours => i % 24),
         ('10.' || (i % 250) || '.' || (i % 200) || '.' || (1 + i % 250))::inet,
         ('10.' || (i % 250) || '.0.0/16')::cidr,
         ('08:00:2b:01:' || lpad(to_hex(i % 256), 2, '0') || ':' || lpad(to_hex((i * 7) % 256), 2, '0'))::macaddr,
         (5 + (i % 300))::numeric::money,
         (i % 65536)::bit(16)::varbit,
         1 + (i % 90) * 0.5, 2 + (i % 40) * 0.25
  FROM generate_series(1, 800) i;

-- No primary key, identity ALWAYS.
CREATE TABLE event_log (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  happened_at timestamptz NOT NULL,
  level text NOT NULL,
  message text
);
INSERT INTO event_log (happened_at, level, message)
  SELECT timestamptz '2024-01-01 00:00+00' + i * interval '17 minutes', (ARRAY['info','warn','error'])[1 + (i * i) % 3], 'event ' || i
  FROM generate_series(1, 700) i;

-- Triggers: one writes an audit row on insert, one rewrites values; neither may fire during the load.
CREATE TABLE ledger (ledger_id integer PRIMARY KEY, memo text NOT NULL, amount numeric(10,2) NOT NULL);
CREATE TABLE audit_log (audit_id serial PRIMARY KEY, ledger_id integer, note text NOT NULL);
INSERT INTO ledger SELECT i, 'memo ' || i, (i * 17) % 5000 / 10.0 FROM generate_series(1, 400) i;
CREATE FUNCTION ledger_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO audit_log (ledger_id, note) VALUES (NEW.ledger_id, 'inserted'); RETURN NEW; END $$;
CREATE FUNCTION ledger_shout() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.memo := 'TRIGGERED'; RETURN NEW; END $$;
CREATE TRIGGER ledger_audit_trg AFTER INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_audit();
CREATE TRIGGER ledger_shout_trg BEFORE INSERT OR UPDATE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_shout();
CREATE FUNCTION film_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM film';
CREATE VIEW film_cast AS SELECT f.film_id, f.title, count(fa.actor_id) AS actors FROM film f LEFT JOIN film_actor fa USING (film_id) GROUP BY f.film_id, f.title;

-- Hostile identifiers.
CREATE TABLE ${q(PG_HOSTILE.table)} (
  ${q(PG_HOSTILE.id)} integer PRIMARY KEY,
  ${q(PG_HOSTILE.name)} text NOT NULL,
  ${q(PG_HOSTILE.long)} integer NOT NULL CHECK (${q(PG_HOSTILE.long)} >= 0),
  "CamelCase" text
);
CREATE TABLE ${q(PG_HOSTILE.child)} (
  "group" integer PRIMARY KEY,
  "Customer ""Ref""" integer NOT NULL REFERENCES ${q(PG_HOSTILE.table)} (${q(PG_HOSTILE.id)}),
  "from" date NOT NULL,
  "to" date NOT NULL,
  CHECK ("to" >= "from")
);
CREATE VIEW ${q('naïve view')} AS SELECT c.${q(PG_HOSTILE.id)}, count(*) AS n FROM ${q(PG_HOSTILE.table)} c JOIN ${q(PG_HOSTILE.child)} o ON o."Customer ""Ref""" = c.${q(PG_HOSTILE.id)} GROUP BY 1;
INSERT INTO ${q(PG_HOSTILE.table)} SELECT i, 'Kunde ' || i, (i * 37) % 1000, CASE WHEN i % 3 = 0 THEN NULL ELSE 'Mixed' || i END FROM generate_series(1, 300) i;
CREATE TABLE ${q(PG_HOSTILE.longTable)} (
  id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  ${q(PG_HOSTILE.long)} integer NOT NULL REFERENCES ${q(PG_HOSTILE.table)} (${q(PG_HOSTILE.id)}),
  qty integer NOT NULL CHECK (qty > 0),
  UNIQUE (${q(PG_HOSTILE.long)}, qty)
);
CREATE INDEX ON ${q(PG_HOSTILE.longTable)} (qty);
INSERT INTO ${q(PG_HOSTILE.longTable)} (${q(PG_HOSTILE.long)}, qty) SELECT 1 + i % 300, 1 + i / 300 FROM generate_series(0, 599) i;
INSERT INTO ${q(PG_HOSTILE.child)} SELECT i, 1 + (i * 7) % 300, date '2024-01-01' + i % 200, date '2024-01-01' + i % 200 + i % 9 FROM generate_series(1, 900) i;
`;

/** Max depth and mean fan-out (children per parent that has any) of a self-referencing hierarchy, computed in SQL. */
export function pgHierarchyStatsSql(table: string, id: string, parent: string): string {
  return `
    WITH RECURSIVE walk(id, depth, path) AS (
      SELECT ${id}, 0, ARRAY[${id}] FROM ${table} WHERE ${parent} IS NULL
      UNION ALL
      SELECT e.${id}, w.depth + 1, w.path || e.${id} FROM ${table} e JOIN walk w ON e.${parent} = w.id
      WHERE NOT e.${id} = ANY(w.path) AND w.depth < 1000)
    SELECT (SELECT max(depth) FROM walk) AS max_depth,
           (SELECT count(*) FROM walk) AS reachable,
           (SELECT count(*) FROM ${table}) AS total,
           (SELECT avg(n)::float FROM (SELECT count(*) AS n FROM ${table} WHERE ${parent} IS NOT NULL GROUP BY ${parent}) x) AS mean_fanout`;
}

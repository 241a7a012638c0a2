/** A schema exercising every feature the connector models, created with SQL in each test's own database. */
export const FEATURE_SQL = `
CREATE EXTENSION IF NOT EXISTS plpgsql;
CREATE SCHEMA shop;
CREATE TYPE shop.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN shop.posint AS integer CHECK (VALUE > 0);
CREATE TABLE shop.customers (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email character varying(120) NOT NULL,
  name text,
  mood shop.mood DEFAULT 'ok',
  tags text[],
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT customers_email_key UNIQUE (email)
);
CREATE UNIQUE INDEX customers_name_active ON shop.customers (name) WHERE mood <> 'sad';
CREATE INDEX customers_created_idx ON shop.customers (created_at);
CREATE TABLE shop.orders (
  id bigserial PRIMARY KEY,
  customer_id integer REFERENCES shop.customers(id) ON DELETE CASCADE,
  qty shop.posint NOT NULL,
  price numeric(10,2) NOT NULL CHECK (price >= 0),
  total numeric GENERATED ALWAYS AS (qty * price) STORED,
  note char(3),
  flags bit(4),
  vflags bit varying(8)
);
CREATE TABLE shop."Order Items" (
  order_id bigint NOT NULL,
  line integer NOT NULL,
  "select" text,
  "naïve ""quoted"" name" integer,
  PRIMARY KEY (order_id, line),
  CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES shop.orders(id) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE shop.item_notes (
  id serial PRIMARY KEY,
  order_id bigint,
  line integer,
  body text,
  CONSTRAINT notes_item_fk FOREIGN KEY (order_id, line) REFERENCES shop."Order Items"(order_id, line) ON UPDATE CASCADE ON DELETE SET NULL
);
CREATE TABLE shop.misc (
  id uuid PRIMARY KEY,
  doc json, docb jsonb, tsv tsvector, bin bytea, span interval,
  ip inet, net cidr, mac macaddr, cash money, x xml,
  d date, t time, tz timetz, ts timestamp(3), f4 real, f8 double precision, b boolean,
  n numeric, small smallint, big bigint, ints integer[], moods shop.mood[],
  rng int4range,
  CONSTRAINT misc_small_big_key UNIQUE NULLS NOT DISTINCT (small, big)
);
CREATE TABLE shop.events (
  id bigint NOT NULL,
  at date NOT NULL,
  kind text,
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2023 PARTITION OF shop.events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE shop.events_2024 PARTITION OF shop.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX events_kind_idx ON shop.events (kind);
CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public;
CREATE TABLE shop.bookings (
  id int PRIMARY KEY,
  room int NOT NULL,
  during tsrange NOT NULL,
  CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)
);
CREATE VIEW shop.big_orders AS SELECT o.id, c.email FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id WHERE o.price > 100;
CREATE MATERIALIZED VIEW shop.order_count AS SELECT count(*) AS n FROM shop.orders;
CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.body := coalesce(NEW.body, 'touched'); RETURN NEW; END $$;
CREATE TRIGGER notes_touch BEFORE INSERT ON shop.item_notes FOR EACH ROW EXECUTE FUNCTION shop.touch();
CREATE TRIGGER bookings_touch BEFORE INSERT ON shop.bookings FOR EACH ROW EXECUTE FUNCTION shop.touch();
ALTER TABLE shop.bookings DISABLE TRIGGER bookings_touch;
`;

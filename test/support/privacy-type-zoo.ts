/**
 * A PostgreSQL source with one column of every kind synth generates (arrays, json/jsonb, composite, range, enum,
 * uuid, bytea, inet/cidr/macaddr, bit/varbit, interval, tsvector, xml, money, time), a 5-row lookup table and a
 * 1 000-row child of it: the DP any-schema and small-table tests run on it with `privacy: { epsilon }` alone.
 */
export const PRIVACY_TYPE_ZOO = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE dims AS (w numeric(8,2), h integer, label text);
CREATE TABLE continent (
  id integer PRIMARY KEY,
  name text NOT NULL
);
INSERT INTO continent VALUES (1, 'Africa'), (2, 'Americas'), (3, 'Asia'), (4, 'Europe'), (5, 'Oceania');
CREATE TABLE item (
  id serial PRIMARY KEY,
  continent_id integer NOT NULL REFERENCES continent(id),
  uid uuid NOT NULL,
  feeling mood NOT NULL,
  tags text[] NOT NULL,
  scores integer[],
  days date[],
  attrs jsonb NOT NULL,
  raw_doc json,
  size dims,
  period int4range,
  blob bytea,
  warranty interval,
  ip inet,
  net cidr,
  mac macaddr,
  flags bit(8) NOT NULL,
  vflags bit varying(16),
  doc tsvector,
  page xml,
  price money NOT NULL,
  opens time NOT NULL
);
INSERT INTO item (continent_id, uid, feeling, tags, scores, days, attrs, raw_doc, size, period, blob, warranty, ip, net, mac, flags, vflags, doc, page, price, opens)
SELECT 1 + i % 5,
       md5('u' || i)::uuid,
       (ARRAY['sad','ok','happy']::mood[])[1 + i % 3],
       CASE i % 3 WHEN 0 THEN ARRAY['Deleted Scenes','Trailers'] WHEN 1 THEN ARRAY['Commentaries'] ELSE ARRAY['Behind the Scenes','Deleted Scenes','Trailers'] END,
       CASE WHEN i % 5 = 0 THEN NULL ELSE ARRAY[i % 10, i % 100, i % 7] END,
       ARRAY[DATE '2020-01-01' + i % 300],
       jsonb_build_object('color', (ARRAY['red','green','blue'])[1 + i % 3], 'size', i % 40, 'ok', i % 2 = 0, 'note', 'n' || i),
       CASE WHEN i % 4 = 0 THEN NULL ELSE json_build_object('kind', (ARRAY['a','b'])[1 + i % 2]) END,
       ROW((i % 90) * 0.5, i % 12, 'box' || i % 4)::dims,
       int4range(i % 50, i % 50 + 1 + i % 9),
       CASE WHEN i % 6 = 0 THEN NULL ELSE decode(md5(i::text), 'hex') END,
       make_interval(days => i % 40, hours => i % 24),
       ('10.' || (i % 250) || '.' || (i % 200) || '.' || (1 + i % 250))::inet,
       ('10.' || (i % 250) || '.0.0/16')::cidr,
       ('08:00:2b:01:' || lpad(to_hex(i % 256), 2, '0') || ':' || lpad(to_hex((i * 7) % 256), 2, '0'))::macaddr,
       (i % 256)::bit(8),
       (i % 65536)::bit(16)::varbit,
       to_tsvector('english', 'gadget number ' || i || ' ships quickly'),
       ('<item><n>' || i % 30 || '</n></item>')::xml,
       (5 + (i % 300))::numeric::money,
       TIME '08:00' + (i % 600) * interval '1 minute'
FROM generate_series(1, 1000) i;
`;

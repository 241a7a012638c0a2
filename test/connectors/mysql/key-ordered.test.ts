/**
 * Which shadow tables MariaDB / MySQL create with their primary key (mysql-shadow.ts keyOrdered): those whose rows
 * the generator emits in key order, so InnoDB appends to the clustered index and buildKeys does not rebuild the
 * table. A link table whose key leads with the parent generation groups it by (partsupp's (ps_partkey, ps_suppkey))
 * is one; a key led by another foreign key, or by a parent whose own key is not generated in order, is not.
 */
import { expect, it } from 'vitest';
import { openMysqlTarget } from '../../../src/connectors/mysql/index.js';
import { keyOrdered } from '../../../src/connectors/mysql/mysql-shadow.js';
import type { Table } from '../../../src/schema/model.js';
import type { RowBatch } from '../../../src/schema/values.js';
import { mysqlSourceAndTarget } from '../../support/mysql-connector.js';

const env = mysqlSourceAndTarget('synth_mykeyord', `
  CREATE TABLE part (p_partkey INT PRIMARY KEY, p_name VARCHAR(20) NOT NULL);
  CREATE TABLE supplier (s_suppkey INT PRIMARY KEY);
  CREATE TABLE tag (t_code VARCHAR(10) PRIMARY KEY);
  CREATE TABLE partsupp (ps_partkey INT NOT NULL, ps_suppkey INT NOT NULL, qty INT NOT NULL, PRIMARY KEY (ps_partkey, ps_suppkey),
    CONSTRAINT a_part FOREIGN KEY (ps_partkey) REFERENCES part (p_partkey), CONSTRAINT b_supp FOREIGN KEY (ps_suppkey) REFERENCES supplier (s_suppkey));
  -- Grouped by part (its first NOT NULL foreign key), but the key leads with the supplier: rows arrive out of key order.
  CREATE TABLE supppart (ps_suppkey INT NOT NULL, ps_partkey INT NOT NULL, PRIMARY KEY (ps_suppkey, ps_partkey),
    CONSTRAINT a_part2 FOREIGN KEY (ps_partkey) REFERENCES part (p_partkey), CONSTRAINT b_supp2 FOREIGN KEY (ps_suppkey) REFERENCES supplier (s_suppkey));
  CREATE TABLE line (l_partkey INT NOT NULL, l_no INT NOT NULL, PRIMARY KEY (l_partkey, l_no), CONSTRAINT a_line FOREIGN KEY (l_partkey) REFERENCES part (p_partkey));
  -- A link table whose second parent's key is text (spread by a permutation).
  CREATE TABLE parttag (pt_partkey INT NOT NULL, pt_tag VARCHAR(10) NOT NULL, PRIMARY KEY (pt_partkey, pt_tag),
    CONSTRAINT a_pt FOREIGN KEY (pt_partkey) REFERENCES part (p_partkey), CONSTRAINT b_pt FOREIGN KEY (pt_tag) REFERENCES tag (t_code));
  -- Grouped by a composite foreign key (partsupp's pairs): no generated sequence leads it.
  CREATE TABLE note (n_partkey INT NOT NULL, n_suppkey INT NOT NULL, n_no INT NOT NULL, PRIMARY KEY (n_partkey, n_suppkey, n_no),
    CONSTRAINT a_note FOREIGN KEY (n_partkey, n_suppkey) REFERENCES partsupp (ps_partkey, ps_suppkey));`);

const table = (name: string): Table => env.schema.tables.find((t) => t.name === name)!;

it('holds a link table led by its grouping parent and a line-numbered table, not a key led by the other parent', () => {
  const ordered = ['part', 'supplier', 'tag', 'partsupp', 'supppart', 'line', 'parttag', 'note'].filter((t) => keyOrdered(table(t), env.schema));
  expect(ordered).toEqual(['part', 'supplier', 'partsupp', 'line']);
});

const batch = (rows: number[][]): AsyncIterable<RowBatch> =>
  (async function* () {
    yield { columns: ['ps_partkey', 'ps_suppkey', 'qty'], rows };
  })();

it('creates partsupp with its key, takes pairs in no order within a part and refuses a repeated pair as it loads', async () => {
  const tgt = await openMysqlTarget(env.target.url);
  try {
    const shadow = await tgt.createShadow('ko', env.schema);
    const db = shadow.namespaces[0]!.shadow;
    const keyed = await env.target.query<{ t: string }>(
      "SELECT DISTINCT TABLE_NAME AS t FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_NAME = 'PRIMARY' ORDER BY 1",
      [db],
    );
    expect(keyed.map((r) => r.t)).toEqual(['line', 'part', 'partsupp', 'supplier']);
    // Each part's suppliers dealt in no order, as linkSecondParents does.
    const pairs = Array.from({ length: 500 }, (_, p) => [3, 1, 4, 2].map((s) => [p + 1, (p + s * 7) % 50 + 1, s])).flat();
    expect(await tgt.load(shadow, table('partsupp'), batch(pairs))).toBe(2000);
    const [n] = await env.target.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${db}\`.partsupp`);
    expect(Number(n!.n)).toBe(2000);
    const again = await tgt.createShadow('ko2', env.schema);
    const repeated = [...pairs.slice(0, 900), [17, (16 + 7) % 50 + 1, 9], ...pairs.slice(900)];
    const err = await tgt.load(again, table('partsupp'), batch(repeated)).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', table: 'partsupp' });
  } finally {
    await tgt.close();
  }
}, 60_000);

/**
 * buildKeys builds the plain indexes of a table keyed since creation on connections of their own (mysql-shadow.ts):
 * the gate's other counts run meanwhile, a count or read through such an index waits for it (indexReady), and
 * finalize adds the foreign keys once every build ended. The counts are those of indexes built in the foreground.
 */
import { expect, it } from 'vitest';
import { openMysqlTarget } from '../../../src/connectors/mysql/index.js';
import type { IntegrityCheck } from '../../../src/connectors/connector.js';
import type { RowBatch } from '../../../src/schema/values.js';
import { mysqlSourceAndTarget } from '../../support/mysql-connector.js';

const env = mysqlSourceAndTarget('synth_mybgidx', `
  CREATE TABLE part (p_partkey INT PRIMARY KEY, p_size INT NOT NULL, KEY p_size (p_size));
  CREATE TABLE supplier (s_suppkey INT PRIMARY KEY);
  CREATE TABLE partsupp (ps_partkey INT NOT NULL, ps_suppkey INT NOT NULL, PRIMARY KEY (ps_partkey, ps_suppkey),
    CONSTRAINT a_part FOREIGN KEY (ps_partkey) REFERENCES part (p_partkey), CONSTRAINT b_supp FOREIGN KEY (ps_suppkey) REFERENCES supplier (s_suppkey));
  CREATE TABLE orders (o_orderkey INT PRIMARY KEY, o_partkey INT NOT NULL, KEY o_partkey (o_partkey), CONSTRAINT c_part FOREIGN KEY (o_partkey) REFERENCES part (p_partkey));
  CREATE TABLE lineitem (l_orderkey INT NOT NULL, l_no INT NOT NULL, l_partkey INT NOT NULL, l_suppkey INT NOT NULL, PRIMARY KEY (l_orderkey, l_no),
    KEY l_partkey (l_partkey, l_suppkey),
    CONSTRAINT d_order FOREIGN KEY (l_orderkey) REFERENCES orders (o_orderkey),
    CONSTRAINT e_ps FOREIGN KEY (l_partkey, l_suppkey) REFERENCES partsupp (ps_partkey, ps_suppkey));`);

const once = (columns: string[], rows: number[][]): AsyncIterable<RowBatch> =>
  (async function* () {
    yield { columns, rows };
  })();

it('counts orphans beside the index builds, waits for an index a read needs, and finalize adds the keys', async () => {
  const tgt = await openMysqlTarget(env.target.url);
  const table = (name: string) => env.schema.tables.find((t) => t.name === name)!;
  try {
    const shadow = await tgt.createShadow('bg', env.schema);
    const db = shadow.namespaces[0]!.shadow;
    const parts = Array.from({ length: 200 }, (_, i) => [i + 1, i % 13]);
    const pairs = parts.flatMap(([p]) => [1, 2, 3].map((s) => [p!, s]));
    await tgt.load(shadow, table('part'), once(['p_partkey', 'p_size'], parts));
    await tgt.load(shadow, table('supplier'), once(['s_suppkey'], [[1], [2], [3]]));
    await tgt.load(shadow, table('partsupp'), once(['ps_partkey', 'ps_suppkey'], pairs));
    await tgt.load(shadow, table('orders'), once(['o_orderkey', 'o_partkey'], Array.from({ length: 3000 }, (_, i) => [i + 1, 1 + (i * 7) % 200])));
    // Every line's pair is a partsupp row but one: (250, 1) has no part 250.
    const lines = Array.from({ length: 20000 }, (_, i) => [1 + Math.floor(i / 7), 1 + (i % 7), 1 + (i * 11) % 200, 1 + (i % 3)]);
    lines[9999] = [lines[9999]![0]!, lines[9999]![1]!, 250, 1];
    await tgt.load(shadow, table('lineitem'), once(['l_orderkey', 'l_no', 'l_partkey', 'l_suppkey'], lines));

    expect(await tgt.buildKeys!(shadow, env.schema)).toEqual([]);
    const checks: IntegrityCheck[] = env.schema.tables.flatMap((t) => t.foreignKeys.map((fk): IntegrityCheck => ({ kind: 'orphan', table: t, foreignKey: fk })));
    const counts = await tgt.countViolations(shadow, checks);
    expect(Object.fromEntries(counts.map((c) => [c.check.kind === 'orphan' ? c.check.foreignKey.name : '', c.violations]))).toEqual({ a_part: 0, b_supp: 0, c_part: 0, d_order: 0, e_ps: 1 });

    // Children counted per parent by the index's columns: the read waits for lineitem's index, then finds it.
    const e = table('lineitem').foreignKeys.find((fk) => fk.name === 'e_ps')!;
    expect(await tgt.countChildrenByKeys!(shadow, table('lineitem'), e, [[250, 1], [1, 2], [9999, 9]])).toEqual([1, lines.filter((l) => l[2] === 1 && l[3] === 2).length, 0]);
    const indexes = async () =>
      (await env.target.query<{ t: string; i: string }>(
        "SELECT DISTINCT TABLE_NAME AS t, INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_NAME <> 'PRIMARY' ORDER BY 1, 2",
        [db],
      )).map((r) => `${r.t}.${r.i}`);
    expect(await indexes()).toContain('lineitem.l_partkey');

    await env.target.query(`DELETE FROM \`${db}\`.lineitem WHERE l_partkey = 250`);
    await tgt.finalize(shadow, env.schema);
    expect(await indexes()).toEqual(expect.arrayContaining(['lineitem.l_partkey', 'orders.o_partkey', 'part.p_size', 'partsupp.b_supp']));
    const fks = await env.target.query<{ n: string }>('SELECT CONSTRAINT_NAME AS n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY 1', [db]);
    expect(fks.map((r) => r.n)).toEqual(['a_part', 'b_supp', 'c_part', 'd_order', 'e_ps']);
    await tgt.dropShadow(shadow);
  } finally {
    await tgt.close();
  }
}, 120_000);

it('drops a shadow whose index builds are still running', async () => {
  const tgt = await openMysqlTarget(env.target.url);
  const table = (name: string) => env.schema.tables.find((t) => t.name === name)!;
  try {
    const shadow = await tgt.createShadow('bgdrop', env.schema);
    await tgt.load(shadow, table('part'), once(['p_partkey', 'p_size'], Array.from({ length: 5000 }, (_, i) => [i + 1, i % 13])));
    await tgt.buildKeys!(shadow, env.schema);
    await tgt.dropShadow(shadow);
    const left = await env.target.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [shadow.namespaces[0]!.shadow]);
    expect(left).toEqual([]);
  } finally {
    await tgt.close();
  }
}, 60_000);

it('builds again in finalize an index whose background build failed, and fails the run if the server refuses it again', async () => {
  const tgt = await openMysqlTarget(env.target.url);
  // An index the server refuses: its column is not in the table.
  const schema = structuredClone(env.schema);
  const part = schema.tables.find((t) => t.name === 'part')!;
  part.indexes.push({ name: 'p_nope', definition: 'INDEX `p_nope` (`p_nope`)' });
  try {
    const shadow = await tgt.createShadow('bgfail', schema);
    await tgt.load(shadow, part, once(['p_partkey', 'p_size'], [[1, 1], [2, 2]]));
    expect(await tgt.buildKeys!(shadow, schema)).toEqual([]);
    const err = await tgt.finalize(shadow, schema).then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'LOAD_FAILED', table: 'part' });
    await tgt.dropShadow(shadow);
  } finally {
    await tgt.close();
  }
}, 60_000);

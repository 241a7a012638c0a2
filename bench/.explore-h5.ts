import pg from 'pg';
import { createLearnedFactory, seededRng, computeBackendName } from '../src/generation/learned/index.js';
import type { Column, Table } from '../src/schema/model.js';
const c = new pg.Client('postgresql://postgres@127.0.0.1:5432/learned_explore_h5');
await c.connect();
const r = await c.query(`SELECT t.milliseconds, t.bytes, t.unit_price, t.media_type_id, g.name AS genre FROM track t LEFT JOIN genre g USING (genre_id)`);
await c.end();
const col = (name: string, type: Column['type']): Column => ({ name, type, nativeType: '', nullable: true, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null });
const table: Table = { schema: 'public', name: 'track', columns: [col('milliseconds', { kind: 'integer', bytes: 4, unsigned: false }), col('bytes', { kind: 'integer', bytes: 4, unsigned: false }), col('unit_price', { kind: 'decimal', precision: 10, scale: 2 }), col('media_type_id', { kind: 'integer', bytes: 4, unsigned: false })], primaryKey: null, uniques: [], foreignKeys: [], checks: [], indexes: [], partitioning: null, comment: null, estimatedRows: 0 };
const rows = r.rows.map((x) => [x.milliseconds, x.bytes, x.unit_price, x.media_type_id]);
const t0 = performance.now();
const m = await createLearnedFactory({ maxBins: Number(process.env.BINS ?? 20), onEpoch: (e) => process.stdout.write(`${e.epoch}:${e.trainLoss.toFixed(3)}/${e.validationLoss?.toFixed(3)} `) })({
  table, sample: { table, totalRows: rows.length, columns: ['milliseconds', 'bytes', 'unit_price', 'media_type_id'], rows },
  meta: [], attributeColumns: ['milliseconds', 'bytes', 'unit_price', 'media_type_id'],
  parentSample: { columns: ['genre'], rows: r.rows.map((x) => [x.genre]) }, seed: 1, options: {},
});
console.log('\nfit', ((performance.now() - t0) / 1000).toFixed(1), 's on', computeBackendName(), JSON.stringify(m.training));
const ctx = r.rows.map((x) => [x.genre]);
const t1 = performance.now();
const s = m.sample(ctx.length, ctx, seededRng(2));
console.log('sample', ctx.length, 'rows in', ((performance.now() - t1) / 1000).toFixed(2), 's');
console.log(s.slice(0, 5), rows.slice(0, 5));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const g of ['Rock', 'Jazz', 'TV Shows', 'Classical', 'Latin']) {
  const idx = ctx.map((x, i) => (x[0] === g ? i : -1)).filter((i) => i >= 0);
  console.log(g, idx.length, 'real ms', mean(idx.map((i) => rows[i]![0] as number)).toFixed(0), 'synth', mean(idx.map((i) => s[i]![0] as number)).toFixed(0),
    'real price', mean(idx.map((i) => Number(rows[i]![2]))).toFixed(2), 'synth', mean(idx.map((i) => Number(s[i]![2]))).toFixed(2));
}
// bytes vs ms correlation
const corr = (xs: number[], ys: number[]) => { const mx = mean(xs), my = mean(ys); let a = 0, b = 0, d = 0; xs.forEach((x, i) => { a += (x - mx) * (ys[i]! - my); b += (x - mx) ** 2; d += (ys[i]! - my) ** 2; }); return a / Math.sqrt(b * d); };
console.log('corr(ms,bytes) real', corr(rows.map((x) => x[0] as number), rows.map((x) => x[1] as number)).toFixed(3), 'synth', corr(s.map((x) => x[0] as number), s.map((x) => x[1] as number)).toFixed(3));

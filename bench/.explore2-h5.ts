import { openPostgresSource } from '../src/connectors/postgres/index.js';
import { buildPlan } from '../src/graph/plan.js';
import { fitModels } from '../src/generation/fit.js';
import { createGeneration } from '../src/generation/generate.js';
import { modelSetToArtifact, modelSetFromArtifact } from '../src/generation/artifact.js';
import { tableKey } from '../src/schema/model.js';
import type { ChildCountHistogram, TableSample } from '../src/generation/model.js';
import { learnedFactoryForFitModels, learnedFromArtifactForTable, computeBackendName } from '../src/generation/learned/index.js';
const db = process.argv[2]!;
const src = await openPostgresSource(`postgresql://postgres@127.0.0.1:5432/${db}`);
const schema = await src.introspect();
const plan = buildPlan(schema);
const samples = new Map<string, TableSample>();
const histograms: ChildCountHistogram[] = [];
for (const t of schema.tables) {
  const columns = t.columns.filter((c) => c.generated === null).map((c) => c.name);
  const rows = [];
  for await (const b of src.readRows(t, { columns, limit: 5000, seed: 1 })) rows.push(...b.rows);
  samples.set(tableKey(t), { table: t, totalRows: await src.countRows(t), columns, rows });
  for (const f of t.foreignKeys) histograms.push({ child: t, foreignKey: f.name, counts: await src.childCountHistogram(t, f) });
}
await src.close();
const t0 = performance.now();
const models = await fitModels(schema, plan, samples, histograms, { seed: 1, modelFor: () => 'learned', learned: learnedFactoryForFitModels({ seed: 1, epochs: 20, ...(process.env.NOSCHEMA ? {} : { schema }) }) });
console.log('fit', ((performance.now() - t0) / 1000).toFixed(1), 's', computeBackendName());
for (const [k, m] of models.tables) {
  const mm = m.model as any;
  console.log(k, 'learned', mm.learned?.columns?.join(','), '| baseline', mm.baseline?.columns?.filter((c: string) => !mm.learned.columns.includes(c)).join(','), '| ctx', m.model.contextColumns.join(','), mm.learned?.training ? `ep ${mm.learned.training.epochs} val ${mm.learned.training.validationLoss?.toFixed(2)} ${mm.learned.training.seconds.toFixed(1)}s` : '');
}
const json = JSON.stringify(modelSetToArtifact(models));
console.log('artifact bytes', json.length);
const re = modelSetFromArtifact(JSON.parse(json), schema, { learnedFromArtifact: learnedFromArtifactForTable });
const gen = createGeneration(schema, plan, re, { scale: 1, seed: 2, batchSize: 1000 });
const t1 = performance.now();
let n = 0;
for (const step of plan.steps) {
  const t = schema.tables.find((x) => tableKey(x) === tableKey(step.table))!;
  let first = true;
  for await (const b of gen.rows(t)) { n += b.rows.length; if (first && b.rows.length) { console.log(t.name, JSON.stringify(b.rows[0], (_k, v) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 200)); first = false; } }
}
console.log('generated', n, 'rows in', ((performance.now() - t1) / 1000).toFixed(1), 's');

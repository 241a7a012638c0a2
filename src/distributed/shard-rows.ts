/**
 * The rows of one shard. Generation is index-based and seeded per table and batch, but a table's keys and
 * conditioning depend on its parents' generated rows (retained context, predicted child counts), so a worker
 * replays every earlier table of the plan without loading it, then draws only the batches of its own table that
 * overlap rows [start, end) (each batch is seeded by its number) and streams that slice. The shard's output is
 * therefore a function of (seed, table, shard, models) alone, and equal to the same slice of a single-process run.
 */
import { createGeneration, type ModelSet } from '../generation/index.js';
import { CredentialScrubber } from '../generation/privacy/credential-fakes.js';
import type { Table } from '../schema/model.js';
import { findTable, tableKey } from '../schema/model.js';
import type { RowBatch } from '../schema/values.js';
import { SynthError } from '../errors.js';
import type { CredentialPlans, RunBundle } from './run-bundle.js';

/** Credential columns as the coordinator's sample decided them, not re-guessed from names. */
class ShippedCredentials extends CredentialScrubber {
  constructor(seed: number, private readonly shipped: CredentialPlans) {
    super(seed);
  }

  override plansFor(table: Table): ReturnType<CredentialScrubber['plansFor']> {
    return this.shipped[tableKey(table)] ?? [];
  }
}

export interface ShardRange {
  table: string;
  start: number;
  end: number;
}

export async function* shardRows(bundle: RunBundle, models: ModelSet, range: ShardRange, batchSize?: number): AsyncIterable<RowBatch> {
  const { schema, plan } = bundle;
  const generation = createGeneration(schema, plan, models, {
    reference: new Map(bundle.reference),
    conformAfter: true,
    scale: bundle.scale,
    seed: bundle.seed,
    tableScale: (t) => bundle.tableScales[tableKey(t)] ?? 1,
    ...(batchSize === undefined ? {} : { batchSize }),
  });
  const credentials = new ShippedCredentials(bundle.seed, bundle.credentials);
  // The same chain as the single-process load (pipeline/generate-load.ts), minus the copy filters, which distributed runs refuse.
  const rowsOf = (table: Table, window?: ShardRange) => generation.conform(table, credentials.replaceIn(table, generation.rows(table, window)));
  const at = plan.steps.findIndex((s) => tableKey(s.table) === range.table);
  if (at < 0) {
    throw new SynthError('DISTRIBUTED', `The unit names ${range.table}, which is not in the run's plan.`, {
      table: range.table,
      hint: 'The coordinator and this worker disagree on the plan: run the same synth version on both.',
    });
  }
  const replay = tablesToReplay(bundle, models, range.table);
  for (const step of plan.steps.slice(0, at)) {
    if (!replay.has(tableKey(step.table))) continue;
    for await (const _ of rowsOf(mustFind(schema, step.table))) void _;
  }
  const table = mustFind(schema, plan.steps[at]!.table);
  // Fresh credentials come from one stream over the whole table, so such a table is drawn from its first row.
  const windowed = credentials.plansFor(table).length === 0;
  let offset = 0;
  for await (const batch of rowsOf(table, windowed ? range : undefined)) {
    if (batch.start !== undefined) offset = batch.start;
    const from = Math.max(range.start - offset, 0);
    const to = Math.min(range.end - offset, batch.rows.length);
    offset += batch.rows.length;
    if (to > from) yield { columns: batch.columns, rows: from === 0 && to === batch.rows.length ? batch.rows : batch.rows.slice(from, to) };
    if (offset >= range.end) break;
  }
}

/**
 * The earlier tables whose generated rows reach `table`: among its ancestors (through FKs), those whose rows a
 * descendant reads — as a conditioned model's context, through learned child-count heads, or as the anchor of an
 * order invariant. Keys are index-based and need no replay; other tables never touch this one's rows.
 */
export function tablesToReplay(bundle: RunBundle, models: ModelSet, table: string): Set<string> {
  const { schema } = bundle;
  const ancestors = new Set<string>();
  const visit = (key: string) => {
    for (const fk of schema.tables.find((t) => tableKey(t) === key)?.foreignKeys ?? []) {
      const parent = tableKey(fk.references);
      if (parent === table || ancestors.has(parent)) continue;
      ancestors.add(parent);
      visit(parent);
    }
  };
  visit(table);
  const readers = [table, ...ancestors];
  const needed = new Set<string>();
  for (const p of ancestors) {
    const model = models.tables.get(p)?.model as { childCountForeignKeys?: unknown } | undefined;
    const heads = Array.isArray(model?.childCountForeignKeys) && model.childCountForeignKeys.length > 0;
    const read = readers.some((r) => {
      const t = schema.tables.find((x) => tableKey(x) === r);
      const conditioned = (models.tables.get(r)?.model.contextColumns.length ?? 0) > 0;
      return (conditioned && t?.foreignKeys.some((f) => tableKey(f.references) === p)) || false;
    });
    const anchored = (models.rules?.invariants ?? []).some((inv) => {
      const t = schema.tables.find((x) => tableKey(x) === tableKey(inv.table));
      const fk = inv.anchor.foreignKey === undefined ? undefined : t?.foreignKeys.find((f) => f.name === inv.anchor.foreignKey);
      return fk !== undefined && tableKey(fk.references) === p;
    });
    if (heads || read || anchored) needed.add(p);
  }
  return needed;
}

function mustFind(schema: RunBundle['schema'], ref: { schema: string; name: string }): Table {
  const t = findTable(schema, ref);
  if (!t) throw new SynthError('DISTRIBUTED', `The run's plan names ${tableKey(ref)}, which its schema lacks.`, { hint: 'Run the same synth version on the coordinator and every worker.' });
  return t;
}

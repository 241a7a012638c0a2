/**
 * The rows of one shard. Generation is index-based and seeded per table and batch, but a table's keys and
 * conditioning depend on its parents' generated rows (retained context, predicted child counts), so a worker
 * replays every earlier table of the plan without loading it, then streams only rows [start, end) of its table.
 * The shard's output is therefore a function of (seed, table, shard, models) alone, and equal to the same slice of
 * a single-process run.
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
  // The same chain as the single-process load (hydrate.ts), minus the copy filters, which distributed runs refuse.
  const rowsOf = (table: Table) => generation.conform(table, credentials.replaceIn(table, generation.rows(table)));
  const at = plan.steps.findIndex((s) => tableKey(s.table) === range.table);
  if (at < 0) {
    throw new SynthError('DISTRIBUTED', `The unit names ${range.table}, which is not in the run's plan.`, {
      table: range.table,
      hint: 'The coordinator and this worker disagree on the plan: run the same synth version on both.',
    });
  }
  for (const step of plan.steps.slice(0, at)) {
    for await (const _ of rowsOf(mustFind(schema, step.table))) void _;
  }
  let offset = 0;
  for await (const batch of rowsOf(mustFind(schema, plan.steps[at]!.table))) {
    const from = Math.max(range.start - offset, 0);
    const to = Math.min(range.end - offset, batch.rows.length);
    offset += batch.rows.length;
    if (to > from) yield { columns: batch.columns, rows: from === 0 && to === batch.rows.length ? batch.rows : batch.rows.slice(from, to) };
    if (offset >= range.end) break;
  }
}

function mustFind(schema: RunBundle['schema'], ref: { schema: string; name: string }): Table {
  const t = findTable(schema, ref);
  if (!t) throw new SynthError('DISTRIBUTED', `The run's plan names ${tableKey(ref)}, which its schema lacks.`, { hint: 'Run the same synth version on the coordinator and every worker.' });
  return t;
}

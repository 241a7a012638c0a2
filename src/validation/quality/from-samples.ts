/**
 * Turns the pipeline's neutral rows into quality-report cells: bigints (integers beyond ±2^53) become their
 * exact decimal text so keys still join, bytes become hex, JSON/arrays their JSON text.
 */
import type { TableSample } from '../../generation/model.js';
import type { DatabaseSchema } from '../../schema/model.js';
import type { Row, RowBatch, Value } from '../../schema/values.js';
import { qualityTableName } from './metadata-from-schema.js';
import type { Cell, QualityData, TableData } from './types.js';

export function toCell(v: Value): Cell {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

export function tableDataFromRows(columns: readonly string[], rows: Iterable<Row>): TableData {
  const out: Cell[][] = [];
  for (const r of rows) out.push(r.map(toCell));
  return { columns: [...columns], rows: out };
}

export function qualityDataFromSamples(schema: DatabaseSchema, samples: readonly TableSample[]): QualityData {
  const data: QualityData = {};
  for (const s of samples) data[qualityTableName(schema, s.table)] = tableDataFromRows(s.columns, s.rows);
  return data;
}

/**
 * Collects a stream of batches (a connector's `readRows`, normally with a `limit` so only a sample is held)
 * into report cells, converting batch by batch so the neutral rows are not kept alongside.
 */
export async function tableDataFromBatches(columns: readonly string[], batches: AsyncIterable<RowBatch>): Promise<TableData> {
  const rows: Cell[][] = [];
  for await (const b of batches) {
    const order = columns.map((c) => b.columns.indexOf(c));
    for (const r of b.rows) rows.push(order.map((i) => (i < 0 ? null : toCell(r[i] ?? null))));
  }
  return { columns: [...columns], rows };
}

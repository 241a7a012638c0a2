/**
 * What `synth privacy pii` and `synth plan` print about privacy: likely PII columns of the source with the
 * transform hydrate applies, and what an entity privacy unit protects together.
 */
import type { SynthConfig } from '../config/schema.js';
import type { SourceConnector } from '../connectors/connector.js';
import { detectPii } from '../generation/privacy/pii-detect.js';
import { planPiiTransforms } from '../generation/privacy/pii-transform.js';
import type { PiiTransform } from '../generation/privacy/pii-config.js';
import type { TableSample } from '../generation/model.js';
import { introspectAndPlan, tableConfig } from '../pipeline/index.js';
import { tableKey, writableColumns, type DatabaseSchema, type Table } from '../schema/model.js';
import type { EntityOwnership } from '../generation/privacy/entity-ownership.js';

export interface PiiListing {
  table: string;
  column: string;
  kind: string;
  confidence: number;
  reason: string;
  /** What hydrate does with it (config overrides applied), or null when it stays ordinary data. */
  transform: string | null;
}

const PII_SAMPLE_ROWS = 1000;

async function sampleOf(source: SourceConnector, table: Table, limit: number, seed: number): Promise<TableSample> {
  const totalRows = await source.countRows(table);
  const columns = writableColumns(table).map((c) => c.name);
  const rows: TableSample['rows'] = [];
  for await (const b of source.readRows(table, totalRows > limit ? { columns, limit, seed } : { columns })) rows.push(...b.rows);
  return { table: { schema: table.schema, name: table.name }, totalRows, columns, rows };
}

/** Likely PII columns of every table, from a small sample (read-only); `schema` when already introspected. */
export async function listPii(config: SynthConfig, source: SourceConnector, schema?: DatabaseSchema): Promise<PiiListing[]> {
  schema ??= (await introspectAndPlan(source, config)).schema;
  const out: PiiListing[] = [];
  for (const table of schema.tables) {
    const sample = await sampleOf(source, table, PII_SAMPLE_ROWS, config.seed);
    const findings = detectPii(table, sample);
    const overrides = (tableConfig(config, table)?.columns ?? {}) as Record<string, { transform?: PiiTransform }>;
    const plan = planPiiTransforms(findings, overrides);
    for (const f of findings) out.push({ table: tableKey(table), column: f.column, kind: f.kind, confidence: f.confidence, reason: f.reason, transform: plan.get(f.column) ?? null });
  }
  return out;
}

export function formatPii(list: PiiListing[]): string {
  if (list.length === 0) return 'Likely PII columns: none found.';
  const lines = ['Likely PII columns (transformed before training when privacy is on or a transform is configured):'];
  for (const p of list) {
    lines.push(`  ${p.table}.${p.column}: ${p.kind} (confidence ${p.confidence.toFixed(2)}) → ${p.transform ?? 'kept (below threshold or transform: keep)'} — ${p.reason}`);
  }
  return lines.join('\n');
}

/** What `privacy.unit: 'entity'` protects together, from the schema (printed by `synth plan`). */
export function formatEntityUnit(ownership: EntityOwnership, schema: DatabaseSchema): string {
  const lines = [`Privacy unit: one ${tableKey(ownership.root)} row with every row it owns (contributions bounded per table):`];
  for (const o of ownership.owned) {
    if (!o.via || !o.parent) continue;
    lines.push(`  ${tableKey(o.table)}: through ${o.via.columns.join(', ')} → ${tableKey(o.parent)}, at most ${o.maxRows} rows per entity`);
  }
  const owned = new Set(ownership.owned.map((o) => tableKey(o.table)));
  const rest = schema.tables.map(tableKey).filter((k) => !owned.has(k));
  if (rest.length > 0) lines.push(`  Not owned (each row its own unit): ${rest.join(', ')}`);
  return lines.join('\n');
}


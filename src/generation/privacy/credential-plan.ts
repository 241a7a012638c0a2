/**
 * The credential columns `synth plan` lists before a run: what the detector flags on a small sample of each table,
 * why (the name, or the share of values shaped like hashes), and which ones the config keeps as ordinary data.
 * Only column names, formats and reasons come out, never a value.
 */
import type { SourceConnector } from '../../connectors/connector.js';
import type { SynthConfig } from '../../config/schema.js';
import type { DatabaseSchema, Table } from '../../schema/model.js';
import { tableKey, writableColumns } from '../../schema/model.js';
import type { Row } from '../../schema/values.js';
import { credentialName, detectCredentials, type CredentialOverrides } from './credential-detect.js';

export interface CredentialListing {
  table: string;
  column: string;
  formats: string[];
  reason: string;
  /** `tables.<t>.columns.<c>.transform: 'keep'` in the config: the run copies the column like any other. */
  kept: boolean;
}

/** Rows read per table: enough for the ≥ 80 % value-shape rule, cheap on a wide schema. */
const PLAN_SAMPLE_ROWS = 200;

async function sampleOf(source: SourceConnector, table: Table, seed: number): Promise<{ columns: string[]; rows: Row[] }> {
  const columns = writableColumns(table).map((c) => c.name);
  const rows: Row[] = [];
  const totalRows = await source.countRows(table);
  const options = totalRows > PLAN_SAMPLE_ROWS ? { columns, limit: PLAN_SAMPLE_ROWS, seed, totalRows } : { columns };
  for await (const batch of source.readRows(table, options)) rows.push(...batch.rows);
  return { columns, rows };
}

/** The credential columns of every table, kept ones included (marked), in schema order. */
export async function planCredentials(source: SourceConnector, schema: DatabaseSchema, config: SynthConfig): Promise<CredentialListing[]> {
  const out: CredentialListing[] = [];
  for (const table of schema.tables) {
    const overrides: CredentialOverrides = (config.tables[`${table.schema}.${table.name}`] ?? config.tables[table.name])?.columns ?? {};
    // Tables without a text or binary column cannot hold one: nothing to read.
    if (!table.columns.some((c) => c.type.kind === 'text' || (c.type.kind === 'binary' && credentialName(c.name)))) continue;
    const sample = await sampleOf(source, table, config.seed);
    for (const p of detectCredentials(table, sample)) {
      out.push({
        table: tableKey(table),
        column: p.column,
        formats: [...new Set(p.shapes.map((s) => s.shape.format))],
        reason: p.reason,
        kept: overrides[p.column]?.transform === 'keep',
      });
    }
  }
  return out;
}

/** One line per column, for `synth plan`. */
export function formatCredentials(list: readonly CredentialListing[]): string {
  if (list.length === 0) return 'Credential columns: none found.';
  const lines = list.map(
    (c) =>
      `  ${c.table}.${c.column} (${c.formats.join(', ')}): ${c.reason}` +
      (c.kept ? ' — kept as is (`transform: keep` in the config)' : ' — fresh values of the same format'),
  );
  return `Credential columns (never copied; \`tables.<t>.columns.<c>.transform: keep\` for a false positive):\n${lines.join('\n')}`;
}

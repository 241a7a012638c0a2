/**
 * Quality of a hydrated shadow: samples of the source and of the shadow, read through their connectors, scored
 * with the SDMetrics-equivalent report and written as HTML + JSON next to the run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Shadow, SourceConnector, TargetConnector } from '../connectors/connector.js';
import type { ColumnMeta } from '../generation/model.js';
import type { DatabaseSchema } from '../schema/model.js';
import { writableColumns } from '../schema/model.js';
import {
  metadataFromSchema,
  qualityReport,
  qualityTableName,
  tableDataFromBatches,
  type QualityData,
  type QualityReportResult,
} from './quality/index.js';
import { renderQualityReportHtml } from './report-html.js';

export interface MeasureQualityArgs {
  source: SourceConnector;
  target: TargetConnector;
  /** The shadow to score, or null for the live tables. */
  shadow: Shadow | null;
  schema: DatabaseSchema;
  meta: ColumnMeta[];
  sampleRows: number;
  seed: number;
}

export async function measureQuality(args: MeasureQualityArgs): Promise<QualityReportResult> {
  const { source, target, shadow, schema, sampleRows, seed } = args;
  const real: QualityData = {};
  const synthetic: QualityData = {};
  for (const table of schema.tables) {
    const columns = writableColumns(table).map((c) => c.name);
    const name = qualityTableName(schema, table);
    // Whole tables up to `sampleRows`; larger ones are sampled on both sides alike.
    const options = { columns, limit: sampleRows, seed };
    const [sourceRows, targetRows] = await Promise.all([source.countRows(table), target.countRows(shadow, table)]);
    real[name] = await tableDataFromBatches(columns, source.readRows(table, sourceRows > sampleRows ? options : { columns }));
    synthetic[name] = await tableDataFromBatches(columns, target.readRows(shadow, table, targetRows > sampleRows ? options : { columns }));
  }
  return qualityReport(real, synthetic, metadataFromSchema(schema, args.meta));
}

export interface PrivacySummary {
  epsilonSpent: number;
  delta: number;
  perTable?: Record<string, number>;
}

/** Writes `<outDir>/reports/<runId>.html` and `.json`; returns their paths. */
export function writeQualityReport(
  report: QualityReportResult,
  outDir: string,
  runId: string,
  options: { title?: string; privacy?: PrivacySummary } = {},
): { html: string; json: string } {
  const dir = resolve(outDir, 'reports');
  mkdirSync(dir, { recursive: true });
  const html = join(dir, `${runId}.html`);
  const json = join(dir, `${runId}.json`);
  const renderOptions: Parameters<typeof renderQualityReportHtml>[1] = { title: options.title ?? `synth quality report — run ${runId}` };
  if (options.privacy) renderOptions.privacy = options.privacy;
  writeFileSync(html, renderQualityReportHtml(report, renderOptions));
  writeFileSync(json, JSON.stringify(report, null, 2));
  return { html, json };
}

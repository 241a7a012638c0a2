/**
 * `synth report`: scores what is live in a target against the source, without generating anything, and writes the
 * same HTML/JSON report `hydrate` writes after each run.
 */
import type { SynthConfig } from '../config/schema.js';
import { openSource, openTarget } from '../connectors/index.js';
import { type EventSink, silentSink, stage } from '../events.js';
import { describeColumns } from '../generation/metadata.js';
import { detectCredentials } from '../generation/privacy/credential-detect.js';
import { newRunId, targetUrl } from './connect.js';
import { introspectAndPlan } from './introspect-plan.js';
import { readSample } from './sample.js';
import { measureQuality, writeQualityReport } from '../validation/measure-quality.js';
import type { QualityReportResult } from '../validation/quality/index.js';

export async function reportOnTarget(
  config: SynthConfig,
  targetName: string,
  emit: EventSink = silentSink,
): Promise<{ report: QualityReportResult; paths: { html: string; json: string } }> {
  const source = await openSource(config.source.url);
  try {
    const target = await openTarget(targetUrl(config, targetName));
    try {
      const { schema } = await introspectAndPlan(source, config, emit);
      const meta = await stage(emit, 'sample', async () => {
        const all = [];
        for (const table of schema.tables) {
          const sample = await readSample(source, table, config.quality.sampleRows, config.seed);
          // Credential columns are scored as 'other', so the report never plots or lists their values.
          const credentials = new Set(detectCredentials(table, sample).map((c) => c.column));
          all.push(...describeColumns(table, sample).map((m) => (credentials.has(m.column) ? { ...m, role: 'pii' as const, piiKind: 'credential' } : m)));
        }
        return all;
      });
      const report = await stage(emit, 'quality', () =>
        measureQuality({ source, target, shadow: null, schema, meta, sampleRows: config.quality.sampleRows, seed: config.seed }),
      );
      const paths = writeQualityReport(report, config.outDir, `report_${targetName}_${newRunId()}`, { title: `synth quality report — target ${targetName}` });
      return { report, paths };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

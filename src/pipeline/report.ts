/**
 * The quality report: a run's, on the validated shadow (it can refuse the swap), and `synth report`'s, which scores
 * what is live in a target against the source without generating anything and writes the same HTML/JSON report.
 */
import type { SynthConfig } from '../config/schema.js';
import type { Shadow, SourceConnector, TargetConnector } from '../connectors/connector.js';
import { openSource, openTarget } from '../connectors/index.js';
import { type EventSink, silentSink, stage } from '../events.js';
import type { ModelSet } from '../generation/index.js';
import { describeColumns } from '../generation/metadata.js';
import { detectCredentials } from '../generation/privacy/credential-detect.js';
import type { CredentialScrubber } from '../generation/privacy/credential-fakes.js';
import type { PrivacyRun } from '../generation/privacy/privacy-run.js';
import type { DatabaseSchema } from '../schema/model.js';
import type { IntegrityReport } from '../validation/integrity.js';
import { newRunId, targetUrl } from './connect.js';
import { introspectAndPlan } from './introspect-plan.js';
import { readSample } from './sample.js';
import { measureQuality, writeQualityReport } from '../validation/measure-quality.js';
import { addPrivacyToJsonReport, privacySummaryForReport } from '../validation/privacy/privacy-report.js';
import { formatQualitySummary, type QualityReportResult } from '../validation/quality/index.js';

interface RunQualityArgs {
  source: SourceConnector;
  target: TargetConnector;
  shadow: Shadow;
  schema: DatabaseSchema;
  models: ModelSet;
  config: SynthConfig;
  runId: string;
  integrity: IntegrityReport;
  credentials: CredentialScrubber;
  privacy?: PrivacyRun | null;
  emit: EventSink;
}

export interface RunQuality {
  /** Both null when `quality.enabled` is off. */
  quality: QualityReportResult | null;
  reportPaths: { html: string; json: string } | null;
  /** The overall score is below `quality.minOverall`: the swap is refused. */
  belowMinimum: boolean;
}

/** Scores the validated shadow against the source and writes the run's report (with its privacy section). */
export async function reportRunQuality(args: RunQualityArgs): Promise<RunQuality> {
  const { source, target, shadow, schema, models, config, runId, integrity, credentials, emit } = args;
  if (!config.quality.enabled) return { quality: null, reportPaths: null, belowMinimum: false };
  // A credential column is scored as 'other': never plotted, its values never in the report.
  const meta = [...models.tables.values()].flatMap((t) => t.meta).map((m) => {
    const table = schema.tables.find((x) => x.schema === m.table.schema && x.name === m.table.name);
    return table && credentials.isCredential(table, m.column) ? { ...m, role: 'pii' as const, piiKind: 'credential' } : m;
  });
  const histograms = [...models.tables.values()].flatMap((t) => t.histograms);
  // Without DP the models hold the source's row counts and histograms as the sample stage counted them: the report
  // reuses them.
  const quality = await stage(emit, 'quality', () =>
    measureQuality({
      source, target, shadow, schema, meta, sampleRows: config.quality.sampleRows, seed: config.seed, integrity, histograms,
      ...(args.privacy?.dp ? {} : { sourceChildCounts: histograms, sourceRows: new Map([...models.tables].map(([key, t]) => [key, t.sourceRows])) }),
    }),
    (q) => `overall ${q.overall === null ? 'n/a' : q.overall.toFixed(3)}`,
  );
  const reportPaths = writeQualityReport(quality, config.outDir, runId, args.privacy?.dp ? { privacy: privacySummaryForReport(args.privacy.result()) } : {});
  if (args.privacy) addPrivacyToJsonReport(reportPaths.json, args.privacy.result());
  emit({ type: 'info', message: `${formatQualitySummary(quality)}\nQuality report: ${reportPaths.html}`, section: 'quality' });
  const min = config.quality.minOverall;
  const belowMinimum = min !== undefined && (quality.overall ?? 0) < min;
  if (belowMinimum) {
    emit({ type: 'warning', message: `Quality ${quality.overall?.toFixed(3) ?? 'n/a'} is below quality.minOverall ${min}; the swap is refused and the live schema is untouched.` });
  }
  return { quality, reportPaths, belowMinimum };
}

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

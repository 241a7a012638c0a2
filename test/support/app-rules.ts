/**
 * The settings the issue-14 tests (exact fan-outs, order invariants, the app-faithful TPC-H run) share: a
 * pgHydrationFixture source → `dev` target, a reference-data threshold chosen per fixture (so the tables under test
 * are synthesized, not copied), and few learned epochs; plus the trained models of such a config.
 */
import { parseConfig } from '../../src/config/load-config.js';
import type { SynthConfig } from '../../src/config/schema.js';
import { openSource } from '../../src/connectors/index.js';
import { introspectAndPlan, trainModels } from '../../src/pipeline/index.js';
import type { TestDatabase } from './databases.js';

export type ModelKind = 'baseline' | 'learned';

export interface RulesSettings {
  /** Tables up to this many rows may be copied as reference data (0: none). */
  referenceMaxRows: number;
  /** Training epochs of the learned model. */
  epochs: number;
  /** Whether the quality report runs (it costs a pass over every table). */
  quality?: boolean;
}

/** The config as plain input (for parseConfig, or written out as a config file for the CLI). */
export function rulesConfigInput(env: { source: TestDatabase; target: TestDatabase; outDir: string }, model: ModelKind, s: RulesSettings) {
  return {
    source: { url: env.source.url },
    targets: { dev: { url: env.target.url } },
    model,
    outDir: env.outDir,
    ...(s.quality === false ? { quality: { enabled: false } } : {}),
    reference: { maxRows: s.referenceMaxRows },
    ...(model === 'learned' ? { training: { epochs: s.epochs } } : {}),
  };
}

export function rulesConfig(env: { source: TestDatabase; target: TestDatabase; outDir: string }, model: ModelKind, s: RulesSettings): SynthConfig {
  return parseConfig(rulesConfigInput(env, model, s));
}

/** Schema, plan and trained models of the source under `config`. */
export async function trainedUnder(config: SynthConfig) {
  const source = await openSource(config.source.url);
  try {
    const { schema, plan } = await introspectAndPlan(source, config);
    return { schema, plan, models: await trainModels(source, schema, plan, config) };
  } finally {
    await source.close();
  }
}

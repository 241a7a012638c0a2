/**
 * On PostgreSQL the quality report reads the shadow while finalize adds its keys (pipeline/generate-load.ts): both
 * stages start before either ends, each keeps its own time, and a score below `quality.minOverall` still refuses the
 * swap once both are done, with the live tables untouched and the shadow dropped.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openTarget } from '../../src/connectors/index.js';
import type { RunEvent } from '../../src/events.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';
import { SHOP_PG } from '../support/fixtures.js';
import { liveChecksums } from '../scheduler/helpers.js';

const env = pgHydrationFixture('synth_qfin', SHOP_PG);

const config = (quality: Record<string, unknown>) =>
  parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, model: 'baseline', outDir: env.outDir, quality: { enabled: true, sampleRows: 500, ...quality } });

/** Stage start/done events of quality and finalize, in the order they came, with the time each came. */
function recorder(): { emit: (e: RunEvent) => void; seen: Array<{ key: string; at: number; ms?: number }> } {
  const seen: Array<{ key: string; at: number; ms?: number }> = [];
  return {
    seen,
    emit: (e) => {
      if (e.type === 'stage' && (e.stage === 'quality' || e.stage === 'finalize')) seen.push({ key: `${e.stage}:${e.status}`, at: performance.now(), ...(e.ms === undefined ? {} : { ms: e.ms }) });
    },
  };
}

function expectOverlap(seen: Array<{ key: string; at: number; ms?: number }>): void {
  const at = (key: string) => {
    const event = seen.find((s) => s.key === key);
    expect(event, key).toBeDefined();
    return event!;
  };
  // Both started before either finished: the two ran at once.
  const lastStart = Math.max(seen.indexOf(at('quality:start')), seen.indexOf(at('finalize:start')));
  const firstDone = Math.min(seen.indexOf(at('quality:done')), seen.indexOf(at('finalize:done')));
  expect(lastStart).toBeLessThan(firstDone);
  expect(Math.max(at('quality:start').at, at('finalize:start').at)).toBeLessThanOrEqual(Math.min(at('quality:done').at, at('finalize:done').at));
  // Each stage's own seconds, from its own start.
  for (const stage of ['quality', 'finalize']) {
    const ms = at(`${stage}:done`).ms!;
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(at(`${stage}:done`).at - at(`${stage}:start`).at + 5);
  }
}

describe('the quality report during finalize (PostgreSQL)', () => {
  it('runs both stages at once and swaps', async () => {
    const { emit, seen } = recorder();
    const result = await hydrate({ config: config({}), target: 'dev', emit });
    expect(result.status).toBe('ok');
    expect(result.quality?.overall).toBeGreaterThan(0);
    expectOverlap(seen);
  }, 120_000);

  it('a score below quality.minOverall still refuses, after finalize, with nothing swapped and the shadow dropped', async () => {
    const before = await liveChecksums(env.target.url);
    expect(Object.keys(before).length).toBeGreaterThan(0);
    const { emit, seen } = recorder();
    // No model scores 100 %.
    const result = await hydrate({ config: config({ minOverall: 1 }), target: 'dev', emit });
    expect(result).toMatchObject({ status: 'refused', refusal: 'quality', swap: null });
    expectOverlap(seen);
    expect(await liveChecksums(env.target.url)).toEqual(before);
    const target = await openTarget(env.target.url);
    try {
      expect(await target.listShadows()).toEqual([]);
    } finally {
      await target.close();
    }
  }, 120_000);
});

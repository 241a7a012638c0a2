/** A loaded table's training sample (and the copy filter built on it) is let go: the run holds one per table. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { PrivacyRun } from '../../src/generation/privacy/privacy-run.js';
import type { TableSample } from '../../src/generation/model.js';

describe('PrivacyRun.release', () => {
  it('drops one table\'s filter sample and keeps the others', () => {
    const config = parseConfig({ source: { url: 'postgresql://127.0.0.1/src' }, targets: { dev: { url: 'postgresql://127.0.0.1/dst' } }, filters: { enabled: true } });
    const run = PrivacyRun.forConfig(config)!;
    expect(run.filtering).toBe(true);
    const sample = (name: string): TableSample => ({ table: { schema: 'public', name }, totalRows: 2, columns: ['a'], rows: [[1], [2]] });
    run.remember(new Map([['public.a', sample('a')], ['public.b', sample('b')]]));
    expect(run.lacksFilterSample('public.a')).toBe(false);
    run.release('public.a');
    expect(run.lacksFilterSample('public.a')).toBe(true);
    expect([...run.filterSamples().keys()]).toEqual(['public.b']);
  });
});

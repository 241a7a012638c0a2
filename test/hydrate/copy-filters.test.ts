import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';

// 4 colours × 3 sizes × 50 weights: 600 combinations in 2000 rows, so many independent draws copy a row.
const FIXTURE = `
CREATE TABLE item (id serial PRIMARY KEY, color text NOT NULL, size text NOT NULL, weight int NOT NULL CHECK (weight > 0));
INSERT INTO item (color, size, weight)
SELECT (ARRAY['red','green','blue','black'])[1 + g % 4], (ARRAY['S','M','L'])[1 + (g / 4) % 3], 10 * (1 + (g * 7) % 50)
FROM generate_series(1, 2000) g;
`;

const env = pgHydrationFixture('synth_filt', FIXTURE);

function config(filters: Record<string, unknown>) {
  // An item catalogue describes no one, and its 600 combinations are few: only `scope: 'all'` filters it.
  return parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: env.outDir, filters: { scope: 'all', ...filters }, quality: { sampleRows: 2000 } });
}

describe('copy filters without DP (filters.enabled: true)', () => {
  it('moves generated copies of training rows out of the tolerance, raising NewRowSynthesis to ≥ 0.99', async () => {
    // The filters run by default; `enabled: false` is the opt-out.
    const plain = await hydrate({ config: config({ enabled: false }), target: 'dev' });
    expect(plain.privacy).toBeUndefined();
    const before = plain.quality!.diagnostics.newRowSynthesis!;
    expect(before).toBeLessThan(0.8);

    const filtered = await hydrate({ config: config({ enabled: true }), target: 'dev' });
    expect(filtered.status).toBe('ok');
    expect(filtered.integrity.totalViolations).toBe(0);
    expect(filtered.privacy!.dp).toBe(false);
    const f = filtered.privacy!.filters['public.item']!;
    expect(f.total).toBe(2000);
    expect(f.exactCopies + f.nearCopies).toBeGreaterThan(300);
    expect(f.nudged).toBeGreaterThan(300);
    expect(filtered.quality!.diagnostics.newRowSynthesis).toBeGreaterThanOrEqual(0.99);
    // A nudge moves a weight by about 1 %: the weights keep their distribution.
    const shape = filtered.quality!.columnShapes.find((d) => d.table === 'item' && d.column === 'weight')!;
    expect(shape.score).toBeGreaterThan(0.85);
  }, 120_000);

  it('a wider tolerance counts more rows as copies', async () => {
    const strict = await hydrate({ config: config({ enabled: true, tolerance: 0.001 }), target: 'dev' });
    const loose = await hydrate({ config: config({ enabled: true, tolerance: 0.05 }), target: 'dev' });
    const s = strict.privacy!.filters['public.item']!;
    const l = loose.privacy!.filters['public.item']!;
    expect(l.exactCopies + l.nearCopies).toBeGreaterThan(s.exactCopies + s.nearCopies);
    expect(() => config({ enabled: true, tolerance: 0 })).toThrow(/tolerance/);
  }, 120_000);
});

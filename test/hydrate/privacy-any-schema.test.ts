import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/hydrate.js';
import { pgHydrationFixture } from '../support/databases.js';
import { PRIVACY_TYPE_ZOO } from '../support/privacy-type-zoo.js';

const env = pgHydrationFixture('synth_dpzoo', PRIVACY_TYPE_ZOO);

describe('privacy: { epsilon: 3 } alone on a source with every column type', () => {
  it('hydrates every column kind under DP with 0 violations, within ε, and spends on each kind', async () => {
    process.env.SYNTH_PII_KEY = 'test-key-0123456789';
    const config = parseConfig({
      source: { url: env.source.url },
      targets: { dev: { url: env.target.url } },
      privacy: { epsilon: 3 },
      outDir: env.outDir,
    });
    const warnings: string[] = [];
    const result = await hydrate({ config, target: 'dev', emit: (e) => void (e.type === 'warning' && warnings.push(e.message)) });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const p = result.privacy!;
    expect(p.epsilon).toBeLessThanOrEqual(3);
    const item = p.tables.find((t) => t.table === 'public.item')!;
    for (const column of ['tags', 'tags[]', 'scores', 'days', 'attrs', 'raw_doc', 'size.w', 'period.lower', 'ip', 'net', 'mac', 'flags', 'vflags', 'doc', 'page', 'warranty']) {
      expect(item.mechanisms.some((m) => m.label.startsWith(`public.item.${column} `)), column).toBe(true);
    }
    const rows = await env.target.query<Record<string, unknown>>(
      `SELECT tags, scores, attrs, size, period::text AS period, ip::text AS ip, mac::text AS mac, flags::text AS flags, doc::text AS doc, page::text AS page, warranty::text AS warranty FROM item`,
    );
    expect(rows.length).toBeGreaterThan(500);
    // At this ε over ~20 columns of 1 000 rows no element value clears the vocabulary threshold: the elements are
    // text of the released length profile, never a real value that only a few rows hold.
    for (const r of rows) {
      expect(Array.isArray(r.tags)).toBe(true);
      for (const t of r.tags as unknown[]) expect(typeof t).toBe('string');
      expect(String(r.flags)).toMatch(/^[01]{8}$/);
      expect(typeof r.attrs).toBe('object');
      if (r.mac !== null) expect(String(r.mac)).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    }
    expect(rows.filter((r) => (r.tags as string[]).length > 0).length).toBeGreaterThan(rows.length / 2);
  }, 300_000);
});

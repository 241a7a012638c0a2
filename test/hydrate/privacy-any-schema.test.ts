import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { createMysqlDatabase, pgHydrationFixture } from '../support/databases.js';
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

  it('MariaDB source: JSON, SET, ENUM, BIT, YEAR, POINT and POLYGON under DP into MariaDB, 0 violations', async () => {
    const src = await createMysqlDatabase('synth_dpzoomy');
    const dst = await createMysqlDatabase('synth_dpzoomydst');
    try {
      await src.exec(`CREATE TABLE place (
        id int PRIMARY KEY AUTO_INCREMENT, kinds SET('park','shop','school') NOT NULL, size ENUM('s','m','l') NOT NULL,
        attrs JSON NOT NULL, flags BIT(4) NOT NULL, built YEAR, pos POINT NOT NULL, area POLYGON NULL)`);
      const rows = Array.from({ length: 600 }, (_, i) => {
        const x = (13 + (i % 50) / 100).toFixed(2);
        const y = (52 + (i % 30) / 100).toFixed(2);
        const area = i % 3 === 0 ? 'NULL' : `ST_GeomFromText('POLYGON((0 0, ${1 + (i % 4)} 0, ${1 + (i % 4)} 1, 0 0))')`;
        return `('${i % 2 ? 'park,shop' : 'school'}', '${['s', 'm', 'l'][i % 3]}', '{"floors": ${i % 5}, "open": ${i % 2 === 0}}', b'${(i % 16).toString(2).padStart(4, '0')}', ${1950 + (i % 70)}, ST_GeomFromText('POINT(${x} ${y})'), ${area})`;
      });
      await src.exec(`INSERT INTO place (kinds, size, attrs, flags, built, pos, area) VALUES ${rows.join(',')}`);
      const config = parseConfig({ source: { url: src.url }, targets: { dev: { url: dst.url } }, privacy: { epsilon: 3 }, outDir: env.outDir });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status).toBe('ok');
      expect(result.integrity.totalViolations).toBe(0);
      expect(result.privacy!.epsilon).toBeLessThanOrEqual(3);
      const place = result.privacy!.tables.find((t) => t.table.endsWith('place'))!;
      for (const column of ['kinds', 'attrs', 'flags', 'pos', 'area']) expect(place.mechanisms.some((m) => m.label.includes(`place.${column} `)), column).toBe(true);
      const out = await dst.query<{ pos: string; kinds: string }>('SELECT ST_AsText(pos) AS pos, kinds FROM place');
      expect(out.length).toBeGreaterThan(300);
      for (const r of out) {
        // Plain decimals, never exponent form: dpBounds no longer lets an empty magnitude bin set a bound orders of
        // magnitude past the data (d125850), so no coordinate reaches 1e15.
        expect(r.pos).toMatch(/^POINT\(-?[\d.]+ -?[\d.]+\)$/);
        for (const k of String(r.kinds).split(',').filter(Boolean)) expect(['park', 'shop', 'school']).toContain(k);
      }
    } finally {
      await src.drop();
      await dst.drop();
    }
  }, 300_000);
});

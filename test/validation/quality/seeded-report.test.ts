/**
 * Same seed, same quality report: two hydrates of one source with one seed score the same rows, even when the
 * shadow's rows lie in another physical order (as a parallel load leaves them, differently on every run). The second
 * run reverses the order of the shadow's big table and of a table without a primary key before the gate; a sample of
 * pages (TABLESAMPLE) or a random sort numbered in scan order (MySQL's RAND(seed)) would then read other rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import type { Shadow } from '../../../src/connectors/connector.js';
import { hydrate } from '../../../src/pipeline/index.js';
import type { QualityReportResult } from '../../../src/validation/quality/index.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../../support/databases.js';
import { createTargetDatabase } from '../../connectors/mysql/helpers.js';

/** Past the 100 000 rows from which both connectors sample a table instead of sorting all of it. */
const BIG = 110_000;
const LOOSE = 5_000;

const fixtures = {
  postgres: `
    CREATE TABLE grp (id int PRIMARY KEY, label text NOT NULL);
    INSERT INTO grp SELECT g, 'g' || g FROM generate_series(1, 40) g;
    CREATE TABLE big (id int PRIMARY KEY, grp_id int NOT NULL REFERENCES grp (id), amount numeric(10,2) NOT NULL, kind text NOT NULL);
    INSERT INTO big SELECT g, 1 + (g * 7919) % 40, round(((g * 31) % 1000) * 1.7 + (g % 40) * 9, 2), (ARRAY['a','b','c'])[1 + (g % 40) % 3]
      FROM generate_series(1, ${BIG}) g;
    CREATE TABLE loose (v int NOT NULL, w numeric(8,2), tag text NOT NULL);
    INSERT INTO loose SELECT (g * 37) % 500, CASE WHEN g % 5 = 0 THEN NULL ELSE (g % 300) * 1.5 END, 't' || (g % 7) FROM generate_series(1, ${LOOSE}) g;
    ANALYZE;`,
  mysql: `
    CREATE TABLE grp (id INT PRIMARY KEY, label VARCHAR(10) NOT NULL);
    INSERT INTO grp SELECT seq, CONCAT('g', seq) FROM seq_1_to_40;
    CREATE TABLE big (id INT PRIMARY KEY, grp_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL, kind VARCHAR(4) NOT NULL, FOREIGN KEY (grp_id) REFERENCES grp (id));
    INSERT INTO big SELECT seq, 1 + (seq * 7919) % 40, ROUND(((seq * 31) % 1000) * 1.7 + (seq % 40) * 9, 2), ELT(1 + (seq % 40) % 3, 'a', 'b', 'c')
      FROM seq_1_to_${BIG};
    CREATE TABLE loose (v INT NOT NULL, w DECIMAL(8,2), tag VARCHAR(4) NOT NULL);
    INSERT INTO loose SELECT (seq * 37) % 500, IF(seq % 5 = 0, NULL, (seq % 300) * 1.5), CONCAT('t', seq % 7) FROM seq_1_to_${LOOSE};
    ANALYZE TABLE grp, big, loose;`,
};

/** Rewrites a shadow table with its rows in the reverse order (before its keys are built). */
function reverse(dialect: 'postgres' | 'mysql', shadow: Shadow, table: string, orderBy: string): string {
  const ns = shadow.namespaces[0]!.shadow;
  if (dialect === 'postgres') {
    const t = `"${ns}".${table}`;
    return `CREATE TEMP TABLE rev_${table} AS SELECT * FROM ${t}; TRUNCATE ${t}; INSERT INTO ${t} SELECT * FROM rev_${table} ORDER BY ${orderBy}; DROP TABLE rev_${table};`;
  }
  const t = `\`${ns}\`.${table}`;
  return `CREATE TEMPORARY TABLE rev_${table} AS SELECT * FROM ${t}; DELETE FROM ${t}; INSERT INTO ${t} SELECT * FROM rev_${table} ORDER BY ${orderBy}; DROP TEMPORARY TABLE rev_${table};`;
}

/** The report without the seconds it took. */
const scores = (q: QualityReportResult | null) => (q ? { ...q, info: { ...q.info, generationMs: 0 } } : null);

for (const dialect of ['postgres', 'mysql'] as const) {
  describe(`${dialect}: the same seed gives the same quality report`, () => {
    let source: TestDatabase;
    let target: TestDatabase;
    const outDir = mkdtempSync(join(tmpdir(), 'synth-seeded-report-'));

    beforeAll(async () => {
      source = await (dialect === 'postgres' ? createPgDatabase : createMysqlDatabase)('synth_seeded_report_src');
      target = await (dialect === 'postgres' ? createPgDatabase : createTargetDatabase)('synth_seeded_report_tgt');
      await source.exec(fixtures[dialect]);
    }, 60_000);

    afterAll(async () => {
      await source?.drop();
      await target?.drop();
      rmSync(outDir, { recursive: true, force: true });
    });

    const run = async (reorder: boolean) => {
      const config = parseConfig({
        source: { url: source.url }, targets: { dev: { url: target.url } }, model: 'baseline', seed: 11,
        quality: { sampleRows: 2000 }, generation: { workers: 0 }, outDir,
      });
      const result = await hydrate({
        config,
        target: 'dev',
        hooks: {
          async fault(point, ctx) {
            if (point !== 'after-load-before-validate' || !reorder || !ctx.shadow) return;
            await target.exec(reverse(dialect, ctx.shadow, 'big', 'id DESC'));
            await target.exec(reverse(dialect, ctx.shadow, 'loose', 'v DESC, tag DESC, w DESC'));
          },
        },
      });
      expect(result.status).toBe('ok');
      return result.quality;
    };

    it('scores the same rows whatever order the shadow holds them in', async () => {
      const first = await run(false);
      const second = await run(true);
      const sampled = Object.entries(first?.sampling?.tables ?? {}).filter(([t, s]) => /\b(big|loose)$/.test(t) && s.synthetic < s.syntheticOf);
      expect(sampled).toHaveLength(2);
      expect(first?.overall).not.toBeNull();
      expect(scores(second)).toEqual(scores(first));
    }, 180_000);
  });
}

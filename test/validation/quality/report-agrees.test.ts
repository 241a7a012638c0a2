/**
 * The quality report's referential integrity, relationship and new-row figures agree with the validation gate:
 * a parent larger than the report's sample is not read as orphans, an FK declared on each partition of a
 * partitioned child is one relationship of that one table, and a column holding one value does not decide "new".
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { openSource, openTarget } from '../../../src/connectors/index.js';
import { describeColumns } from '../../../src/generation/metadata.js';
import { hydrate, readSample } from '../../../src/pipeline/index.js';
import { measureQuality } from '../../../src/validation/measure-quality.js';
import { formatQualitySummary } from '../../../src/validation/quality/index.js';
import { pgHydrationFixture } from '../../support/databases.js';

const PARTITIONS = ['event_2021', 'event_2022', 'event_2023', 'event_2024'];

// account (1 200 rows) is larger than the report's sample of 300; event is partitioned by year, with the FK to
// account declared on each partition (as a migration tool that adds constraints per partition leaves it).
const FIXTURE = `
CREATE TABLE account (id integer PRIMARY KEY, region text NOT NULL, balance numeric(10,2) NOT NULL);
INSERT INTO account SELECT i, (ARRAY['eu','us','apac'])[1 + i % 3], (i * 37) % 5000 FROM generate_series(1, 1200) i;
CREATE TABLE event (id integer NOT NULL, account_id integer NOT NULL, happened date NOT NULL, kind text NOT NULL, PRIMARY KEY (id, happened)) PARTITION BY RANGE (happened);
${PARTITIONS.map((p, i) => `CREATE TABLE ${p} PARTITION OF event FOR VALUES FROM ('${2021 + i}-01-01') TO ('${2022 + i}-01-01');
ALTER TABLE ${p} ADD CONSTRAINT ${p}_account_fk FOREIGN KEY (account_id) REFERENCES account (id);`).join('\n')}
INSERT INTO event SELECT i, 1 + (i * 7) % 1200, date '2021-01-01' + (i * 13) % 1460, (ARRAY['login','buy','view'])[1 + i % 3] FROM generate_series(1, 2400) i;
-- The only column NewRowSynthesis could compare holds one value.
CREATE TABLE setting (id integer PRIMARY KEY, version integer NOT NULL, note text);
INSERT INTO setting SELECT i, 1, 'setting ' || i FROM generate_series(1, 200) i;
ANALYZE;
`;

describe('the quality report agrees with the validation gate (PostgreSQL)', () => {
  const env = pgHydrationFixture('synth_agree', FIXTURE);

  it('shows one relationship per FK with the gate orphans, partitions folded into their table, constants not deciding "new"', async () => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: env.outDir, quality: { sampleRows: 300 } });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    // The gate checks the FK of every partition; the report shows the relationship once.
    expect(result.integrity.foreignKeys.filter((f) => f.table === 'public.event')).toHaveLength(PARTITIONS.length);
    expect(result.integrity.foreignKeys.every((f) => f.orphans === 0)).toBe(true);

    const q = result.quality!;
    const ri = q.diagnostics.details.filter((d) => d.metric === 'ReferentialIntegrity');
    expect(ri).toEqual([expect.objectContaining({ relationship: 'event.account_id → account.id', score: 1, detail: '0 orphans in 2400 rows (validation gate)' })]);
    expect(q.diagnostics.relationshipValidity).toBe(1);
    expect(formatQualitySummary(q)).toContain('referential integrity 100.00%');
    expect(q.cardinality.filter((c) => c.childTable === 'event')).toHaveLength(1);
    const named = JSON.stringify([q.columnShapes, q.cardinality, q.intertableTrends, q.diagnostics, q.info]);
    for (const p of PARTITIONS) expect(named).not.toContain(p);
    expect(Object.keys(q.info.rowsSynthetic).sort()).toEqual(['account', 'event', 'setting']);

    const setting = q.diagnostics.details.find((d) => d.table === 'setting' && d.metric === 'NewRowSynthesis')!;
    expect(setting.score).toBeNull();
    expect(setting.detail).toContain('every compared column (version) holds a single value');
    const event = q.diagnostics.details.find((d) => d.table === 'event' && d.metric === 'NewRowSynthesis')!;
    expect(event.score).not.toBeNull();
  }, 120_000);

  it('checks a child sample against every parent key when there is no gate (synth report on live tables)', async () => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: env.outDir, quality: { sampleRows: 300 } });
    const source = await openSource(config.source.url);
    const target = await openTarget(env.target.url);
    try {
      const schema = await source.introspect();
      const meta = [];
      for (const t of schema.tables) meta.push(...describeColumns(t, await readSample(source, t, 300, 42)));
      const q = await measureQuality({ source, target, shadow: null, schema, meta, sampleRows: 300, seed: 42 });
      const ri = q.diagnostics.details.filter((d) => d.metric === 'ReferentialIntegrity');
      expect(ri).toEqual([expect.objectContaining({ relationship: 'event.account_id → account.id', score: 1, detail: '0 orphans in 300 rows (sample against every parent key)' })]);
      // An orphan the database has is found although its parent is not in the parent sample.
      await env.target.exec(`${PARTITIONS.map((p) => `ALTER TABLE ${p} DROP CONSTRAINT ${p}_account_fk;`).join(' ')} UPDATE event SET account_id = 99999`);
      const broken = await measureQuality({ source, target, shadow: null, schema, meta, sampleRows: 300, seed: 42 });
      expect(broken.diagnostics.relationshipValidity).toBe(0);
    } finally {
      await source.close();
      await target.close();
    }
  }, 120_000);
});

// Under privacy the copy filters run; their summary line must not call rows unresolved copies where the report
// finds none, nor where the compared columns cannot single out a row.
const PRIVACY_FIXTURE = `
CREATE TABLE member (id integer PRIMARY KEY, "isMember" boolean NOT NULL);
INSERT INTO member SELECT i, true FROM generate_series(1, 3000) i;
CREATE TABLE flag (id integer PRIMARY KEY, "isMember" boolean NOT NULL);
INSERT INTO flag SELECT i, i % 4 = 0 FROM generate_series(1, 3000) i;
CREATE TABLE visit (id integer PRIMARY KEY, plan text NOT NULL, minutes integer NOT NULL, spent numeric(10,2) NOT NULL);
INSERT INTO visit SELECT i, (ARRAY['free','pro'])[1 + i % 2], (i * 7) % 400, (i * 13) % 9000 / 7.0 FROM generate_series(1, 3000) i;
ANALYZE;
`;

describe('the privacy filter summary agrees with the quality report (PostgreSQL)', () => {
  const env = pgHydrationFixture('synth_agree_priv', PRIVACY_FIXTURE);

  it('calls rows unresolved only for tables where the report finds rows matching the source', async () => {
    const config = parseConfig({
      source: { url: env.source.url },
      targets: { dev: { url: env.target.url } },
      outDir: env.outDir,
      privacy: { epsilon: 5, piiKey: 'report-agrees-test-key-0123456789abcdef' },
    });
    const lines: string[] = [];
    const result = await hydrate({ config, target: 'dev', emit: (e) => void (e.type === 'info' && lines.push(e.message)) });
    expect(result.status).toBe('ok');
    const q = result.quality!;
    const nrs = (t: string) => q.diagnostics.details.find((d) => d.metric === 'NewRowSynthesis' && d.table === t)!;
    // A constant column decides nothing: not measured rather than "0 new".
    expect(nrs('member').score).toBeNull();
    const line = lines.find((l) => l.startsWith('Privacy filters regenerated:')) ?? '';
    for (const part of line.replace('Privacy filters regenerated: ', '').split(/; (?=public\.)/).filter(Boolean)) {
      const table = part.split(' ')[0]!.replace(/^public\./, '');
      const d = nrs(table);
      const matching = d.score === null ? 0 : d.checkedRows! - d.newRows!;
      if (/\d+ unresolved/.test(part)) expect(matching, part).toBeGreaterThan(0);
      if (d.score === null || matching === 0) expect(part, part).not.toMatch(/\d+ unresolved/);
    }
    // flag's only compared column has two values: every row matches one, and both say so.
    const flag = nrs('flag');
    expect(flag.newRows).toBe(0);
    if (result.privacy!.filters['public.flag']?.unresolved) expect(line).toContain(`the quality report finds ${flag.checkedRows} of ${flag.checkedRows} checked rows matching a source row`);
  }, 180_000);
});

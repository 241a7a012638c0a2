import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { hydrate } from '../../src/pipeline/index.js';
import type { DatabaseSchema } from '../../src/schema/model.js';
import { runCli } from '../support/cli.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { TORTURE_PG } from '../support/torture-pg.js';
import { dropWithBackup } from '../support/torture-mysql.js';
import { createParityFixture } from '../support/torture-mysql-parity.js';

interface Note {
  table: string;
  column: string;
  from: string;
  to: string;
  severity: string;
  note: string;
}

const dir = mkdtempSync(join(tmpdir(), 'synth-cross-plan-'));

async function introspect(url: string): Promise<DatabaseSchema> {
  const s = await openSource(url);
  try {
    return await s.introspect();
  } finally {
    await s.close();
  }
}

/** `synth plan --target dev --json`: the mapping notes, decided without writing to the target. */
async function planNotes(sourceUrl: string, targetUrl: string, name: string): Promise<Note[]> {
  const configPath = join(dir, `${name}.json`);
  writeFileSync(configPath, JSON.stringify({ source: { url: sourceUrl }, targets: { dev: { url: targetUrl } }, quality: { enabled: false }, outDir: join(dir, name) }));
  const r = await runCli(['plan', '--target', 'dev', '--config', configPath, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { mapping: Note[] }).mapping;
}

/** Every view, trigger, routine, event … of the source is announced as not carried over, with its fallback. */
function expectEveryObjectAnnounced(schema: DatabaseSchema, notes: Note[]): void {
  expect(schema.otherObjects.length).toBeGreaterThan(0);
  for (const o of schema.otherObjects) {
    const n = notes.find((x) => x.from === `${o.kind} ${o.name}`);
    expect(n, `${o.kind} ${o.name}`).toBeDefined();
    expect(n!.severity).toBe('lossy');
    expect(n!.note).toMatch(/^not (recreated|copied|created|installed)/);
  }
}

describe('cross-dialect: everything that does not carry over is in the plan, and the run then works', () => {
  let pgSource: TestDatabase;
  let mySource: TestDatabase;
  beforeAll(async () => {
    pgSource = await createPgDatabase('synth_xplan_pg');
    mySource = await createMysqlDatabase('synth_xplan_my');
    await pgSource.exec(TORTURE_PG);
    await createParityFixture(mySource);
  }, 60_000);
  afterAll(async () => {
    await pgSource?.drop();
    await mySource?.drop();
  });

  it('PostgreSQL torture fixture → MariaDB: views, triggers and functions are listed first; the run keeps every table, key and FK', async () => {
    const dst = await createMysqlDatabase('synth_xplan_myd');
    try {
      const notes = await planNotes(pgSource.url, dst.url, 'pg-to-my');
      expectEveryObjectAnnounced(await introspect(pgSource.url), notes);
      expect(notes.find((n) => n.from === 'view film_cast')!.note).toMatch(/its query is postgres SQL/);
      // The plan and the objects the run keeps are under test; the values cross dialects in torture-cross.test.ts with the
      // default (learned) model, so these runs take the quicker baseline.
      const config = parseConfig({ source: { url: pgSource.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false }, model: 'baseline' });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status).toBe('ok');
      expect(result.parity?.differences).toEqual([]);
      expect(result.parity!.total).toBeGreaterThan(100);
    } finally {
      await dropWithBackup(dst);
    }
  }, 120_000);

  it('MariaDB parity fixture → PostgreSQL: routines, the event and FULLTEXT/SPATIAL/prefix/DESC indexes and ON UPDATE are listed first', async () => {
    const dst = await createPgDatabase('synth_xplan_pgd');
    try {
      const notes = await planNotes(mySource.url, dst.url, 'my-to-pg');
      const schema = await introspect(mySource.url);
      expectEveryObjectAnnounced(schema, notes);
      expect(notes.find((n) => n.from === 'event purge_log')!.note).toMatch(/no scheduled events/);
      const index = (name: string) => notes.find((n) => n.from.includes(`\`${name}\``))?.note;
      expect(index('ft_body')).toMatch(/FULLTEXT index not recreated/);
      expect(index('sp_location')).toMatch(/SPATIAL index not recreated/);
      expect(index('ix_title_prefix')).toMatch(/prefix lengths/);
      expect(index('ix_created_desc')).toMatch(/descending/);
      expect(notes.find((n) => n.column === 'updated_at' && n.from === 'ON UPDATE CURRENT_TIMESTAMP')?.severity).toBe('lossy');
      const config = parseConfig({ source: { url: mySource.url }, targets: { dev: { url: dst.url } }, quality: { enabled: false }, model: 'baseline' });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status).toBe('ok');
      expect(result.parity?.differences).toEqual([]);
      // What the plan did not list as dropped is there: the FK with its actions, the unique key.
      const fks = await dst.query<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY 1`);
      expect(fks.length).toBe(2);
    } finally {
      await dst.drop();
    }
  }, 120_000);
});

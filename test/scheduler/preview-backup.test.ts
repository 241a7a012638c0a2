import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { previewDown, previewUp } from '../../src/scheduler/preview.js';
import { PG_SERVER, createPgDatabase, uniqueName } from '../support/databases.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const schemasOf = (url: string) =>
  withClient(url, async (c) => (await c.query<{ n: string }>(`SELECT nspname AS n FROM pg_namespace WHERE nspname LIKE 'synth%' OR nspname = 'public' ORDER BY 1`)).rows.map((r) => r.n));

describe('synth preview up on PostgreSQL', () => {
  it('copies the live data but not synth’s backup of the previous data', async () => {
    const source = await createPgDatabase('synth_pvb_src');
    cleanups.push(() => source.drop());
    await source.exec(`
      CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), title text NOT NULL);
      INSERT INTO author (name) SELECT 'a' || g FROM generate_series(1, 40) g;
      INSERT INTO book (author_id, title) SELECT 1 + g % 40, 't' || g FROM generate_series(1, 300) g;`);
    // By hand, not createPgDatabase: a TEMPLATE copy needs a target no session stays connected to.
    const target = uniqueName('synth_pvb_dst');
    const targetUrl = `${PG_SERVER}/${target}`;
    await withClient(`${PG_SERVER}/postgres`, (c) => c.query(`CREATE DATABASE "${target}"`));
    cleanups.push(() => withClient(`${PG_SERVER}/postgres`, (c) => c.query(`DROP DATABASE IF EXISTS "${target}" WITH (FORCE)`)).then(() => undefined));
    const outDir = mkdtempSync(join(tmpdir(), 'synth-pvb-'));
    cleanups.push(async () => rmSync(outDir, { recursive: true, force: true }));

    const config = parseConfig({ source: { url: source.url }, targets: { dev: { url: targetUrl } }, quality: { enabled: false }, outDir }, 'test');
    // Two hydrations: the second leaves the first one's data in synth's backup schema.
    for (let i = 0; i < 2; i++) expect((await hydrate({ config, target: 'dev', emit: () => undefined })).status).toBe('ok');
    const targetSchemas = await schemasOf(targetUrl);
    expect(targetSchemas.some((s) => s.startsWith('synth_backup_'))).toBe(true);

    const preview = await previewUp({ targetUrl, name: 'pr_7', log: () => undefined, githubOutput: null });
    cleanups.push(() => previewDown({ targetUrl, name: 'pr_7' }).then(() => undefined));
    expect(await schemasOf(preview.url)).toEqual(['public']);
    const n = await withClient(preview.url, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM book')).rows[0]!.n);
    expect(n).toBe(300);
    // The target keeps its backup: `synth rollback` still works there.
    expect(await schemasOf(targetUrl)).toEqual(targetSchemas);
  });
});

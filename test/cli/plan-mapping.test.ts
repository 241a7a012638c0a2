import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-cli-plan-'));
let source: TestDatabase;
let target: TestDatabase;
let configPath: string;

beforeAll(async () => {
  source = await createPgDatabase('synth_cliplan_src');
  target = await createMysqlDatabase('synth_cliplan_dst');
  await source.exec(`
    CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, tags text[] NOT NULL,
      CONSTRAINT author_tags_check CHECK (cardinality(tags) <= 3), CONSTRAINT author_name_check CHECK (char_length(name) > 1));
    CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), span interval, price numeric CHECK (price >= 0));
    INSERT INTO author (name, tags) SELECT 'author ' || i, ARRAY['x'] FROM generate_series(1, 20) i;`);
  configPath = join(dir, 'synth.config.json');
  writeFileSync(configPath, JSON.stringify({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, outDir: join(dir, 'out') }));
});
afterAll(async () => {
  await source?.drop();
  await target?.drop();
});

describe('synth plan --target (PostgreSQL source, MySQL target)', () => {
  it('lists lossy mappings, named schema.table, without writing to the target', async () => {
    const r = await runCli(['plan', '--target', 'dev', '--config', configPath, '--no-json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Type mapping to mysql (dev):');
    expect(r.stdout).toMatch(/\[lossy\] public\.author\.tags: text\[\] → JSON/);
    expect(r.stdout).toMatch(/\[lossy\] public\.book\.span: interval → VARCHAR\(64\)/);
    expect(r.stdout).toContain('CHECK author_tags_check is not copied to mysql: function cardinality() has no translation');
    // Translatable CHECKs are created on the target, so they are not listed as lossy.
    expect(r.stdout).not.toContain('author_name_check');
    expect(r.stdout).toMatch(/lossy mapping\(s\); hydrate proceeds/);
    expect(await target.query('SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [target.name])).toEqual([]);
    const shadows = await target.query(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`, [`${target.name}\\_\\_synth%`]);
    expect(shadows).toEqual([]);
  });

  it('puts the notes in the --json output', async () => {
    const r = await runCli(['plan', '--target', 'dev', '--config', configPath, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { tables: string[]; mapping: Array<{ table: string; column: string; severity: string; note: string }> };
    expect(out.tables.sort()).toEqual(['public.author', 'public.book']);
    expect(out.mapping).toContainEqual(expect.objectContaining({ table: 'public.author', column: 'tags', severity: 'lossy' }));
    expect(out.mapping.every((n) => n.severity !== 'info')).toBe(true);
  });
});

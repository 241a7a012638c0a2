import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';
import { runCli } from '../support/cli.js';
import { seedStateFolder } from '../support/state-folder.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-cli-'));
let source: TestDatabase;
let target: TestDatabase;
let configPath: string;

beforeAll(async () => {
  source = await createPgDatabase('synth_cli_src');
  target = await createPgDatabase('synth_cli_dst');
  await source.exec(`
    CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, born date);
    CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), title text NOT NULL, pages int CHECK (pages > 0));
    INSERT INTO author (name, born) SELECT 'author ' || i, date '1950-01-01' + i * 100 FROM generate_series(1, 50) i;
    INSERT INTO book (author_id, title, pages) SELECT 1 + i % 50, 'book ' || i, 50 + i % 400 FROM generate_series(1, 300) i;`);
  configPath = join(dir, 'synth.config.json');
  writeFileSync(configPath, JSON.stringify({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, outDir: join(dir, 'out') }));
  // An initialized embedded state: the CLI's output is under test, not PGlite's initdb (support/state-folder.ts).
  await seedStateFolder(join(dir, 'out', 'state'));
});
afterAll(async () => {
  await source?.drop();
  await target?.drop();
});

describe('synth CLI', () => {
  it('hydrate emits one JSON event per line and a result, exit 0', async () => {
    const r = await runCli(['hydrate', '--target', 'dev', '--config', configPath, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; stage?: string; status?: string; table?: string; done?: boolean });
    expect(events[0]).toMatchObject({ type: 'run', status: 'start' });
    const stagesDone = events.filter((e) => e.type === 'stage' && e.status === 'done').map((e) => e.stage);
    expect(stagesDone).toEqual(expect.arrayContaining(['introspect', 'plan', 'sample', 'train', 'shadow', 'load', 'validate', 'finalize', 'swap']));
    expect(events.filter((e) => e.type === 'table' && e.stage === 'load' && e.done).map((e) => e.table).sort()).toEqual(['public.author', 'public.book']);
    expect(events.at(-1)).toMatchObject({ type: 'result', status: 'ok', violations: 0 });
    const [n] = await target.query<{ n: string }>('SELECT count(*) AS n FROM book');
    expect(Number(n!.n)).toBe(300);
  });

  it('report scores the live target and writes the HTML report', async () => {
    const r = await runCli(['report', '--target', 'dev', '--config', configPath, '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { type: string; overall: number; html: string };
    expect(result.type).toBe('result');
    expect(result.overall).toBeGreaterThan(0.5);
    expect(result.overall).toBeLessThanOrEqual(1);
    expect(existsSync(result.html)).toBe(true);
  });

  it('plan prints the generation order', async () => {
    const r = await runCli(['plan', '--config', configPath, '--no-json'], { env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout.indexOf('author')).toBeLessThan(r.stdout.indexOf('book'));
  });

  it('plan shows what an entity privacy unit protects together', async () => {
    const entityConfig = join(dir, 'entity.config.json');
    writeFileSync(entityConfig, JSON.stringify({ source: { url: source.url }, targets: { dev: { url: target.url } }, privacy: { epsilon: 3, unit: 'entity', entity: 'author' }, tables: { book: { maxRowsPerEntity: 12 } } }));
    const r = await runCli(['plan', '--config', entityConfig, '--no-json'], { env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Privacy unit: one public.author row with every row it owns');
    expect(r.stdout).toContain('public.book: through author_id → public.author, at most 12 rows per entity');
  });

  it('a missing config exits 2 with a hint and no stack trace', async () => {
    const r = await runCli(['hydrate', '--target', 'dev', '--config', join(dir, 'missing.ts')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CONFIG_NOT_FOUND/);
    expect(r.stderr).toMatch(/hint:/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown target names the existing ones', async () => {
    const r = await runCli(['hydrate', '--target', 'prod', '--config', configPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown target 'prod'/);
    expect(r.stderr).toMatch(/dev/);
  });

  it('an unreachable database exits 3 without leaking the password', async () => {
    const bad = join(dir, 'unreachable.json');
    // The test's own outDir: without one the run would initialize an embedded state in the repository's .synth/.
    writeFileSync(bad, JSON.stringify({ source: { url: 'postgresql://alice:s3cret@127.0.0.1:1/nowhere' }, targets: { dev: { url: target.url } }, outDir: join(dir, 'out') }));
    const r = await runCli(['hydrate', '--target', 'dev', '--config', bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/CONNECTION_FAILED/);
    expect(r.stderr).not.toContain('s3cret');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a bad URL is a config error naming the field', async () => {
    const bad = join(dir, 'badurl.json');
    writeFileSync(bad, JSON.stringify({ source: { url: 'oracle://x/y' }, targets: { dev: { url: target.url } } }));
    const r = await runCli(['plan', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/source\.url/);
  });

  it('suggests the right command for a typo', async () => {
    const r = await runCli(['hydrat']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Did you mean hydrate\?/);
  });

  it('suggests the right option for a typo', async () => {
    const r = await runCli(['hydrate', '--target', 'dev', '--keep-shadw']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Did you mean --keep-shadow\?/);
  });
});

/**
 * What the CLI prints when stdout is not a terminal (CI, pipes): JSON events for every command, a final `error`
 * event when a command fails, and errors that say what to do (a typo'd option, a database that does not exist).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { seedStateFolder } from '../support/state-folder.js';
import { PG_SERVER, MYSQL_SERVER, createPgDatabase, uniqueName, type TestDatabase } from '../support/databases.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-output-'));
let source: TestDatabase;
let target: TestDatabase;
let configPath: string;

type Event = Record<string, unknown> & { type: string };

/** Every stdout line must be one JSON object. */
function events(stdout: string): Event[] {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Event);
}

beforeAll(async () => {
  source = await createPgDatabase('synth_out_src');
  target = await createPgDatabase('synth_out_dst');
  await source.exec(`
    CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
    CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), pages int);
    INSERT INTO author (name) SELECT 'author ' || g FROM generate_series(1, 20) g;
    INSERT INTO book (author_id, pages) SELECT 1 + g % 20, g FROM generate_series(1, 100) g;`);
  configPath = join(dir, 'synth.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({ source: { url: source.url }, targets: { dev: { url: target.url } }, model: 'baseline', quality: { enabled: false }, outDir: join(dir, 'out'), state: { url: `pglite://${join(dir, 'state')}` } }),
  );
  // An initialized embedded state: the output is under test, not PGlite's initdb (support/state-folder.ts).
  await seedStateFolder(join(dir, 'state'));
});

afterAll(async () => {
  await source?.drop();
  await target?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('JSON is the default when stdout is not a TTY', () => {
  it('plan, runs and preview list print JSON events without --json, ending with a result', async () => {
    await runCli(['hydrate', '--target', 'dev', '--config', configPath]);
    // Each command runs once (every run starts a process and opens the embedded state); its result is checked below.
    const results: Record<string, Record<string, unknown>> = {};
    for (const args of [['plan'], ['runs'], ['preview', 'list', '--target', 'dev']]) {
      const r = await runCli([...args, '--config', configPath]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      const result = events(r.stdout).at(-1)!;
      expect(result.type, args.join(' ')).toBe('result');
      results[args[0]!] = result;
    }
    expect(results['plan']!['tables']).toEqual(['public.author', 'public.book']);
    expect((results['runs']!['runs'] as Array<{ status: string }>)[0]).toMatchObject({ status: 'succeeded' });
  }, 120_000);

  it('--no-json asks for text', async () => {
    const r = await runCli(['runs', '--config', configPath, '--no-json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d{14}_\w+\s+hydrate\s+dev\s+succeeded/m);
  });
});

describe('a failure ends the JSON stream with an error event', () => {
  it('a missing config: one error event with code, message and hint', async () => {
    const r = await runCli(['hydrate', '--target', 'dev', '--config', join(dir, 'missing.ts')]);
    expect(r.code).toBe(2);
    expect(events(r.stdout)).toEqual([expect.objectContaining({ type: 'error', code: 'CONFIG_NOT_FOUND', message: expect.stringContaining('missing.ts'), hint: expect.stringMatching(/--config/) })]);
  });

  it('a failure in the middle of a run: the run events, then the error event last', async () => {
    const bad = join(dir, 'unreachable.json');
    writeFileSync(bad, JSON.stringify({ source: { url: 'postgresql://alice:s3cret@127.0.0.1:1/nowhere' }, targets: { dev: { url: target.url } }, state: { url: `pglite://${join(dir, 'state')}` } }));
    const r = await runCli(['hydrate', '--target', 'dev', '--config', bad, '--json']);
    expect(r.code).toBe(3);
    const all = events(r.stdout);
    expect(all[0]).toMatchObject({ type: 'run', status: 'start' });
    expect(all.at(-1)).toMatchObject({ type: 'error', code: expect.any(String), message: expect.stringContaining('127.0.0.1:1'), hint: expect.any(String) });
    expect(r.stdout).not.toContain('s3cret');
  });

  it('a usage error is an error event too', async () => {
    const r = await runCli(['hydrate', '--config', configPath, '--json']);
    expect(r.code).toBe(2);
    expect(events(r.stdout).at(-1)).toMatchObject({ type: 'error', code: 'BAD_USAGE', message: expect.stringContaining('--target') });
  });
});

describe('errors that say what to do', () => {
  it('a mistyped required option gets a suggestion, not "required option not specified"', async () => {
    const r = await runCli(['hydrate', '--targt', 'dev', '--config', configPath, '--no-json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--targt'/);
    expect(r.stderr).toMatch(/Did you mean --target\?/);
    expect(r.stderr).not.toMatch(/required option/);
  });

  it('a target database that does not exist is named, with the command that creates it (PostgreSQL and MariaDB)', async () => {
    const pgName = uniqueName('synth_absent');
    const myName = uniqueName('synth_absent');
    const cfg = join(dir, 'absent.json');
    writeFileSync(cfg, JSON.stringify({ source: { url: source.url }, targets: { pg: { url: `${PG_SERVER}/${pgName}` }, my: { url: `${MYSQL_SERVER}/${myName}` } }, state: { url: `pglite://${join(dir, 'state')}` } }));
    const pg = await runCli(['hydrate', '--target', 'pg', '--config', cfg, '--no-json']);
    expect(pg.code).toBe(3);
    expect(pg.stderr).toContain(`The database "${pgName}" does not exist`);
    expect(pg.stderr).toMatch(new RegExp(`hint: .*createdb .*${pgName}.*CREATE DATABASE "${pgName}"`));
    const my = await runCli(['hydrate', '--target', 'my', '--config', cfg, '--no-json']);
    expect(my.code).toBe(3);
    expect(my.stderr).toContain(`The database "${myName}" does not exist`);
    expect(my.stderr).toContain(`CREATE DATABASE \`${myName}\``);
  });
});

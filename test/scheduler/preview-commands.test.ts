import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { registerPreviewCommands } from '../../src/scheduler/preview-commands.js';
import { MYSQL_SERVER, PG_SERVER, createMysqlDatabase, uniqueName } from '../support/databases.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-preview-cli-'));
const registry = uniqueName('synth_reg');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[], lines: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerPreviewCommands(program, (l) => lines.push(l));
  await program.parseAsync(args, { from: 'user' });
}

describe('synth preview commands', () => {
  it('up, list, down through the CLI, with the URL in $GITHUB_OUTPUT', async () => {
    const db = await createMysqlDatabase('synth_pvc');
    const admin = await mysql.createConnection({ uri: MYSQL_SERVER });
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${db.name}__pr_9\``);
      await admin.query(`DROP DATABASE IF EXISTS \`${registry}\``);
      await admin.end();
      await db.drop();
    });
    await db.exec('CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2);');
    const config = join(dir, 'synth.config.json');
    writeFileSync(config, JSON.stringify({ source: { url: `${PG_SERVER}/unused` }, targets: { stage: { url: db.url } } }));
    const ghOut = join(dir, 'gh_output');
    writeFileSync(ghOut, '');
    const common = ['--config', config, '--target', 'stage', '--registry-database', registry];

    const before = process.env.GITHUB_OUTPUT;
    process.env.GITHUB_OUTPUT = ghOut;
    const lines: string[] = [];
    try {
      await run(['preview', 'up', ...common, '--name', 'pr_9', '--ttl', '3d', '--no-json'], lines);
    } finally {
      if (before === undefined) delete process.env.GITHUB_OUTPUT;
      else process.env.GITHUB_OUTPUT = before;
    }
    expect(lines[0]).toContain(`${db.name}__pr_9`);
    const url = /^url=(.*)$/m.exec(readFileSync(ghOut, 'utf8'))![1]!;
    const copy = await mysql.createConnection({ uri: url });
    expect(((await copy.query('SELECT COUNT(*) AS n FROM t')) as unknown as [Array<{ n: number }>])[0]).toEqual([{ n: 2 }]);
    await copy.end();

    const listed: string[] = [];
    await run(['preview', 'list', ...common, '--json'], listed);
    expect(JSON.parse(listed[0]!).previews.map((p: { name: string }) => p.name)).toEqual(['pr_9']);

    const gc: string[] = [];
    await run(['preview', 'gc', ...common, '--no-json'], gc);
    expect(gc).toEqual(['No expired previews.']);

    // Without --json or --no-json, a stdout that is not a terminal (this test) gets JSON.
    const gcJson: string[] = [];
    await run(['preview', 'gc', ...common], gcJson);
    expect(JSON.parse(gcJson[0]!)).toMatchObject({ type: 'result', removed: [] });

    const down: string[] = [];
    await run(['preview', 'down', ...common, '--name', 'pr_9', '--no-json'], down);
    expect(down).toEqual(['Dropped preview pr_9.']);
  });

  it('names the unknown target', async () => {
    const config = join(dir, 'synth.config2.json');
    writeFileSync(config, JSON.stringify({ source: { url: `${PG_SERVER}/unused` }, targets: { stage: { url: `${PG_SERVER}/x` } } }));
    await expect(run(['preview', 'gc', '--config', config, '--target', 'prod'], [])).rejects.toMatchObject({ code: 'UNKNOWN_TARGET' });
  });
});

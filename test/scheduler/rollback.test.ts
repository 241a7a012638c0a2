/**
 * `synth rollback` on PostgreSQL and MariaDB: it takes the target lock (a held lock fails it fast with LOCKED naming
 * the holder, nothing changed), it is recorded in the run history as kind `rollback`, and it exchanges live and
 * backup, so a second rollback goes forward again on both dialects.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHydrateJob } from '../../src/scheduler/hydrate-job.js';
import { runRollbackJob } from '../../src/scheduler/rollback-job.js';
import { openStateStore, type StateStore } from '../../src/scheduler/state-store.js';
import { acquireTargetLock } from '../../src/scheduler/target-lock.js';
import { runCli } from '../support/cli.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';
import { liveChecksums, testConfig } from './helpers.js';

const outDir = mkdtempSync(join(tmpdir(), 'synth-rollback-'));

const dialects = [
  {
    name: 'PostgreSQL',
    create: createPgDatabase,
    schema: `CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), title text NOT NULL, pages int CHECK (pages > 0));`,
    source: `INSERT INTO author (name) SELECT 'author ' || i FROM generate_series(1, 40) i;
      INSERT INTO book (author_id, title, pages) SELECT 1 + i % 40, 'book ' || i, 50 + i % 400 FROM generate_series(1, 300) i;`,
    original: `INSERT INTO author (name) VALUES ('kept a'), ('kept b');
      INSERT INTO book (author_id, title, pages) VALUES (1, 'original one', 10), (2, 'original two', 20), (2, 'original three', 30);`,
  },
  {
    name: 'MariaDB',
    create: createMysqlDatabase,
    schema: `CREATE TABLE author (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL);
      CREATE TABLE book (id INT AUTO_INCREMENT PRIMARY KEY, author_id INT NOT NULL, title VARCHAR(80) NOT NULL, pages INT CHECK (pages > 0),
        FOREIGN KEY (author_id) REFERENCES author(id));`,
    source: `INSERT INTO author (name) SELECT CONCAT('author ', seq) FROM seq_1_to_40;
      INSERT INTO book (author_id, title, pages) SELECT 1 + seq % 40, CONCAT('book ', seq), 50 + seq % 400 FROM seq_1_to_300;`,
    original: `INSERT INTO author (name) VALUES ('kept a'), ('kept b');
      INSERT INTO book (author_id, title, pages) VALUES (1, 'original one', 10), (2, 'original two', 20), (2, 'original three', 30);`,
  },
] as const;

for (const d of dialects) {
  describe(`rollback on ${d.name}`, () => {
    let source: TestDatabase;
    let target: TestDatabase;
    let state: TestDatabase;
    let store: StateStore;
    let configPath: string;
    const config = () => testConfig({ source: { url: source.url }, targets: { dev: { url: target.url } }, outDir, state: { url: state.url } });

    beforeAll(async () => {
      [source, target, state] = await Promise.all([d.create('synth_rb_src'), d.create('synth_rb_dst'), createPgDatabase('synth_rb_state')]);
      await source.exec(d.schema);
      await source.exec(d.source);
      await target.exec(d.schema);
      await target.exec(d.original);
      store = await openStateStore({ url: state.url });
      configPath = join(outDir, `${target.name}.json`);
      writeFileSync(configPath, JSON.stringify({ source: { url: source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, state: { url: state.url }, outDir }));
    }, 60_000);
    afterAll(async () => {
      await store?.close();
      await Promise.all([source?.drop(), target?.drop(), state?.drop()]);
    });

    it('twice = back and forward again, each recorded as a rollback run', async () => {
      const original = await liveChecksums(target.url);
      expect(Object.entries(original).find(([k]) => k.endsWith('author'))?.[1]).toMatch(/^2:/);
      const hydrated = await runHydrateJob({ config: config(), target: 'dev', store, faults: [] });
      expect(hydrated.result.status).toBe('ok');
      const generated = await liveChecksums(target.url);
      expect(generated).not.toEqual(original);

      const back = await runCli(['rollback', '--target', 'dev', '--config', configPath, '--json']);
      expect(back.code, back.stderr).toBe(0);
      expect(await liveChecksums(target.url)).toEqual(original);

      const forward = await runRollbackJob({ config: config(), target: 'dev', store });
      expect(forward.run).toMatchObject({ kind: 'rollback', target: 'dev', status: 'succeeded' });
      expect(await liveChecksums(target.url)).toEqual(generated);

      const runs = await store.listRuns({ target: 'dev', limit: 3 });
      expect(runs.map((r) => [r.kind, r.status])).toEqual([
        ['rollback', 'succeeded'],
        ['rollback', 'succeeded'],
        ['hydrate', 'succeeded'],
      ]);
      const cliRunId = String((back.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).at(-1) ?? {}).runId);
      expect(runs[1]!.id).toBe(cliRunId);
    }, 180_000);

    it('takes the target lock: a held lock fails it fast with LOCKED naming the holder, recorded, nothing changed', async () => {
      const before = await liveChecksums(target.url);
      const lock = await acquireTargetLock(target.url, { wait: false, timeoutMs: 1000, holder: 'hydrate-in-progress-42' });
      try {
        const started = Date.now();
        const err = await runRollbackJob({ config: config(), target: 'dev', store }).catch((e: unknown) => e);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(err).toMatchObject({ code: 'LOCKED' });
        expect(String((err as Error).message)).toMatch(/hydrate-in-progress-42/);
      } finally {
        await lock.release();
      }
      expect(await liveChecksums(target.url)).toEqual(before);
      const [last] = await store.listRuns({ target: 'dev', limit: 1 });
      expect(last).toMatchObject({ kind: 'rollback', status: 'failed', errorCode: 'LOCKED' });
    }, 60_000);
  });
}

/**
 * reportAbandoned, in its light module: a run whose process died is marked abandoned and announced in one line; and
 * `synth rollback`'s job reaches it (and the run id, the target's URL) without loading the pipeline, which hydrate-job.ts
 * and pipeline/index.ts import statically.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events.js';
import { reportAbandoned } from '../../src/scheduler/abandoned-runs.js';
import { openStateStore, type StateStore } from '../../src/scheduler/state-store.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';

let state: TestDatabase;
let store: StateStore;

beforeAll(async () => {
  state = await createPgDatabase('synth_h5_abandoned');
  store = await openStateStore({ url: state.url });
}, 60_000);
afterAll(async () => {
  await store?.close();
  await state?.drop();
});

/** The source files `file` loads when imported: static imports and re-exports, not `import type` nor `await import()`. */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'(\.[^']+)'/gms)) {
    staticImports(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')), seen);
  }
  for (const m of text.matchAll(/^import\s+'(\.[^']+)'/gm)) staticImports(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')), seen);
  return seen;
}

describe('reportAbandoned', () => {
  it('marks the run of a dead process abandoned and announces it in one line', async () => {
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
    await store.startRun({ id: 'gone_1', kind: 'hydrate', target: 'dev' });
    await store.startRun({ id: 'alive_1', kind: 'rollback', target: 'dev' });
    await state.exec(`UPDATE synth.runs SET pid = ${dead}, stage = 'train' WHERE id = 'gone_1'`);
    const events: RunEvent[] = [];
    await reportAbandoned(store, (e) => events.push(e));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'info', message: expect.stringMatching(/^Run gone_1 \(hydrate → dev\) marked abandoned: Abandoned during train/) });
    expect((await store.getRun('gone_1'))!.status).toBe('abandoned');
    expect((await store.getRun('alive_1'))!.status).toBe('running');
  });

  it('synth rollback loads it without the pipeline', () => {
    const src = resolve('src');
    const loaded = [...staticImports(join(src, 'scheduler', 'rollback-job.ts'))].map((f) => relative(src, f));
    expect(loaded).toContain(join('scheduler', 'abandoned-runs.ts'));
    expect(loaded.filter((f) => f.startsWith('pipeline'))).toEqual([join('pipeline', 'connect.ts')]);
    for (const heavy of [join('scheduler', 'hydrate-job.ts'), join('generation', 'index.ts'), join('validation', 'integrity.ts')]) expect(loaded).not.toContain(heavy);
  });
});

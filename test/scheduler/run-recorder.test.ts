import { afterAll, describe, expect, it } from 'vitest';
import { recordRunEvents } from '../../src/scheduler/run-recorder.js';
import { openStateStore } from '../../src/scheduler/state-store.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';

let db: TestDatabase | undefined;
afterAll(async () => {
  await db?.drop();
});

describe('recordRunEvents', () => {
  it('writes table and stage events as run steps, and reports failed writes instead of throwing', async () => {
    db = await createPgDatabase('synth_rec');
    const store = await openStateStore({ url: db.url });
    try {
      const run = await store.startRun({ kind: 'hydrate', target: 'dev' });
      const at = new Date('2026-11-23T10:00:10Z');
      const rec = recordRunEvents(store, run.id, () => at);
      rec.sink({ type: 'stage', stage: 'introspect', status: 'start' });
      rec.sink({ type: 'stage', stage: 'introspect', status: 'done', ms: 1200, detail: '3 tables' });
      rec.sink({ type: 'table', stage: 'load', table: 'public.users', rows: 500 });
      rec.sink({ type: 'table', stage: 'load', table: 'public.users', rows: 1000, done: true, ms: 2000 });
      rec.sink({ type: 'stage', stage: 'plan', status: 'done', ms: 5 });
      rec.sink({ type: 'info', message: 'hello' });
      expect(await rec.flush()).toEqual([]);
      const steps = (await store.getRun(run.id))!.steps;
      expect(steps.map((s) => [s.step, s.table, s.rows])).toEqual([
        ['introspect', null, null],
        ['load', 'public.users', 1000],
      ]);
      expect(steps[0]!.detail).toEqual({ stage: 'introspect', detail: '3 tables' });
      expect(steps[1]!.rowsPerSec).toBe(500);
      expect(steps[1]!.startedAt.toISOString()).toBe('2026-11-23T10:00:08.000Z');

      const broken = recordRunEvents(store, 'no-such-run');
      broken.sink({ type: 'stage', stage: 'swap', status: 'done', ms: 1 });
      const errors = await broken.flush();
      expect(errors).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

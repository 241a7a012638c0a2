import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import knexFactory, { type Knex } from 'knex';
import { migrations, type StateMigration } from '../../migrations/index.js';
import { SynthError } from '../../src/errors.js';
import { openStateStore, type StateStoreConfig } from '../../src/scheduler/state-store.js';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Backend {
  name: string;
  setup(): Promise<{ config: StateStoreConfig; db?: TestDatabase }>;
}

const backends: Backend[] = [
  {
    name: 'PostgreSQL',
    async setup() {
      const db = await createPgDatabase('synth_state');
      cleanups.push(() => db.drop());
      return { config: { url: db.url }, db };
    },
  },
  {
    name: 'MariaDB',
    async setup() {
      const db = await createMysqlDatabase('synth_state');
      cleanups.push(() => db.drop());
      return { config: { url: db.url }, db };
    },
  },
  {
    name: 'PGlite',
    async setup() {
      const dir = mkdtempSync(join(tmpdir(), 'synth-state-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return { config: { dir } };
    },
  },
];

describe.each(backends)('state store on $name', (backend) => {
  it('applies migrations idempotently and round-trips run history, artifacts and the privacy ledger', async () => {
    const { config, db } = await backend.setup();
    const store = await openStateStore(config);
    try {
      const t0 = new Date('2026-01-02T03:04:05.678Z');
      const run = await store.startRun({
        kind: 'hydrate',
        sourceUrl: 'postgres://reader:s3cret@prod.example/app',
        target: 'stage',
        seed: 42,
        configHash: 'abc',
        startedAt: t0,
      });
      expect(run.sourceUrl).toBe('postgres://reader:***@prod.example/app');
      const stepId = await store.recordStep(run.id, {
        table: 'public.users',
        step: 'load',
        startedAt: t0,
        finishedAt: new Date(t0.getTime() + 2000),
        rows: 1000,
        detail: { batches: 3 },
      });
      expect(stepId).toBeGreaterThan(0);
      await store.recordStep(run.id, { step: 'swap', startedAt: t0, finishedAt: t0 });
      await store.recordValidation(run.id, [{ table: 'public.users', checkKind: 'orphan', constraint: 'fk_a', violations: 0 }]);
      await store.recordQuality(run.id, [{ table: 'public.users', score: 0.93, report: { ks: [0.1, 0.2] } }]);
      const other = await store.startRun({ kind: 'hydrate', target: 'dev', startedAt: new Date(t0.getTime() + 60_000) });
      await store.finishRun(other.id, { status: 'failed', error: new SynthError('LOAD_FAILED', 'boom at mysql://u:pw@h/db') });
      await store.finishRun(run.id, { status: 'succeeded', finishedAt: new Date(t0.getTime() + 5000) });

      const detail = await store.getRun(run.id);
      expect(detail).not.toBeNull();
      expect(detail!.status).toBe('succeeded');
      expect(detail!.startedAt.toISOString()).toBe(t0.toISOString());
      expect(detail!.finishedAt!.toISOString()).toBe('2026-01-02T03:04:10.678Z');
      expect(detail!.seed).toBe('42');
      expect(detail!.steps).toHaveLength(2);
      expect(detail!.steps[0]).toMatchObject({ table: 'public.users', step: 'load', rows: 1000, rowsPerSec: 500, detail: { batches: 3 } });
      expect(detail!.validation[0]).toMatchObject({ checkKind: 'orphan', constraint: 'fk_a', violations: 0 });
      expect(detail!.quality[0]).toMatchObject({ score: 0.93, report: { ks: [0.1, 0.2] } });

      const all = await store.listRuns();
      expect(all.map((r) => r.id)).toEqual([other.id, run.id]);
      const failed = await store.listRuns({ status: 'failed' });
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ errorCode: 'LOAD_FAILED', errorMessage: 'boom at mysql://u:***@h/db' });
      expect(await store.listRuns({ target: 'stage' })).toHaveLength(1);

      const now = new Date('2026-01-10T00:00:00Z');
      const day = 86_400_000;
      await store.recordArtifact({ sourceFingerprint: 'fp1', table: 'a', location: '/m/a-old', schemaHash: 's1', createdAt: new Date(now.getTime() - 5 * day) });
      await store.recordArtifact({ sourceFingerprint: 'fp1', table: 'a', location: '/m/a-new', schemaHash: 's2', createdAt: new Date(now.getTime() - day) });
      await store.recordArtifact({ sourceFingerprint: 'fp1', table: 'b', location: '/m/b', schemaHash: 's1', createdAt: new Date(now.getTime() - 3 * day) });
      await store.recordArtifact({ sourceFingerprint: 'fp2', table: 'a', location: '/m/other', schemaHash: 's1', createdAt: now });
      const recent = await store.latestArtifacts('fp1', 2 * day, now);
      expect(recent.map((a) => [a.table, a.location])).toEqual([['a', '/m/a-new']]);
      const any = await store.latestArtifacts('fp1', undefined, now);
      expect(any.map((a) => [a.table, a.location])).toEqual([['a', '/m/a-new'], ['b', '/m/b']]);

      const charges = [{ label: 'a DP-SGD', charge: { mechanism: 'subsampled-gaussian', q: 0.01, noiseMultiplier: 1.1, steps: 900 } }];
      await store.recordPrivacySpend({ sourceFingerprint: 'fp1', runId: run.id, table: 'a', epsilon: 0.5, delta: 1e-6, mechanism: 'gaussian', detail: charges, at: t0 });
      await store.recordPrivacySpend({ sourceFingerprint: 'fp1', runId: other.id, table: 'a', epsilon: 0.25, delta: 0, mechanism: 'laplace' });
      await store.recordPrivacySpend({ sourceFingerprint: 'fp2', table: 'a', epsilon: 9, delta: 0, mechanism: 'laplace' });
      const spend = await store.cumulativeSpend('fp1');
      expect(spend.entries).toBe(2);
      expect(spend.epsilon).toBeCloseTo(0.75);
      expect(spend.delta).toBeCloseTo(1e-6);
      expect(spend.byTable.a!.epsilon).toBeCloseTo(0.75);
      expect((await store.cumulativeSpend('nothing')).epsilon).toBe(0);
      const spends = await store.privacySpends('fp1');
      expect(spends.map((x) => [x.runId, x.mechanism])).toEqual([[run.id, 'gaussian'], [other.id, 'laplace']]);
      expect(spends[0]!.detail).toEqual(charges);
      expect(spends[0]!.at.toISOString()).toBe(t0.toISOString());
      expect(spends[1]!.detail).toBeNull();

      await expect(store.recordStep('no-such-run', { step: 'load', startedAt: t0 })).rejects.toBeInstanceOf(SynthError);
    } finally {
      await store.close();
    }

    // Opening again re-runs migrations: nothing to do, data kept.
    const again = await openStateStore(config);
    try {
      expect(await again.listRuns()).toHaveLength(2);
    } finally {
      await again.close();
    }
    if (db !== undefined) {
      const applied = await db.query<{ name: string }>(
        db.url.startsWith('mysql') ? 'SELECT name FROM knex_migrations' : 'SELECT name FROM synth.knex_migrations',
      );
      expect(applied.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
    }
  });

  it('keeps one managed PII transform key per source: created once, then the same; another source gets another', async () => {
    const { config } = await backend.setup();
    const store = await openStateStore(config);
    try {
      const first = await store.piiKey('source-a');
      expect(first.created).toBe(true);
      expect(first.key.length).toBeGreaterThanOrEqual(40);
      const [again, concurrent] = await Promise.all([store.piiKey('source-a'), store.piiKey('source-a')]);
      expect(again).toEqual({ key: first.key, created: false });
      expect(concurrent.key).toBe(first.key);
      const other = await store.piiKey('source-b');
      expect(other.created).toBe(true);
      expect(other.key).not.toBe(first.key);
    } finally {
      await store.close();
    }
    const reopened = await openStateStore(config);
    try {
      expect((await reopened.piiKey('source-a')).created).toBe(false);
    } finally {
      await reopened.close();
    }
  });
});

describe('upgrades', () => {
  it('an older state database is brought up to date on open, keeping its rows', async () => {
    const db = await createPgDatabase('synth_state_up');
    cleanups.push(() => db.drop());
    const old = knexFactory({ client: 'pg', connection: db.url });
    try {
      await old.raw('CREATE SCHEMA synth');
      await old.migrate.latest({
        schemaName: 'synth',
        migrationSource: {
          getMigrations: async () => migrations.slice(0, 1),
          getMigrationName: (m: StateMigration) => m.name,
          getMigration: async (m: StateMigration) => ({ up: (k: Knex) => m.up(k, { schema: 'synth' }), down: (k: Knex) => m.down(k, { schema: 'synth' }) }),
        },
      });
      await old.withSchema('synth').table('privacy_ledger').insert({ source_fingerprint: 'fp', epsilon: 1, delta: 0, mechanism: 'laplace', created_at: new Date() });
    } finally {
      await old.destroy();
    }
    const store = await openStateStore({ url: db.url });
    try {
      const spends = await store.privacySpends('fp');
      expect(spends).toHaveLength(1);
      expect(spends[0]!.detail).toBeNull();
      await store.recordPrivacySpend({ sourceFingerprint: 'fp', epsilon: 1, delta: 0, mechanism: 'laplace', detail: { n: 1 } });
      expect((await store.cumulativeSpend('fp')).epsilon).toBe(2);
    } finally {
      await store.close();
    }
  });
});

describe('concurrent opens', () => {
  it.each([
    { name: 'PostgreSQL', create: createPgDatabase },
    { name: 'MariaDB', create: createMysqlDatabase },
  ])('three stores opening a fresh $name state database at once all succeed, migrating once', async ({ create }) => {
    const db = await create('synth_state_race');
    cleanups.push(() => db.drop());
    const stores = await Promise.all([0, 1, 2].map(() => openStateStore({ url: db.url })));
    try {
      await Promise.all(stores.map((s, i) => s.startRun({ id: `r${i}`, kind: 'hydrate', target: 'dev' })));
      expect((await stores[0]!.listRuns()).map((r) => r.id).sort()).toEqual(['r0', 'r1', 'r2']);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    const applied = await db.query<{ n: number | string }>(
      db.url.startsWith('mysql') ? 'SELECT COUNT(*) AS n FROM knex_migrations' : 'SELECT COUNT(*) AS n FROM synth.knex_migrations',
    );
    expect(Number(applied[0]!.n)).toBe(migrations.length);
  });
});

describe('state store errors', () => {
  it('reports an unreachable server without its password', async () => {
    const err = await openStateStore({ url: 'postgres://u:hunter2@127.0.0.1:1/x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).code).toBe('CONNECTION_FAILED');
    expect((err as SynthError).message).not.toContain('hunter2');
  });

  it('reads pglite://<folder> as an embedded state folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-state-url-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const store = await openStateStore({ url: `pglite://${dir}` });
    try {
      expect(store.location).toBe(`pglite:${dir}`);
      const run = await store.startRun({ kind: 'preview', target: 'dev' });
      expect((await store.getRun(run.id))!.status).toBe('running');
    } finally {
      await store.close();
    }
  });

  it('rejects a URL of another kind', async () => {
    await expect(openStateStore({ url: 'sqlite:///tmp/x' })).rejects.toMatchObject({ code: 'UNSUPPORTED_DIALECT' });
  });
});

/** The `distributed` config key, the queue's connection from its URL, and `synth worker` without a queue. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { bundleKey, doneKey, queueConnection, queueError, unitJobId } from '../../src/distributed/unit-queue.js';
import { requireDistributed } from '../../src/distributed/unit-worker.js';
import { runCli } from '../support/cli.js';

const base = { source: { url: 'postgresql://u@db/src' }, targets: { dev: { url: 'postgresql://u@db/dev' } }, filters: { enabled: false } };

describe('distributed config', () => {
  it('defaults shardRows, lockSeconds, attempts and the prefix; absent means no distribution', () => {
    expect(parseConfig(base).distributed).toBeUndefined();
    const d = parseConfig({ ...base, distributed: { queue: 'redis://q:6379' } }).distributed!;
    expect(d).toEqual({ queue: 'redis://q:6379', shardRows: 50_000, lockSeconds: 30, attempts: 3, prefix: 'synth' });
  });

  it('refuses a queue that is not Redis and a bad shard size, naming the field', () => {
    expect(() => parseConfig({ ...base, distributed: { queue: 'postgresql://q/db' } })).toThrow(/distributed\.queue: must start with redis:\/\//);
    expect(() => parseConfig({ ...base, distributed: { queue: 'redis://q', shardRows: 0 } })).toThrow(/distributed\.shardRows/);
  });

  it('accepts the copy filters (on by default) with distributed: workers run them', () => {
    const { filters: _, ...noFilters } = base;
    expect(parseConfig({ ...noFilters, distributed: { queue: 'redis://q' } }).filters.enabled).toBe(true);
    expect(() => parseConfig({ ...noFilters, filters: { enabled: true }, privacy: { epsilon: 1 }, distributed: { queue: 'redis://q' } })).not.toThrow();
  });

  it('requireDistributed names the missing section and what to add', () => {
    expect(() => requireDistributed(parseConfig(base))).toThrow(/no `distributed` section/);
    try {
      requireDistributed(parseConfig(base));
    } catch (e) {
      expect((e as { hint?: string }).hint).toMatch(/distributed: \{ queue:/);
    }
  });
});

describe('queue connection', () => {
  it('reads host, port, db, user and password from the URL; rediss means TLS', () => {
    const d = (queue: string) => parseConfig({ ...base, distributed: { queue } }).distributed!;
    expect(queueConnection(d('redis://cache.internal'))).toEqual({ host: 'cache.internal', port: 6379, maxRetriesPerRequest: null });
    expect(queueConnection(d('rediss://worker:p%40ss@cache:6380/2'))).toEqual({ host: 'cache', port: 6380, username: 'worker', password: 'p@ss', db: 2, tls: {}, maxRetriesPerRequest: null });
  });

  it('keys and job ids are per run and per unit, and a queue error hides the password', () => {
    const d = parseConfig({ ...base, distributed: { queue: 'redis://:secret@q:6379', prefix: 'acme' } }).distributed!;
    expect(bundleKey(d, 'r1')).toBe('acme:run:r1:bundle');
    expect(doneKey(d, 'r1', { id: 'public.orders#3' })).toBe('acme:run:r1:done:public.orders#3');
    expect(unitJobId('r1', { id: 'a:b.c#0' })).not.toContain(':');
    const e = queueError(new Error('ECONNREFUSED'), d);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).not.toContain('secret');
    expect(e.exitCode).toBe(3);
  });
});

describe('synth worker', () => {
  it('without `distributed` exits 2 with the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-worker-cfg-'));
    const path = join(dir, 'synth.config.json');
    writeFileSync(path, JSON.stringify(base));
    const r = await runCli(['worker', '--config', path, '--no-json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no `distributed` section/);
    expect(r.stderr).toMatch(/hint: Add distributed/);
  }, 60_000);

  it('with an unreachable queue says so and exits 3 instead of waiting forever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-worker-cfg-'));
    const path = join(dir, 'synth.config.json');
    writeFileSync(path, JSON.stringify({ ...base, distributed: { queue: 'redis://127.0.0.1:1' } }));
    const r = await runCli(['worker', '--config', path, '--no-json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/The job queue at redis:\/\/127\.0\.0\.1:1 failed: no connection within 10 s/);
    expect(r.stderr).toMatch(/hint: Check that Redis is reachable/);
    // One warning for the repeated reconnect error, not one per retry.
    expect(r.stderr.match(/ECONNREFUSED/g)?.length ?? 0).toBeLessThanOrEqual(1);
  }, 90_000);

  it('refuses a --concurrency that is not a whole number', async () => {
    const r = await runCli(['worker', '--concurrency', 'many', '--no-json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--concurrency must be a whole number/);
  }, 60_000);
});

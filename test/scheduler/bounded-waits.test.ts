/**
 * No silent hangs: a server that accepts the TCP connection and then never answers (a hung server, a half-open
 * tunnel) makes opening the state, taking the target lock and connecting end in a clear CONNECTION_FAILED after
 * SYNTH_CONNECT_TIMEOUT_MS, and the `synth hydrate` process exits (3) instead of sitting there.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTarget } from '../../src/connectors/index.js';
import { openStateStore } from '../../src/scheduler/state-store.js';
import { acquireTargetLock } from '../../src/scheduler/target-lock.js';
import { runCli } from '../support/cli.js';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';

let server: Server;
const sockets = new Set<Socket>();
let silentUrl: string;
let source: TestDatabase;
let state: TestDatabase;
const previous = process.env.SYNTH_CONNECT_TIMEOUT_MS;

beforeAll(async () => {
  // Accepts connections and reads what the client sends, but never says a word back.
  server = createServer((s) => {
    sockets.add(s);
    s.on('data', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  silentUrl = `postgresql://postgres@127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/silent`;
  [source, state] = await Promise.all([createPgDatabase('synth_bw_src'), createPgDatabase('synth_bw_state')]);
  await source.exec('CREATE TABLE t (id serial PRIMARY KEY, v int); INSERT INTO t (v) SELECT i FROM generate_series(1, 50) i;');
  process.env.SYNTH_CONNECT_TIMEOUT_MS = '1500';
}, 60_000);
afterAll(async () => {
  if (previous === undefined) delete process.env.SYNTH_CONNECT_TIMEOUT_MS;
  else process.env.SYNTH_CONNECT_TIMEOUT_MS = previous;
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([source?.drop(), state?.drop()]);
});

async function timed<T>(work: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await work.then(() => null, (e: unknown) => e);
  return { error, ms: Date.now() - started };
}

describe('a server that never answers', () => {
  it('connecting a target ends in CONNECTION_FAILED after the connect timeout', async () => {
    const { error, ms } = await timed(openTarget(silentUrl));
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED' });
    expect(String((error as Error).message)).toMatch(/did not answer within 2 s|timeout/i);
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(10_000);
  });

  it('taking the target lock ends in CONNECTION_FAILED after the connect timeout', async () => {
    const { error, ms } = await timed(acquireTargetLock(silentUrl, { wait: true, timeoutMs: 60_000, holder: 'bounded' }));
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED' });
    expect(ms).toBeLessThan(10_000);
  });

  it('opening a state database ends in CONNECTION_FAILED after the connect timeout', async () => {
    const { error, ms } = await timed(openStateStore({ url: silentUrl }));
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED' });
    expect(ms).toBeLessThan(10_000);
  });

  it('`synth hydrate` into it exits 3 with one clear error instead of hanging', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-bounded-'));
    const config = join(dir, 'synth.config.json');
    writeFileSync(config, JSON.stringify({ source: { url: source.url }, targets: { dev: { url: silentUrl } }, quality: { enabled: false }, state: { url: state.url }, outDir: join(dir, 'out') }));
    const started = Date.now();
    const r = await runCli(['hydrate', '--target', 'dev', '--config', config, '--quiet'], { env: { SYNTH_CONNECT_TIMEOUT_MS: '1500' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error \[CONNECTION_FAILED\]: Cannot connect to the target \(to lock it\)/);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 90_000);
});

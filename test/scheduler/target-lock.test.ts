import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { SynthError } from '../../src/errors.js';
import { acquireTargetLock } from '../../src/scheduler/target-lock.js';
import mysql from 'mysql2/promise';
import { MYSQL_SERVER, createMysqlDatabase, createPgDatabase, uniqueName, type TestDatabase } from '../support/databases.js';

const dbs: TestDatabase[] = [];
// MySQL lock rows go to a database of this test's own instead of the default `synth_state`.
const infoDb = uniqueName('synth_lockinfo');
afterAll(async () => {
  for (const d of dbs) await d.drop();
  const admin = await mysql.createConnection({ uri: MYSQL_SERVER });
  await admin.query(`DROP DATABASE IF EXISTS \`${infoDb}\``);
  await admin.end();
});

/** Starts a child process holding the lock; resolves once it has it. */
function holdInChild(url: string, holdMs: number, holder: string): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/scheduler/fixtures/hold-lock.ts', url, String(holdMs), holder, infoDb], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('LOCKED')) resolve({ child, exited });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`child exited ${code} before locking: ${err}`)));
  });
}

describe.each([
  { name: 'PostgreSQL', create: createPgDatabase },
  { name: 'MariaDB', create: createMysqlDatabase },
])('target lock on $name', ({ name, create }) => {
  it('refuses a second holder with LOCKED, then a waiter gets it after the holder exits', async () => {
    const db = await create('synth_lock');
    dbs.push(db);
    const { child, exited } = await holdInChild(db.url, 2500, 'run-child-7');

    const err = await acquireTargetLock(db.url, { wait: false, timeoutMs: 0, mysqlInfoDatabase: infoDb }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).code).toBe('LOCKED');
    expect((err as SynthError).message).toContain('run-child-7');
    expect((err as SynthError).message).toContain(`pid ${child.pid}`);

    const started = Date.now();
    const lock = await acquireTargetLock(db.url, { wait: true, timeoutMs: 30_000, holder: 'parent', mysqlInfoDatabase: infoDb });
    expect(Date.now() - started).toBeGreaterThan(500);
    expect(await exited).toBe(0);

    // While we hold it, a short wait times out with LOCKED; after release it is free again.
    const timedOut = await acquireTargetLock(db.url, { wait: true, timeoutMs: 600, mysqlInfoDatabase: infoDb }).catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ code: 'LOCKED' });
    expect((timedOut as SynthError).message).toMatch(/parent.*after waiting/);
    await lock.release();
    await lock.release();
    const again = await acquireTargetLock(db.url, { wait: false, timeoutMs: 0, mysqlInfoDatabase: infoDb });
    await again.release();
  });

  it('notices when the lock session dies', async () => {
    const db = await create('synth_lock_lost');
    dbs.push(db);
    const lock = await acquireTargetLock(db.url, { wait: false, timeoutMs: 0, holder: 'victim', mysqlInfoDatabase: null });
    lock.assertHeld();
    if (name === 'PostgreSQL') {
      await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'synth victim%'`);
    } else {
      const [row] = await db.query<{ id: number }>(`SELECT IS_USED_LOCK(?) AS id`, [`synth:target:${db.name}`]);
      await db.exec(`KILL ${Number(row!.id)}`);
    }
    const deadline = Date.now() + 5000;
    let thrown: unknown;
    while (Date.now() < deadline) {
      try {
        lock.assertHeld();
      } catch (e) {
        thrown = e;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(thrown).toMatchObject({ code: 'LOCKED' });
    expect((thrown as SynthError).message).toMatch(/^Lost the /);
    // The target is free for the next run.
    const next = await acquireTargetLock(db.url, { wait: true, timeoutMs: 5000, mysqlInfoDatabase: null });
    await next.release();
    await lock.release();
  });

  it('stops waiting when the signal aborts', async () => {
    const db = await create('synth_lock_abort');
    dbs.push(db);
    const held = await acquireTargetLock(db.url, { wait: false, timeoutMs: 0, mysqlInfoDatabase: null });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('shutting down')), 300);
    await expect(
      acquireTargetLock(db.url, { wait: true, timeoutMs: 60_000, signal: controller.signal, mysqlInfoDatabase: null }),
    ).rejects.toThrow('shutting down');
    expect(Date.now() - started).toBeLessThan(3000);
    await held.release();
  });

  it('locks targets independently', async () => {
    const a = await create('synth_lock_a');
    const b = await create('synth_lock_b');
    dbs.push(a, b);
    const la = await acquireTargetLock(a.url, { wait: false, timeoutMs: 0, mysqlInfoDatabase: null });
    const lb = await acquireTargetLock(b.url, { wait: false, timeoutMs: 0, mysqlInfoDatabase: null });
    await la.release();
    await lb.release();
  });
});

it('rejects an unsupported URL', async () => {
  await expect(acquireTargetLock('sqlite:///x', { wait: false, timeoutMs: 0 })).rejects.toMatchObject({ code: 'UNSUPPORTED_DIALECT' });
});

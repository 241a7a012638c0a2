/**
 * The package as users get it: `npm pack` (which builds dist/), installed into a fresh folder, run through npx.
 * This is the only test of bin/synth.js and the compiled JavaScript; the other CLI tests run the sources.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type TestDatabase } from '../support/databases.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-package-'));
const app = join(dir, 'app');
let source: TestDatabase;
let target: TestDatabase;

function npx(args: string[], timeout = 300_000): { code: number; stdout: string; stderr: string; ms: number } {
  const started = performance.now();
  const r = spawnSync('npx', ['--no-install', 'synth', ...args], { cwd: app, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - started };
}

function lastEvent(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

beforeAll(async () => {
  execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const tarball = readdirSync(dir).find((f) => /^synth-.*\.tgz$/.test(f));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${dir}`);
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'synth-package-test', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', join(dir, tarball)], { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] });
  source = await createPgDatabase('synth_pkg_src');
  target = await createPgDatabase('synth_pkg_dst');
  await source.exec(`
    CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
    CREATE TABLE book (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), pages int CHECK (pages > 0));
    INSERT INTO author (name) SELECT 'author ' || g FROM generate_series(1, 30) g;
    INSERT INTO book (author_id, pages) SELECT 1 + g % 30, 10 + g FROM generate_series(1, 200) g;`);
}, 300_000);

afterAll(async () => {
  await source?.drop();
  await target?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('ships compiled JavaScript: no TypeScript sources, and --version answers without compiling anything', () => {
    const files = readdirSync(join(app, 'node_modules', 'synth', 'dist', 'src', 'cli'));
    expect(files).toContain('main.js');
    expect(readdirSync(join(app, 'node_modules', 'synth'))).not.toContain('src');
    const r = npx(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('0.1.0');
    // Through the node binary directly (npx itself takes ~0.5 s): the best of three, for a busy machine.
    const bin = join(app, 'node_modules', 'synth', 'bin', 'synth.js');
    const times = [0, 1, 2].map(() => {
      const started = performance.now();
      execFileSync(process.execPath, [bin, '--version']);
      return performance.now() - started;
    });
    expect(Math.min(...times)).toBeLessThan(1000);
  });

  it('runs `npx synth demo` in the fresh folder', () => {
    // The baseline: the learned demo is demo.test.ts's; the compiled learned model runs in the hydrate below.
    const r = npx(['demo', '--dir', join(app, 'demo'), '--json', '--model', 'baseline']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lastEvent(r.stdout)).toMatchObject({ type: 'result', status: 'ok', violations: 0 });
  }, 360_000);

  it('runs `npx synth hydrate` with a synth.config.ts that imports defineConfig from synth', async () => {
    writeFileSync(
      join(app, 'synth.config.ts'),
      `import { defineConfig } from 'synth';
const outDir: string = ${JSON.stringify(join(app, 'out'))};
export default defineConfig({ source: { url: ${JSON.stringify(source.url)} }, targets: { dev: { url: ${JSON.stringify(target.url)} } }, quality: { enabled: false }, outDir });
`,
    );
    const r = npx(['hydrate', '--target', 'dev', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lastEvent(r.stdout)).toMatchObject({ type: 'result', status: 'ok', violations: 0 });
    const [n] = await target.query<{ n: string }>('SELECT count(*) AS n FROM book');
    expect(Number(n!.n)).toBe(200);
  }, 360_000);
});

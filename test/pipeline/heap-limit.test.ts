/**
 * The heap limit synth's processes start with (pipeline/heap-limit.ts): the installed command (bin/synth.js, which
 * runs dist/: `npm run build`) relaunches itself with one unless the user gave their own, and a load worker process
 * of the parallel load starts with one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { HEAP_LIMIT_FLOOR_MIB, hasHeapLimit, heapLimitArgs, heapLimitMiB } from '../../src/pipeline/heap-limit.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';
import { loadWorkers } from '../support/load-workers.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-heap-limit-'));
// Loaded into every node process of the command (node's --import travels with the relaunch): one line each.
const probe = join(dir, 'probe.mjs');
writeFileSync(probe, "import v8 from 'node:v8';\nprocess.stderr.write(`heap-limit-probe ${Math.round(v8.getHeapStatistics().heap_size_limit / 1048576)}\\n`);\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `node [nodeArgs] bin/synth.js plan --help`: the heap limit of each node process it ran, in order. */
function launch(nodeArgs: string[], env: Record<string, string> = {}, args = ['plan', '--help']): { limits: number[]; stdout: string; code: number | null } {
  const { NODE_OPTIONS: _, ...base } = process.env;
  const r = spawnSync(process.execPath, ['--import', probe, ...nodeArgs, 'bin/synth.js', ...args], { encoding: 'utf8', env: { ...base, ...env } });
  const limits = [...r.stderr.matchAll(/^heap-limit-probe (\d+)$/gm)].map((m) => Number(m[1]));
  return { limits, stdout: r.stdout.trim(), code: r.status };
}

describe('heap limit', () => {
  it('is sized from the machine, never under the floor, and keeps a limit the process already has', () => {
    expect(heapLimitMiB(1024 ** 3)).toBe(HEAP_LIMIT_FLOOR_MIB);
    expect(heapLimitMiB(64 * 1024 ** 3)).toBeGreaterThanOrEqual(HEAP_LIMIT_FLOOR_MIB);
    expect(hasHeapLimit([], undefined)).toBe(false);
    expect(hasHeapLimit([], '--max-old-space-size=300 --enable-source-maps')).toBe(true);
    expect(hasHeapLimit(['--max_old_space_size=300'], undefined)).toBe(true);
    expect(heapLimitArgs([], undefined)).toEqual([`--max-old-space-size=${heapLimitMiB()}`]);
    // NODE_OPTIONS reaches a child through its environment: nothing to add.
    expect(heapLimitArgs([], '--max-old-space-size=300')).toEqual([]);
    expect(heapLimitArgs(['--import', 'tsx', '--max-old-space-size=300'], undefined)).toEqual(['--max-old-space-size=300']);
    expect(heapLimitArgs(['--max-heap-size', '400'], undefined)).toEqual(['--max-heap-size', '400']);
  });

  it('bin/synth.js relaunches itself with the limit, or runs as it is when the user set one or asks for --version', () => {
    if (!existsSync('dist/src/pipeline/heap-limit.js')) throw new Error('bin/synth.js runs dist/: run `npm run build` first');
    const sized = launch([]);
    expect(sized.code).toBe(0);
    expect(sized.stdout).toMatch(/^Usage: synth plan/);
    // The launcher (node's default limit), then the command under the sized one (old space + young generation).
    expect(sized.limits).toHaveLength(2);
    expect(sized.limits[1]).toBeGreaterThanOrEqual(heapLimitMiB());
    expect(sized.limits[1]).toBeLessThan(heapLimitMiB() + 100);

    const options = launch([], { NODE_OPTIONS: '--max-old-space-size=300' });
    expect(options.stdout).toMatch(/^Usage: synth plan/);
    expect(options.limits).toHaveLength(1);
    expect(options.limits[0]).toBeLessThan(400);

    const flag = launch(['--max-old-space-size=320']);
    expect(flag.stdout).toMatch(/^Usage: synth plan/);
    expect(flag.limits).toHaveLength(1);
    expect(flag.limits[0]).toBeLessThan(420);

    // `--version` alone answers without the relaunch's second start-up.
    const version = launch([], {}, ['--version']);
    expect(version.stdout).toBe('0.1.0');
    expect(version.limits).toHaveLength(1);
  });
});

describe('a load worker process', () => {
  const env = pgHydrationFixture(
    'synth_heaplim',
    `CREATE TABLE reading (id serial PRIMARY KEY, at timestamptz NOT NULL, value double precision NOT NULL);
     INSERT INTO reading (at, value) SELECT timestamptz '2024-01-01' + g * interval '1 minute', g % 97 FROM generate_series(1, 6000) g;`,
  );

  it('starts with a heap limit', async () => {
    // Its command line, read while it runs: this process's children that run load-worker.
    const seen = new Set<string>();
    const poll = setInterval(() => {
      for (const { argv } of loadWorkers()) seen.add(argv.join(' '));
    }, 20);
    try {
      const config = parseConfig({
        source: { url: env.source.url },
        targets: { dev: { url: env.target.url } },
        model: 'baseline',
        quality: { enabled: false },
        generation: { workers: 1, minRows: 1000 },
        outDir: env.outDir,
      });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status).toBe('ok');
    } finally {
      clearInterval(poll);
    }
    if (!existsSync(`/proc/${process.pid}/task`)) return; // no /proc to read a command line from
    expect(seen.size).toBe(1);
    // This process's own limit when it has one, else the sized one; none on the command line only under NODE_OPTIONS.
    expect([...seen][0]).toContain(heapLimitArgs().join(' '));
  });
});

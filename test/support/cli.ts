import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const root = process.cwd();

/**
 * The `synth` command as a separate process, from the working tree's sources so tests see them, but compiled first:
 * the product's own build (tsc -p tsconfig.build.json, types unchecked: `tsc --noEmit` checks them) into a folder
 * keyed by the sources' contents, made once per change and shared by every test file and run. Through tsx, each
 * process paid 1.5–2 CPU-s more (its loader thread, every import crossing threads, source maps): `plan` 3.2 → 1.7
 * and `runs` 6.4 → 4.4 CPU-s, ~70 processes a suite. Its load workers start from the compiled JavaScript too, as an
 * installed synth's do. SYNTH_TEST_CLI=tsx runs the sources through tsx instead (stack traces name the .ts lines).
 * bin/synth.js (the launcher and dist/) is test/cli/package.test.ts's subject.
 */
export function cliCommand(): string[] {
  if (process.env.SYNTH_TEST_CLI === 'tsx') {
    return ['--import', pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, join(root, 'src', 'cli', 'main.ts')];
  }
  return [join(compiledTree(), 'src', 'cli', 'main.js')];
}

let built: string | null = null;

/** The compiled tree of the current sources: node_modules/.cache/synth-test-cli-<hash> (packages resolve from there). */
function compiledTree(): string {
  if (built !== null && existsSync(built)) return built;
  const cache = join(root, 'node_modules', '.cache');
  const folder = join(cache, `synth-test-cli-${sourcesKey()}`);
  if (!existsSync(folder)) {
    mkdirSync(cache, { recursive: true });
    const work = `${folder}.new-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', work, '--noCheck', '--declaration', 'false'], { cwd: root, stdio: 'pipe' });
      // node_modules/package.json ends Node's search for a package scope: the compiled files say they are modules.
      writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
      try {
        renameSync(work, folder);
      } catch (e) {
        // Another test file built the same sources first: theirs is as good as ours.
        if (!existsSync(folder)) throw e;
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    removeStaleTrees(cache, folder);
  }
  built = folder;
  return folder;
}

/** The contents of everything the build reads: sources, migrations and the two tsconfigs. */
function sourcesKey(): string {
  const hash = createHash('sha256');
  const add = (path: string) => hash.update(path.slice(root.length)).update(readFileSync(path));
  add(join(root, 'tsconfig.json'));
  add(join(root, 'tsconfig.build.json'));
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) add(path);
    }
  };
  walk(join(root, 'src'));
  walk(join(root, 'migrations'));
  return hash.digest('hex').slice(0, 16);
}

/** Trees of earlier sources, once an hour old: a running suite of another checkout sharing node_modules may still use a newer one. */
function removeStaleTrees(cache: string, keep: string): void {
  for (const name of readdirSync(cache)) {
    const path = join(cache, name);
    if (!name.startsWith('synth-test-cli-') || path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

/** Runs `synth` as a user would, without a TTY. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliCommand(), ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

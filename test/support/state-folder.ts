/**
 * A ready embedded state folder for CLI tests whose subject is not the state. A fresh folder costs PGlite's initdb
 * on the run's first open: ~7 CPU-s and 10–50 s of wall time on this machine (under load it ran past knex's pool
 * timeout and failed a run), where copying an initialized one costs 0.3 s and opening the copy ~1.2 CPU-s.
 *
 * The copy is what synth itself leaves after a first open (migrated, no runs, no keys), and synth migrates it again
 * on open, so a template from older migrations is still brought up to date. Tests of the first open itself (demo,
 * package, state-recovery, secrets-redaction) keep their fresh folders.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd();

/** PGlite's version and the migrations: a template made by either's other version is not reused. */
function templateKey(): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json')));
  const migrations = join(root, 'migrations');
  for (const name of readdirSync(migrations).sort()) hash.update(name).update(readFileSync(join(migrations, name)));
  return hash.digest('hex').slice(0, 16);
}

let template: Promise<string> | null = null;

/** The template folder, made once per key; test files in parallel forks race safely (the first rename wins). */
function ensureTemplate(): Promise<string> {
  template ??= (async () => {
    const folder = join(tmpdir(), `synth-test-state-${templateKey()}`);
    if (existsSync(folder)) return folder;
    const work = mkdtempSync(join(tmpdir(), 'synth-test-state-new-'));
    try {
      const { openStateStore } = await import('../../src/scheduler/state-store.js');
      const store = await openStateStore({ dir: join(work, 'state') });
      await store.close();
      try {
        renameSync(join(work, 'state'), folder);
      } catch (e) {
        // Another fork made it first: theirs is as good as ours.
        if (!existsSync(folder)) throw e;
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return folder;
  })();
  return template;
}

/** Fills `stateDir` (which must not exist yet) with an initialized, empty embedded state folder. */
export async function seedStateFolder(stateDir: string): Promise<void> {
  if (existsSync(stateDir)) throw new Error(`seedStateFolder: ${stateDir} exists already`);
  cpSync(await ensureTemplate(), stateDir, { recursive: true });
}

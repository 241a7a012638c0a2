/**
 * `synth demo`: builds the demo source in an embedded PostgreSQL folder (once), then runs the ordinary hydrate
 * pipeline into a second embedded database. Nothing here is demo-specific beyond the source data.
 */
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseConfig } from '../config/load-config.js';
import type { SynthConfig } from '../config/schema.js';
import { openPgliteSession } from '../connectors/pglite/pglite-session.js';
import type { EventSink } from '../events.js';
import { hydrate, type HydrateResult } from '../pipeline/index.js';
import { DEMO_CYCLE_SQL, DEMO_SCHEMA_SQL, demoInsertStatements } from './demo-dataset.js';

export interface DemoOptions {
  dir: string;
  emit: EventSink;
  model?: 'baseline' | 'learned';
  /** Rebuild the demo source even if it exists. */
  fresh?: boolean;
}

export function demoConfig(dir: string, model: 'baseline' | 'learned' = 'learned'): SynthConfig {
  const abs = resolve(dir);
  return parseConfig(
    {
      source: { url: `pglite://${join(abs, 'source')}` },
      targets: { dev: { url: `pglite://${join(abs, 'dev')}` } },
      model,
      seed: 42,
      outDir: abs,
    },
    'synth demo',
  );
}

/** Creates the demo source database unless it is already there. Returns whether it was built. */
export async function ensureDemoSource(dir: string, fresh = false): Promise<boolean> {
  const sourceDir = join(resolve(dir), 'source');
  if (!fresh && existsSync(join(sourceDir, 'PG_VERSION'))) return false;
  if (fresh && existsSync(sourceDir)) {
    const { rmSync } = await import('node:fs');
    rmSync(sourceDir, { recursive: true, force: true });
  }
  await initializeState(resolve(dir), sourceDir);
  const { session } = await openPgliteSession(`pglite://${sourceDir}`, { readOnly: false });
  try {
    await session.query(DEMO_SCHEMA_SQL);
    for (const statement of demoInsertStatements()) await session.query(statement);
    await session.query(DEMO_CYCLE_SQL);
    await session.query('ANALYZE');
  } finally {
    await session.close();
  }
  return true;
}

/**
 * The run history's embedded folder (`state`) is a copy of the source's, made before the demo data goes in: PGlite's
 * initdb costs ~7 CPU-s (10–50 s of wall time on a small machine), a copy of the cleanly shut down, still empty
 * cluster 0.3 s. Not the target's: a copy shares the source's system identifier, by which a run recognises a target
 * that is its source (SOURCE_IS_TARGET). A folder with anything in it already (a rerun, `--fresh`) is left alone.
 */
async function initializeState(root: string, sourceDir: string): Promise<void> {
  const state = join(root, 'state');
  if (existsSync(state) && readdirSync(state).length > 0) return;
  const { session } = await openPgliteSession(`pglite://${sourceDir}`, { readOnly: false });
  await session.close();
  cpSync(sourceDir, state, { recursive: true });
}

export async function runDemo(options: DemoOptions): Promise<{ result: HydrateResult; config: SynthConfig }> {
  const built = await ensureDemoSource(options.dir, options.fresh ?? false);
  options.emit({ type: 'info', message: built ? `Built the demo source database in ${join(options.dir, 'source')}.` : `Using the demo source in ${join(options.dir, 'source')}.` });
  const config = demoConfig(options.dir, options.model);
  const result = await hydrate({ config, target: 'dev', emit: options.emit });
  return { result, config };
}

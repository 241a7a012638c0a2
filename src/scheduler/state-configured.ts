/**
 * The state store a config names, in a module of its own: `synth runs` opens it without loading the pipeline that
 * hydrate-job.ts (which re-exports this) imports, 2.5 of the 6.4 CPU-s such a command took.
 */
import { join } from 'node:path';
import type { SynthConfig } from '../config/schema.js';
import type { EventSink } from '../events.js';
import { openStateStore, type StateStore } from './state-store.js';

/**
 * The state store a config names: `state.url`, else the PGlite folder `state.dir`, else `<outDir>/state`. Its
 * warnings (a broken embedded folder moved aside) go to `emit` when given, else to stderr.
 */
export function openConfiguredStateStore(config: SynthConfig, emit?: EventSink): Promise<StateStore> {
  const onWarning = emit === undefined ? {} : { onWarning: (message: string) => emit({ type: 'warning', message }) };
  if (config.state.url !== undefined && config.state.url !== '') return openStateStore({ url: config.state.url, ...onWarning });
  return openStateStore({ dir: config.state.dir ?? join(config.outDir, 'state'), ...onWarning });
}

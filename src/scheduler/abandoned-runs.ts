/**
 * Runs a dead process left `running`, reaped at the start of every recorded command, in a module of its own:
 * `synth rollback` announces them without loading the pipeline that hydrate-job.ts imports.
 */
import type { EventSink } from '../events.js';
import type { StateStore } from './state-store.js';

/** Runs left `running` by a process that died are marked `abandoned`, each announced in one line. */
export async function reportAbandoned(store: StateStore, emit: EventSink): Promise<void> {
  for (const r of await store.reapAbandoned()) emit({ type: 'info', message: `Run ${r.id} (${r.kind} → ${r.target}) marked abandoned: ${r.errorMessage ?? ''}` });
}

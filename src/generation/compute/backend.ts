/**
 * Picks and initializes the tensor backend once per process. WASM (SIMD) is ~40x faster than the pure-JS cpu
 * backend on this class of machine; tfjs-node cannot be installed, so those two are the choices for now.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

export type BackendChoice = 'auto' | 'wasm' | 'cpu';

let ready: Promise<string> | null = null;
let readyChoice: BackendChoice | null = null;
let notice: string | null = null;

type Listener = (...args: never[]) => unknown;
const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
const listenersOf = (event: string): Listener[] => (process.listeners as (e: string) => Listener[])(event);

async function tryWasm(): Promise<boolean> {
  // The Emscripten glue installs process handlers that rethrow every uncaught error and rejection (printing
  // its minified source); they would replace the CLI's own error reporting, so they are removed again.
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(listenersOf(e))]));
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    // The Node build resolves the .wasm binaries from a plain file path (no fetch), hence the trailing separator.
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    wasm.setWasmPaths(dist + path.sep);
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    return ok;
  } catch (e) {
    notice = `WASM compute backend unavailable (${e instanceof Error ? e.message : String(e)}); using the slower cpu backend.`;
    return false;
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const l of listenersOf(event)) {
        if (!before.get(event)?.has(l)) process.removeListener(event, l as (...args: unknown[]) => void);
      }
    }
  }
}

/**
 * Initializes the compute backend (idempotent). `auto` tries wasm and falls back to cpu with a notice
 * (see `computeBackendNotice()`). Returns the backend name that runs.
 */
export function initCompute(choice: BackendChoice = 'auto'): Promise<string> {
  if (ready !== null && (readyChoice === choice || choice === 'auto')) return ready;
  readyChoice = choice;
  ready = (async () => {
    if (choice !== 'cpu' && (await tryWasm())) {
      await tf.ready();
      return tf.getBackend();
    }
    if (choice === 'wasm' && notice === null) notice = 'WASM compute backend did not initialize; using cpu.';
    await tf.setBackend('cpu');
    await tf.ready();
    return tf.getBackend();
  })();
  return ready;
}

/** Name of the backend the learned models run on (`wasm`, `cpu`), or `none` before initialization. */
export function computeBackendName(): string {
  return ready === null ? 'none' : tf.getBackend();
}

/** Why the preferred backend was not used, when it was not. */
export function computeBackendNotice(): string | null {
  return notice;
}

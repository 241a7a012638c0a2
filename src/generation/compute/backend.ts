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

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    // The Node build resolves the .wasm binaries from a plain file path (no fetch), hence the trailing separator.
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    wasm.setWasmPaths(dist + path.sep);
    return await tf.setBackend('wasm');
  } catch (e) {
    notice = `WASM compute backend unavailable (${e instanceof Error ? e.message : String(e)}); using the slower cpu backend.`;
    return false;
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

import type { SynthConfigInput } from './schema.js';

/** Typed identity helper for synth.config.ts. A plain exported object works just as well. */
export function defineConfig(config: SynthConfigInput): SynthConfigInput {
  return config;
}

export { defineConfig } from './config/define-config.js';
export type { SynthConfigInput, SynthConfig } from './config/schema.js';
export { SynthError } from './errors.js';

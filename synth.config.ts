// Example config. `npx synth hydrate --target dev` reads this file.
// Without SYNTH_SOURCE_URL it points at the embedded demo databases that `npx synth demo` creates.
import { defineConfig } from './src/index.js';

export default defineConfig({
  source: { url: process.env.SYNTH_SOURCE_URL ?? 'pglite://.synth/demo/source' },
  targets: {
    dev: { url: process.env.SYNTH_DEV_URL ?? 'pglite://.synth/demo/dev' },
    stage: { url: process.env.SYNTH_STAGE_URL ?? 'pglite://.synth/demo/stage' },
  },
  // schemas: ['public'],     // default: every non-system schema
  scale: 1.0, // rows per table relative to the source
  seed: 42, // same seed + same source => same output
  model: 'baseline',
});

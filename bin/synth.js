#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, which also lets users write synth.config.ts without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

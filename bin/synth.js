#!/usr/bin/env node
// The installed command runs the compiled CLI (dist/, built by `npm run build`, which `prepare` and `prepack` run).
// No TypeScript is compiled at start-up: tsx is loaded only to import a user's synth.config.ts.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));

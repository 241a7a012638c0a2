/**
 * Training-step throughput of the learned model's network (hand-written backward + Adam) at batch 512,
 * hidden 256, on the wasm and cpu backends. Prints one line per backend and a JSON summary.
 * Usage: tsx bench/learned-steps.ts [--seconds 5] [--hidden 256] [--batch 512] [--backend wasm,cpu] [--dp]
 */
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initCompute } from '../src/generation/compute/index.js';
import { makeLayout, specOf, batchOf } from '../src/generation/learned/layout.js';
import { MadeNetwork, type DpHook, type EncodedBatch } from '../src/generation/learned/made.js';
import { seededRng } from '../src/generation/learned/seeded-rng.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

export interface LearnedStepsOptions {
  seconds: number;
  hidden: number;
  batchSize: number;
  backends: string[];
  dp: boolean;
}

/** Runs the step benchmark; returns steps/s and ms/step per backend (the `npm run bench` table shape). */
export async function benchLearnedSteps(o: Partial<LearnedStepsOptions> = {}): Promise<Record<string, number | string>> {
  const { seconds = 5, hidden = 256, batchSize = 512, backends = ['wasm', 'cpu'], dp: useDp = false } = o;

  // A typical table: 10 attribute columns of 20 tokens, a 2-column parent context, one child-count head.
  const layout = makeLayout([10, 20], Array.from({ length: 10 }, () => 20), [12]);
  const rng = seededRng(1);
  const rows = 4096;
  const tokens = new Int32Array(rows * layout.width);
  for (let r = 0; r < rows; r++) {
    for (const b of [...layout.inputs, ...layout.outputs]) tokens[r * layout.width + b.token] = rng.int(b.size);
  }
  const dp: DpHook | undefined = useDp
    ? { clipNorm: 1, noiseMultiplier: 1, noise: ([r, c]) => Float32Array.from({ length: r * c }, () => rng.normal()) }
    : undefined;

  const results: Record<string, { stepsPerSecond: number; msPerStep: number; flopsPerStep: number; sampleRowsPerSecond?: number }> = {};
  for (const name of backends) {
    await initCompute(name === 'cpu' ? 'cpu' : 'wasm');
    if (!(await tf.setBackend(name))) {
      console.log(`${name}: backend unavailable`);
      continue;
    }
    const net = new MadeNetwork(specOf(layout, [hidden, hidden]), seededRng(2));
    const batches = Array.from({ length: 8 }, (_, i) =>
      batchOf(layout, tokens, Int32Array.from({ length: batchSize }, (_, j) => (i * batchSize + j) % rows)),
    );
    // Warm-up (kernel compilation, allocator).
    for (let i = 0; i < 3; i++) net.trainStep(batches[i % batches.length]!, dp);
    const budget = name === 'cpu' ? Math.min(seconds, 10) : seconds;
    const start = performance.now();
    let steps = 0;
    while (performance.now() - start < budget * 1000) {
      net.trainStep(batches[steps % batches.length]!, dp);
      steps++;
    }
    const elapsed = (performance.now() - start) / 1000;
    const sizes = [net.inputSize, hidden, hidden, net.outputSize];
    let macs = 0;
    for (let l = 0; l + 1 < sizes.length; l++) macs += sizes[l]! * sizes[l + 1]!;
    const flopsPerStep = 2 * 3 * macs * batchSize; // forward + two backward matMuls per layer
    results[name] = { stepsPerSecond: steps / elapsed, msPerStep: (1000 * elapsed) / steps, flopsPerStep };
    if (!useDp) {
      results[name]!.sampleRowsPerSecond = sampleRowsPerSecond(net, batches[0]!, Math.min(budget, 3));
    }
    console.log(
      `${name}: ${(steps / elapsed).toFixed(2)} steps/s (${((1000 * elapsed) / steps).toFixed(1)} ms/step, ` +
        `${((flopsPerStep * steps) / elapsed / 1e9).toFixed(2)} GFLOP/s) batch ${batchSize}, hidden ${hidden}x2, ` +
        `${net.inputSize} in / ${net.outputSize} out${useDp ? ', DP-SGD' : ''}`,
    );
    const r = results[name]!;
    if (r.sampleRowsPerSecond !== undefined) {
      console.log(`${name}: sampling (10 columns, one forward per column): ${Math.round(r.sampleRowsPerSecond)} rows/s`);
    }
    net.dispose();
  }
  const table: Record<string, number | string> = { batch: batchSize, hidden: `${hidden}x2`, dp: String(useDp) };
  for (const [name, r] of Object.entries(results)) {
    table[`${name} steps/s`] = Number(r.stepsPerSecond.toFixed(2));
    table[`${name} ms/step`] = Number(r.msPerStep.toFixed(1));
    if (r.sampleRowsPerSecond !== undefined) table[`${name} sample rows/s`] = Math.round(r.sampleRowsPerSecond);
  }
  return table;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const table = await benchLearnedSteps({
    seconds: Number(arg('seconds', '5')),
    hidden: Number(arg('hidden', '256')),
    batchSize: Number(arg('batch', '512')),
    backends: arg('backend', 'wasm,cpu').split(','),
    dp: process.argv.includes('--dp'),
  });
  console.log(JSON.stringify({ bench: 'learned-steps', ...table }));
}

/** Autoregressive sampling cost: one forward pass over a 2048-row chunk per attribute column (10 here). */
function sampleRowsPerSecond(net: MadeNetwork, batch: EncodedBatch, budget: number): number {
  const chunk = 2048;
  const input = new Float32Array(chunk * net.inputSize);
  for (let r = 0; r < chunk; r++) input.set(batch.input.subarray((r % batch.size) * net.inputSize, (r % batch.size + 1) * net.inputSize), r * net.inputSize);
  const start = performance.now();
  let rows = 0;
  while (performance.now() - start < budget * 1000) {
    for (let c = 0; c < 10; c++) net.logitsFor(input, chunk, c);
    rows += chunk;
  }
  return rows / ((performance.now() - start) / 1000);
}

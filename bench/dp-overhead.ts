/**
 * DP-SGD overhead of the learned model: training steps/s at batch 512 without DP (shuffled batches, plain
 * gradients) and with DP (Poisson lots of expected size 512 from the secure generator, per-example clipping,
 * Gaussian noise from the secure generator), same network and data, wasm backend.
 * Usage: tsx bench/dp-overhead.ts [--seconds 5] [--hidden 256]
 */
import { pathToFileURL } from 'node:url';
import { initCompute } from '../src/generation/compute/index.js';
import { batchOf, makeLayout, specOf } from '../src/generation/learned/layout.js';
import { MadeNetwork, type DpHook } from '../src/generation/learned/made.js';
import { seededRng } from '../src/generation/learned/seeded-rng.js';
import { poissonBatches } from '../src/generation/privacy/dp-sgd.js';
import { SecureRandom } from '../src/generation/privacy/secure-random.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

export async function benchDpOverhead(o: { seconds?: number; hidden?: number; batchSize?: number } = {}): Promise<Record<string, number | string>> {
  const { seconds = 5, hidden = 256, batchSize = 512 } = o;
  const backend = await initCompute('auto');
  // A typical table: 10 attribute columns of 20 tokens, no context (DP runs drop parent context).
  const layout = makeLayout([], Array.from({ length: 10 }, () => 20), []);
  const rows = 20_000;
  const rng = seededRng(1);
  const tokens = new Int32Array(rows * layout.width);
  for (let r = 0; r < rows; r++) for (const b of layout.outputs) tokens[r * layout.width + b.token] = rng.int(b.size);
  const secure = SecureRandom.secure();
  const dp: DpHook = { clipNorm: 1, noiseMultiplier: 1.1, expectedBatchSize: batchSize, noise: ([r, c]) => secure.gaussian(r * c, 1) };

  const run = (useDp: boolean): number => {
    const net = new MadeNetwork(specOf(layout, [hidden, hidden]), seededRng(2));
    const lots = useDp ? poissonBatches(rows, batchSize / rows, secure) : null;
    let k = 0;
    const next = (): Int32Array => {
      if (lots) return Int32Array.from(lots.next().value as Uint32Array);
      const start = (k++ * batchSize) % (rows - batchSize);
      return Int32Array.from({ length: batchSize }, (_, j) => start + j);
    };
    for (let i = 0; i < 3; i++) net.trainStep(batchOf(layout, tokens, next()), useDp ? dp : undefined);
    const start = performance.now();
    let steps = 0;
    while (performance.now() - start < seconds * 1000) {
      net.trainStep(batchOf(layout, tokens, next()), useDp ? dp : undefined);
      steps++;
    }
    net.dispose();
    return steps / ((performance.now() - start) / 1000);
  };
  const plain = run(false);
  const withDp = run(true);
  return {
    backend: String(backend),
    batch: batchSize,
    hidden: `${hidden}x2`,
    'steps/s without DP': Number(plain.toFixed(2)),
    'steps/s with DP': Number(withDp.toFixed(2)),
    'DP slowdown': `${(plain / withDp).toFixed(2)}x`,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const table = await benchDpOverhead({ seconds: Number(arg('seconds', '5')), hidden: Number(arg('hidden', '256')) });
  console.log(JSON.stringify({ bench: 'dp-overhead', ...table }));
}

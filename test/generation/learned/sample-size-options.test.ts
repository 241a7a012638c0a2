/** Training settings by sample size: small samples a fixed short run, large ones half the steps at a larger step size. */
import { describe, expect, it } from 'vitest';
import { sampleSizeOptions } from '../../../src/generation/learned/framework-adapter.js';
import { defaultLearnedOptions } from '../../../src/generation/learned/options.js';

describe('sampleSizeOptions', () => {
  it('a 20 000-row sample trains 1500 steps at 4× the default step size; a 5 000-row one keeps the defaults', () => {
    expect(sampleSizeOptions({}, 20_000)).toEqual({ batchSize: 256, maxSteps: 1500, learningRate: 8e-3 });
    expect(sampleSizeOptions({}, 20_000).learningRate).toBe(4 * defaultLearnedOptions.learningRate);
    expect(sampleSizeOptions({}, 5_000)).toEqual({ batchSize: 256 });
  });

  it('small samples: smaller batches, a fixed ~600 steps, no held-out rows, 64 units', () => {
    expect(sampleSizeOptions({}, 200)).toEqual({ batchSize: 32, epochs: 86, validationFraction: 0, hiddenSize: 64 });
  });

  it("the caller's settings win", () => {
    expect(sampleSizeOptions({ maxSteps: 3000 }, 20_000)).toEqual({ batchSize: 256, maxSteps: 3000 });
    expect(sampleSizeOptions({ learningRate: 1e-3 }, 20_000)).toEqual({ batchSize: 256, learningRate: 1e-3 });
    expect(sampleSizeOptions({ epochs: 5, batchSize: 64 }, 200)).toEqual({ epochs: 5, batchSize: 64 });
  });
});

import { describe, expect, it } from 'vitest';
import { runLevels } from '../../src/scheduler/run-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runLevels', () => {
  it('runs one level in parallel up to the limit, levels in order', async () => {
    let running = 0;
    let peak = 0;
    const log: string[] = [];
    const results = await runLevels([['a', 'b', 'c', 'd', 'e'], ['f', 'g'], ['h']], 2, async (item) => {
      running++;
      peak = Math.max(peak, running);
      log.push(`start ${item}`);
      await sleep(item === 'a' ? 60 : 20);
      log.push(`end ${item}`);
      running--;
      return item.toUpperCase();
    });
    expect(results).toEqual([['A', 'B', 'C', 'D', 'E'], ['F', 'G'], ['H']]);
    expect(peak).toBe(2);
    // Nothing of level 2 starts before every item of level 1 ended.
    const lastEndLevel1 = Math.max(...['a', 'b', 'c', 'd', 'e'].map((x) => log.indexOf(`end ${x}`)));
    expect(log.indexOf('start f')).toBeGreaterThan(lastEndLevel1);
    expect(log.indexOf('start h')).toBeGreaterThan(log.indexOf('end g'));
  });

  it('aborts the rest on the first error and rethrows it after running items settle', async () => {
    const started: string[] = [];
    const settled: string[] = [];
    const boom = new Error('b failed');
    const run = runLevels([['a', 'b', 'c', 'd'], ['e']], 2, async (item, signal) => {
      started.push(item);
      if (item === 'b') {
        await sleep(10);
        throw boom;
      }
      // 'a' stops early when told to, like a loader abandoning its batch.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 500);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
      settled.push(item);
    });
    await expect(run).rejects.toBe(boom);
    expect(started).toEqual(['a', 'b']);
    expect(settled).toEqual(['a']);
  });

  it('stops when the outer signal aborts', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const run = runLevels([[1, 2, 3], [4]], 1, async (n) => {
      started.push(n);
      if (n === 1) controller.abort(new Error('shutdown'));
      await sleep(5);
    }, { signal: controller.signal });
    await expect(run).rejects.toThrow('shutdown');
    expect(started).toEqual([1]);
  });

  it('rejects a bad limit', async () => {
    await expect(runLevels([[1]], 0, async () => undefined)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('handles empty plans and empty levels', async () => {
    expect(await runLevels([], 3, async () => 1)).toEqual([]);
    expect(await runLevels([[], [1]], 3, async (n: number) => n + 1)).toEqual([[], [2]]);
  });
});

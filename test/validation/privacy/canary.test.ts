import { describe, expect, it } from 'vitest';
import { countReplays, insertCanaries, runCanaryExperiment } from '../../../src/validation/privacy/canary.js';
import { SecureRandom } from '../../../src/generation/privacy/secure-random.js';
import { dpCategoryVocabulary } from '../../../src/generation/privacy/mechanisms.js';
import { PrivacyLedger } from '../../../src/generation/privacy/rdp-accountant.js';
import type { TableSample } from '../../../src/generation/model.js';
import type { Row, RowBatch } from '../../../src/schema/values.js';
import { createPgDatabase } from '../../support/databases.js';

async function readSample(): Promise<TableSample> {
  const db = await createPgDatabase('priv_canary');
  try {
    await db.exec(`
      CREATE TABLE users (id serial PRIMARY KEY, city text NOT NULL, age int NOT NULL);
      INSERT INTO users (city, age)
        SELECT (ARRAY['Berlin','Paris','Rome','Madrid','Vienna'])[1 + g % 5], 20 + g % 50 FROM generate_series(1, 2000) g;`);
    const rows = await db.query<{ city: string; age: number }>('SELECT city, age FROM users ORDER BY id');
    return { table: { schema: 'public', name: 'users' }, totalRows: rows.length, columns: ['city', 'age'], rows: rows.map((r) => [r.city, r.age]) };
  } finally {
    await db.drop();
  }
}

describe('canaries', () => {
  it('insertCanaries plants each secret the asked number of times without touching the input', async () => {
    const sample = await readSample();
    const before = JSON.stringify(sample.rows);
    const { sample: planted, canaries } = insertCanaries(sample, 'city', [1, 3, 9], SecureRandom.seededForTests('plant'));
    expect(JSON.stringify(sample.rows)).toBe(before);
    expect(planted.rows).toHaveLength(sample.rows.length + 13);
    expect(planted.totalRows).toBe(sample.totalRows + 13);
    for (const c of canaries.canaries) {
      expect(planted.rows.filter((r) => r[0] === c.secret)).toHaveLength(c.repetitions);
      expect(sample.rows.some((r) => r[0] === c.secret)).toBe(false);
    }
    expect(new Set(canaries.canaries.map((c) => c.secret)).size).toBe(3);
    expect(() => insertCanaries(sample, 'nope', [1], SecureRandom.seededForTests('x'))).toThrow(/no column nope/);
  });

  it('countReplays counts exact replays in the column and secrets inside other text', async () => {
    const canaries = { column: 'city', canaries: [{ secret: 'cnryaaaaaaaaaa', repetitions: 2 }, { secret: 'cnrybbbbbbbbbb', repetitions: 1 }] };
    async function* gen(): AsyncGenerator<RowBatch> {
      yield { columns: ['city', 'note'], rows: [['cnryaaaaaaaaaa', null], ['Paris', 'seen cnryaaaaaaaaaa here']] };
      yield { columns: ['note', 'city'], rows: [['x', 'cnryaaaaaaaaaa'], [null, 'Rome']] };
    }
    const r = await countReplays(gen(), canaries);
    expect(r).toEqual([
      { secret: 'cnryaaaaaaaaaa', repetitions: 2, replays: 2, replaysAnywhere: 3 },
      { secret: 'cnrybbbbbbbbbb', repetitions: 1, replays: 0, replaysAnywhere: 0 },
    ]);
  });

  it('a memorising model replays frequent canaries; a DP-thresholded model replays none', async () => {
    const sample = await readSample();
    const repetitions = [1, 2, 4, 8, 16, 32];

    // Memorising "model": resamples training rows verbatim.
    const memorising = await runCanaryExperiment<Row[]>({
      sample,
      column: 'city',
      repetitions,
      rng: SecureRandom.seededForTests('mem'),
      train: (s) => s.rows,
      generate: (rows, n) => {
        const rng = SecureRandom.seededForTests('mem-gen');
        return { columns: ['city', 'age'], rows: Array.from({ length: n }, () => rows[rng.int(rows.length)]!) };
      },
    });
    expect(memorising.trainingRows).toBe(2000 + 63);
    expect(memorising.generatedRows).toBe(2063);
    expect(memorising.replays.find((r) => r.repetitions === 32)!.replays).toBeGreaterThan(10);
    expect(memorising.replayedCanaries).toBeGreaterThanOrEqual(4);
    expect(memorising.minReplayedRepetitions).not.toBeNull();

    // DP "model": the city vocabulary released with noisy, thresholded counts (epsilon 0.2, delta 1e-6).
    const dp = await runCanaryExperiment<{ value: string; count: number }[]>({
      sample,
      column: 'city',
      repetitions,
      rng: SecureRandom.seededForTests('dp'),
      train: (s) =>
        dpCategoryVocabulary(
          s.rows.map((r) => r[0]!),
          { epsilon: 0.2 },
          { ledger: new PrivacyLedger(), rng: SecureRandom.seededForTests('dp-train'), label: 'public.users.city' },
          { delta: 1e-6 },
        ),
      generate: function* (vocab, n) {
        const rng = SecureRandom.seededForTests('dp-gen');
        const total = vocab.reduce((a, v) => a + v.count, 0);
        for (let done = 0; done < n; done += 500) {
          const rows: Row[] = [];
          for (let i = 0; i < Math.min(500, n - done); i++) {
            let u = rng.next() * total;
            const pick = vocab.find((v) => (u -= v.count) < 0) ?? vocab[0]!;
            rows.push([pick.value, 20 + rng.int(50)]);
          }
          yield { columns: ['city', 'age'], rows };
        }
      },
    });
    expect(dp.generatedRows).toBe(2063);
    expect(dp.replayedCanaries).toBe(0);
    expect(dp.minReplayedRepetitions).toBeNull();
  });
});

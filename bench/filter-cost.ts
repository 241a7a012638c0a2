/**
 * `npm run bench -- filter-cost`: what each step of the PostgreSQL load's chain costs per row, in CPU seconds (the
 * machine is shared, so not wall time), without any database write: every table of the scale bench's TPC-H-like
 * fixture generated through the load stage's chain (generation, copy filters, credentials, data rules) and encoded
 * as COPY text, with the baseline model, the filters off and then on, in one process.
 *
 * The fixture is built (SYNTH_FILTER_COST_ROWS rows in all, default 300 000) unless SYNTH_FILTER_COST_SOURCE names
 * a database that already holds it (e.g. the scale bench's synth_bench_scale_866003; it is only read). Each step's
 * CPU is its own (the time in its next() less its upstream's). The figures end with a checksum of the COPY text of
 * every table: a change that must not alter any row (a faster filter or encoder) keeps it.
 */
import { createHash } from 'node:crypto';
import { parseConfig } from '../src/config/load-config.js';
import { copyRowEncoder } from '../src/connectors/postgres/postgres-values.js';
import { createGeneration, createRng } from '../src/generation/index.js';
import { CredentialScrubber } from '../src/generation/privacy/credential-fakes.js';
import { PrivacyRun } from '../src/generation/privacy/privacy-run.js';
import { trainedSource } from './trained-source.js';
import { tableKey } from '../src/schema/model.js';
import type { RowBatch } from '../src/schema/values.js';
import { exec, recreateDatabase } from './pg-fixture.js';
import { scaleFixtureSql, scaleSizes } from './scale-fixture.js';

const SERVER = process.env.SYNTH_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const ROWS = Number(process.env.SYNTH_FILTER_COST_ROWS ?? 300_000);
const SOURCE = process.env.SYNTH_FILTER_COST_SOURCE;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const STEPS = ['generate', 'filters', 'credentials', 'rules', 'copy text'] as const;
type Step = (typeof STEPS)[number];

/** Each batch through `step` adds the CPU of its next() (upstream's included) to `inclusive[step]`. */
function timed<B>(step: Step, inclusive: Map<Step, number>, batches: AsyncIterable<B>): AsyncIterable<B> {
  return (async function* () {
    const it = batches[Symbol.asyncIterator]();
    for (;;) {
      const started = cpuMs();
      const n = await it.next();
      inclusive.set(step, (inclusive.get(step) ?? 0) + cpuMs() - started);
      if (n.done) return;
      yield n.value;
    }
  })();
}

export async function benchFilterCost(): Promise<Record<string, number | string>> {
  let url = SOURCE;
  if (!url) {
    url = await recreateDatabase(SERVER, 'synth_bench_filter_cost');
    for (const statement of scaleFixtureSql('postgres', scaleSizes(ROWS))) await exec(url, statement);
  }
  const config = parseConfig({ source: { url }, targets: { dev: { url } }, model: 'baseline', seed: 42, quality: { enabled: false }, outDir: '.synth/bench-filter-cost' });
  const credentials = CredentialScrubber.forConfig(config);
  const privacy = PrivacyRun.forConfig(config)!;
  const { schema, plan, models, reference } = await trainedSource(config, privacy, credentials);
  const out: Record<string, number | string> = {};
  for (const on of [false, true]) {
    const generation = createGeneration(schema, plan, models, { reference, conformAfter: true, scale: 1, seed: config.seed });
    const steps = new Map<Step, number>();
    const hash = createHash('sha256');
    let rows = 0;
    for (const step of plan.steps) {
      const table = schema.tables.find((t) => tableKey(t) === tableKey(step.table))!;
      const key = tableKey(table);
      const tm = models.tables.get(key);
      const inclusive = new Map<Step, number>();
      const drawn = timed('generate', inclusive, generation.rows(table));
      const checked = on && tm && !reference.has(key) ? privacy.filterRows(table, tm.meta, tm.model, drawn, createRng(config.seed).fork(`privacy-filter:${key}`)) : drawn;
      const scrubbed = timed('credentials', inclusive, credentials.replaceIn(table, timed('filters', inclusive, checked)));
      const conformed = timed('rules', inclusive, generation.conform(table, scrubbed));
      let encode: ((row: RowBatch['rows'][number]) => string) | null = null;
      let n = 0;
      for await (const b of conformed) {
        const started = cpuMs();
        encode ??= copyRowEncoder(b.columns.map((c) => table.columns.find((col) => col.name === c)!.type));
        let text = '';
        for (const row of b.rows) text += encode(row);
        hash.update(text);
        inclusive.set('copy text', (inclusive.get('copy text') ?? 0) + cpuMs() - started);
        n += b.rows.length;
      }
      rows += n;
      // Exclusive CPU per step: its own next() less its upstream's.
      STEPS.forEach((s, i) => {
        const own = (inclusive.get(s) ?? 0) - (i > 0 && s !== 'copy text' ? (inclusive.get(STEPS[i - 1]!) ?? 0) : 0);
        steps.set(s, (steps.get(s) ?? 0) + own);
      });
      const r = on ? privacy.filters[key] : undefined;
      if (n >= 1000 && on) {
        out[`${key} filters CPU s`] = +(((inclusive.get('filters') ?? 0) - (inclusive.get('generate') ?? 0)) / 1000).toFixed(2);
        if (r) out[`${key} nudged / redrawn / unresolved`] = `${r.nudged ?? 0} / ${r.regenerated - (r.nudged ?? 0) - r.unresolved} / ${r.unresolved}`;
        if (r?.holdout) out[`${key} holdout near / exact share, near let through`] = `${r.holdout.nearShare.toFixed(3)} / ${r.holdout.exactShare.toFixed(3)}, ${r.allowedNear ?? 0}`;
      }
    }
    const label = `filters ${on ? 'on' : 'off'}`;
    let all = 0;
    for (const s of STEPS) {
      if (!on && s === 'filters') continue;
      const ms = steps.get(s) ?? 0;
      all += ms;
      out[`${label}: ${s} CPU s`] = +(ms / 1000).toFixed(2);
    }
    out[`${label}: all steps CPU s`] = +(all / 1000).toFixed(2);
    out[`${label}: rows per CPU s`] = Math.round(rows / (all / 1000));
    out[`${label}: rows`] = rows;
    out[`${label}: COPY text sha256`] = hash.digest('hex').slice(0, 16);
  }
  return out;
}

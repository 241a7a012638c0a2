/**
 * Commands that run through the orchestration layer (scheduler/hydrate-job.ts): every hydrate is locked and
 * recorded, `runs` reads the history back, `train`/`generate` split fitting from generating, `schedule` is the
 * long-lived runner, `preview` the per-pull-request copies.
 */
import type { Command } from 'commander';
import type { SynthConfig } from '../config/schema.js';
import { EXIT, SynthError } from '../errors.js';
import type { HydrateResult } from '../pipeline/index.js';
import { registerPreviewCommands } from '../scheduler/preview-commands.js';
import type { CronClock, ScheduleEvent } from '../scheduler/schedules.js';
import type { HydrateJobOptions } from '../scheduler/hydrate-job.js';
import type { RunDetail, RunRecord } from '../scheduler/state-store.js';
import { commonOptions, requiredOption } from './options.js';
import { openRenderer } from './output-mode.js';
import type { Renderer } from './render.js';

// Commands load their modules when they run, so `synth --help` never pays for drivers, zod or tfjs.
const loadConfig = async (path: string) => (await import('../config/load-config.js')).loadConfig(path);
const jobs = () => import('../scheduler/hydrate-job.js');
// `runs` reads the history without the pipeline hydrate-job.ts loads (2.5 CPU-s of the 6.4 it took).
const stateStore = () => import('../scheduler/state-configured.js');
// SIGINT/SIGTERM/SIGHUP stop the run cleanly (shadow dropped, lock released, run `interrupted`), exit 128+signal.
const interruptible = async <T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> => (await import('../scheduler/interrupt.js')).runInterruptible(fn);

interface CommonFlags {
  config: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

interface HydrateFlags extends CommonFlags {
  target: string;
  keepShadow?: boolean;
  wait?: boolean;
  waitTimeout?: string;
}

async function lockOptions(flags: HydrateFlags): Promise<Pick<HydrateJobOptions, 'wait' | 'lockTimeoutMs'>> {
  const { parseTtl } = await import('../scheduler/preview.js');
  return { wait: flags.wait ?? false, ...(flags.waitTimeout === undefined ? {} : { lockTimeoutMs: parseTtl(flags.waitTimeout) }) };
}

function reportHydrate(out: Renderer, target: string, result: HydrateResult): void {
  const rows = [...result.rowCounts.values()].reduce((a, b) => a + b, 0);
  const text =
    result.status === 'ok'
      ? `Hydrated target '${target}': ${result.rowCounts.size} tables, ${rows} rows, 0 violations${result.parity ? `, schema parity ${result.parity.matched}/${result.parity.total}` : ''} (run ${result.runId}).`
      : result.refusal === 'quality'
        ? `Quality refused the swap for target '${target}'; the live data is unchanged (run ${result.runId}).`
        : `Validation refused the swap for target '${target}': ${result.integrity.totalViolations} violations; the live data is unchanged (run ${result.runId}).`;
  const parity = result.parity ? { parity: { matched: result.parity.matched, total: result.parity.total } } : {};
  out.result({ status: result.status, runId: result.runId, tables: result.rowCounts.size, rows, violations: result.integrity.totalViolations, ...parity }, text);
  if (result.status !== 'ok') process.exitCode = EXIT.validationRefused;
}

function hydrateLike(cmd: Command): Command {
  return commonOptions(
    requiredOption(cmd, '-t, --target <name>', 'an entry of `targets` in the config')
      .option('--keep-shadow', 'keep a shadow that failed validation, for inspection')
      .option('--wait', 'wait for another run holding the target lock instead of failing with LOCKED')
      .option('--wait-timeout <duration>', 'give up waiting after this long (e.g. 30m, 6h)'),
  );
}

/** `hydrate` and `generate` differ only in whether the run trains or requires the stored models. */
function hydrateAction(mode: { kind?: 'generate'; models?: 'require' }): (flags: HydrateFlags) => Promise<void> {
  return async (flags) => {
    const { config } = await loadConfig(flags.config);
    const { runHydrateJob } = await jobs();
    const out = await openRenderer(flags);
    try {
      const lock = await lockOptions(flags);
      const { result } = await interruptible((signal) => runHydrateJob({ config, target: flags.target, emit: out.emit, ...mode, keepShadow: flags.keepShadow ?? false, ...lock, signal }));
      reportHydrate(out, flags.target, result);
    } finally {
      out.stop();
    }
  };
}

export function registerOrchestrationCommands(program: Command): void {
  hydrateLike(
    program
      .command('hydrate')
      .description('Generate a synthetic copy of the source into a shadow of the target, validate it, and swap it in.')
      .addHelpText('after', '\nExample:\n  $ npx synth hydrate --target dev --config synth.config.ts'),
  ).action(hydrateAction({}));

  hydrateLike(
    program
      .command('generate')
      .description('Like hydrate, but with the models stored by the latest `synth train` (no training).')
      .addHelpText('after', '\nExample:\n  $ npx synth train && npx synth generate --target dev && npx synth generate --target ci'),
  ).action(hydrateAction({ kind: 'generate', models: 'require' }));

  commonOptions(program.command('train').description('Sample the source and fit the models once; `generate` and `hydrate` (training.reuse) reuse them.')).action(
    async (flags: CommonFlags) => {
      const { config } = await loadConfig(flags.config);
      const { runTrainJob } = await jobs();
      const out = await openRenderer(flags);
      try {
        const { run, artifact } = await interruptible((signal) => runTrainJob({ config, emit: out.emit, signal }));
        // Which compute backend fitted the learned models (wasm, or the slower cpu fallback); none for baseline only.
        const learned = config.model === 'learned' || Object.values(config.tables).some((t) => t?.model === 'learned');
        const backend = learned ? (await import('../generation/compute/index.js')).computeBackendName() : null;
        out.result(
          { status: 'ok', runId: run.id, fingerprint: artifact.fingerprint, location: artifact.location, tables: artifact.tables, backend },
          `Trained ${artifact.tables} table model(s) (run ${run.id})${backend ? ` on the ${backend} compute backend` : ''}; stored in ${artifact.location}.`,
        );
      } finally {
        out.stop();
      }
    },
  );

  commonOptions(
    program
      .command('demo')
      .description('Zero-install demo: build a rental-shop database in embedded PostgreSQL (PGlite), hydrate a synthetic copy, report.')
      .option('--dir <folder>', 'where the embedded databases and the report go', '.synth/demo')
      .option('--model <kind>', 'learned (the default model) or baseline', 'learned')
      .option('--fresh', 'rebuild the demo source database'),
  ).action(async (flags: CommonFlags & { dir: string; model: string; fresh?: boolean }) => {
    const { demoConfig, ensureDemoSource } = await import('./demo.js');
    const { runHydrateJob } = await jobs();
    const out = await openRenderer(flags);
    try {
      const model = flags.model === 'baseline' ? 'baseline' : 'learned';
      const built = await ensureDemoSource(flags.dir, flags.fresh ?? false);
      out.emit({ type: 'info', message: built ? `Built the demo source database in ${flags.dir}/source.` : `Using the demo source in ${flags.dir}/source.` });
      const config = demoConfig(flags.dir, model);
      const { result } = await interruptible((signal) => runHydrateJob({ config, target: 'dev', emit: out.emit, kind: 'demo', signal }));
      const rows = [...result.rowCounts.values()].reduce((a, b) => a + b, 0);
      out.result(
        { status: result.status, runId: result.runId, tables: result.rowCounts.size, rows, violations: result.integrity.totalViolations },
        `Demo ${result.status === 'ok' ? 'done' : 'refused'}: ${result.rowCounts.size} tables, ${rows} synthetic rows, ${result.integrity.totalViolations} violations. Source and target live in ${flags.dir}.`,
      );
      if (result.status !== 'ok') process.exitCode = EXIT.validationRefused;
    } finally {
      out.stop();
    }
  });

  const runs = commonOptions(
    program
      .command('runs')
      .description('Run history from the state database (`runs show ID` for one run).')
      .option('-t, --target <name>', 'only runs of this target')
      .option('-n, --limit <n>', 'at most this many runs, newest first', '20'),
  ).action(async (flags: CommonFlags & { target?: string; limit: string }) => {
    const { config } = await loadConfig(flags.config);
    const limit = Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new SynthError('CONFIG_INVALID', `--limit must be a whole number ≥ 1 (got ${flags.limit}).`, { hint: 'For example: synth runs --limit 10' });
    }
    const store = await (await stateStore()).openConfiguredStateStore(config);
    const out = await openRenderer(flags);
    try {
      // A run whose process died shows as `abandoned`, never `running` forever.
      await store.reapAbandoned();
      const list = await store.listRuns({ limit, ...(flags.target === undefined ? {} : { target: flags.target }) });
      const { formatMs } = await import('./render.js');
      out.result({ runs: list.map(runJson) }, list.length === 0 ? 'No runs recorded yet.' : list.map((r) => runLine(r, formatMs)).join('\n'));
    } finally {
      out.stop();
      await store.close();
    }
  });

  // `--config`/`--json` belong to `runs` (commander hands them to the parent), so `show` reads the parent's.
  runs.command('show').description('One run: steps, timings, rows, rows/s, validation and quality.').argument('<id>', 'run id').action(
    async (id: string, _local: unknown, cmd: Command) => {
      const flags = cmd.parent!.opts<CommonFlags>();
      const { config } = await loadConfig(flags.config);
      const store = await (await stateStore()).openConfiguredStateStore(config);
      const out = await openRenderer(flags);
      try {
        const run = await store.getRun(id);
        if (run === null) {
          throw new SynthError('CONFIG_INVALID', `No run ${id} in the state database ${store.location}.`, { hint: 'List runs with `synth runs` and copy an id from there.' });
        }
        const { formatMs } = await import('./render.js');
        out.result(runDetailJson(run), formatRunDetail(run, formatMs));
      } finally {
        out.stop();
        await store.close();
      }
    },
  );

  commonOptions(
    program
      .command('schedule')
      .description('Run the `schedules` of the config as a long-lived process (SIGTERM stops it cleanly, exit 0).'),
  ).action(async (flags: CommonFlags) => {
    const { config } = await loadConfig(flags.config);
    // A long-lived process writes to a log: JSON unless asked for text (--no-json) or --quiet.
    const out = await openRenderer(flags.json === false || flags.quiet === true ? flags : { ...flags, json: true });
    await runScheduleProcess(config, out);
  });

  registerPreviewCommands(program);
}

/** Runs the configured schedules until SIGTERM/SIGINT; each job is a locked, recorded hydrate. */
export async function runScheduleProcess(
  config: SynthConfig,
  out: Renderer,
  options: { signal?: AbortSignal; clock?: CronClock; handleSignals?: boolean; onEvent?: (e: ScheduleEvent) => void } = {},
): Promise<void> {
  const schedules = config.schedules ?? [];
  if (schedules.length === 0) {
    throw new SynthError('CONFIG_INVALID', 'The config defines no `schedules`.', {
      hint: "Add e.g. schedules: [{ name: 'stage-nightly', cron: '0 2 * * *', run: { target: 'stage' } }].",
      path: 'schedules',
    });
  }
  const { runHydrateJob } = await jobs();
  const { openConfiguredStateStore } = await stateStore();
  const { runSchedules } = await import('../scheduler/schedules.js');
  const store = await openConfiguredStateStore(config);
  try {
    const runner = runSchedules(
      schedules,
      async (job) => {
        const { result } = await runHydrateJob({ config, store, target: job.target, from: job.from, kind: 'schedule', emit: out.emit, signal: job.signal, wait: true });
        if (result.status !== 'ok') throw new SynthError('VALIDATION_FAILED', `Schedule ${job.schedule}: the swap into '${job.target}' was refused (run ${result.runId}).`);
      },
      {
        onEvent: (e: ScheduleEvent) => {
          options.onEvent?.(e);
          out.text(JSON.stringify(scheduleEventJson(e)));
        },
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.handleSignals === undefined ? {} : { handleSignals: options.handleSignals }),
      },
    );
    out.text(`Scheduler running ${schedules.length} schedule(s): ${schedules.map((s) => s.name).join(', ')}.`);
    await runner.done;
  } finally {
    out.stop();
    await store.close();
  }
}

function scheduleEventJson(e: ScheduleEvent): Record<string, unknown> {
  const o: Record<string, unknown> = { ...e, type: `schedule:${e.type}` };
  if ('error' in e) o['error'] = e.error instanceof Error ? e.error.message : String(e.error);
  return o;
}

function runJson(r: RunRecord): Record<string, unknown> {
  return {
    id: r.id,
    kind: r.kind,
    target: r.target,
    status: r.status,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    ms: r.finishedAt === null ? null : r.finishedAt.getTime() - r.startedAt.getTime(),
    source: r.sourceUrl,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
  };
}

/** `formatMs` is render.ts's, passed in: that module (log-update and friends) is loaded only by commands that run. */
function runLine(r: RunRecord, formatMs: (ms: number) => string): string {
  const ms = r.finishedAt === null ? null : r.finishedAt.getTime() - r.startedAt.getTime();
  const err = r.errorCode === null ? '' : `  ${r.errorCode}: ${firstLine(r.errorMessage ?? '')}`;
  return `${r.id}  ${r.kind.padEnd(8)} ${r.target.padEnd(10)} ${r.status.padEnd(9)} ${r.startedAt.toISOString()}  ${ms === null ? '—' : formatMs(ms)}${err}`;
}

function runDetailJson(r: RunDetail): Record<string, unknown> {
  const violations = r.validation.reduce((a, v) => a + v.violations, 0);
  const overall = r.quality.find((q) => q.table === null)?.score ?? null;
  return {
    ...runJson(r),
    steps: r.steps.map((s) => ({
      step: s.step,
      table: s.table,
      startedAt: s.startedAt.toISOString(),
      ms: s.finishedAt === null ? null : s.finishedAt.getTime() - s.startedAt.getTime(),
      rows: s.rows,
      rowsPerSec: s.rowsPerSec,
      detail: s.detail,
    })),
    validation: { violations, checks: r.validation },
    quality: { overall, results: r.quality },
    parity: parityOf(r),
  };
}

function formatRunDetail(r: RunDetail, formatMs: (ms: number) => string): string {
  const j = runDetailJson(r) as { steps: Array<{ step: string; table: string | null; ms: number | null; rows: number | null; rowsPerSec: number | null }>; validation: { violations: number }; quality: { overall: number | null } };
  const lines = [
    `run ${r.id} (${r.kind}) → ${r.target}: ${r.status}`,
    `  started ${r.startedAt.toISOString()}${r.finishedAt ? `, took ${formatMs(r.finishedAt.getTime() - r.startedAt.getTime())}` : ''}`,
  ];
  if (r.sourceUrl) lines.push(`  source ${r.sourceUrl}`);
  if (r.errorCode) lines.push(`  error ${r.errorCode}: ${r.errorMessage ?? ''}`);
  lines.push('  steps:');
  for (const s of j.steps) {
    const rows = s.rows === null ? '' : `  ${s.rows} rows${s.rowsPerSec === null ? '' : ` (${Math.round(s.rowsPerSec)} rows/s)`}`;
    lines.push(`    ${s.step.padEnd(10)} ${(s.table ?? '(stage)').padEnd(28)} ${s.ms === null ? '—' : formatMs(s.ms)}${rows}`);
  }
  lines.push(`  validation: ${r.validation.length === 0 ? 'not run' : `${j.validation.violations} violation(s) over ${r.validation.length} check(s)`}`);
  lines.push(`  quality: ${j.quality.overall === null ? 'not measured' : j.quality.overall.toFixed(3)}`);
  const parity = parityOf(r);
  lines.push(`  ${parity ?? 'schema parity: not checked'}`);
  return lines.join('\n');
}

/** `schema parity 186/186`: the detail the run recorder kept for the parity stage (scheduler/run-recorder.ts). */
function parityOf(r: RunDetail): string | null {
  for (const s of r.steps) {
    const d = s.detail as { stage?: unknown; detail?: unknown } | null;
    if (d?.stage === 'parity' && typeof d.detail === 'string') return d.detail;
  }
  return null;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? '';
}


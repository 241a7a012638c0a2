/**
 * Renders run events: progress bars on a TTY, one JSON object per line otherwise (or with --json), nothing
 * but warnings and the result with --quiet.
 */
import cliProgress from 'cli-progress';
import type { EventSink, RunEvent } from '../events.js';

export type OutputMode = 'tty' | 'json' | 'plain' | 'quiet';

export function chooseMode(flags: { json?: boolean; quiet?: boolean }, stream: NodeJS.WriteStream = process.stderr): OutputMode {
  if (flags.json) return 'json';
  if (flags.quiet) return 'quiet';
  return stream.isTTY ? 'tty' : 'json';
}

export interface Renderer {
  emit: EventSink;
  /** Prints a block of human-readable text (not in json mode, where it becomes an `info` event). */
  text(block: string): void;
  /** Prints the final result: JSON object in json mode, text otherwise. */
  result(summary: Record<string, unknown>, text: string): void;
  stop(): void;
}

export function createRenderer(mode: OutputMode, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Renderer {
  if (mode === 'json') {
    const line = (o: unknown) => out.write(`${JSON.stringify(o)}\n`);
    return {
      emit: (e) => line({ ts: new Date().toISOString(), ...e }),
      text: (block) => line({ ts: new Date().toISOString(), type: 'info', message: block }),
      result: (summary) => line({ ts: new Date().toISOString(), type: 'result', ...summary }),
      stop: () => {},
    };
  }
  if (mode === 'quiet' || mode === 'plain') {
    return {
      emit: (e) => {
        if (e.type === 'warning') err.write(`warning: ${e.message}\n`);
        else if (mode === 'plain') err.write(`${describe(e)}\n`);
      },
      text: (block) => {
        if (mode === 'plain') out.write(`${block}\n`);
      },
      result: (_s, text) => out.write(`${text}\n`),
      stop: () => {},
    };
  }
  return ttyRenderer(out, err);
}

function ttyRenderer(out: NodeJS.WritableStream, err: NodeJS.WritableStream): Renderer {
  const multibar = new cliProgress.MultiBar(
    {
      stream: err,
      clearOnComplete: false,
      hideCursor: true,
      format: ' {stage} {bar} {table} {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}',
      barsize: 24,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, { bar: cliProgress.SingleBar; started: number }>();
  let active = 0;
  // multibar.log only flushes while a bar renders; with no bar running, write straight through.
  const log = (line: string) => (active > 0 ? multibar.log(`${line}\n`) : err.write(`${line}\n`));
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    multibar.stop();
  };
  return {
    emit(e: RunEvent) {
      if (e.type === 'table' && e.total !== undefined) {
        const key = `${e.stage}:${e.table}`;
        let entry = bars.get(key);
        if (!entry) {
          entry = { bar: multibar.create(Math.max(e.total, 1), 0, { stage: e.stage.padEnd(6), table: e.table, rate: 0 }), started: Date.now() };
          bars.set(key, entry);
          active++;
        }
        const secs = Math.max((e.ms ?? Date.now() - entry.started) / 1000, 0.001);
        entry.bar.update(e.rows, { rate: Math.round(e.rows / secs) });
        if (e.done) {
          entry.bar.stop();
          active--;
        }
        return;
      }
      if (e.type === 'stage' && e.status === 'start') return;
      log(describe(e));
    },
    text: (block) => log(block),
    result: (_s, text) => {
      stop();
      out.write(`${text}\n`);
    },
    stop,
  };
}

export function describe(e: RunEvent): string {
  switch (e.type) {
    case 'run':
      return `run ${e.runId}: ${e.status}${e.target ? ` (target ${e.target})` : ''}${e.detail ? ` ${e.detail}` : ''}`;
    case 'stage':
      return e.status === 'start' ? `… ${e.stage}` : `✓ ${e.stage}${e.detail ? ` — ${e.detail}` : ''}${e.ms !== undefined ? ` (${formatMs(e.ms)})` : ''}`;
    case 'table':
      return `  ${e.stage} ${e.table}: ${e.rows}${e.total !== undefined ? `/${e.total}` : ''} rows${e.ms !== undefined ? ` (${formatMs(e.ms)})` : ''}`;
    case 'warning':
      return `⚠ ${e.message}`;
    case 'info':
      return e.message;
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

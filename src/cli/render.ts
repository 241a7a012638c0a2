/**
 * Renders run events: a live progress block on a TTY, one JSON object per line when stdout is not a TTY (or with
 * --json), plain lines with --no-json, nothing but warnings and the result with --quiet.
 */
import type { EventSink, RunEvent } from '../events.js';
import { LiveBlock, type TableProgress } from './live-block.js';
import type { OutputMode } from './output-mode.js';

export { chooseMode, modeFromArgv, type ModeFlags, type OutputMode } from './output-mode.js';

export interface Renderer {
  emit: EventSink;
  /** Prints a block of human-readable text (in json mode it becomes an `info` event). */
  text(block: string): void;
  /** Prints the final result: one `result` event in json mode, text otherwise. Nothing is drawn after it. */
  result(summary: Record<string, unknown>, text: string): void;
  stop(): void;
}

export interface RenderStreams {
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream & { columns?: number };
}

export function createRenderer(mode: OutputMode, streams: RenderStreams = {}): Renderer {
  const out = streams.out ?? process.stdout;
  const err = streams.err ?? process.stderr;
  if (mode === 'json') {
    const line = (o: Record<string, unknown>) => out.write(`${JSON.stringify({ ts: new Date().toISOString(), ...o })}\n`);
    return {
      emit: (e) => line(e),
      text: (block) => line({ type: 'info', message: block }),
      result: (summary) => line({ type: 'result', ...summary }),
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

/**
 * Finished tables and stages become permanent lines above one live block of the tables still running. The
 * validation table and quality summary are held back and printed last, right above the result, so they are on
 * screen when the run ends however many tables scrolled by.
 */
function ttyRenderer(out: NodeJS.WritableStream, err: NodeJS.WritableStream & { columns?: number }): Renderer {
  const block = new LiveBlock(err);
  const active = new Map<string, TableProgress>();
  const deferred: string[] = [];
  let running: { stage: string; started: number } | null = null;
  let closed = false;

  const redraw = () => block.draw(running, [...active.values()]);
  const print = (line: string) => {
    if (closed) err.write(`${line}\n`);
    else block.print(line, running, [...active.values()]);
  };
  const close = () => {
    if (closed) return;
    closed = true;
    block.close();
    if (deferred.length > 0) out.write(`${deferred.splice(0).join('\n')}\n`);
  };

  return {
    emit(e: RunEvent) {
      if (closed) {
        if (e.type === 'warning') err.write(`${describe(e)}\n`);
        return;
      }
      if (e.type === 'table' && e.total !== undefined) {
        const key = `${e.stage}:${e.table}`;
        const now = Date.now();
        const entry = active.get(key) ?? { stage: e.stage, table: e.table, rows: 0, total: e.total, started: now - (e.ms ?? 0) };
        entry.rows = e.rows;
        entry.total = Math.max(e.total, 1);
        if (e.done) {
          active.delete(key);
          print(describeFinishedTable(entry, e.ms ?? now - entry.started));
        } else {
          active.set(key, entry);
          block.schedule(redraw);
        }
        return;
      }
      if (e.type === 'stage') {
        if (e.status === 'start') {
          running = { stage: e.stage, started: Date.now() };
          redraw();
        } else {
          if (running?.stage === e.stage) running = null;
          print(describe(e));
        }
        return;
      }
      if (e.type === 'info' && e.section !== undefined) {
        deferred.push(e.message);
        return;
      }
      print(describe(e));
    },
    text: (block) => print(block),
    result: (_s, text) => {
      close();
      out.write(`${text}\n`);
    },
    stop: close,
  };
}

function describeFinishedTable(t: TableProgress, ms: number): string {
  const rate = ms > 0 ? ` (${formatMs(ms)}, ${Math.round((t.rows * 1000) / ms)} rows/s)` : '';
  return `  ✓ ${t.stage} ${t.table}: ${t.rows}${t.rows === t.total ? '' : `/${t.total}`} rows${rate}`;
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
    case 'error':
      return `error [${e.code}]: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`;
  }
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

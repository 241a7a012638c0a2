/**
 * The live part of the terminal output: the running stage and one bar per table in progress, redrawn in place.
 * log-update erases exactly the lines it drew last (wrapping included), so permanent lines can be printed above
 * the block and the block can shrink without leaving blank lines behind in the scrollback.
 */
import { createLogUpdate } from 'log-update';

export interface TableProgress {
  stage: string;
  table: string;
  rows: number;
  total: number;
  started: number;
}

const BAR_WIDTH = 20;
const REDRAW_MS = 100;

export class LiveBlock {
  private readonly update: ReturnType<typeof createLogUpdate>;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly stream: NodeJS.WritableStream & { columns?: number; rows?: number }) {
    this.update = createLogUpdate(stream, { showCursor: false });
  }

  /** Redraws the block now. */
  draw(running: { stage: string; started: number } | null, tables: TableProgress[]): void {
    if (this.closed) return;
    this.cancel();
    const lines = renderBlock(running, tables, Date.now(), this.stream.columns ?? 80, this.stream.rows ?? 24);
    if (lines.length === 0) this.update.clear();
    else this.update(lines.join('\n'));
  }

  /** Coalesces frequent row updates into one redraw per REDRAW_MS. */
  schedule(redraw: () => void): void {
    if (this.closed || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      redraw();
    }, REDRAW_MS);
    this.timer.unref();
  }

  /** Prints a permanent line above the block, then redraws the block under it. */
  print(text: string, running: { stage: string; started: number } | null, tables: TableProgress[]): void {
    if (this.closed) {
      this.stream.write(`${text}\n`);
      return;
    }
    this.update.clear();
    this.stream.write(`${text}\n`);
    this.draw(running, tables);
  }

  /** Erases the block for good; later output starts where the block was. */
  close(): void {
    if (this.closed) return;
    this.cancel();
    this.update.clear();
    this.update.done();
    this.closed = true;
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The block's lines: the running stage, then a bar per table, cut to fit the terminal. */
export function renderBlock(running: { stage: string; started: number } | null, tables: TableProgress[], now: number, columns: number, rows: number): string[] {
  const lines: string[] = [];
  if (running !== null) lines.push(`… ${running.stage} (${Math.max(0, Math.round((now - running.started) / 1000))} s)`);
  // Leaves room for the lines above the block, so the block never pushes its own first line off the screen.
  const room = Math.max(1, Math.min(12, rows - 4));
  const shown = tables.length > room ? tables.slice(0, room - 1) : tables;
  const width = Math.max(0, ...shown.map((t) => t.table.length));
  for (const t of shown) lines.push(tableLine(t, now, width));
  if (shown.length < tables.length) lines.push(`    … and ${tables.length - shown.length} more table(s)`);
  return lines.map((l) => (l.length > columns - 1 ? `${l.slice(0, Math.max(0, columns - 2))}…` : l));
}

function tableLine(t: TableProgress, now: number, width: number): string {
  const fraction = t.total > 0 ? Math.min(1, t.rows / t.total) : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  const secs = Math.max((now - t.started) / 1000, 0.001);
  const rate = t.rows / secs;
  const eta = rate > 0 && t.rows < t.total ? `ETA ${Math.ceil((t.total - t.rows) / rate)} s` : '';
  return `  ${t.stage.padEnd(6)} ${t.table.padEnd(width)} ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} ${t.rows}/${t.total} rows  ${Math.round(rate)} rows/s  ${eta}`.trimEnd();
}

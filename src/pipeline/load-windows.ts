/**
 * A split table's windows taken on demand: the table is cut into windows of whole batches, and whichever process
 * is free next (a worker, the main process once the plan reaches the table) takes the next one.
 * Nobody predicts how fast each process draws, so neither waits for the other longer than the windows it holds.
 * Each process draws its windows, in ascending order, through one generation stream (`claimedRows`), so a table's
 * keys are built once per process and the ancestors' state a worker is given serves all of its windows.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { RetainedColumns, type RetainedWire } from '../generation/retained-columns.js';
import { join } from 'node:path';
import { DEFAULT_BATCH_SIZE, type GeneratedBatch, type GenerationState, type RowWindow } from '../generation/generate.js';
import type { KeyState } from '../generation/keys/index.js';

/**
 * Rows a window holds: ~16 windows per process, so the last windows in flight (what the main process may wait
 * for) are a small part of the table, but at most 10 batches (100k rows, about a second's work), at least one.
 */
export function windowRows(rows: number, processes: number): number {
  const batches = Math.ceil(rows / DEFAULT_BATCH_SIZE);
  return Math.min(10, Math.max(1, Math.round(batches / (16 * processes)))) * DEFAULT_BATCH_SIZE;
}

/** A split table as every process of the load sees it: its windows, and the parents whose anchor values it reads. */
export interface SplitWindows {
  table: string;
  rows: number;
  /** Rows a window holds (whole batches). */
  size: number;
  /** Parents (table keys) whose anchor values the table reads: a worker takes its windows once it has them. */
  anchors: string[];
  /**
   * Earlier tables whose generation the table reads (context, count heads): a worker takes its windows once the main
   * process has left their state (`writeState`), instead of generating them again.
   */
  parents: string[];
}

/**
 * The windows of one table, taken by whichever process asks first: a window is taken by creating its file in the
 * load's private directory (O_EXCL, so exactly one process succeeds), with no message between the processes. A busy
 * main process's event loop answered a worker's IPC request only when its COPY stream waited for the socket; at SF0.1
 * that left the worker 2 windows of 31.
 */
export class TableWindows {
  private next = 0;
  constructor(
    readonly split: SplitWindows,
    /** The directory the window files go in (the same for every process of the load). */
    private readonly dir: string,
    /** A number for the table, unique in the load (its file names). */
    private readonly id: number,
  ) {}

  /** The next window nobody took yet, taken now; null once all are. */
  take(): RowWindow | null {
    while (this.next < this.count) {
      const i = this.next++;
      try {
        closeSync(openSync(join(this.dir, `${this.id}-${i}`), 'wx'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      const start = i * this.split.size;
      return { start, end: Math.min(this.split.rows, start + this.split.size) };
    }
    return null;
  }

  /** True once this process has seen every window taken (by it or another). */
  get exhausted(): boolean {
    return this.next >= this.count;
  }

  get count(): number {
    return Math.ceil(this.split.rows / this.split.size);
  }
}

/**
 * The batches of the windows `next` hands out, drawn by one `draw` stream: the stream's window is moved to the next
 * one before the stream reaches it (generation reads its window at every batch and skips those outside it, without
 * drawing them), so the windows must come in ascending order. `next` is asked once a window's last batch is out;
 * null ends the stream (its window moves past the table's `rows`, so the stream skips the rest and finishes).
 */
export async function* claimedRows(
  rows: number,
  draw: (window: RowWindow) => AsyncIterable<GeneratedBatch>,
  next: () => RowWindow | null | Promise<RowWindow | null>,
): AsyncIterable<GeneratedBatch> {
  const first = await next();
  if (!first) return;
  const window: RowWindow = { ...first };
  for await (const batch of draw(window)) {
    yield batch;
    const end = (batch.start ?? window.start) + batch.rows.length;
    if (end < window.end) continue;
    const w = await next();
    if (w && w.start < window.end) throw new Error(`internal: window ${w.start}–${w.end} handed out after ${window.start}–${window.end}`);
    [window.start, window.end] = w ? [w.start, w.end] : [rows, rows];
  }
}

/** Where a parent's anchor values are for the workers (in the load's private directory, beside the window files). */
export function anchorFile(dir: string, parent: string): string {
  return join(dir, `anchors-${encodeURIComponent(parent)}`);
}

/** Writes a parent's anchor values for the workers: whole or not at all. */
export function writeAnchors(dir: string, parent: string, values: RetainedWire): void {
  writeWhole(anchorFile(dir, parent), values);
}

/** `value` serialized into `file`, renamed into place once written: a worker that sees the file reads all of it. */
function writeWhole(file: string, value: unknown): void {
  writeFileSync(`${file}.part`, serialize(value), { mode: 0o600 });
  renameSync(`${file}.part`, file);
}

/** A table's generation state as it travels: its retained columns' typed arrays and its predicted counts as they are. */
interface StateWire {
  retained?: RetainedWire;
  counts: Array<[string, Uint32Array]>;
}

function stateFile(dir: string, table: string): string {
  return join(dir, `state-${encodeURIComponent(table)}`);
}

/** Writes what generating `table` left for later tables, for the workers: whole or not at all. */
export function writeState(dir: string, table: string, state: GenerationState): void {
  const wire: StateWire = { ...(state.retained ? { retained: state.retained.toWire() } : {}), counts: state.counts };
  writeWhole(stateFile(dir, table), wire);
}

/** The state `writeState` left for `table`, or null while there is none yet. */
export function readState(dir: string, table: string): GenerationState | null {
  const file = stateFile(dir, table);
  if (!existsSync(file)) return null;
  const wire = deserialize(readFileSync(file)) as StateWire;
  return { ...(wire.retained ? { retained: RetainedColumns.fromWire(wire.retained) } : {}), counts: wire.counts };
}

function keysFile(dir: string, table: string): string {
  return join(dir, `keys-${encodeURIComponent(table)}`);
}

/**
 * Writes the FK parents a split table's rows read (`Generation.keyState`), drawn once by the main process, for the
 * workers: whole or not at all. SF1's lineitem: its 6 M rows' partsupp rows and 1.5 M orders' first rows, which
 * every process drew again.
 */
export function writeKeys(dir: string, state: KeyState): void {
  writeWhole(keysFile(dir, state.table), state);
}

/** The key state `writeKeys` left for `table`, or null while there is none yet. */
export function readKeys(dir: string, table: string): KeyState | null {
  const file = keysFile(dir, table);
  return existsSync(file) ? (deserialize(readFileSync(file)) as KeyState) : null;
}

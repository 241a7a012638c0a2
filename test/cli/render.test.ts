import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseMode, modeFromArgv } from '../../src/cli/output-mode.js';
import { renderBlock } from '../../src/cli/live-block.js';
import { createRenderer } from '../../src/cli/render.js';

const tty = { isTTY: true };
const pipe = { isTTY: false };

function terminal(): { stream: PassThrough & { isTTY: boolean; columns: number; rows: number }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 30 });
  let written = '';
  stream.on('data', (d: Buffer) => (written += d.toString()));
  return { stream, text: () => written };
}

describe('output mode', () => {
  it('is JSON whenever stdout is not a terminal, unless --no-json or --quiet', () => {
    expect(chooseMode({}, pipe, tty)).toBe('json');
    expect(chooseMode({}, tty, tty)).toBe('tty');
    expect(chooseMode({ json: true }, tty, tty)).toBe('json');
    expect(chooseMode({ json: false }, pipe, pipe)).toBe('plain');
    expect(chooseMode({ quiet: true }, pipe, pipe)).toBe('quiet');
    // Bars go to stderr: a redirected stderr gets plain lines, not escape codes.
    expect(chooseMode({}, tty, pipe)).toBe('plain');
  });

  it('is read from the raw argv for errors raised before commander has parsed', () => {
    expect(modeFromArgv(['hydrate', '--targt', 'dev'], pipe, pipe)).toBe('json');
    expect(modeFromArgv(['hydrate', '--no-json'], pipe, pipe)).toBe('plain');
    expect(modeFromArgv(['plan', '--json'], tty, tty)).toBe('json');
    expect(modeFromArgv(['plan', '-q'], tty, tty)).toBe('quiet');
  });
});

describe('the live block', () => {
  const t = (table: string, rows: number, total: number) => ({ stage: 'load', table, rows, total, started: 0 });

  it('shows the running stage and a bar per table, cut to the terminal', () => {
    const lines = renderBlock({ stage: 'load', started: 0 }, [t('public.book', 500, 1000), t('public.author', 10, 10)], 2000, 80, 50);
    expect(lines[0]).toBe('… load (2 s)');
    expect(lines[1]).toMatch(/^ {2}load {3}public\.book {3}█{10}░{10} 500\/1000 rows {2}250 rows\/s {2}ETA 2 s$/);
    expect(lines[2]).toMatch(/public\.author .*10\/10 rows/);
    expect(lines.every((l) => l.length < 80)).toBe(true);
  });

  it('never grows past the screen: extra tables become one line', () => {
    const many = Array.from({ length: 40 }, (_, i) => t(`public.t${i}`, i, 100));
    const lines = renderBlock(null, many, 1000, 120, 10);
    expect(lines).toHaveLength(6);
    expect(lines.at(-1)).toBe('    … and 35 more table(s)');
  });
});

describe('the terminal renderer', () => {
  it('prints finished tables as ✓ lines, holds validation and quality for the end, and nothing after the result', async () => {
    const err = terminal();
    const out = terminal();
    const r = createRenderer('tty', { out: out.stream, err: err.stream });
    r.emit({ type: 'stage', stage: 'load', status: 'start' });
    r.emit({ type: 'table', stage: 'load', table: 'public.book', rows: 0, total: 300 });
    r.emit({ type: 'table', stage: 'load', table: 'public.book', rows: 150, total: 300 });
    r.emit({ type: 'table', stage: 'load', table: 'public.book', rows: 300, total: 300, done: true, ms: 100 });
    r.emit({ type: 'info', message: 'Validation passed: 0 violations.', section: 'validation' });
    r.emit({ type: 'stage', stage: 'load', status: 'done', ms: 120 });
    r.emit({ type: 'run', status: 'ok', runId: 'r1' });
    r.result({ status: 'ok' }, "Hydrated target 'dev'.");
    r.emit({ type: 'table', stage: 'load', table: 'public.late', rows: 1, total: 2 });
    r.stop();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(err.text()).toContain('  ✓ load public.book: 300 rows (100 ms, 3000 rows/s)');
    expect(err.text().indexOf('✓ load (120 ms)')).toBeGreaterThan(err.text().indexOf('✓ load public.book'));
    expect(err.text()).not.toContain('public.late');
    expect(out.text()).toBe("Validation passed: 0 violations.\nHydrated target 'dev'.\n");
  });

  it('writes one JSON object per line with ts and type', () => {
    const out = terminal();
    const r = createRenderer('json', { out: out.stream, err: out.stream });
    r.emit({ type: 'stage', stage: 'load', status: 'done', ms: 5 });
    r.text('a note');
    r.result({ status: 'ok', rows: 3 }, 'ignored in JSON');
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['type'])).toEqual(['stage', 'info', 'result']);
    expect(lines.every((l) => typeof l['ts'] === 'string')).toBe(true);
    expect(lines[2]).toMatchObject({ status: 'ok', rows: 3 });
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load-config.js';
import { SynthError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'synth-config-'));
const body = `{
  source: { url: 'postgresql://u:secret@127.0.0.1:5432/prod' },
  targets: { dev: { url: 'mysql://root@127.0.0.1:3306/dev' } },
  scale: 0.5,
}`;

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it.each([
    ['synth.config.ts', `const scale: number = 0.5;\nexport default ${body.replace('scale: 0.5', 'scale')};`],
    ['synth.config.mjs', `export default ${body};`],
    ['synth.config.js', `export default ${body};`],
    ['synth.config.json', JSON.stringify({ source: { url: 'postgresql://u:secret@127.0.0.1:5432/prod' }, targets: { dev: { url: 'mysql://root@127.0.0.1:3306/dev' } }, scale: 0.5 })],
  ])('loads a plain-object %s and applies defaults', async (name, text) => {
    const { config } = await loadConfig(write(name, text));
    expect(config.scale).toBe(0.5);
    expect(config.seed).toBe(42);
    expect(config.targets.dev?.url).toBe('mysql://root@127.0.0.1:3306/dev');
    expect(config.training.sampleRows).toBeGreaterThan(0);
  });

  it('loads a config that uses defineConfig from the package', async () => {
    const file = write('with-define.ts', `import { defineConfig } from '${join(process.cwd(), 'src/index.ts')}';\nexport default defineConfig(${body});`);
    const { config } = await loadConfig(file);
    expect(config.source.url).toContain('postgresql://');
  });

  it('names a missing file and says what to do', async () => {
    const err = await loadConfig(join(dir, 'nope.ts')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SynthError);
    expect((err as SynthError).code).toBe('CONFIG_NOT_FOUND');
    expect((err as SynthError).hint).toMatch(/--config/);
  });

  it('reports a syntax error as CONFIG_LOAD_FAILED', async () => {
    const err = await loadConfig(write('broken.mjs', 'export default {')).catch((e: unknown) => e);
    expect((err as SynthError).code).toBe('CONFIG_LOAD_FAILED');
  });
});

describe('parseConfig', () => {
  it('names the bad field path and never echoes a password', () => {
    const err = (() => {
      try {
        parseConfig({ source: { url: 'ftp://u:secret@x/y' }, targets: { dev: { url: 'mysql://root@h/db' } }, scael: 2 }, 'synth.config.ts');
      } catch (e) {
        return e as SynthError;
      }
      throw new Error('expected an error');
    })();
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('synth.config.ts');
    expect(err.message).toContain('source.url');
    expect(err.message).toMatch(/unknown field.*'scael'/);
    expect(err.message).not.toContain('secret');
  });

  it('requires a source url', () => {
    expect(() => parseConfig({ targets: { dev: { url: 'mysql://h/db' } } })).toThrow(/source: is required/);
  });

  it('rejects an empty targets map with a fix', () => {
    expect(() => parseConfig({ source: { url: 'postgresql://h/db' }, targets: {} })).toThrow(/at least one target/);
  });
});

describe('config error messages', () => {
  const base = { source: { url: 'postgresql://h/db' }, targets: { dev: { url: 'mysql://root@h/dev' } } };
  const message = (raw: unknown): string => {
    try {
      parseConfig(raw, 'synth.config.ts');
    } catch (e) {
      return (e as SynthError).message;
    }
    throw new Error('expected an error');
  };

  it("privacy.epsilon: '3' says a number was expected, the string \"3\" was given, and how to write it", () => {
    const text = message({ ...base, privacy: { epsilon: '3' } });
    expect(text).toContain('privacy.epsilon: expected a number, got the string "3" — write 3 without quotes');
    expect(text).not.toMatch(/Invalid input\s*$/m);
  });

  it('a boolean written as a string and a number where a string belongs get their fix too', () => {
    expect(message({ ...base, quality: { enabled: 'false' } })).toContain('quality.enabled: expected true or false, got the string "false" — write false without quotes');
    expect(message({ ...base, outDir: 7 })).toContain("outDir: expected a string, got number 7 — write '7' in quotes");
  });

  it('privacy: { epsilon: 3 } alone is a valid config', () => {
    const config = parseConfig({ ...base, privacy: { epsilon: 3 } });
    expect(config.privacy).toMatchObject({ epsilon: 3, unit: 'row' });
  });

  it("filters: false, true and 'auto' are the README's shorthand for { enabled } with the default tolerance", () => {
    const scope = 'personal';
    expect(parseConfig({ ...base, filters: false }).filters).toEqual({ enabled: false, tolerance: 0.01, scope });
    expect(parseConfig({ ...base, filters: 'auto' }).filters).toEqual({ enabled: 'auto', tolerance: 0.01, scope });
    expect(parseConfig({ ...base, filters: true }).filters).toEqual({ enabled: true, tolerance: 0.01, scope });
    expect(parseConfig({ ...base, filters: { tolerance: 0.05 } }).filters).toEqual({ enabled: true, tolerance: 0.05, scope });
    expect(parseConfig({ ...base, filters: { scope: 'all' } }).filters).toEqual({ enabled: true, tolerance: 0.01, scope: 'all' });
    expect(parseConfig(base).filters).toEqual({ enabled: true, tolerance: 0.01, scope });
    expect(() => parseConfig({ ...base, filters: 'off' })).toThrow(/filters: expected true, false, 'auto' or \{ enabled, tolerance \}/);
  });

  it('never echoes a url value, even one of the wrong type', () => {
    expect(message({ ...base, targets: { dev: { url: 42 } } })).not.toContain('42');
  });

  it('a syntax error in synth.config.ts names file:line:col and shows the line', async () => {
    const file = write('syntax.config.ts', `export default {\n  source: { url: 'postgresql://h/db' },\n  targets: { dev: { url: 'mysql://root@h/dev' } ,\n  scale: ]\n};\n`);
    const err = (await loadConfig(file).catch((e: unknown) => e)) as SynthError;
    expect(err.code).toBe('CONFIG_LOAD_FAILED');
    expect(err.message).toContain(`${file}:4:10`);
    expect(err.message).toContain('scale: ]');
    expect(err.hint).toMatch(/line 4, column 10/);
  });

  it('a syntax error in a .mjs config names file:line:col as well', async () => {
    const file = write('syntax.config.mjs', 'export default {\n  a: 1,,\n};\n');
    const err = (await loadConfig(file).catch((e: unknown) => e)) as SynthError;
    expect(err.message).toMatch(/syntax\.config\.mjs:2:\d+/);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { SynthError } from '../errors.js';
import { configSchema, type SynthConfig } from './schema.js';
import { parseConnectionUrl, registerEnvironmentSecrets } from '../connectors/connection-url.js';

export const DEFAULT_CONFIG_PATH = './synth.config.ts';

/**
 * Loads and validates a config file (.ts, .mts, .mjs, .js, .json). A TypeScript config is imported through tsx;
 * a config may be a plain object that never imports synth.
 */
export async function loadConfig(path: string = DEFAULT_CONFIG_PATH): Promise<{ config: SynthConfig; path: string }> {
  const file = resolve(path);
  if (!existsSync(file)) {
    throw new SynthError('CONFIG_NOT_FOUND', `Config file not found: ${path}`, {
      hint: 'Create synth.config.ts (see the README, "Config"), pass --config PATH, or run `npx synth demo` to try synth without one.',
      path,
    });
  }
  let raw: unknown;
  try {
    if (extname(file) === '.json') {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } else {
      const url = `${pathToFileURL(file).href}?t=${Date.now()}`;
      // The compiled CLI loads no TypeScript compiler at start-up; tsx is brought in for a TypeScript config only.
      const mod = (/\.[cm]?ts$/.test(file) ? await (await import('tsx/esm/api')).tsImport(url, import.meta.url) : await import(url)) as { default?: unknown };
      raw = unwrapDefault(mod);
    }
  } catch (e) {
    // Node, tsx and vite each word a syntax error differently (and Node gives no position): ask the parser once more.
    const at = await syntaxErrorLocation(file);
    const where = at === null ? path : `${path}:${at.line}:${at.column}`;
    const reason = at?.text ?? (e instanceof Error ? e.message : String(e));
    throw new SynthError('CONFIG_LOAD_FAILED', `Could not load ${where}: ${reason}${at?.lineText ? `\n  ${at.line} | ${at.lineText}` : ''}`, {
      hint: at === null
        ? 'Fix the error above; the config must `export default` an object (or defineConfig({...})).'
        : `Fix the syntax at line ${at.line}, column ${at.column}; the config must \`export default\` an object (or defineConfig({...})).`,
      path,
      cause: e,
    });
  }
  return { config: parseConfig(raw, path), path: file };
}

/**
 * A `.ts` config outside an ESM package is compiled as CommonJS, so its `export default` arrives one level deeper
 * (`{ default: { default: config } }`); a config object itself never has a `default` field.
 */
function unwrapDefault(mod: { default?: unknown }): unknown {
  const value = mod.default ?? mod;
  if (value !== null && typeof value === 'object' && 'default' in value && !('source' in value)) return (value as { default: unknown }).default;
  return value;
}

/**
 * Node's SyntaxError from a module import carries no position. esbuild (the compiler tsx runs configs through,
 * so always installed with synth) parses the file again to name line and column; null when it finds nothing.
 */
async function syntaxErrorLocation(file: string): Promise<{ line: number; column: number; text: string; lineText: string } | null> {
  try {
    const esbuild = await import('esbuild');
    const ext = extname(file).slice(1);
    esbuild.transformSync(readFileSync(file, 'utf8'), { loader: ext === 'json' ? 'json' : ext === 'ts' || ext === 'mts' || ext === 'cts' ? 'ts' : 'js', format: 'esm' });
    return null;
  } catch (e) {
    const first = (e as { errors?: Array<{ text: string; location: { line: number; column: number; lineText: string } | null }> }).errors?.[0];
    if (!first?.location) return null;
    return { line: first.location.line, column: first.location.column + 1, text: first.text, lineText: first.location.lineText.trim() };
  }
}

/** Validates a config object; errors name the file, the field path and a fix. */
export function parseConfig(raw: unknown, file = 'config'): SynthConfig {
  registerEnvironmentSecrets();
  const result = configSchema.safeParse(raw);
  if (result.success) {
    registerStateUrlSecret(result.data.state.url);
    return result.data;
  }
  const issues = result.error.issues.flatMap((issue) => explainUnion(issue, raw));
  const lines = issues.map((issue) => `  ${formatPath(issue.path)}: ${describeIssue(issue, raw)}`);
  const first = issues[0];
  throw new SynthError('CONFIG_INVALID', `Invalid config in ${file}:\n${lines.join('\n')}`, {
    hint: 'Fix the fields listed above (see the README, "Config reference").',
    path: first ? formatPath(first.path) : undefined,
  });
}

/** state.url is read by the state store as written; its password is registered here so no message shows it. */
function registerStateUrlSecret(url: string | undefined): void {
  if (url === undefined || url === '') return;
  try {
    parseConnectionUrl(url, { what: 'state.url' });
  } catch {
    // A malformed state URL is reported when the state store opens it.
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

type Issue = z.core.$ZodIssue;

/**
 * zod reports a field that matches no branch of a union (`privacy: { … } | false`) as "Invalid input". The branch
 * whose type fits the value (an object for `{ epsilon: '3' }`) says what is actually wrong, so its issues are
 * reported instead, with their full paths.
 */
function explainUnion(issue: Issue, raw: unknown): Issue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const input = valueAt(raw, issue.path);
  const fits = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
  if (fits.length !== 1 || input === undefined) return [issue];
  return fits[0]!.flatMap((i) => explainUnion({ ...i, path: [...issue.path, ...i.path] } as Issue, raw));
}

function valueAt(raw: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = raw;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** Fields whose values are never echoed back, whatever is wrong with them. */
const SECRET_FIELD = /^(url|password|piiKey)$/;

function describeValue(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function describeIssue(issue: Issue, raw: unknown): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}; check the spelling against the config reference`;
  }
  if (issue.code === 'invalid_type') {
    const input = valueAt(raw, issue.path);
    if (input === undefined) return `is required (${issue.message})`;
    const expected = issue.expected === 'number' ? 'a number' : issue.expected === 'boolean' ? 'true or false' : issue.expected === 'string' ? 'a string' : issue.expected === 'object' ? 'an object' : String(issue.expected);
    const last = issue.path[issue.path.length - 1];
    if (typeof last === 'string' && SECRET_FIELD.test(last)) return `expected ${expected}`;
    let fix = '';
    if (typeof input === 'string' && issue.expected === 'number' && input.trim() !== '' && Number.isFinite(Number(input))) fix = ` — write ${Number(input)} without quotes`;
    if (typeof input === 'string' && issue.expected === 'boolean' && /^(true|false)$/.test(input)) fix = ` — write ${input} without quotes`;
    if (typeof input === 'number' && issue.expected === 'string') fix = ` — write '${input}' in quotes`;
    return `expected ${expected}, got ${describeValue(input)}${fix}`;
  }
  return issue.message;
}

import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { SynthError } from '../errors.js';
import { configSchema, type SynthConfig } from './schema.js';

export const DEFAULT_CONFIG_PATH = './synth.config.ts';

/**
 * Loads and validates a config file (.ts, .mts, .mjs, .js, .json). A TypeScript config is imported through the
 * tsx loader the CLI registers; a config may be a plain object that never imports synth.
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
      const mod = (await import(`${pathToFileURL(file).href}?t=${Date.now()}`)) as { default?: unknown };
      raw = mod.default ?? mod;
    }
  } catch (e) {
    throw new SynthError('CONFIG_LOAD_FAILED', `Could not load ${path}: ${e instanceof Error ? e.message : String(e)}`, {
      hint: 'Fix the syntax error above; the config must `export default` an object (or defineConfig({...})).',
      path,
      cause: e,
    });
  }
  return { config: parseConfig(raw, path), path: file };
}

/** Validates a config object; errors name the file, the field path and a fix. */
export function parseConfig(raw: unknown, file = 'config'): SynthConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${formatPath(issue.path)}: ${describeIssue(issue)}`);
  const first = result.error.issues[0];
  throw new SynthError('CONFIG_INVALID', `Invalid config in ${file}:\n${lines.join('\n')}`, {
    hint: 'Fix the fields listed above (see the README, "Config reference").',
    path: first ? formatPath(first.path) : undefined,
  });
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}; check the spelling against the config reference`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `is required (${issue.message})`;
  }
  return issue.message;
}

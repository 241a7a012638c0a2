/**
 * Connect: the run's id, the target's URL from the config, and the one refusal that comes before anything is read
 * (a target that is the source itself).
 */
import { randomBytes } from 'node:crypto';
import type { SourceConnector, TargetConnector } from '../connectors/connector.js';
import type { SynthConfig } from '../config/schema.js';
import { SynthError } from '../errors.js';

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  return `${stamp}_${randomBytes(3).toString('hex')}`;
}

export function targetUrl(config: SynthConfig, name: string): string {
  const target = config.targets[name];
  if (!target) {
    const names = Object.keys(config.targets);
    throw new SynthError('UNKNOWN_TARGET', `Unknown target '${name}'.`, {
      hint: `Pick one of: ${names.join(', ')} (the keys of \`targets\` in the config).`,
      path: `targets.${name}`,
    });
  }
  return target.url;
}

export async function refuseSourceAsTarget(source: SourceConnector, target: TargetConnector, name: string): Promise<void> {
  const [a, b] = await Promise.all([source.identity(), target.identity()]);
  if (a === b) {
    throw new SynthError('SOURCE_IS_TARGET', `Target '${name}' is the source database itself (${target.displayUrl}).`, {
      hint: 'Point the target at another database; synth never writes to its source.',
      path: `targets.${name}.url`,
    });
  }
}

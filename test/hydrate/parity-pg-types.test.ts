import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';

// Only `public` is copied, but its columns use an enum and a domain kept in `kinds`: that schema gets a shadow of
// its own, which the parity check must map back to `kinds` rather than report as objects only in the target.
const FIXTURE = `
  CREATE SCHEMA kinds;
  CREATE TYPE kinds.mood AS ENUM ('calm', 'busy', 'gone');
  CREATE TABLE public.person (id serial PRIMARY KEY, mood kinds.mood NOT NULL, tags kinds.mood[], age integer);
  INSERT INTO public.person (mood, tags, age) SELECT (ARRAY['calm','busy','gone'])[1 + g % 3]::kinds.mood, ARRAY['calm']::kinds.mood[], 1 + g % 80 FROM generate_series(1, 60) g;
`;

const env = pgHydrationFixture('synth_ptypes_', FIXTURE);

describe('PostgreSQL schema parity with types in a schema that is not copied', () => {
  it('an enum from another schema is not reported as differences', async () => {
    const config = parseConfig({
      source: { url: env.source.url },
      targets: { dev: { url: env.target.url } },
      schemas: ['public'],
      quality: { enabled: false },
      outDir: env.outDir,
    });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.parity?.differences ?? ["no parity"]).toEqual([]);
    // The types arrived in the target under their own schema, and the copied column uses them.
    const [row] = await env.target.query<{ t: string }>(`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'public.person'::regclass AND attname = 'mood'`);
    expect(row!.t).toBe('kinds.mood');
    await env.target.exec(`INSERT INTO public.person (mood, age) VALUES ('calm', 3)`);
  }, 120_000);
});

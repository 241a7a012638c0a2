/**
 * PostgreSQL text-search parsers and templates of the user's own (no extension owns them), here made of pg_catalog's
 * C functions: the configuration and dictionary built on them, and the generated tsvector column that names the
 * configuration, could not be created in the shadow without them ("text search configuration … does not exist").
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { hydrate } from '../../src/pipeline/index.js';
import { compareSchemas } from '../../src/validation/schema-parity.js';
import { pgHydrationFixture } from '../support/databases.js';

const FIXTURE = `
  CREATE TEXT SEARCH PARSER public.my_parser (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype, HEADLINE = prsd_headline);
  CREATE TEXT SEARCH TEMPLATE public.my_tmpl (INIT = dsimple_init, LEXIZE = dsimple_lexize);
  CREATE TEXT SEARCH DICTIONARY public.my_dict (TEMPLATE = public.my_tmpl, stopwords = 'english');
  CREATE TEXT SEARCH CONFIGURATION public.my_cfg (PARSER = public.my_parser);
  ALTER TEXT SEARCH CONFIGURATION public.my_cfg ADD MAPPING FOR asciiword, word WITH public.my_dict;
  CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL, tsv tsvector GENERATED ALWAYS AS (to_tsvector('public.my_cfg', body)) STORED);
  INSERT INTO note (id, body) SELECT g, 'The quick brown foxes jumped over ' || g || ' lazy dogs' FROM generate_series(1, 100) g;
`;

const env = pgHydrationFixture('synth_h5tsp', FIXTURE);

const catalog = `
  SELECT (SELECT string_agg(p.prsname || ':' || p.prsstart::regproc || ',' || p.prstoken::regproc || ',' || p.prsend::regproc || ',' || p.prsheadline::regproc || ',' || p.prslextype::regproc, ';')
            FROM pg_ts_parser p WHERE p.prsnamespace = 'public'::regnamespace) AS parsers,
         (SELECT string_agg(t.tmplname || ':' || t.tmplinit::regproc || ',' || t.tmpllexize::regproc, ';') FROM pg_ts_template t WHERE t.tmplnamespace = 'public'::regnamespace) AS templates,
         (SELECT p.prsname FROM pg_ts_config c JOIN pg_ts_parser p ON p.oid = c.cfgparser WHERE c.cfgname = 'my_cfg') AS cfg_parser,
         (SELECT t.tmplname FROM pg_ts_dict d JOIN pg_ts_template t ON t.oid = d.dicttemplate WHERE d.dictname = 'my_dict') AS dict_template,
         to_tsvector('public.my_cfg', 'The lazy dogs and the quick foxes')::text AS lexemes`;

describe('PostgreSQL text-search parsers and templates', () => {
  it('PG → PG: recreated before the dictionaries and configurations that use them; parity passes', async () => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, quality: { enabled: false }, outDir: env.outDir, model: 'baseline' });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.parity?.differences).toEqual([]);
    const [src] = await env.source.query<Record<string, string>>(catalog);
    const [dst] = await env.target.query<Record<string, string>>(catalog);
    expect(src!.parsers).toBe('my_parser:prsd_start,prsd_nexttoken,prsd_end,prsd_headline,prsd_lextype');
    expect(dst).toEqual(src);
    const [row] = await env.target.query<{ n: string }>(`SELECT count(*) AS n FROM note WHERE tsv <> to_tsvector('public.my_cfg', body)`);
    expect(Number(row!.n)).toBe(0);
  }, 120_000);

  it('the parity check sees a parser or template the target lacks', async () => {
    const src = await openSource(env.source.url);
    const dst = await openSource(env.target.url);
    try {
      const before = await src.introspect();
      const kinds = before.otherObjects.filter((o) => o.kind.startsWith('text search')).map((o) => `${o.kind} ${o.name}`);
      expect(kinds).toEqual(['text search parser my_parser', 'text search template my_tmpl', 'text search dictionary my_dict', 'text search configuration my_cfg']);
      await env.target.exec(`CREATE TEXT SEARCH PARSER public.extra_parser (START = prsd_start, GETTOKEN = prsd_nexttoken, END = prsd_end, LEXTYPES = prsd_lextype)`);
      const parity = compareSchemas(await dst.introspect(), before);
      expect(parity.differences.map((d) => d.object)).toEqual(['public.extra_parser']);
    } finally {
      await src.close();
      await dst.close();
    }
  }, 60_000);
});

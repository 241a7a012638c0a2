import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { openSource } from '../../src/connectors/index.js';
import { hydrate } from '../../src/pipeline/index.js';
import { compareSchemas } from '../../src/validation/schema-parity.js';
import { createMysqlDatabase, pgHydrationFixture, type TestDatabase } from '../support/databases.js';

// A case-insensitive ICU collation and a text-search configuration (copied from english, mappings changed, a
// dictionary of its own) used by a column, a unique index, an expression index and a generated column: the
// target must have them under the same names, and the parity gate must compare them.
const FIXTURE = `
  CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
  CREATE TEXT SEARCH DICTIONARY public.my_stem (TEMPLATE = snowball, language = 'english', stopwords = 'english');
  CREATE TEXT SEARCH CONFIGURATION public.my_cfg (COPY = pg_catalog.english);
  ALTER TEXT SEARCH CONFIGURATION public.my_cfg ALTER MAPPING FOR asciiword, word WITH public.my_stem, simple;
  ALTER TEXT SEARCH CONFIGURATION public.my_cfg DROP MAPPING FOR email;
  COMMENT ON TEXT SEARCH CONFIGURATION public.my_cfg IS 'articles';
  COMMENT ON COLLATION public.ci IS 'case-insensitive';
  CREATE DOMAIN public.handle AS text COLLATE public.ci;
  CREATE TABLE article (
    id int PRIMARY KEY,
    slug text COLLATE public.ci NOT NULL,
    author public.handle,
    body text NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('public.my_cfg', body)) STORED
  );
  CREATE UNIQUE INDEX article_slug_ci ON article (slug COLLATE public.ci);
  CREATE INDEX article_body_fts ON article USING gin (to_tsvector('public.my_cfg', body));
  INSERT INTO article (id, slug, author, body)
    SELECT g, 'slug-' || g, 'Author' || (g % 9), 'The quick brown foxes jumped over ' || g || ' lazy dogs' FROM generate_series(1, 200) g;
`;

const env = pgHydrationFixture('synth_pcoll_', FIXTURE);

/** `pg_dump --schema-only` statements that create or alter collations and text-search objects, or use them. */
function dumped(db: TestDatabase): string[] {
  const text = execFileSync('pg_dump', ['--schema-only', '--no-owner', '--exclude-schema=synth_*', db.url], { encoding: 'utf8' });
  return text
    .split(/;\n/)
    .map((s) => s.replace(/^(--.*\n|\s*\n)*/g, '').trim())
    .filter((s) => /COLLATION|TEXT SEARCH|my_cfg|public\.ci/.test(s))
    .sort();
}

describe('PostgreSQL user collations and text-search configurations', () => {
  it('PG → PG: recreated before the domains and tables, under the same names; parity passes', async () => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, quality: { enabled: false }, outDir: env.outDir, model: 'baseline' });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.parity?.differences).toEqual([]);
    const kinds = ['collation', 'text search dictionary', 'text search configuration'];
    expect(result.parity!.total).toBeGreaterThanOrEqual(13);
    const source = dumped(env.source);
    expect(source.join('\n')).toContain('CREATE TEXT SEARCH CONFIGURATION public.my_cfg');
    expect(source.join('\n')).toContain('CREATE COLLATION public.ci');
    expect(dumped(env.target)).toEqual(source);
    for (const kind of kinds) expect(result.mappingNotes.filter((n) => n.from.startsWith(kind))).toEqual([]);
    // The copies behave as the originals: case-insensitive keys, the same lexemes from the same configuration.
    const [row] = await env.target.query<{ ci: boolean; lexemes: string; tsv_ok: boolean }>(
      `SELECT 'ABC' = 'abc' COLLATE public.ci AS ci, to_tsvector('public.my_cfg', 'Foxes jumped; me@example.com')::text AS lexemes,
              bool_and(tsv = to_tsvector('public.my_cfg', body)) AS tsv_ok FROM article`,
    );
    const [orig] = await env.source.query<{ lexemes: string }>(`SELECT to_tsvector('public.my_cfg', 'Foxes jumped; me@example.com')::text AS lexemes`);
    expect(row).toEqual({ ci: true, lexemes: orig!.lexemes, tsv_ok: true });
    await expect(env.target.exec(`INSERT INTO article (id, slug, body) SELECT max(id) + 1, upper(min(slug)), 'x' FROM article`)).rejects.toThrow(/article_slug_ci/);
  }, 120_000);

  it('the parity check sees a configuration whose mappings differ and a collation that is missing', async () => {
    const src = await openSource(env.source.url);
    const dst = await openSource(env.target.url);
    try {
      const before = await src.introspect();
      await env.target.exec(`ALTER TEXT SEARCH CONFIGURATION public.my_cfg DROP MAPPING FOR hword_part;
        CREATE COLLATION public.extra (provider = icu, locale = 'de')`);
      const after = await dst.introspect();
      const parity = compareSchemas(before, after);
      expect(parity.differences.map((d) => [d.kind, d.object, d.source === null ? 'target only' : 'differs'])).toEqual([
        ['collation', 'public.extra', 'target only'],
        ['text search configuration', 'public.my_cfg', 'differs'],
      ]);
    } finally {
      await src.close();
      await dst.close();
    }
  });

  it('PG → MariaDB: hydrates, with a note for each object the target has no counterpart for', async () => {
    const target = await createMysqlDatabase('synth_pcoll_my');
    try {
      const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: target.url } }, quality: { enabled: false }, outDir: env.outDir, model: 'baseline' });
      const result = await hydrate({ config, target: 'dev' });
      expect(result.status).toBe('ok');
      const notes = result.mappingNotes.map((n) => `${n.from}: ${n.note}`);
      expect(notes).toEqual(expect.arrayContaining([
        expect.stringMatching(/^collation ci: not created: mysql has no user collations/),
        expect.stringMatching(/^text search dictionary my_stem: not created/),
        expect.stringMatching(/^text search configuration my_cfg: not created/),
      ]));
      const [n] = await target.query<{ n: number }>(`SELECT count(*) AS n FROM article`);
      expect(Number(n!.n)).toBe(200);
    } finally {
      await target.drop();
    }
  }, 120_000);
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';

// People with personal free text (names, emails, phones in one layout) and a code column that is not personal.
const FIXTURE = `
CREATE TABLE person (
  id serial PRIMARY KEY,
  first_name varchar(30) NOT NULL,
  last_name varchar(30) NOT NULL,
  email varchar(60) NOT NULL,
  phone varchar(20),
  ref_code text NOT NULL
);
INSERT INTO person (first_name, last_name, email, phone, ref_code)
SELECT (ARRAY['Anna','Ben','Clara','David','Eva','Felix','Greta','Hugo','Ida','Jonas','Karla','Lukas'])[1 + g % 12] || CASE WHEN g % 5 = 0 THEN 'h' ELSE '' END,
       (ARRAY['Meyer','Schulz','Becker','Wagner','Hoffmann','Koch','Richter','Klein','Wolf','Neumann','Braun'])[1 + g % 11] || (g % 7),
       'user' || g || '.' || (g * 31 % 997) || '@mail-corp.net',
       CASE WHEN g % 9 = 0 THEN NULL ELSE '+49 (' || (100 + g % 800) || ') ' || (1000000 + g * 7919 % 8999999) END,
       'RC-' || md5(g::text)
FROM generate_series(1, 400) g;
`;

const env = pgHydrationFixture('synth_fake', FIXTURE);

type Person = { first_name: string; last_name: string; email: string; phone: string | null; ref_code: string };

describe('personal free text without DP', () => {
  it('is generated as fresh fakes of its kind: real-looking, never a real value, the same for the same seed', async () => {
    const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, outDir: env.outDir, quality: { enabled: false }, seed: 7 });
    const r = await hydrate({ config, target: 'dev' });
    expect(r.status).toBe('ok');
    const real = await env.source.query<Person>('SELECT first_name, last_name, email, phone, ref_code FROM person');
    const fake = await env.target.query<Person>('SELECT first_name, last_name, email, phone, ref_code FROM person ORDER BY id');
    expect(fake).toHaveLength(400);
    const realEmails = new Set(real.map((p) => p.email));
    for (const p of fake) {
      expect(p.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
      expect(realEmails.has(p.email)).toBe(false);
      // Names read like names (letters, a capital first), not letter soup or lorem ipsum.
      expect(p.first_name).toMatch(/^[A-Z][A-Za-z' -]+$/);
      expect(p.last_name).toMatch(/^[A-Z][A-Za-z' -]+$/);
    }
    expect(new Set(fake.map((p) => p.first_name)).size).toBeGreaterThan(50);
    // The phones keep the source's layout, and NULLs keep their share.
    const phones = fake.map((p) => p.phone).filter((x): x is string => x !== null);
    for (const p of phones) expect(p).toMatch(/^\+\d\d \(\d{3}\) \d{7}$/);
    expect(phones.length).toBeGreaterThan(300);
    expect(phones.length).toBeLessThan(400);
    // A column that is not personal keeps its shape generator.
    expect(fake.filter((p) => /^(Anna|Ben|Clara)/.test(p.ref_code))).toEqual([]);

    const again = await hydrate({ config, target: 'dev' });
    expect(again.status).toBe('ok');
    expect(await env.target.query<Person>('SELECT first_name, last_name, email, phone, ref_code FROM person ORDER BY id')).toEqual(fake);
  }, 120_000);

  it("is kept as ordinary text when the config says transform: 'keep'", async () => {
    const config = parseConfig({
      source: { url: env.source.url },
      targets: { dev: { url: env.target.url } },
      outDir: env.outDir,
      quality: { enabled: false },
      tables: { person: { columns: { email: { transform: 'keep' } } } },
    });
    await hydrate({ config, target: 'dev' });
    const fake = await env.target.query<Person>('SELECT email FROM person');
    expect(fake.filter((p) => /^[^@\s]+@[^@\s]+\.[a-z]+$/.test(p.email)).length).toBeLessThan(40);
  }, 120_000);
});

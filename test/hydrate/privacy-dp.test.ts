import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { SynthError } from '../../src/errors.js';
import { hydrate } from '../../src/pipeline/index.js';
import { pgHydrationFixture } from '../support/databases.js';

// 2000 customers (email PII, a country with one planted rare value, a balance), 6000 orders referencing them.
const FIXTURE = `
CREATE TABLE customer (
  id serial PRIMARY KEY,
  email text NOT NULL,
  country text NOT NULL,
  balance numeric(10,2) NOT NULL CHECK (balance >= 0),
  joined date NOT NULL,
  vip boolean
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customer(id),
  amount numeric(10,2) NOT NULL,
  status text NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'returned'))
);
INSERT INTO customer (email, country, balance, joined, vip)
SELECT 'person' || g || '.x' || (g * 7919 % 1000) || '@corp-mail.com',
       (ARRAY['DE','FR','US','GB'])[1 + g % 4],
       round((g % 500)::numeric * 3.7, 2),
       DATE '2015-01-01' + (g % 2000),
       CASE WHEN g % 10 = 0 THEN NULL ELSE g % 3 = 0 END
FROM generate_series(1, 2000) g;
UPDATE customer SET country = 'ZZ-rare-secret' WHERE id = 77;
INSERT INTO orders (customer_id, amount, status)
SELECT 1 + (g * 13) % 2000, round(((g % 97) * 1.5)::numeric, 2), (ARRAY['new','paid','shipped'])[1 + g % 3]
FROM generate_series(1, 6000) g;
`;

const env = pgHydrationFixture('synth_dp', FIXTURE);

describe('hydrate with privacy: { epsilon, delta }', () => {
  it('spends at most the configured ε, transforms PII before training, never emits the rare category, zero violations', async () => {
    process.env.SYNTH_PII_KEY = 'test-key-0123456789';
    const config = parseConfig({
      source: { url: env.source.url },
      targets: { dev: { url: env.target.url } },
      privacy: { epsilon: 3, delta: 1e-6 },
      outDir: env.outDir,
      quality: { sampleRows: 2000 },
    });
    const spent: number[] = [];
    const result = await hydrate({ config, target: 'dev', hooks: { privacySpent: (p) => void spent.push(p.epsilon) } });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const p = result.privacy!;
    expect(p.dp).toBe(true);
    expect(p.epsilon).toBeGreaterThan(0);
    expect(p.epsilon).toBeLessThanOrEqual(3);
    expect(spent).toEqual([p.epsilon]);
    expect(p.tables.map((t) => t.table).sort()).toEqual(['public.customer', 'public.orders']);
    for (const t of p.tables) expect(t.epsilon).toBeLessThanOrEqual(t.budget.epsilon + 1e-9);
    // The email column was detected and transformed; no real address reaches the target.
    expect(p.pii.find((x) => x.column === 'email')?.transform).toBe('email');
    const real = new Set((await env.source.query<{ email: string }>('SELECT email FROM customer')).map((r) => r.email));
    const emails = await env.target.query<{ email: string }>('SELECT email FROM customer');
    expect(emails.length).toBeGreaterThan(1500);
    expect(emails.filter((r) => real.has(r.email))).toEqual([]);
    // Named email in the schema, it is generated as fresh fake addresses and spends no budget (it is NOT NULL).
    for (const e of emails) expect(e.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
    expect(p.tables.find((t) => t.table === 'public.customer')!.mechanisms.filter((m) => m.label.includes('.email'))).toEqual([]);
    // The CHECK's literals are public: statuses are drawn from them, never from lorem text.
    const statuses = await env.target.query<{ status: string }>('SELECT DISTINCT status FROM orders');
    expect(statuses.length).toBeGreaterThan(0);
    for (const s of statuses) expect(['new', 'paid', 'shipped', 'returned']).toContain(s.status);
    const rare = await env.target.query<{ n: string }>(`SELECT count(*) AS n FROM customer WHERE country = 'ZZ-rare-secret'`);
    expect(Number(rare[0]!.n)).toBe(0);
    // The JSON report carries the privacy section.
    const json = JSON.parse(readFileSync(result.reportPaths!.json, 'utf8')) as { privacy?: { epsilon: number } };
    expect(json.privacy?.epsilon).toBe(p.epsilon);
    expect(readFileSync(result.reportPaths!.html, 'utf8')).toContain('id="privacy-epsilon"');
  }, 120_000);

  it('learned model under DP: DP-SGD steps within the plan, ε within budget, zero violations, no real email', async () => {
    process.env.SYNTH_PII_KEY = 'test-key-0123456789';
    const config = parseConfig({
      source: { url: env.source.url },
      targets: { dev: { url: env.target.url } },
      model: 'learned',
      training: { epochs: 2, hidden: 32 },
      // DP-SGD itself is under test: MST (the default where a table has the rows for it) is turned off.
      privacy: { epsilon: 2, delta: 1e-6, maxGradNorm: 0.5, mst: false },
      outDir: env.outDir,
      quality: { enabled: false },
    });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const p = result.privacy!;
    expect(p.epsilon).toBeLessThanOrEqual(2);
    const learned = p.tables.filter((t) => t.model === 'learned');
    expect(learned.length).toBeGreaterThan(0);
    for (const t of learned) {
      expect(t.dpSgd!.clipNorm).toBe(0.5);
      expect(t.dpSgd!.steps).toBeGreaterThan(0);
      expect(t.dpSgd!.steps).toBeLessThanOrEqual(t.dpSgd!.plannedSteps);
      expect(t.epsilon).toBeLessThanOrEqual(t.budget.epsilon + 1e-9);
    }
    const real = new Set((await env.source.query<{ email: string }>('SELECT email FROM customer')).map((r) => r.email));
    const emails = await env.target.query<{ email: string }>('SELECT email FROM customer');
    expect(emails.filter((r) => real.has(r.email))).toEqual([]);
  }, 180_000);

  it('refuses PII transforms without a key (CONFIG_INVALID)', async () => {
    const saved = process.env.SYNTH_PII_KEY;
    delete process.env.SYNTH_PII_KEY;
    try {
      const config = parseConfig({ source: { url: env.source.url }, targets: { dev: { url: env.target.url } }, privacy: { epsilon: 1, delta: 1e-6 }, outDir: env.outDir, quality: { enabled: false } });
      const err = await hydrate({ config, target: 'dev' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SynthError);
      expect((err as SynthError).code).toBe('CONFIG_INVALID');
      expect((err as SynthError).message).toContain('public.customer.email');
    } finally {
      process.env.SYNTH_PII_KEY = saved;
    }
  }, 120_000);
});

/**
 * A generated customer's city, state and postal code come from the faker locale of its own country: a chinook-like
 * customer table (countries USA, Canada, Brazil, Germany, France, India, plus one with no locale of its own) hydrated
 * on real PostgreSQL, baseline and learned; every city is in its country's pool, the same seed gives the same rows.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { localeForCountry, locationGroups, locationPools, NEUTRAL_LOCALE } from '../../src/generation/privacy/location-fakes.js';
import type { RunEvent } from '../../src/events.js';
import { hydrate } from '../../src/pipeline/index.js';
import { rulesConfigInput, trainedUnder } from '../support/app-rules.js';
import { pgHydrationFixture } from '../support/databases.js';

// Real-looking addresses per country (chinook's customers, from memory), repeated with made-up names to 180 rows.
const ADDRESSES: Array<[city: string, state: string | null, country: string, postal: string | null]> = [
  ['Redmond', 'WA', 'USA', '98052-8300'], ['Cupertino', 'CA', 'USA', '95014'], ['Mountain View', 'CA', 'USA', '94043-1351'],
  ['Reno', 'NV', 'USA', '89503'], ['Orlando', 'FL', 'USA', '32801'], ['Fort Worth', 'TX', 'USA', '76110'], ['Chicago', 'IL', 'USA', '60611'],
  ['Montréal', 'QC', 'Canada', 'H2G 1A7'], ['Edmonton', 'AB', 'Canada', 'T6G 2C7'], ['Vancouver', 'BC', 'Canada', 'V6C 1G8'], ['Toronto', 'ON', 'Canada', 'M6J 1V1'],
  ['São José dos Campos', 'SP', 'Brazil', '12227-000'], ['São Paulo', 'SP', 'Brazil', '01007-010'], ['Rio de Janeiro', 'RJ', 'Brazil', '20040-020'], ['Brasília', 'DF', 'Brazil', '71020-677'],
  ['Stuttgart', null, 'Germany', '70174'], ['Berlin', null, 'Germany', '10779'], ['Frankfurt', null, 'Germany', '60316'],
  ['Paris', null, 'France', '75002'], ['Lyon', null, 'France', '69002'], ['Bordeaux', null, 'France', '33000'], ['Dijon', null, 'France', '21000'],
  ['Delhi', null, 'India', '110017'], ['Bangalore', null, 'India', '560001'],
  ['Santiago', null, 'Chile', null], ['Budapest', null, 'Hungary', 'H-1063'], ['Warsaw', null, 'Poland', '00-358'],
];

function fixtureSql(): string {
  const rows = Array.from({ length: 180 }, (_, i) => {
    const [city, state, country, postal] = ADDRESSES[i % ADDRESSES.length]!;
    const q = (v: string | null) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);
    return `(${i + 1}, 'First${i}', 'Last${i}', ${q(city)}, ${q(state)}, ${q(country)}, ${q(postal)})`;
  });
  return `
    CREATE TABLE customer (
      customer_id integer PRIMARY KEY, first_name varchar(40) NOT NULL, last_name varchar(20) NOT NULL,
      city varchar(40), state varchar(40), country varchar(40), postal_code varchar(10));
    INSERT INTO customer VALUES ${rows.join(',\n')};`;
}

const env = pgHydrationFixture('h12_loc', fixtureSql());

describe('location fakes', () => {
  it('map countries to locales, with pools of their own', () => {
    expect(localeForCountry('USA')).toBe('en_US');
    expect(localeForCountry(' brazil ')).toBe('pt_BR');
    expect(localeForCountry('DE')).toBe('de');
    expect(localeForCountry('Atlantis')).toBe(NEUTRAL_LOCALE);
    const br = locationPools('pt_BR');
    expect(br.cities.length).toBeGreaterThan(100);
    expect(br.stateAbbrs).toContain('SP');
    expect(locationPools('en_US').stateAbbrs).toContain('WA');
    // France's faker has no state abbreviations of its own (it would inherit the US ones).
    expect(locationPools('fr').stateAbbrs).toEqual([]);
    expect(locationPools('en_CA').postcodes.every((p) => /^[A-Z]\d[A-Z] \d[A-Z]\d$/.test(p))).toBe(true);
    expect(locationPools('pt_BR')).toBe(br);
  });

  it('pair columns by prefix and keep key and CHECK columns', async () => {
    const { schema } = await trainedUnder(parseConfig(rulesConfigInput(env, 'baseline', { referenceMaxRows: 0, epochs: 1, quality: false })));
    const table = schema.tables.find((t) => t.name === 'customer')!;
    const names = table.columns.map((c) => c.name);
    const groups = locationGroups(table, names);
    expect(groups.map((g) => [names[g.country], g.targets.map((t) => `${t.column.name}:${t.part}`)])).toEqual([['country', ['city:city', 'state:state', 'postal_code:postal']]]);
    expect(locationGroups(table, names, new Set(['city']))[0]!.targets.map((t) => t.column.name)).toEqual(['state', 'postal_code']);
    expect(locationGroups({ ...table, uniques: [{ name: 'u', columns: ['postal_code'] }] } as typeof table, names)[0]!.targets.map((t) => t.column.name)).toEqual(['city', 'state']);
  }, 60_000);

  for (const model of ['baseline', 'learned'] as const) {
    it(`(${model}) gives every customer a city, state and postal code of its country's locale, the same on a rerun`, async () => {
      const config = parseConfig(rulesConfigInput(env, model, { referenceMaxRows: 0, epochs: 3, quality: false }));
      const read = () =>
        env.target.query<{ city: string | null; state: string | null; country: string | null; postal_code: string | null }>(
          'SELECT city, state, country, postal_code FROM customer ORDER BY customer_id',
        );
      const first = await hydrate({ config, target: 'dev' });
      expect(first.status).toBe('ok');
      expect(first.integrity.totalViolations).toBe(0);
      const rows = await read();
      expect(rows.length).toBe(180);
      let checked = 0;
      const countries = new Set<string>();
      for (const r of rows) {
        if (r.country === null || r.city === null) continue;
        const pools = locationPools(localeForCountry(r.country));
        expect(pools.cities, `${r.city}, ${r.country}`).toContain(r.city);
        if (r.postal_code !== null) expect(pools.postcodes.map((p) => p.slice(0, 10)), `${r.postal_code}, ${r.country}`).toContain(r.postal_code);
        if (r.state !== null) expect([...pools.stateAbbrs, ...pools.states], `${r.state}, ${r.country}`).toContain(r.state);
        countries.add(r.country);
        checked++;
      }
      expect(checked).toBeGreaterThan(100);
      expect(countries.size).toBeGreaterThanOrEqual(5);
      // faker's French locale has no state abbreviations of its own: no US state lands in France.
      expect(rows.filter((r) => r.country === 'France' && r.state !== null && r.state.length <= 3)).toEqual([]);
      const second = await hydrate({ config, target: 'dev' });
      expect(second.integrity.totalViolations).toBe(0);
      expect(await read()).toEqual(rows);
    }, 240_000);
  }
  it('picks the same cities in a load worker as in one process (row index, not draw order)', async () => {
    const base = rulesConfigInput(env, 'baseline', { referenceMaxRows: 0, epochs: 1, quality: false });
    const read = () => env.target.query<{ city: string | null; country: string | null }>('SELECT city, country FROM customer ORDER BY customer_id');
    // Scale 120: 21 600 customers, three windows of 10 000.
    const alone = await hydrate({ config: parseConfig({ ...base, scale: 120 }), target: 'dev' });
    expect(alone.integrity.totalViolations).toBe(0);
    const one = await read();
    const events: RunEvent[] = [];
    const info = () => events.flatMap((e) => (e.type === 'info' ? [e.message] : []));
    // As parallel-load.test.ts does: the main process waits for the worker before it draws the split table itself.
    const fault = async (point: string, ctx: { table?: string }) => {
      if (point !== 'mid-load' || ctx.table !== 'public.customer') return;
      for (let i = 0; i < 600 && !info().some((m) => /public\.customer: worker process 1 took rows/.test(m)); i++) await new Promise((r) => setTimeout(r, 100));
    };
    const split = await hydrate({ config: parseConfig({ ...base, scale: 120, generation: { workers: 1, minRows: 1000 } }), target: 'dev', emit: (e) => events.push(e), hooks: { fault } });
    expect(split.integrity.totalViolations).toBe(0);
    const windows = info().map((m) => /public\.customer: \d+ window\(s\) of \d+ rows, \d drawn here, (\d) on 1 worker/.exec(m)).find((m) => m !== null);
    expect(Number(windows?.[1] ?? 0)).toBeGreaterThan(0);
    const two = await read();
    expect(two).toEqual(one);
    for (const r of two.slice(0, 2000)) if (r.city !== null && r.country !== null) expect(locationPools(localeForCountry(r.country)).cities).toContain(r.city);
  }, 300_000);
});

/**
 * A generated customer's city, state and postal code come from the faker locale of its own country: a chinook-like
 * customer table (countries USA, Canada, Brazil, Germany, France, India, plus one with no locale of its own) hydrated
 * on real PostgreSQL, baseline and learned; every city is in its country's pool, the same seed gives the same rows.
 * A country whose source rows have no state gets none, a US state is the one its postal code lies in; under DP
 * (country declared public) the cities are rewritten too and the locale's postal convention decides the states.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createLocationEnforcer, localeForCountry, locationFakeRule, locationGroups, locationPools, NEUTRAL_LOCALE, type LocationRuleColumns } from '../../src/generation/privacy/location-fakes.js';
import { learnStateShares, localeHasStates, postalStatesOf } from '../../src/generation/privacy/location-states.js';
import type { Column, Table } from '../../src/schema/model.js';
import type { Row } from '../../src/schema/values.js';
import type { RunEvent } from '../../src/events.js';
import { hydrate } from '../../src/pipeline/index.js';
import { rulesConfigInput, trainedUnder } from '../support/app-rules.js';
import { pgHydrationFixture } from '../support/databases.js';
import { waitForWorker } from '../support/load-workers.js';

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

// A company's warehouses: a handful of towns, a category of the source the PII plan does not fake (no one lives there).
const WAREHOUSES: Array<[city: string, country: string]> = Array.from({ length: 40 }, (_, i) =>
  ([['Redmond', 'USA'], ['Toronto', 'Canada'], ['Hamburg', 'Germany'], ['Lyon', 'France']] as Array<[string, string]>)[i % 4]!);

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
    INSERT INTO customer VALUES ${rows.join(',\n')};
    CREATE TABLE warehouse (warehouse_id integer PRIMARY KEY, city varchar(40) NOT NULL, country varchar(40) NOT NULL);
    INSERT INTO warehouse VALUES ${WAREHOUSES.map((w, i) => `(${i + 1}, '${w[0]}', '${w[1]}')`).join(', ')};`;
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

  it('give a state only where the country has them, and a US/Canadian postal code and its state that agree', () => {
    const text = (name: string): Column => ({ name, type: { kind: 'text', maxLength: 40, fixedLength: false }, nativeType: 'varchar(40)', nullable: true, default: null, autoIncrement: null, generated: null, domain: null, collation: null, comment: null });
    const table: Table = {
      schema: 'public', name: 'customer', columns: ['customer_id', 'city', 'state', 'country', 'postal_code'].map(text),
      primaryKey: { name: 'pk', columns: ['customer_id'] }, uniques: [], foreignKeys: [], checks: [], indexes: [], partitioning: null, comment: null, estimatedRows: 0,
    };
    const names = table.columns.map((c) => c.name);
    // Shares from a sample: USA 2 of 3 rows with a state, Germany none; abbreviations.
    expect(learnStateShares([['WA', 'USA'], [null, 'Germany'], ['CA', ' usa'], [null, 'USA']], 0, 1)).toEqual({ abbreviated: true, byCountry: { usa: 0.667, germany: 0 } });
    expect([localeHasStates('en_US'), localeHasStates('pt_BR'), localeHasStates('de'), localeHasStates(NEUTRAL_LOCALE)]).toEqual([true, true, false, false]);
    const us = postalStatesOf('en_US', 1)!;
    expect([us.stateOf('98052-8300'), us.stateOf('07001'), us.stateOf('ABCDE'), us.abbrOf('California'), us.abbrOf('tx')]).toEqual(['WA', 'NJ', undefined, 'CA', 'TX']);
    expect(us.pools.get('TX')!.every((z) => us.stateOf(z) === 'TX')).toBe(true);
    const ca = postalStatesOf('en_CA', 1)!;
    expect([ca.stateOf('T6G 2C7'), ca.stateOf('H2G 1A7'), ca.stateOf('X1A 0A1')]).toEqual(['AB', 'QC', undefined]);
    expect(postalStatesOf('de', 1)).toBeNull();

    const countries = ['USA', 'Germany', 'Brazil', 'France', 'Canada'];
    const rows = (): Row[] => Array.from({ length: 1000 }, (_, i) => [i, 'Town', i % 2 ? 'XX' : null, countries[i % 5]!, '98052']);
    const states = { state: { abbreviated: true, byCountry: { usa: 1, germany: 0, brazil: 0.5, canada: 1 } } };
    const run = (rule: LocationRuleColumns, skip?: Set<string>): Row[] => {
      const out = rows();
      createLocationEnforcer(table, names, 7, 'public.customer', rule, skip)!(out, 0);
      return out;
    };
    const of = (out: Row[], country: string) => out.filter((r) => r[3] === country);
    const faked = run({ fakes: { city: 'city', postal_code: 'postal-code' }, configured: [], states });
    // Germany (share 0) and France (not sampled: fr's addresses carry no state) get none, the model's 'XX' or not.
    expect(of(faked, 'Germany').map((r) => r[2])).toEqual(Array(200).fill(null));
    expect(of(faked, 'France').map((r) => r[2])).toEqual(Array(200).fill(null));
    // Every US row has one (also where the model drew NULL), an en_US abbreviation, with a postal code inside it.
    for (const r of of(faked, 'USA')) {
      expect(locationPools('en_US').stateAbbrs).toContain(r[2]);
      expect(us.stateOf(String(r[4])), `${r[2]} ${r[4]}`).toBe(r[2]);
    }
    for (const r of of(faked, 'Canada')) expect(ca.stateOf(String(r[4])) ?? (String(r[4]).startsWith('X') ? r[2] : null), `${r[2]} ${r[4]}`).toBe(r[2]);
    const brazil = of(faked, 'Brazil').filter((r) => r[2] !== null).length;
    expect(brazil).toBeGreaterThan(70);
    expect(brazil).toBeLessThan(130);
    // A postal code kept as drawn (the plan fakes the city only) names the US state: 98052 lies in WA.
    expect(new Set(of(run({ fakes: { city: 'city' }, configured: [], states }), 'USA').map((r) => r[2]))).toEqual(new Set(['WA']));
    // A state beside a kept city stays the model's, but not in a country whose source rows have none; a state copied
    // from the parent is the copy's.
    const kept = run({ fakes: { postal_code: 'postal-code' }, configured: [], states });
    expect(new Set(of(kept, 'Germany').map((r) => r[2]))).toEqual(new Set([null]));
    expect(of(kept, 'USA').map((r) => r[2])).toEqual(of(rows(), 'USA').map((r) => r[2]));
    expect(of(run({ fakes: { city: 'city' }, configured: [], states }, new Set(['state'])), 'Germany').map((r) => r[2])).toEqual(of(rows(), 'Germany').map((r) => r[2]));

    // Under DP the rule is the schema's: city and postal code by name beside a country column, nothing learned.
    const sample = { table, totalRows: 0, columns: names, rows: [] as Row[] };
    expect(locationFakeRule(table, sample, {}, { dp: true })).toEqual({ table: { schema: 'public', name: 'customer' }, fakes: { city: 'city', postal_code: 'postal-code' }, configured: [] });
    expect(locationFakeRule(table, sample, { city: { transform: 'keep' } }, { dp: true })).toEqual({ table: { schema: 'public', name: 'customer' }, fakes: { postal_code: 'postal-code' }, configured: ['city'] });
    const countryless = { ...table, columns: table.columns.filter((c) => c.name !== 'country') };
    expect(locationFakeRule(countryless, sample, {}, { dp: true })).toBeNull();
  });

  it('pair columns by prefix and keep key, CHECK and configured columns; move only what the PII plan fakes', async () => {
    const { schema, models } = await trainedUnder(parseConfig(rulesConfigInput(env, 'baseline', { referenceMaxRows: 0, epochs: 1, quality: false })));
    const table = schema.tables.find((t) => t.name === 'customer')!;
    const names = table.columns.map((c) => c.name);
    // The fit's rule: the customer's city is faked; its postal codes (a mix of national shapes the PII scan does not
    // flag) are the source's categories, and so are the warehouses' four towns.
    expect(models.rules?.locationFakes).toEqual([
      {
        table: { schema: 'public', name: 'customer' }, fakes: { city: 'city' }, configured: [],
        // Of the sampled rows of each country, the share with a state.
        states: { state: { abbreviated: true, byCountry: { usa: 1, canada: 1, brazil: 1, germany: 0, france: 0, india: 0, chile: 0, hungary: 0, poland: 0 } } },
      },
    ]);
    const rule: LocationRuleColumns = { fakes: { city: 'city', postal_code: 'postal-code' }, configured: [] };
    const targets = (r: LocationRuleColumns, t = table, skip?: Set<string>) => locationGroups(t, names, r, skip).flatMap((g) => g.targets.map((x) => `${x.column.name}:${x.part}`));
    expect(locationGroups(table, names, rule).map((g) => names[g.country])).toEqual(['country']);
    expect(targets(rule)).toEqual(['city:city', 'state:state', 'postal_code:postal']);
    expect(targets(rule, table, new Set(['city']))).toEqual(['state:state', 'postal_code:postal']);
    expect(targets(rule, { ...table, uniques: [{ name: 'u', columns: ['postal_code'] }] } as typeof table)).toEqual(['city:city', 'state:state']);
    // A state the user keeps stays; a city the plan does not fake stays, and so does the state beside it (a faked
    // postal code still moves); with no city column a faked postal code moves the state.
    expect(targets({ ...rule, configured: ['state'] })).toEqual(['city:city', 'postal_code:postal']);
    expect(targets({ fakes: { postal_code: 'postal-code' }, configured: [] })).toEqual(['postal_code:postal']);
    const cityless = { ...table, columns: table.columns.filter((c) => c.name !== 'city') };
    expect(locationGroups(cityless, names.filter((n) => n !== 'city'), { fakes: { postal_code: 'postal-code' }, configured: [] }).flatMap((g) => g.targets.map((x) => x.column.name))).toEqual(['state', 'postal_code']);
    expect(targets({ fakes: {}, configured: [] })).toEqual([]);
    // The plan's kind names the part: cities found by their values in a column named for something else.
    expect(targets({ fakes: { first_name: 'city' }, configured: [] })).toEqual(['first_name:city']);
    // From a sample: `keep` takes the city out of the plan (piiKinds); a handful of towns is no fake either.
    const sample = { table, totalRows: 4, columns: ['city', 'postal_code'], rows: Array.from({ length: 60 }, (_, i) => [`Town ${i}`, `${10000 + i}`]) };
    expect(locationFakeRule(table, { ...sample, piiKinds: { city: 'city', postal_code: 'postal-code' } }, { state: { transform: 'keep' } })).toEqual({ table: { schema: 'public', name: 'customer' }, fakes: { city: 'city', postal_code: 'postal-code' }, configured: ['state'] });
    expect(locationFakeRule(table, { ...sample, piiKinds: { postal_code: 'postal-code' } })?.fakes).toEqual({ postal_code: 'postal-code' });
    expect(locationFakeRule(table, { ...sample, rows: sample.rows.map((r, i) => [`Town ${i % 3}`, r[1]!]), piiKinds: { city: 'city' } })).toBeNull();
  }, 60_000);

  it('leaves a city the config keeps and a city category the PII plan does not fake as the model drew them', async () => {
    const base = rulesConfigInput(env, 'baseline', { referenceMaxRows: 0, epochs: 1, quality: false });
    const result = await hydrate({ config: parseConfig({ ...base, tables: { customer: { columns: { city: { transform: 'keep' } } } } }), target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const customers = await env.target.query<{ city: string | null; state: string | null }>('SELECT city, state FROM customer');
    const cities = customers.flatMap((r) => (r.city === null ? [] : [r.city]));
    expect(cities.length).toBeGreaterThan(100);
    // `keep`: the model's own cities (the source's categories), none from a locale pool; nothing beside them moves,
    // so the states are the source's too.
    expect(cities.filter((c) => !ADDRESSES.some((a) => a[0] === c))).toEqual([]);
    expect(customers.filter((r) => r.state !== null && !ADDRESSES.some((a) => a[1] === r.state))).toEqual([]);
    const warehouses = await env.target.query<{ city: string }>('SELECT city FROM warehouse');
    expect(warehouses.length).toBe(40);
    expect(new Set(warehouses.map((w) => w.city))).toEqual(new Set(WAREHOUSES.map((w) => w[0])));
  }, 240_000);

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
        // The PII scan does not flag this mix of postal shapes: they stay the model's (source categories).
        if (r.postal_code !== null) expect(ADDRESSES.map((a) => a[3]), `${r.postal_code}, ${r.country}`).toContain(r.postal_code);
        if (r.state !== null) expect([...pools.stateAbbrs, ...pools.states], `${r.state}, ${r.country}`).toContain(r.state);
        countries.add(r.country);
        checked++;
      }
      expect(checked).toBeGreaterThan(100);
      expect(countries.size).toBeGreaterThanOrEqual(5);
      // A country whose source rows have no state gets none; one whose rows all have one gets one on every row.
      const stateless = ['Germany', 'France', 'India', 'Chile', 'Hungary', 'Poland'];
      expect(rows.filter((r) => r.country !== null && stateless.includes(r.country) && r.state !== null)).toEqual([]);
      expect(rows.filter((r) => (r.country === 'USA' || r.country === 'Canada' || r.country === 'Brazil') && r.state === null)).toEqual([]);
      // The US postal codes stay the model's (source categories): the state is the one each lies in.
      const usRows = rows.filter((r) => r.country === 'USA' && r.postal_code !== null);
      expect(usRows.length).toBeGreaterThan(5);
      const named = usRows.flatMap((r) => {
        const s = postalStatesOf('en_US', 1)!.stateOf(r.postal_code!);
        return s === undefined ? [] : [[r.state, s, r.postal_code]];
      });
      expect(named.length).toBeGreaterThan(5);
      expect(named.filter(([state, s]) => state !== s)).toEqual([]);
      const second = await hydrate({ config, target: 'dev' });
      expect(second.integrity.totalViolations).toBe(0);
      expect(await read()).toEqual(rows);
    }, 240_000);
  }
  it('rewrites the cities under DP too, with states where the locale\'s addresses carry one', async () => {
    const base = rulesConfigInput(env, 'baseline', { referenceMaxRows: 0, epochs: 1, quality: false });
    // The country declared public: its categories are released as they are, so rows have real countries to follow.
    const config = parseConfig({ ...base, privacy: { epsilon: 4, piiKey: 'location-fakes-test-key-0123456789' }, tables: { customer: { columns: { country: { public: true } } } } });
    const result = await hydrate({ config, target: 'dev' });
    expect(result.status).toBe('ok');
    expect(result.integrity.totalViolations).toBe(0);
    const rows = await env.target.query<{ city: string | null; state: string | null; country: string | null }>('SELECT city, state, country FROM customer');
    const located = rows.filter((r) => r.country !== null && r.city !== null);
    expect(located.length).toBeGreaterThan(50);
    for (const r of located) expect(locationPools(localeForCountry(r.country!)).cities, `${r.city}, ${r.country}`).toContain(r.city);
    // Data-independent: Germany's, France's … addresses carry no state, the USA's, Canada's, Brazil's do.
    const stateless = rows.filter((r) => ['Germany', 'France', 'Chile', 'Hungary', 'Poland'].includes(r.country ?? ''));
    expect(stateless.length).toBeGreaterThan(10);
    expect(stateless.filter((r) => r.state !== null)).toEqual([]);
    const withStates = rows.filter((r) => ['USA', 'Canada', 'Brazil'].includes(r.country ?? ''));
    expect(withStates.length).toBeGreaterThan(10);
    for (const r of withStates) expect([...locationPools(localeForCountry(r.country!)).stateAbbrs, ...locationPools(localeForCountry(r.country!)).states], `${r.state}, ${r.country}`).toContain(r.state);
  }, 240_000);

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
    const split = await hydrate({ config: parseConfig({ ...base, scale: 120, generation: { workers: 1, minRows: 1000 } }), target: 'dev', emit: (e) => events.push(e), hooks: { fault: waitForWorker(events, 'public.customer') } });
    expect(split.integrity.totalViolations).toBe(0);
    const windows = info().map((m) => /public\.customer: \d+ window\(s\) of \d+ rows, \d drawn here, (\d) on 1 worker/.exec(m)).find((m) => m !== null);
    expect(Number(windows?.[1] ?? 0)).toBeGreaterThan(0);
    const two = await read();
    expect(two).toEqual(one);
    for (const r of two.slice(0, 2000)) if (r.city !== null && r.country !== null) expect(locationPools(localeForCountry(r.country)).cities).toContain(r.city);
  }, 300_000);
});

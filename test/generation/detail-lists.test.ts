/**
 * The airlines demo's shapes, unit-level: an aircraft's seat list is reference data with its aircraft (detail-lists.ts),
 * and a copied table's `point` column does not stop the fit (copied-fit.ts).
 */
import { describe, expect, it } from 'vitest';
import { detailListOf } from '../../src/generation/detail-lists.js';
import { samplesForFit } from '../../src/generation/copied-fit.js';
import { decideReferenceTables } from '../../src/generation/reference-tables.js';
import { piiKindFromName } from '../../src/generation/privacy/pii-detect.js';
import { fitModels } from '../../src/generation/index.js';
import { buildPlan } from '../../src/graph/index.js';
import type { TableSample } from '../../src/generation/model.js';
import type { NeutralType } from '../../src/schema/model.js';
import type { Row } from '../../src/schema/values.js';
import { col, fk, int4, pk, schemaOf, table, text, varchar } from './fixtures.js';

const char3: NeutralType = { kind: 'text', maxLength: 3, fixedLength: true };
const FLEET: Array<[string, string, number]> = [['773', 'Boeing 777-300', 11100], ['SU9', 'Sukhoi Superjet-100', 3000], ['CN1', 'Cessna 208 Caravan', 1200]];
const aircrafts = table('aircrafts_data', [col('aircraft_code', char3, { nullable: false }), col('model', text), col('range', int4)], { primaryKey: pk('aircraft_code') });
const seatsOf = (extra: ReturnType<typeof col>[] = []) =>
  table('seats', [col('aircraft_code', char3, { nullable: false }), col('seat_no', varchar(4), { nullable: false }), col('fare_conditions', varchar(10)), ...extra], {
    primaryKey: pk('aircraft_code', 'seat_no'),
    foreignKeys: [fk('seats_aircraft_code_fkey', ['aircraft_code'], 'aircrafts_data', ['aircraft_code'])],
  });
const seatRows: Row[] = FLEET.flatMap(([code], a) =>
  Array.from({ length: 6 + a * 4 }, (_, i) => [code, `${1 + Math.floor(i / 4)}${'ABCD'[i % 4]}`, i < 4 ? 'Business' : 'Economy'] as Row),
);
const sample = (name: string, columns: string[], rows: Row[]): TableSample => ({ table: { schema: 'public', name }, totalRows: rows.length, columns, rows });
const aircraftSample = sample('aircrafts_data', ['aircraft_code', 'model', 'range'], FLEET.map(([c, m, r]) => [c, m, r]));
const seatSample = sample('seats', ['aircraft_code', 'seat_no', 'fare_conditions'], seatRows);

describe('detailListOf', () => {
  it('reads an aircraft’s seats as a list of seat_no per aircraft, but not a link table or a list with measures', () => {
    expect(detailListOf(seatsOf(), seatSample)).toEqual({ parent: 'public.aircrafts_data', label: 'seat_no' });
    // A measure per row (world's countrylanguage.percentage) makes it facts.
    const measured = seatsOf([col('pitch_cm', { kind: 'float', bytes: 8 })]);
    const withPitch = sample('seats', [...seatSample.columns, 'pitch_cm'], seatRows.map((r, i) => [...r, 70 + i * 0.5]));
    expect(detailListOf(measured, withPitch)).toBeNull();
    // A link table: both key columns are FKs.
    const link = table('film_actor', [col('film_id', int4), col('actor_id', int4)], {
      primaryKey: pk('film_id', 'actor_id'),
      foreignKeys: [fk('f', ['film_id'], 'film', ['film_id']), fk('a', ['actor_id'], 'actor', ['actor_id'])],
    });
    expect(detailListOf(link, sample('film_actor', ['film_id', 'actor_id'], [[1, 1], [1, 2]]))).toBeNull();
  });

  it('makes the seats reference data with their aircraft, and not when the aircraft are synthesized', () => {
    const schema = schemaOf([aircrafts, seatsOf()]);
    const samples = new Map([['public.aircrafts_data', aircraftSample], ['public.seats', seatSample]]);
    const decide = (mode: (t: { name: string }) => 'copy' | 'synthesize' | undefined) => decideReferenceTables(schema, samples, { maxRows: 5000, privacy: false, mode });
    const seats = decide(() => undefined).find((d) => d.table.name === 'seats');
    expect(seats).toMatchObject({ copy: true });
    expect(seats!.reason).toContain('a list of seat_no per public.aircrafts_data row');
    expect(decide((t) => (t.name === 'aircrafts_data' ? 'synthesize' : undefined)).find((d) => d.table.name === 'seats')).toMatchObject({ copy: false });
  });
});

describe('samplesForFit', () => {
  it('lets a copied table with a point column be fitted, and still refuses it when the table is generated', async () => {
    const airports = table('airports_data', [col('airport_code', char3, { nullable: false }), col('coordinates', { kind: 'unsupported', reason: 'type point' }, { nativeType: 'point', nullable: false })], {
      primaryKey: pk('airport_code'),
    });
    const schema = schemaOf([airports]);
    const samples = new Map([['public.airports_data', sample('airports_data', ['airport_code', 'coordinates'], [['DME', '(37.906111,55.408611)'], ['LED', '(30.262503,59.800292)']])]]);
    const plan = buildPlan(schema);
    await expect(fitModels(schema, plan, samplesForFit(samples, schema, new Set()), [], { seed: 1 })).rejects.toMatchObject({ code: 'UNSUPPORTED_TYPE' });
    const forFit = samplesForFit(samples, schema, new Set(['public.airports_data']));
    expect(forFit.get('public.airports_data')!.rows).toEqual([['DME', null], ['LED', null]]);
    expect(samples.get('public.airports_data')!.rows[0]).toEqual(['DME', '(37.906111,55.408611)']);
    const models = await fitModels(schema, plan, forFit, [], { seed: 1 });
    expect(models.tables.has('public.airports_data')).toBe(true);
  });
});

describe('piiKindFromName', () => {
  it('reads a passenger’s, guest’s or patient’s name column as a person’s name (the demo’s tickets.passenger_name)', () => {
    // The demo's names are transliterated Russian in capitals ('ALEKSANDR IVANOV'): no dictionary knows them, so only
    // the column name can say they are people's.
    for (const c of ['passenger_name', 'guest_name', 'patientname', 'traveller_name']) expect(piiKindFromName(c), c).toBe('person-name');
    expect(piiKindFromName('airport_name')).toBeNull();
  });
});

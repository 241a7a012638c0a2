import { describe, expect, it } from 'vitest';
import { fakerDE, fakerEN, fakerIT } from '@faker-js/faker';
import { fakerFor } from '../../../src/generation/privacy/faker-locales.js';

describe('fakerFor', () => {
  it('gives the instances faker exports, so fakes and dictionaries do not change', () => {
    expect(fakerFor('en')).toBe(fakerEN);
    expect(fakerFor('de')).toBe(fakerDE);
    expect(fakerFor('it')).toBe(fakerIT);
    // A locale's own names over English's: the German first names hold German ones.
    expect(fakerFor('de').rawDefinitions.person?.first_name).toEqual(fakerDE.rawDefinitions.person?.first_name);
  });
});

/**
 * faker's locales, loaded the first time a PII transform or detector reads one: a run without personal columns, and
 * every load worker process that draws only a fact table, never pays for them. faker's index module evaluates all of
 * its ~70 locales (~0.4 CPU-s per process start); one locale's entry point loads that locale, English and the base
 * definitions alone (the six the detectors read: ~0.12 CPU-s). The instances are the ones the index exports
 * (`fakerDE` is `new Faker({ locale: [de, en, base] })` in both), so the fakes do not change.
 */
import { createRequire } from 'node:module';
import type { Faker } from '@faker-js/faker';

// The first six serve the name detectors and fakes; the others the countries location-fakes.ts maps to a locale.
const LOCALES = [
  'en', 'de', 'fr', 'es', 'it', 'nl',
  'en_US', 'en_CA', 'pt_BR', 'en_IN', 'en_GB', 'en_IE', 'en_AU', 'es_MX', 'fr_BE', 'de_CH', 'de_AT', 'sv', 'da', 'fi',
  'nb_NO', 'pt_PT', 'pl', 'cs_CZ', 'hu', 'ja',
] as const;
export type FakerLocale = (typeof LOCALES)[number];

const loaded = new Map<FakerLocale, Faker>();

// Node 20.19+ / 22.12+ load an ES module with require(), so a locale is loaded on first use from synchronous code;
// older versions cannot, and load them all when this module is imported (as the static imports did).
const requireModule = process.features.require_module ? createRequire(import.meta.url) : null;
if (!requireModule) {
  const all = LOCALES;
  const modules = await Promise.all(all.map((l) => import(`@faker-js/faker/locale/${l}`) as Promise<{ faker: Faker }>));
  all.forEach((l, i) => loaded.set(l, modules[i]!.faker));
}

/** faker for `locale` (its definitions over English's and the base's), loaded now if it is not yet. */
export function fakerFor(locale: FakerLocale): Faker {
  let f = loaded.get(locale);
  if (!f) {
    f = (requireModule!(`@faker-js/faker/locale/${locale}`) as { faker: Faker }).faker;
    loaded.set(locale, f);
  }
  return f;
}

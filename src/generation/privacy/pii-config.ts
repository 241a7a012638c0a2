/**
 * PII kinds and the per-column override fragment of the config (`tables.<t>.columns.<c>`), kept here so the
 * config module imports one definition.
 */
import { z } from 'zod';

export const PII_KINDS = [
  'person-name',
  'first-name',
  'last-name',
  'company-name',
  'product-name',
  'email',
  'phone',
  'street-address',
  'city',
  'postal-code',
  'national-id',
  'iban',
  'credit-card',
  'ip-address',
  'date-of-birth',
  'free-text',
] as const;

export type PiiKind = (typeof PII_KINDS)[number];

/**
 * Kinds that identify a person on their own (a city, a postcode or a birth date does not; free text is not a kind of
 * value; a product name is no one's). A company name counts: a one-person business carries its owner's name.
 */
export const IDENTIFYING_KINDS: ReadonlySet<PiiKind> = new Set<PiiKind>(
  PII_KINDS.filter((k) => k !== 'city' && k !== 'postal-code' && k !== 'date-of-birth' && k !== 'free-text' && k !== 'product-name'),
);

/** A transform is a PII kind (fake value of that kind) or one of the generic treatments. */
export const PII_TRANSFORMS = [...PII_KINDS, 'keep', 'redact', 'hash'] as const;

export type PiiTransform = (typeof PII_TRANSFORMS)[number];

export function isPiiKind(s: string): s is PiiKind {
  return (PII_KINDS as readonly string[]).includes(s);
}

export const piiColumnConfigSchema = z.strictObject({
  /**
   * How to treat the column: a PII kind replaces each value by a keyed fake of that kind; `keep` treats the
   * column as ordinary data (no PII handling); `redact` writes NULL (or a fixed token when NOT NULL);
   * `hash` writes a keyed hash (joins on it still work, values are unreadable).
   */
  transform: z
    .enum(PII_TRANSFORMS, { error: `must be one of ${PII_TRANSFORMS.join(', ')}` })
    .optional(),
  /** Declared public: its categories/bounds may be used verbatim without spending privacy budget. */
  public: z.boolean().optional(),
});

export type PiiColumnConfig = z.infer<typeof piiColumnConfigSchema>;

/** Column names as lower-case words joined by `_` (snake_case, camelCase and kebab alike), for the name checks of PII and credential detection. */
export function normalizeName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '');
}

/**
 * Business names that read as names: company names ("Kuhn, Ward and Lind", "Becker LLC") and product names
 * ("Rustic Granite Chair"), recognised by the column name (and the table's, for a bare `name`) and confirmed by the
 * values' shape, and drawn from faker's en dictionaries with whatever random source the caller gives (the keyed
 * HMAC stream of a PII transform, or the run's seeded generator through a fresh fake).
 *
 * A company name is treated as personal (docs/privacy.md): a one-person business is named after its owner, and a
 * customer's company name identifies the customer as well as a contact name does. A product name is not personal;
 * it is faked only because lorem text or random letters in a product column read as broken data.
 */
import type { Faker } from '@faker-js/faker';
import { fakerFor } from './faker-locales.js';

export type BusinessNameKind = 'company-name' | 'product-name';

/** A company by its column's name alone: `company_name`, `supplier_name`, `shipper_name`, `organization` … */
const COMPANY_COLUMN =
  /(^|_)(company|company_?name|companyname|firm_?name|business_?name|organi[sz]ation(_?name)?|org_?name|supplier_?name|vendor_?name|shipper_?name|carrier_?name|manufacturer_?name|employer(_?name)?|legal_?name|trading_?name)$/;
/** A product by its column's name alone: `product_name`, `item_name`, `article_name` … */
const PRODUCT_COLUMN = /(^|_)(product|product_?name|productname|item_?name|article_?name|goods_?name)$/;
/** A shipment's or invoice's recipient: a company or a person, the values decide which. */
const RECIPIENT_COLUMN = /(^|_)(ship_?(to_?)?name|bill_?(to_?)?name|deliver(y|_to)_?name|recipient_?name|consignee(_?name)?)$/;
/** Tables whose bare `name` (or `<prefix>_name`) names a company or a product. */
const COMPANY_TABLE = /(^|_)(compan(y|ies)|suppliers?|vendors?|shippers?|carriers?|manufacturers?|organi[sz]ations?|firms?|businesses|employers?|publishers?)$/;
const PRODUCT_TABLE = /(^|_)(products?|items?|articles?|goods|merchandise)$/;
const BARE_NAME = /^([a-z]{1,3}_)?name$/;

export interface BusinessNameRule {
  kind: BusinessNameKind;
  confidence: number;
  /** The values decide between this kind and a person's name (a recipient column). */
  recipient: boolean;
}

/** The business-name kind the column's name (and its table's) suggests; both arguments normalised (snake_case). */
export function businessNameRule(tableName: string, columnName: string): BusinessNameRule | null {
  if (COMPANY_COLUMN.test(columnName)) return { kind: 'company-name', confidence: 0.75, recipient: false };
  if (PRODUCT_COLUMN.test(columnName)) return { kind: 'product-name', confidence: 0.75, recipient: false };
  if (RECIPIENT_COLUMN.test(columnName)) return { kind: 'company-name', confidence: 0.7, recipient: true };
  if (BARE_NAME.test(columnName)) {
    // A person's name in such a table is caught by the value checks first (they outrank this).
    if (COMPANY_TABLE.test(tableName)) return { kind: 'company-name', confidence: 0.65, recipient: false };
    if (PRODUCT_TABLE.test(tableName)) return { kind: 'product-name', confidence: 0.65, recipient: false };
  }
  return null;
}

const LEGAL_FORM = /(^|[\s,])(inc|ltd|llc|gmbh|ag|kg|mbh|plc|corp|corporation|co|company|s\.?a|s\.?a\.?s|sarl|s\.?r\.?l|s\.?p\.?a|b\.?v|n\.?v|ab|oy|as|a\/s|pty|ltda|group|& sons|and sons)\.?$/i;

/** A company's legal form at the end ("Pavlova, Ltd.", "PB Knäckebröd AB", "Heli Süßwaren GmbH & Co. KG"). */
export function hasLegalForm(v: string): boolean {
  return LEGAL_FORM.test(v.trim());
}

/**
 * Whether sampled values can be business names: words, not codes. TPC-H's `Supplier#000000001` or SKU-like
 * `A-1042` are identifiers that happen to sit in a name column, and a fake name would change what they are.
 */
export function readsAsNames(values: readonly string[]): boolean {
  if (values.length === 0) return true;
  const words = values.filter((v) => /\p{L}{2,}/u.test(v) && !/\d{3,}|#\d/.test(v)).length;
  return words >= 0.8 * values.length;
}

interface NameDictionaries {
  last: string[];
  legal: string[];
  adjective: string[];
  material: string[];
  product: string[];
}

let dictionaries: NameDictionaries | null = null;

function strings(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((v): v is string => typeof v === 'string' && /^[\p{L}' -]+$/u.test(v)) : [];
}

/** faker's en lists, read once per process (a per-value faker call re-parses its patterns and is ~10x slower). */
function dicts(): NameDictionaries {
  if (dictionaries) return dictionaries;
  const d: Faker['rawDefinitions'] = fakerFor('en').rawDefinitions;
  const lastGroups: unknown = d.person?.last_name;
  const last = [...new Set(lastGroups !== null && typeof lastGroups === 'object' ? Object.values(lastGroups).flatMap(strings) : [])];
  const product = d.commerce?.product_name;
  dictionaries = {
    last: last.length > 0 ? last : ['Smith'],
    legal: strings(d.company?.legal_entity_type).length > 0 ? strings(d.company?.legal_entity_type) : ['Inc', 'LLC', 'Group', 'and Sons'],
    adjective: strings(product?.adjective),
    material: strings(product?.material),
    product: strings(product?.product),
  };
  return dictionaries;
}

/** Picks one element of a list (the caller's random source). */
export type Pick = <T>(list: readonly T[]) => T;

/**
 * A company name in faker's three shapes ("Last LegalForm", "Last - Last", "Last, Last and Last"), the shortest
 * one when `maxLength` leaves no room for the others, so a varchar(40) holds a whole name rather than a cut one.
 */
export function fakeCompanyName(pick: Pick, maxLength: number | null): string {
  const d = dicts();
  const shape = pick([0, 0, 1, 2]);
  const a = pick(d.last);
  const b = pick(d.last);
  const c = pick(d.last);
  const legal = pick(d.legal);
  const full = shape === 0 ? `${a} ${legal}` : shape === 1 ? `${a} - ${b}` : `${a}, ${b} and ${c}`;
  if (maxLength === null || full.length <= maxLength) return full;
  const short = `${a} ${legal}`;
  return short.length <= maxLength ? short : a;
}

/** A product name "Adjective Material Product" ("Rustic Granite Chair"), shortened to fit `maxLength` by whole words. */
export function fakeProductName(pick: Pick, maxLength: number | null): string {
  const d = dicts();
  const words = [pick(d.adjective), pick(d.material), pick(d.product)];
  let name = words.join(' ');
  if (maxLength !== null && name.length > maxLength) name = words.slice(1).join(' ');
  if (maxLength !== null && name.length > maxLength) name = words[2]!;
  return name;
}

/** Chinook's customer table: 59 rows, 24 countries, 15 of them seen once (the shape that made countries text). */
export const CHINOOK_COUNTRIES: Array<[string, number]> = [
  ['USA', 13], ['Canada', 8], ['Brazil', 5], ['France', 5], ['Germany', 4], ['United Kingdom', 3], ['Czech Republic', 2], ['Portugal', 2], ['India', 2],
  ...['Argentina', 'Australia', 'Austria', 'Belgium', 'Chile', 'Denmark', 'Finland', 'Hungary', 'Ireland', 'Italy', 'Netherlands', 'Norway', 'Poland', 'Spain', 'Sweden'].map(
    (c): [string, number] => [c, 1],
  ),
];

/** Identifier and literal quoting for MySQL/MariaDB. Every name that reaches SQL goes through `qi`. */

/** Backtick-quotes one identifier; backticks inside are doubled, so hostile names stay one identifier. */
export function qi(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}

/** `db`.`table` */
export function qt(database: string, table: string): string {
  return `${qi(database)}.${qi(table)}`;
}

/**
 * A string literal safe under the default sql_mode and under NO_BACKSLASH_ESCAPES alike: backslashes
 * are avoided by building the string with CONCAT/CHAR only when one is present.
 */
export function ql(value: string): string {
  if (!/[\\\0]/.test(value)) return `'${value.replace(/'/g, "''")}'`;
  // Hex literal with an explicit charset sidesteps both escaping modes.
  return `_utf8mb4 X'${Buffer.from(value, 'utf8').toString('hex')}'`;
}

/** Column list `a`, `b`. */
export function qcols(columns: string[]): string {
  return columns.map(qi).join(', ');
}

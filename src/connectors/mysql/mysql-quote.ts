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
 * A string literal. Sessions run without NO_BACKSLASH_ESCAPES (mysql-session.ts removes it), so backslash
 * escaping is always in force; that also works where hex literals are refused (ENUM/SET member lists).
 */
export function ql(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/\0/g, '\\0').replace(/'/g, "''")}'`;
}

/** Column list `a`, `b`. */
export function qcols(columns: string[]): string {
  return columns.map(qi).join(', ');
}

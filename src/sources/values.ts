/** @module Single-value rules of a people source: email syntax and comparison, aliases lists, ISO dates. */

/**
 * The comparison form of an address: trimmed, Unicode NFC, lower case. The given spelling is what Roster
 * stores and shows; this form is only for telling whether two addresses are the same.
 */
export function emailKey(address: string): string {
  return address.trim().normalize('NFC').toLowerCase();
}

// One @, no spaces or characters that only appear in display-name syntax, a dotted domain; Unicode letters
// are allowed on both sides (internationalized addresses exist in HR systems).
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"_]+\.[^\s@<>()[\]\\,;:"_.]{2,}$/u;

export function isEmail(address: string): boolean {
  if (!EMAIL.test(address)) return false;
  const [local = '', domain = ''] = address.split('@');
  return !(
    local.startsWith('.') ||
    local.endsWith('.') ||
    local.includes('..') ||
    domain.startsWith('.') ||
    domain.startsWith('-') ||
    domain.includes('..')
  );
}

/** Aliases as a cell holds them: a JSON list, or text separated by `;` or `,`; blanks dropped. */
export function splitAliases(cell: string | readonly string[]): string[] {
  const parts = typeof cell === 'string' ? cell.split(/[;,]/) : cell;
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO date (`2024-03-01`) or datetime (`2024-03-01T09:00:00Z`) as a calendar date `YYYY-MM-DD`, or null if
 * the text is neither or names a day that does not exist. A datetime keeps the date as written, in the
 * export's own time zone: HR means the day, not an instant.
 */
export function isoDate(text: string): string | null {
  const date = DATE_TIME.exec(text)?.[1] ?? text;
  const match = DATE.exec(date);
  if (!match) return null;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  const real =
    parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
  return real ? date : null;
}

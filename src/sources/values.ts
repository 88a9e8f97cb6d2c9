/** @module Single-value rules of a people source: email syntax and its one stored form, aliases lists. */

/**
 * The one form Roster stores and compares an address in: trimmed, Unicode NFC, lower case. An export that
 * writes `P2@ACME.com` means the same mailbox as `p2@acme.com`, and every app matches it that way.
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

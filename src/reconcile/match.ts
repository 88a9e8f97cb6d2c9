/** @module Reading a person's fields by policy name: rule conditions (equality, lists, globs) and attribute templates. */

import type { Person } from '../core/types.js';

/** Person fields under the HR column names policies use; camelCase names are accepted too. */
const FIELDS: Record<string, (p: Person) => string | null> = {
  employee_id: (p) => p.employeeId,
  email: (p) => p.email,
  first_name: (p) => p.firstName,
  last_name: (p) => p.lastName,
  status: (p) => p.status,
  department: (p) => p.department,
  title: (p) => p.title,
  manager_email: (p) => p.managerEmail,
  start_date: (p) => p.startDate,
  end_date: (p) => p.endDate,
};

const camelToSnake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The field names every person has, whatever the HR file: Person fields and the two email parts. */
export const PERSON_FIELDS: readonly string[] = [...Object.keys(FIELDS), 'email.local', 'email.domain'];

/** Whether a field name reads something: a Person field (either spelling) or a column at least one person has. */
export function isKnownField(name: string, attributeNames: ReadonlySet<string>): boolean {
  return PERSON_FIELDS.includes(name) || FIELDS[camelToSnake(name)] !== undefined || attributeNames.has(name);
}

/** A person's value for a field name: a Person field, `email.local`/`email.domain`, or any other HR column. */
export function fieldOf(person: Person, name: string): string | null {
  if (name === 'email.local') return person.email.split('@')[0] ?? null;
  if (name === 'email.domain') return person.email.split('@')[1] ?? null;
  const read = FIELDS[name] ?? FIELDS[camelToSnake(name)];
  if (read) return read(person);
  return person.attributes[name] ?? null;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Equality is case-insensitive and ignores surrounding spaces: HR exports are not consistent about either. */
export function valueMatches(actual: string | null, expected: string): boolean {
  if (actual === null) return false;
  const a = actual.trim();
  if (/[*?]/.test(expected)) return globToRegExp(expected.trim()).test(a);
  return a.toLowerCase() === expected.trim().toLowerCase();
}

/** Every condition must hold; a list holds when any of its values does. */
export function matchesWhen(person: Person, when: Readonly<Record<string, string | string[]>>): boolean {
  return Object.entries(when).every(([field, expected]) => {
    const actual = fieldOf(person, field);
    return (Array.isArray(expected) ? expected : [expected]).some((v) => valueMatches(actual, v));
  });
}

/**
 * Fills `{field}` placeholders from the person. A placeholder whose field is empty or unknown makes the
 * whole value null (left out), so a half-filled template never reaches an app.
 */
export function renderTemplate(template: string, person: Person): string | null {
  let missing = false;
  const out = template.replace(/\{([^{}]+)\}/g, (_, name: string) => {
    const value = fieldOf(person, name.trim());
    if (value === null || value === '') {
      missing = true;
      return '';
    }
    return value;
  });
  return missing ? null : out;
}

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

type Reader = (person: Person) => string | null;

/**
 * Readers by field name, resolved once: desired state reads a few names for every person and app, and resolving a
 * name (spelling, email parts) each time was a good part of it.
 */
const readers = new Map<string, Reader>();

function readerOf(name: string): Reader {
  let read = readers.get(name);
  if (read === undefined) {
    if (name === 'email.local') read = (p) => p.email.split('@')[0] ?? null;
    else if (name === 'email.domain') read = (p) => p.email.split('@')[1] ?? null;
    else read = FIELDS[name] ?? FIELDS[camelToSnake(name)] ?? ((p) => p.attributes[name] ?? null);
    readers.set(name, read);
  }
  return read;
}

/** A person's value for a field name: a Person field, `email.local`/`email.domain`, or any other HR column. */
export function fieldOf(person: Person, name: string): string | null {
  return readerOf(name)(person);
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

type ValueTest = (actual: string) => boolean;

/** An expected value as a test of the (trimmed) actual one: a glob, or case-insensitive equality. */
function valueTest(expected: string): ValueTest {
  if (/[*?]/.test(expected)) {
    const glob = globToRegExp(expected.trim());
    return (a) => glob.test(a);
  }
  const want = expected.trim().toLowerCase();
  return (a) => a.toLowerCase() === want;
}

/** Equality is case-insensitive and ignores surrounding spaces: HR exports are not consistent about either. */
export function valueMatches(actual: string | null, expected: string): boolean {
  if (actual === null) return false;
  return valueTest(expected)(actual.trim());
}

type When = Readonly<Record<string, string | string[]>>;
/** Each rule's conditions compiled once (a policy object lives as long as the plan that reads it). */
const compiledWhens = new WeakMap<When, { read: Reader; tests: ValueTest[] }[]>();

function compileWhen(when: When): { read: Reader; tests: ValueTest[] }[] {
  let conditions = compiledWhens.get(when);
  if (conditions === undefined) {
    conditions = Object.entries(when).map(([field, expected]) => ({
      read: readerOf(field),
      tests: (Array.isArray(expected) ? expected : [expected]).map(valueTest),
    }));
    compiledWhens.set(when, conditions);
  }
  return conditions;
}

/** Every condition must hold; a list holds when any of its values does. */
export function matchesWhen(person: Person, when: When): boolean {
  for (const { read, tests } of compileWhen(when)) {
    const actual = read(person);
    if (actual === null) return false;
    const a = actual.trim();
    if (!tests.some((test) => test(a))) return false;
  }
  return true;
}

/** A template as its literal text and the readers of its placeholders, in order. */
interface Template {
  literals: string[];
  fields: Reader[];
}

const templates = new Map<string, Template>();

function compileTemplate(template: string): Template {
  let compiled = templates.get(template);
  if (compiled === undefined) {
    const literals: string[] = [];
    const fields: Reader[] = [];
    let at = 0;
    for (const match of template.matchAll(/\{([^{}]+)\}/g)) {
      literals.push(template.slice(at, match.index));
      fields.push(readerOf((match[1] as string).trim()));
      at = match.index + match[0].length;
    }
    literals.push(template.slice(at));
    compiled = { literals, fields };
    // Templates come from roster.yaml and the connectors' maps: few, but bounded all the same.
    if (templates.size >= 10_000) templates.clear();
    templates.set(template, compiled);
  }
  return compiled;
}

/**
 * Fills `{field}` placeholders from the person. A placeholder whose field is empty or unknown makes the
 * whole value null (left out), so a half-filled template never reaches an app.
 */
export function renderTemplate(template: string, person: Person): string | null {
  const { literals, fields } = compileTemplate(template);
  let out = literals[0] as string;
  for (let i = 0; i < fields.length; i++) {
    const value = (fields[i] as Reader)(person);
    if (value === null || value === '') return null;
    out += value + (literals[i + 1] as string);
  }
  return out;
}

/** @module Turns a people export (CSV or JSON text) into validated Person records, or one clear refusal. */

import { RosterError } from '../core/errors.js';
import type { Person, PersonStatus } from '../core/types.js';
import { detectDelimiter, readCsv } from './csv.js';
import { DATE_FORMATS, type DateFormat, DEFAULT_DATE_FORMAT, formatsThatFit, parseDate } from './dates.js';
import { readJson } from './json.js';
import { type ColumnPlan, planColumns, statusTable } from './mapping.js';
import type {
  Cell,
  ParsePeopleOptions,
  ParsePeopleResult,
  PersonField,
  RawRow,
  RawTable,
  RowError,
} from './types.js';
import { emailKey, isEmail, splitAliases } from './values.js';

/** How many errors a refusal lists before it says "and N more". */
const LISTED_ERRORS = 50;

interface Candidate {
  row: RawRow;
  person: Person;
  errors: RowError[];
}

/** What a refused import says to do about bad rows: the one switch that can help with them. */
const SKIP_FIX =
  'correct these rows in the export, or run the import with --skip-invalid to import the valid rows and skip these';

/**
 * Parse and validate a people export. By default any error refuses the whole file with one RosterError
 * listing every error by line (the same problem on many rows once, with its count); with `skipInvalid` the
 * valid people come back beside the errors. Problems with the file as a whole (empty, no rows, a missing
 * column) always refuse. Text is read in Unicode NFC and addresses in lower case, so that a decomposed
 * "José" and `P2@ACME.com` are stored as everything else compares them.
 */
export function parsePeople(options: ParsePeopleOptions): ParsePeopleResult {
  const { text, format, file } = options;
  if (format !== 'csv' && format !== 'json') {
    throw new RosterError('invalid_input', `"${String(format)}" is not a people source format`, {
      where: file,
      fix: 'set source.format to csv or json',
    });
  }
  const statuses = statusTable(options.statusValues);
  if (text.length === 0) {
    throw emptyFile(file, `${file} is empty (0 bytes) — is this the right export?`);
  }
  if (text.replace(/^\uFEFF/, '').trim() === '') {
    throw emptyFile(
      file,
      `${file} has no header and no people, only blank lines — is this the right export?`,
    );
  }
  const table: RawTable = format === 'csv' ? readCsv(text, file, options.delimiter) : readJson(text, file);
  if (table.rows.length === 0) {
    throw emptyFile(
      file,
      format === 'csv'
        ? `${file} has a header but no people — is this the right export?`
        : `${file} has no people (the array is empty) — is this the right export?`,
    );
  }

  const columns = planColumns(table, file, options.columns);
  if (columns.errors.length > 0) {
    // Skipping rows cannot mend a header, so the fix names only what can: the mapping or the separator.
    const fixes = columns.errors.map((e) => e.fix).filter((fix) => fix !== undefined);
    const separator = delimiterHint(text, table);
    throw new RosterError('invalid_input', refusal(file, 'cannot be read', columns.errors), {
      where: `${file}:${table.headerLine}`,
      fix: [...new Set(separator === undefined ? fixes : [separator, ...fixes])].join('; '),
      details: { file, scope: 'header', errors: columns.errors, header: table.header },
    });
  }

  const warnings: RowError[] = [...columns.warnings];
  if (table.delimiter?.detected && table.delimiter.char !== ',') {
    const shown = showDelimiter(table.delimiter.char);
    warnings.push({
      file,
      line: table.headerLine,
      message: `read as separated by ${shown}: the header has no comma`,
      fix: `set source.delimiter: ${JSON.stringify(table.delimiter.char)} in roster.yaml to say so`,
    });
  }
  const dateFormat = options.dateFormat ?? DEFAULT_DATE_FORMAT;
  const candidates = table.rows.map((row) =>
    readRow(row, file, columns.plan, statuses, warnings, dateFormat),
  );
  checkAcrossRows(candidates, file, columns.plan);

  const errors = candidates.flatMap((c) => c.errors).sort((a, b) => a.line - b.line);
  warnings.sort((a, b) => a.line - b.line);
  const dateFix = adviseDateFormat(errors, dateFormat);
  const invalidRows = candidates.filter((c) => c.errors.length > 0).length;
  // Skipping every row would import nobody, which is never what an HR export means: refuse it as well.
  const nobody = invalidRows === table.rows.length;
  if (errors.length > 0 && (!options.skipInvalid || nobody)) {
    // Dates in another order are one setting away; only the rest needs the rows mended or skipped.
    const rest = errors.some((e) => e.kind !== 'date' || dateFix.guessed === 0);
    const mend = options.skipInvalid
      ? 'correct these rows in the export: skipping them all leaves nobody'
      : SKIP_FIX;
    throw new RosterError(
      'invalid_input',
      refusal(
        file,
        `has ${plural(errors.length, 'error')} in ${invalidRows} of ${plural(table.rows.length, 'row')}; nothing was imported`,
        errors,
      ),
      {
        where: file,
        fix: [dateFix.fix, rest ? mend : undefined].filter((f) => f !== undefined).join('; '),
        details: { file, scope: 'rows', errors, warnings, rows: table.rows.length },
      },
    );
  }
  return {
    people: candidates.filter((c) => c.errors.length === 0).map((c) => c.person),
    errors,
    warnings,
    rows: table.rows.length,
    attributeColumns: columns.plan.attributes.map((a) => a.name),
  };
}

/**
 * The dateFormat advice for the date errors (also set as each one's fix): the formats every bad date reads
 * in, so `"09/04/2024" is not a date` ×338 becomes one line and one setting.
 */
function adviseDateFormat(errors: RowError[], current: DateFormat): { fix?: string; guessed: number } {
  const dates = errors.filter((e) => e.kind === 'date');
  if (dates.length === 0) return { guessed: 0 };
  const fits = formatsThatFit(
    dates.map((e) => e.value ?? ''),
    current,
  );
  const fix =
    fits.length === 1
      ? `set source.dateFormat: ${fits[0]} in roster.yaml (every date in question reads that way)`
      : fits.length > 1
        ? `set source.dateFormat in roster.yaml to the order your HR system writes: every date in question reads as ${fits.join(' or as ')}`
        : `write dates as ${current}, or set source.dateFormat in roster.yaml to the export's order (${DATE_FORMATS_TEXT})`;
  for (const error of dates) error.fix = fix;
  return { fix, guessed: fits.length };
}

const DATE_FORMATS_TEXT = DATE_FORMATS.join(', ');

/** When the header splits into other columns by another separator than the one used: the setting to change. */
function delimiterHint(text: string, table: RawTable): string | undefined {
  const used = table.delimiter?.char;
  if (used === undefined) return undefined;
  const likely = detectDelimiter(text);
  if (likely === used || !table.header.some((cell) => cell.includes(likely))) return undefined;
  return `the header looks separated by ${showDelimiter(likely)}, not ${showDelimiter(used)}: set source.delimiter: ${JSON.stringify(likely)} in roster.yaml`;
}

function showDelimiter(char: string): string {
  return char === '\t' ? 'tabs' : char === ';' ? 'semicolons' : char === ',' ? 'commas' : `"${char}"`;
}

/** `hr.csv:14 email: "bob@" is not an email address` — the form every listed error takes. */
export function formatRowError(error: RowError): string {
  const path = error.path ? ` (${error.path})` : '';
  const field = error.field ? `${error.field}: ` : '';
  return `${error.file}:${error.line}${path} ${field}${error.message}`;
}

/**
 * One line per problem, in the order of their first line: a problem of one kind on many rows of one field
 * (a date format, an empty name) is said once, with how many more rows have it and their first lines.
 */
export function summarizeRowErrors(errors: readonly RowError[], limit = LISTED_ERRORS): string[] {
  const entries: RowError[][] = [];
  const groups = new Map<string, RowError[]>();
  for (const error of errors) {
    if (error.kind === undefined) {
      entries.push([error]);
      continue;
    }
    // An unknown status is one problem per word ("Fired", "Retired"); dates and empty cells are one per field.
    const word = error.kind === 'status' ? (error.value ?? '') : '';
    const key = `${error.file}\0${error.kind}\0${error.field ?? ''}\0${word}`;
    const group = groups.get(key);
    if (group) group.push(error);
    else {
      const fresh = [error];
      groups.set(key, fresh);
      entries.push(fresh);
    }
  }
  const lines = entries.map(([first, ...more]) => {
    const line = formatRowError(first!);
    if (more.length === 0) return line;
    const shown = more.slice(0, 5).map((e) => e.line);
    const rest = more.length > shown.length ? ` and ${more.length - shown.length} more` : '';
    const lines = shown.length === 1 && rest === '' ? 'line' : 'lines';
    return `${line} (and ${plural(more.length, 'more row')} like it: ${lines} ${shown.join(', ')}${rest})`;
  });
  if (lines.length <= limit) return lines;
  return [...lines.slice(0, limit), `and ${lines.length - limit} more`];
}

function refusal(file: string, summary: string, errors: RowError[]): string {
  const listed = summarizeRowErrors(errors).map((line) => `  ${line}`);
  return `${file} ${summary}:\n${listed.join('\n')}`;
}

function emptyFile(file: string, message: string): RosterError {
  return new RosterError('invalid_input', message, {
    where: file,
    fix: 'check the path in source.path and export the people again, header row first',
    details: { file },
  });
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function readRow(
  row: RawRow,
  file: string,
  plan: ColumnPlan,
  statuses: Map<string, PersonStatus>,
  warnings: RowError[],
  dateFormat: DateFormat,
): Candidate {
  const errors: RowError[] = [];
  const place = { file, line: row.line, ...(row.path === undefined ? {} : { path: row.path }) };
  const fail = (
    field: PersonField | undefined,
    message: string,
    fix?: string,
    more: Partial<RowError> = {},
  ) =>
    errors.push({
      ...place,
      ...(field === undefined ? {} : { field: plan.name[field] }),
      message,
      ...(fix === undefined ? {} : { fix }),
      ...more,
    });
  const warn = (field: PersonField, message: string, fix?: string, more: Partial<RowError> = {}) =>
    warnings.push({
      ...place,
      field: plan.name[field],
      message,
      ...(fix === undefined ? {} : { fix }),
      ...more,
    });
  const raw = (field: PersonField): Cell => {
    const at = plan.index[field];
    return at === undefined ? '' : (row.cells[at] ?? '');
  };
  const text = (field: PersonField): string => {
    const cell = raw(field);
    if (typeof cell === 'string') return cell.trim().normalize('NFC');
    fail(field, 'is a list, but one value is expected');
    return '';
  };

  const employeeId = text('employeeId');
  if (employeeId === '')
    fail('employeeId', 'is empty', 'every person needs the employee id HR knows them by');

  const givenEmail = text('email');
  const email = emailKey(givenEmail);
  if (email === '') fail('email', 'is empty', 'every person needs a work email address');
  else if (!isEmail(email)) fail('email', `"${givenEmail}" is not an email address`);

  const firstName = text('firstName');
  const lastName = text('lastName');
  for (const [field, value] of [
    ['firstName', firstName],
    ['lastName', lastName],
  ] as const) {
    if (value === '' && plan.index[field] !== undefined) {
      warn(field, 'is empty', 'names are how apps show the person: fill it in the export', {
        kind: 'empty',
      });
    }
  }

  const statusText = text('status');
  const status = statuses.get(statusText.toLowerCase());
  const known = [...statuses.keys()].join(', ');
  if (statusText === '') fail('status', `is empty (known values: ${known})`);
  else if (status === undefined) {
    fail(
      'status',
      `"${statusText}" is not a known status (known values: ${known})`,
      `add it to source.statusValues, e.g. "${statusText}": leaver`,
      { kind: 'status', value: statusText },
    );
  }

  const givenManager = text('managerEmail');
  const managerEmail = emailKey(givenManager);
  if (managerEmail !== '' && !isEmail(managerEmail)) {
    fail('managerEmail', `"${givenManager}" is not an email address`);
  }

  const date = (field: 'startDate' | 'endDate'): string | null => {
    const value = text(field);
    if (value === '') return null;
    const parsed = parseDate(value, dateFormat);
    // The fix (which dateFormat would read them) is worked out once all the rows are read.
    if (parsed === null)
      fail(field, `"${value}" is not a date in the format ${dateFormat}`, undefined, {
        kind: 'date',
        value,
      });
    return parsed;
  };
  const startDate = date('startDate');
  const endDate = date('endDate');
  if (startDate !== null && endDate !== null && endDate < startDate) {
    fail('endDate', `"${endDate}" is before ${plan.name.startDate} "${startDate}"`);
  }

  const aliases: string[] = [];
  const aliasCell = raw('aliases');
  for (const given of splitAliases(aliasCell)) {
    const alias = emailKey(given);
    if (!isEmail(alias)) fail('aliases', `"${given}" is not an email address`);
    else if (emailKey(alias) === emailKey(email)) {
      warn('aliases', `"${alias}" is the person's own email: it is not kept as an alias`);
    } else if (!aliases.some((a) => emailKey(a) === emailKey(alias))) aliases.push(alias);
  }

  const attributes: Record<string, string> = {};
  for (const { index, name } of plan.attributes) {
    const cell = row.cells[index];
    if (cell === undefined) continue;
    attributes[name] = (typeof cell === 'string' ? cell.trim() : JSON.stringify(cell)).normalize('NFC');
  }

  const person: Person = {
    employeeId,
    email,
    aliases,
    firstName,
    lastName,
    status: status ?? 'active',
    department: text('department') || null,
    title: text('title') || null,
    managerEmail: managerEmail || null,
    startDate,
    endDate,
    attributes,
  };
  // A misshapen row's fields are not where the header says: its one error is its shape.
  if (row.problem !== undefined) errors.splice(0, errors.length, { ...place, message: row.problem });
  if (employeeId !== '') for (const error of errors) error.employeeId = employeeId;
  return { row, person, errors };
}

/** Duplicate employee ids, one address claimed by two people (emails and aliases alike), unknown managers. */
function checkAcrossRows(candidates: Candidate[], file: string, plan: ColumnPlan): void {
  const ids = new Map<string, number>();
  const addresses = new Map<string, { line: number; kind: 'email' | 'alias' }>();
  const fail = (c: Candidate, field: PersonField, message: string, fix: string) =>
    c.errors.push({
      file,
      line: c.row.line,
      ...(c.row.path === undefined ? {} : { path: c.row.path }),
      field: plan.name[field],
      message,
      fix,
      ...(c.person.employeeId === '' ? {} : { employeeId: c.person.employeeId }),
    });

  for (const c of candidates) {
    const { employeeId, email, aliases } = c.person;
    const sameId = ids.get(employeeId);
    if (employeeId !== '' && sameId !== undefined) {
      fail(
        c,
        'employeeId',
        `"${employeeId}" is also the employee id on line ${sameId}`,
        'one row per person',
      );
    } else if (employeeId !== '') ids.set(employeeId, c.row.line);

    const claims: [PersonField, string, 'email' | 'alias'][] = [];
    if (isEmail(email)) claims.push(['email', email, 'email']);
    for (const alias of aliases) claims.push(['aliases', alias, 'alias']);
    for (const [field, address, kind] of claims) {
      const key = emailKey(address);
      const owner = addresses.get(key);
      if (owner === undefined) {
        addresses.set(key, { line: c.row.line, kind });
        continue;
      }
      const theirs = owner.kind === 'email' ? 'the email' : 'an alias';
      fail(
        c,
        field,
        `"${address}" is also ${theirs} of the person on line ${owner.line}`,
        'an address belongs to one person: remove it from one of the two rows',
      );
    }
  }

  for (const c of candidates) {
    const manager = c.person.managerEmail;
    if (manager === null || !isEmail(manager) || addresses.has(emailKey(manager))) continue;
    fail(
      c,
      'managerEmail',
      `"${manager}" is not the email of anyone in the file`,
      'add the manager to the export, or leave the manager email empty',
    );
  }
}

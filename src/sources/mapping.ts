/** @module Which file column feeds which Person field, and which status words mean which Roster status. */

import { RosterError } from '../core/errors.js';
import type { PersonStatus } from '../core/types.js';
import type { PersonField, RawTable, RowError } from './types.js';

/** The column each Person field is read from unless `columns` says otherwise. */
export const DEFAULT_COLUMNS: Readonly<Record<PersonField, string>> = {
  employeeId: 'employee_id',
  email: 'email',
  firstName: 'first_name',
  lastName: 'last_name',
  status: 'status',
  department: 'department',
  title: 'title',
  managerEmail: 'manager_email',
  startDate: 'start_date',
  endDate: 'end_date',
  aliases: 'aliases',
};

export const PERSON_FIELDS = Object.keys(DEFAULT_COLUMNS) as PersonField[];

/**
 * Fields whose column must be in the file even under its default name. Status is one of them: without it
 * every leaver would read as active and keep their access.
 */
const REQUIRED_COLUMNS: ReadonlySet<PersonField> = new Set(['employeeId', 'email', 'status']);

/** The status words an HR export uses, lower case, and what each means to Roster. */
export const DEFAULT_STATUS_VALUES: Readonly<Record<string, PersonStatus>> = {
  active: 'active',
  employed: 'active',
  current: 'active',
  terminated: 'leaver',
  leaver: 'leaver',
  inactive: 'leaver',
  former: 'leaver',
  leave: 'on_leave',
  on_leave: 'on_leave',
  pending: 'pending',
  preboarding: 'pending',
  hired: 'pending',
};

const PERSON_STATUSES: ReadonlySet<string> = new Set<PersonStatus>([
  'active',
  'leaver',
  'on_leave',
  'pending',
]);

/** Status words (and other keys) compare trimmed, case-insensitively and in Unicode NFC. */
export function headerKey(name: string): string {
  return name.normalize('NFC').trim().toLowerCase();
}

/**
 * Column names compare as headerKey does, and also ignoring spaces, `_`, `-` and `.`: HR systems write
 * `Employee ID`, `employee_id` and `E-mail` for the same thing, and none of them means anything else.
 */
export function columnKey(name: string): string {
  return headerKey(name).replace(/[\s_.-]+/g, '');
}

/** The status table: defaults, then the user's values on top; keys compare trimmed and case-insensitively. */
export function statusTable(overrides: Record<string, string> | undefined): Map<string, PersonStatus> {
  const table = new Map<string, PersonStatus>(Object.entries(DEFAULT_STATUS_VALUES));
  for (const [value, status] of Object.entries(overrides ?? {})) {
    if (!PERSON_STATUSES.has(status)) {
      throw new RosterError(
        'invalid_input',
        `source.statusValues.${value} is "${status}", which is not a Roster status`,
        {
          where: `source.statusValues.${value}`,
          fix: `use one of ${[...PERSON_STATUSES].join(', ')}`,
          details: { value, status },
        },
      );
    }
    table.set(headerKey(value), status as PersonStatus);
  }
  return table;
}

/** Where each field's column sits in the header (absent: the file has no such column). */
export interface ColumnPlan {
  index: Partial<Record<PersonField, number>>;
  /** Column name per field, as the file spells it when present, else as configured. */
  name: Record<PersonField, string>;
  /** Header positions that feed no field: they go to `attributes`, keyed by their header name. */
  attributes: { index: number; name: string }[];
}

/**
 * roster.yaml names fields the way the default columns are spelled (`employee_id`); the code names them as
 * Person does (`employeeId`). Both spellings are accepted.
 */
function fieldKeyed(
  columns: Record<string, string | undefined> | undefined,
): Record<string, string | undefined> | undefined {
  if (!columns) return columns;
  const bySnake = new Map(PERSON_FIELDS.map((field) => [DEFAULT_COLUMNS[field], field] as const));
  return Object.fromEntries(Object.entries(columns).map(([key, value]) => [bySnake.get(key) ?? key, value]));
}

/**
 * Match the configured columns to the header. A required column, or one the user mapped by name, that the
 * header lacks is an error naming it, the header found and the setting that fixes it.
 */
export function planColumns(
  table: RawTable,
  file: string,
  columns: Record<string, string | undefined> | undefined,
): { plan: ColumnPlan; errors: RowError[]; warnings: RowError[] } {
  columns = fieldKeyed(columns);
  for (const field of Object.keys(columns ?? {})) {
    if (!(PERSON_FIELDS as string[]).includes(field)) {
      throw new RosterError('invalid_input', `source.columns.${field} is not a field Roster reads`, {
        where: `source.columns.${field}`,
        fix: `map one of ${PERSON_FIELDS.join(', ')}; every other column is kept as an attribute anyway`,
        details: { field },
      });
    }
  }
  const errors: RowError[] = [];
  const warnings: RowError[] = [];
  const line = table.headerLine;
  // The same name (case and NFC aside) wins over a loose match, so a file with both `Email` and `E-mail`
  // reads `Email` and keeps `E-mail` as an attribute, as it did before loose matching.
  const exact = new Map<string, number[]>();
  const loose = new Map<string, number[]>();
  table.header.forEach((name, index) => {
    for (const [positions, key] of [
      [exact, headerKey(name)],
      [loose, columnKey(name)],
    ] as const) {
      positions.set(key, [...(positions.get(key) ?? []), index]);
    }
  });
  const found = table.header.map((name) => name.trim()).join(', ');

  const index: Partial<Record<PersonField, number>> = {};
  const name = { ...DEFAULT_COLUMNS };
  const used = new Set<number>();
  for (const field of PERSON_FIELDS) {
    const configured = columns?.[field];
    const column = configured ?? DEFAULT_COLUMNS[field];
    const at = exact.get(headerKey(column)) ?? loose.get(columnKey(column));
    name[field] = column;
    if (at === undefined) {
      if (configured !== undefined || REQUIRED_COLUMNS.has(field)) {
        errors.push({
          file,
          line,
          field: column,
          message: `the file has no column "${column}" (header: ${found || 'empty'})`,
          fix: `set source.columns.${field} to the column that holds the ${describe(field)}`,
        });
      } else if (field === 'firstName' || field === 'lastName') {
        warnings.push({
          file,
          line,
          field: column,
          message: `the file has no column "${column}": people will have no ${describe(field)}`,
          fix: `set source.columns.${field} if another column holds it`,
        });
      }
      continue;
    }
    if (at.length > 1) {
      errors.push({
        file,
        line,
        field: column,
        message: `the header has "${column}" ${at.length} times (columns ${at.map((i) => i + 1).join(', ')})`,
        fix: 'rename or remove the extra columns in the export',
      });
      continue;
    }
    index[field] = at[0]!;
    name[field] = table.header[at[0]!]!.trim();
    used.add(at[0]!);
  }

  const attributes: { index: number; name: string }[] = [];
  const attributeNames = new Set<string>();
  table.header.forEach((raw, i) => {
    if (used.has(i)) return;
    const trimmed = raw.trim() || `column_${i + 1}`;
    if (attributeNames.has(trimmed)) {
      warnings.push({
        file,
        line,
        field: trimmed,
        message: `the header has "${trimmed}" more than once: only the first is kept`,
      });
      return;
    }
    attributeNames.add(trimmed);
    attributes.push({ index: i, name: trimmed });
  });
  return { plan: { index, name, attributes }, errors, warnings };
}

function describe(field: PersonField): string {
  return field.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
}

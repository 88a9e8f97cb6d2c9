/** @module The shapes a people source reads into: options, the raw table, row errors and the result. */

import type { Person, PersonStatus } from '../core/types.js';
import type { DateFormat } from './dates.js';

/** The CSV field separators `source.delimiter` may name. */
export const DELIMITERS = [',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

export type PeopleFormat = 'csv' | 'json';

/** The Person fields a source column can feed (everything but `attributes`, which takes the rest). */
export type PersonField = Exclude<keyof Person, 'attributes'>;

/** A problem with one row (or, with the header's line, with the file), placed so a person can fix it. */
export interface RowError {
  file: string;
  /** 1-based line in the file where the row starts (for JSON: the line of the object's `{`). */
  line: number;
  /** Where a JSON row sits in the document, e.g. `people[12]`. */
  path?: string;
  /** The Roster field at fault, named by its column in the file (`email`, `manager_email`). */
  field?: string;
  message: string;
  fix?: string;
  /** The row's employee id when it could be read: lets later steps leave a skipped person's access alone. */
  employeeId?: string;
  /**
   * The same problem on many rows has one kind (`date`, `empty`): it is then said once, with the count and
   * the first lines, instead of once per row.
   */
  kind?: 'date' | 'empty' | 'status';
  /** The cell's text as the file has it, for problems summed up across rows (`"09/04/2024"`). */
  value?: string;
}

export interface ParsePeopleOptions {
  text: string;
  format: PeopleFormat;
  /** The file name shown in every message (`hr.csv`). */
  file: string;
  /** Roster field → column name in the file, for the fields whose column is not the default. */
  columns?: Partial<Record<PersonField, string>>;
  /** Extra or overriding status values: value in the file (any case) → Roster status. */
  statusValues?: Record<string, PersonStatus>;
  /** Return the valid rows and the errors instead of refusing the whole file. */
  skipInvalid?: boolean;
  /** How the export writes dates (`source.dateFormat`); ISO dates are read whatever it says. */
  dateFormat?: DateFormat;
  /** The CSV field separator (`source.delimiter`); unset, it is told from the header line. */
  delimiter?: Delimiter;
}

export interface ParsePeopleResult {
  people: Person[];
  errors: RowError[];
  warnings: RowError[];
  /** Data rows read (blank lines not counted), valid or not. */
  rows: number;
  /** Columns that feed no Roster field, kept as person attributes: named once, so a misnamed one shows. */
  attributeColumns: string[];
}

/** One cell as a reader hands it over: text, or a list (a JSON array of scalars). */
export type Cell = string | readonly string[];

/** A data row before mapping: its cells line up with the table's header. */
export interface RawRow {
  line: number;
  path?: string;
  cells: (Cell | undefined)[];
  /** What is wrong with the row's shape (too many fields, not an object), found by the reader. */
  problem?: string;
}

/** What a reader (CSV or JSON) produces: a header and rows, each row knowing where it is in the file. */
export interface RawTable {
  header: string[];
  headerLine: number;
  rows: RawRow[];
  /** CSV only: the separator used, and whether it was told from the header rather than configured. */
  delimiter?: { char: Delimiter; detected: boolean };
}

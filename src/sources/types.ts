/** @module The shapes a people source reads into: options, the raw table, row errors and the result. */

import type { Person, PersonStatus } from '../core/types.js';

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
}

export interface ParsePeopleResult {
  people: Person[];
  errors: RowError[];
  warnings: RowError[];
  /** Data rows read (blank lines not counted), valid or not. */
  rows: number;
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
}

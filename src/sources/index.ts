/** @module People sources: CSV and JSON HR exports read into validated Person records, and the drop guard. */

export { DATE_FORMATS, type DateFormat, formatsThatFit, parseDate } from './dates.js';
export { type CheckDropOptions, type CheckDropResult, checkDrop } from './drop.js';
export { type ImportCounts, type ImportPeopleOptions, type ImportResult, importPeople } from './import.js';
export { type LoadPeopleOptions, loadPeopleFile, parsePeopleBytes } from './load.js';
export { DEFAULT_COLUMNS, DEFAULT_STATUS_VALUES, PERSON_FIELDS } from './mapping.js';
export { formatRowError, parsePeople, summarizeRowErrors } from './people.js';
export { checkSourceFile, readSourceFile } from './source-file.js';
export type {
  ParsePeopleOptions,
  ParsePeopleResult,
  PeopleFormat,
  PersonField,
  RowError,
} from './types.js';
export { DELIMITERS, type Delimiter } from './types.js';
export { emailKey } from './values.js';

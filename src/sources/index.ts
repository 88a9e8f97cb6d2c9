/** @module People sources: CSV and JSON HR exports read into validated Person records, and the drop guard. */

export { type CheckDropOptions, type CheckDropResult, checkDrop } from './drop.js';
export { type LoadPeopleOptions, loadPeopleFile } from './load.js';
export { DEFAULT_COLUMNS, DEFAULT_STATUS_VALUES, PERSON_FIELDS } from './mapping.js';
export { formatRowError, parsePeople } from './people.js';
export type {
  ParsePeopleOptions,
  ParsePeopleResult,
  PeopleFormat,
  PersonField,
  RowError,
} from './types.js';
export { emailKey } from './values.js';

/** @module Importing the configured people source into the store: validation, the drop guard, idempotence, history. */

import { createHash } from 'node:crypto';
import type { RosterConfig } from '../config/schema.js';
import { isRosterError } from '../core/errors.js';
import type { Person, PersonStatus } from '../core/types.js';
import type { ImportRecord, Store } from '../store/store.js';
import { checkDrop } from './drop.js';
import { parsePeopleBytes } from './load.js';
import { columnKey, DEFAULT_COLUMNS, PERSON_FIELDS } from './mapping.js';
import { readSourceFile } from './source-file.js';
import type { PersonField, RowError } from './types.js';

export interface ImportPeopleOptions {
  store: Store;
  config: RosterConfig;
  /** Import the valid rows and report the invalid ones, instead of refusing the whole file. */
  skipInvalid?: boolean;
  /** Import even when the drop guard would refuse. */
  force?: boolean;
  /** When the import ran, for the result (the store stamps its own records with its clock). */
  now?: Date;
}

export interface ImportCounts {
  /** Data rows in the file, valid or not. */
  rows: number;
  /** People the store holds after the import. */
  people: number;
  active: number;
  leaver: number;
  on_leave: number;
  pending: number;
  /** Invalid rows left out (only with skipInvalid). */
  skipped: number;
  /** Skipped rows whose person was already known: their last imported record is kept, not dropped. */
  carried: number;
  /** Previously active people no longer active. */
  dropped: number;
  /** People active before this import. */
  previousActive: number;
  /** Warnings the file gave when it was read (an unchanged file is not read again: these are from then). */
  warnings: number;
}

export interface ImportResult {
  /** `unchanged`: the same file, read the same way, as the last applied import; nothing was written. */
  status: 'applied' | 'unchanged';
  /** The import record written, or the last applied one when unchanged. */
  importId: string;
  file: string;
  hash: string;
  at: string;
  counts: ImportCounts;
  errors: RowError[];
  /** Empty when unchanged: the file was not read again (counts.warnings says how many it had). */
  warnings: RowError[];
  /**
   * Columns no Roster field or setting reads (kept as person attributes all the same), named once so that a
   * misspelt one shows; empty when unchanged.
   */
  unusedColumns: string[];
}

/**
 * Bumped whenever the rules that turn a file into people change (normalization, date reading): an import
 * recorded under other rules is not "the same" even if the bytes are, and is read again.
 */
const READER_VERSION = 2;

/**
 * Read the configured source and replace the store's people with it, all or nothing. A file with an invalid
 * row is refused whole (and the refusal recorded) unless skipInvalid; an import that would drop too many
 * active people is refused (and recorded) unless force; the same file, read the same way, as the import the
 * store holds is a no-op recognised by its hash before any row is parsed.
 */
export async function importPeople(options: ImportPeopleOptions): Promise<ImportResult> {
  const { store, config } = options;
  const file = config.source.path;
  const at = (options.now ?? new Date()).toISOString();
  const columns = toPersonColumns(config.source.columns);
  const { type: format, statusValues, dateFormat, delimiter } = config.source;

  const bytes = await readSourceFile(config);
  // The hash covers how the file is read as well as its bytes: a changed mapping, format or reader re-imports.
  const hash = hashImport(bytes, {
    reader: READER_VERSION,
    format,
    columns,
    statusValues,
    dateFormat,
    delimiter: delimiter ?? null,
  });

  // Recognised before parsing, which is most of an import's cost. Only for an import that skipped no rows:
  // with skipped rows the outcome also hangs on skipInvalid and on the people held, so it is worked out again.
  const current = await store.currentImport();
  if (
    current !== null &&
    current.hash === hash &&
    current.sourcePath === file &&
    !current.counts['skipped']
  ) {
    return {
      status: 'unchanged',
      importId: current.id,
      file,
      hash,
      at,
      counts: recordedCounts(current),
      errors: [],
      warnings: [],
      unusedColumns: [],
    };
  }

  let parsed: ReturnType<typeof parsePeopleBytes>;
  try {
    parsed = parsePeopleBytes(bytes, file, {
      format,
      columns,
      statusValues,
      dateFormat,
      ...(delimiter === undefined ? {} : { delimiter }),
      skipInvalid: options.skipInvalid ?? false,
    });
  } catch (error) {
    if (isRosterError(error)) {
      await store.recordRejectedImport({ sourcePath: file, hash, error: error.message });
    }
    throw error;
  }

  const outcome = await store.transaction(async (tx) => {
    const previous = await tx.listPeople();
    const byId = new Map(previous.map((p) => [p.employeeId, p]));
    const people: Person[] = [...parsed.people];
    const ids = new Set(people.map((p) => p.employeeId));
    // A skipped row must not read as the person leaving: keep what the last import said about them.
    let carried = 0;
    for (const error of parsed.errors) {
      const known = error.employeeId === undefined ? undefined : byId.get(error.employeeId);
      if (known === undefined || ids.has(known.employeeId)) continue;
      const { importId: _importId, ...person } = known;
      people.push(person);
      ids.add(person.employeeId);
      carried++;
    }

    const skipped = new Set(parsed.errors.map((e) => `${e.line}`)).size;
    const drop = checkDrop({
      previousActive: previous.filter((p) => p.status === 'active').map((p) => p.employeeId),
      nextActive: people.filter((p) => p.status === 'active').map((p) => p.employeeId),
      maxDropShare: config.source.maxDropShare,
      file,
    });
    const counts: ImportCounts = {
      rows: parsed.rows,
      people: people.length,
      ...countStatuses(people),
      skipped,
      carried,
      dropped: drop.dropped,
      previousActive: drop.previous,
      warnings: parsed.warnings.length,
    };
    const result = (record: ImportRecord, status: ImportResult['status']): ImportResult => ({
      status,
      importId: record.id,
      file,
      hash,
      at,
      counts,
      errors: parsed.errors,
      warnings: parsed.warnings,
      unusedColumns: unused(parsed.attributeColumns, config),
    });

    // Reached with skipped rows only (see above): the same file skipping the same rows changes nothing.
    const held = await tx.currentImport();
    if (held !== null && held.hash === hash && held.sourcePath === file) {
      return { ok: true as const, result: result(held, 'unchanged') };
    }
    if (!drop.ok && !options.force) return { ok: false as const, error: drop.error, counts };
    const record = await tx.replacePeople({ sourcePath: file, hash, people, counts: { ...counts } });
    return { ok: true as const, result: result(record, 'applied') };
  });
  if (outcome.ok) return outcome.result;
  // Recorded outside the transaction, which must not roll the refusal back with it.
  await store.recordRejectedImport({
    sourcePath: file,
    hash,
    error: outcome.error.message,
    counts: { ...outcome.counts },
  });
  throw outcome.error;
}

/** The config names columns by Roster's snake_case field names; the reader takes Person field names. */
function toPersonColumns(columns: RosterConfig['source']['columns']): Partial<Record<PersonField, string>> {
  const out: Partial<Record<PersonField, string>> = {};
  for (const field of PERSON_FIELDS) {
    const column = columns[DEFAULT_COLUMNS[field] as keyof typeof columns];
    if (column !== undefined) out[field] = column;
  }
  return out;
}

/** The attribute columns no setting reads: the IdP id column, a password column, policy conditions and templates. */
function unused(columns: readonly string[], config: RosterConfig): string[] {
  const read = new Set<string>([columnKey(config.identity?.externalIdAttribute ?? 'idp_id')]);
  for (const app of config.apps) {
    if (app.type === 'targetprocess' && app.passwordFrom !== undefined) read.add(columnKey(app.passwordFrom));
  }
  for (const rule of config.policy?.rules ?? []) {
    for (const key of Object.keys(rule.when)) read.add(columnKey(key));
    for (const grant of Object.values(rule.apps)) {
      const templates =
        typeof grant.account === 'object' ? Object.values(grant.account.attributes ?? {}) : [];
      // `{first_name}`, `{email.local}`: the column is the name before any dot.
      for (const template of templates) {
        for (const [, name = ''] of template.matchAll(/\{([^}.]+)/g)) read.add(columnKey(name));
      }
    }
  }
  return columns.filter((column) => !read.has(columnKey(column)));
}

function countStatuses(people: readonly Person[]): Record<PersonStatus, number> {
  const counts: Record<PersonStatus, number> = { active: 0, leaver: 0, on_leave: 0, pending: 0 };
  for (const person of people) counts[person.status]++;
  return counts;
}

function hashImport(bytes: Buffer, reading: Record<string, unknown>): string {
  return createHash('sha256').update(bytes).update('\0').update(JSON.stringify(reading)).digest('hex');
}

/** The counts an import recorded, read back as ImportCounts (a count it did not record reads 0). */
function recordedCounts(record: ImportRecord): ImportCounts {
  const count = (key: keyof ImportCounts) => record.counts[key] ?? 0;
  return {
    rows: count('rows'),
    people: count('people'),
    active: count('active'),
    leaver: count('leaver'),
    on_leave: count('on_leave'),
    pending: count('pending'),
    skipped: count('skipped'),
    carried: count('carried'),
    dropped: count('dropped'),
    previousActive: count('previousActive'),
    warnings: count('warnings'),
  };
}

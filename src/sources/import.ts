/** @module Importing the configured people source into the store: validation, the drop guard, idempotence, history. */

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { RosterConfig } from '../config/schema.js';
import { isRosterError, RosterError } from '../core/errors.js';
import type { Person, PersonStatus } from '../core/types.js';
import type { ImportRecord, Store } from '../store/store.js';
import { checkDrop } from './drop.js';
import { loadPeopleFile } from './load.js';
import { DEFAULT_COLUMNS, PERSON_FIELDS } from './mapping.js';
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
  warnings: RowError[];
}

/**
 * Read the configured source and replace the store's people with it, all or nothing. A file with an invalid
 * row is refused whole (and the refusal recorded) unless skipInvalid; an import that would drop too many
 * active people is refused (and recorded) unless force; the same file as the last applied import is a no-op.
 */
export async function importPeople(options: ImportPeopleOptions): Promise<ImportResult> {
  const { store, config } = options;
  const file = config.source.path;
  const at = (options.now ?? new Date()).toISOString();
  const columns = toPersonColumns(config.source.columns);
  const statusValues = config.source.statusValues;

  // The hash covers how the file is read as well as its bytes: a changed column or status mapping re-imports.
  const bytes = await readFileOrNothing(file);
  const hash = bytes === null ? '' : hashImport(bytes, { columns, statusValues });

  let parsed: Awaited<ReturnType<typeof loadPeopleFile>>;
  try {
    parsed = await loadPeopleFile(file, {
      format: config.source.type,
      columns,
      statusValues,
      skipInvalid: options.skipInvalid ?? false,
    });
  } catch (error) {
    if (!isRosterError(error) || bytes === null) throw error;
    await store.recordRejectedImport({ sourcePath: file, hash, error: error.message });
    const rowErrors = (error.details['errors'] as RowError[] | undefined) ?? [];
    // The reader's advice names a setting; here the switch is the command's flag.
    throw new RosterError(error.code, error.message, {
      cause: error,
      ...(error.where === undefined ? {} : { where: error.where }),
      fix:
        rowErrors.length > 0
          ? 'correct these rows in the export, or run with --skip-invalid to import the valid rows and skip these'
          : (error.fix ?? 'check source.path in roster.yaml'),
      details: error.details,
    });
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
    });

    // The people in the store all carry the id of the import that put them there: that is the last applied.
    const imports = await tx.listImports({ limit: 1000 });
    const currentId = previous[0]?.importId;
    const last = imports.find((r) => r.id === currentId) ?? imports.find((r) => r.status === 'applied');
    if (last !== undefined && last.hash === hash && last.sourcePath === file) {
      return { ok: true as const, result: result(last, 'unchanged') };
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

function countStatuses(people: readonly Person[]): Record<PersonStatus, number> {
  const counts: Record<PersonStatus, number> = { active: 0, leaver: 0, on_leave: 0, pending: 0 };
  for (const person of people) counts[person.status]++;
  return counts;
}

function hashImport(bytes: Buffer, reading: Record<string, unknown>): string {
  return createHash('sha256').update(bytes).update('\0').update(JSON.stringify(reading)).digest('hex');
}

async function readFileOrNothing(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch {
    // loadPeopleFile reports a missing or unreadable file with the fix.
    return null;
  }
}

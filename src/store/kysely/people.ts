/** @module People and their imports: replacing everyone at once, rejected imports, lookups by id or any address. */

import { randomUUID } from 'node:crypto';
import { RosterError } from '../../core/errors.js';
import type { Person } from '../../core/types.js';
import { toJsonColumn } from '../json.js';
import { normalizeEmail, personToRow, rowToImport, rowToPerson } from '../rows.js';
import type { ImportRecord, StoredPerson } from '../store.js';
import { diffRows, recordChanges } from './changes.js';
import type { Sql } from './context.js';
import { checkSlice } from './pages.js';

export async function replacePeople(
  s: Sql,
  input: {
    sourcePath: string;
    hash: string;
    people: Person[];
    counts?: Record<string, number>;
  },
): Promise<ImportRecord> {
  const seen = new Set<string>();
  for (const person of input.people) {
    if (seen.has(person.employeeId)) {
      throw new RosterError('invalid_input', `employee id ${person.employeeId} appears twice in the import`, {
        where: input.sourcePath,
        fix: 'give every person a unique employee id',
      });
    }
    seen.add(person.employeeId);
  }
  const record: ImportRecord = {
    id: randomUUID(),
    sourcePath: input.sourcePath,
    hash: input.hash,
    counts: input.counts ?? { people: input.people.length },
    createdAt: s.now(),
    status: 'applied',
    error: null,
  };
  await s.write(async (tx) => {
    // The change set: who is new, different (any field but the import that wrote them) or gone.
    const before = new Map(
      (await tx.db.selectFrom('people').selectAll().execute()).map((r) => [r.employee_id, r]),
    );
    const after = new Map(input.people.map((p) => [p.employeeId, personToRow(p, record.id)]));
    await recordChanges(tx, 'person', null, diffRows(before, after, ['import_id']));
    await insertImport(tx, record);
    await tx.db.deleteFrom('person_emails').execute();
    await tx.db.deleteFrom('people').execute();
    await tx.insertRows('people', [...after.values()]);
    const emails = input.people.flatMap((p) => {
      const primary = normalizeEmail(p.email);
      const aliases = new Set(p.aliases.map(normalizeEmail).filter((a) => a !== '' && a !== primary));
      return [
        { email_normalized: primary, employee_id: p.employeeId, is_primary: 1 },
        ...[...aliases].map((a) => ({ email_normalized: a, employee_id: p.employeeId, is_primary: 0 })),
      ];
    });
    await tx.insertRows('person_emails', emails);
  });
  return record;
}

export async function recordRejectedImport(
  s: Sql,
  input: {
    sourcePath: string;
    hash: string;
    error: string;
    counts?: Record<string, number>;
  },
): Promise<ImportRecord> {
  const record: ImportRecord = {
    id: randomUUID(),
    sourcePath: input.sourcePath,
    hash: input.hash,
    counts: input.counts ?? {},
    createdAt: s.now(),
    status: 'rejected',
    error: input.error,
  };
  await insertImport(s, record);
  return record;
}

export async function insertImport(s: Sql, record: ImportRecord): Promise<void> {
  await s.db
    .insertInto('imports')
    .values({
      id: record.id,
      source_path: record.sourcePath,
      hash: record.hash,
      counts: toJsonColumn(record.counts),
      created_at: record.createdAt,
      status: record.status,
      error: record.error,
    })
    .execute();
}

export async function listImports(s: Sql, input: { limit?: number } = {}): Promise<ImportRecord[]> {
  const rows = await s.db
    .selectFrom('imports')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(input.limit ?? 100)
    .execute();
  return rows.map(rowToImport);
}

/** The import the people table holds now, named by any one person's import id (exact where creation times tie). */
export async function currentImport(s: Sql): Promise<ImportRecord | null> {
  const person = await s.db.selectFrom('people').select('import_id').limit(1).executeTakeFirst();
  if (person === undefined) return null;
  const row = await s.db
    .selectFrom('imports')
    .selectAll()
    .where('id', '=', person.import_id)
    .executeTakeFirst();
  return row === undefined ? null : rowToImport(row);
}

export async function listPeople(
  s: Sql,
  input: { status?: Person['status']; offset?: number; limit?: number } = {},
): Promise<StoredPerson[]> {
  let query = s.db.selectFrom('people').selectAll().orderBy('employee_id');
  if (input.status !== undefined) query = query.where('status', '=', input.status);
  if (input.limit !== undefined) {
    const offset = input.offset ?? 0;
    checkSlice('listPeople', offset, input.limit);
    query = query.limit(input.limit).offset(offset);
  }
  return (await query.execute()).map(rowToPerson);
}

export async function getPerson(
  s: Sql,
  input: { employeeId: string } | { email: string },
): Promise<StoredPerson | null> {
  if ('employeeId' in input) {
    const row = await s.db
      .selectFrom('people')
      .selectAll()
      .where('employee_id', '=', input.employeeId)
      .executeTakeFirst();
    return row === undefined ? null : rowToPerson(row);
  }
  // An address that is one person's primary wins over the same address as someone else's alias.
  const row = await s.db
    .selectFrom('person_emails')
    .innerJoin('people', 'people.employee_id', 'person_emails.employee_id')
    .selectAll('people')
    .where('person_emails.email_normalized', '=', normalizeEmail(input.email))
    .orderBy('person_emails.is_primary', 'desc')
    .orderBy('people.employee_id')
    .executeTakeFirst();
  return row === undefined ? null : rowToPerson(row);
}

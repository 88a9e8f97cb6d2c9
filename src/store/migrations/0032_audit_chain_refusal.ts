/**
 * @module Migration 0032 (Postgres only): a function an append to the audit chain calls to refuse itself when the
 * chain no longer ends where the append links to, raising where its guard would otherwise write nothing.
 */

import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/**
 * An append sent with its transaction's commit (see audit-log.ts) has no answer of its own to say it wrote nothing:
 * it must fail the transaction instead, with an error the store knows to run the transaction again on. SQL has no
 * way to raise but a function; this one is volatile, so Postgres calls it only for a row whose guard failed, never
 * while planning. SQLState 40001 (serialization_failure): the transaction lost a race, and may be run again.
 */
export const migration0032: Migration = {
  async up(db: Kysely<unknown>) {
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    await sql`create or replace function roster_audit_chain_moved(tail bigint) returns boolean
      language plpgsql volatile as $$
      begin
        raise exception 'the audit chain no longer ends at event %', tail using errcode = '40001';
      end
      $$`.execute(db);
  },

  async down(db: Kysely<unknown>) {
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    await sql`drop function if exists roster_audit_chain_moved(bigint)`.execute(db);
  },
};

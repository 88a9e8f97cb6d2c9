/**
 * @module Migration 0032 (Postgres only): a function a statement sent with its transaction's commit calls to fail
 * that transaction when what it assumed no longer holds, where it would otherwise write nothing and say so to no one.
 */

import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/**
 * A statement sent with the commit, unanswered (an audit append after the tail this store last knew, an op's
 * outcome under the claim this run last knew), has no answer of its own to say it wrote nothing: it calls this
 * instead, failing the transaction with an error the store knows to run the transaction again on. SQL has no way
 * to raise but a function; this one is volatile, so Postgres calls it only for a row that needs it, never while
 * planning. SQLState 40001 (serialization_failure): the transaction lost a race, and may be run again.
 */
export const migration0032: Migration = {
  async up(db: Kysely<unknown>) {
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    await sql`create or replace function roster_refused(what text) returns boolean
      language plpgsql volatile as $$
      begin
        raise exception 'roster: %', what using errcode = '40001';
      end
      $$`.execute(db);
  },

  async down(db: Kysely<unknown>) {
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    await sql`drop function if exists roster_refused(text)`.execute(db);
  },
};

/**
 * @module Migration 0033 (Postgres only): a change to the API tokens, by whatever writer, is announced on the
 * channel `roster_api_tokens` when it commits: a server that keeps tokens it has checked hears of a revocation made
 * by another process (the CLI, another server, an operator's SQL) and drops them.
 */

import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/**
 * A trigger, not a NOTIFY in Roster's revoke: a writer that is not this Roster (an older one, a hand-written
 * UPDATE or DELETE) is heard all the same. Per statement: a listener drops every token it keeps, whichever changed.
 * `last_used_at` (written as tokens are used) is left out, so use does not announce itself.
 */
export const migration0033: Migration = {
  async up(db: Kysely<unknown>) {
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    await sql`create or replace function roster_api_tokens_changed() returns trigger
      language plpgsql as $$
      begin
        perform pg_notify('roster_api_tokens', '');
        return null;
      end
      $$`.execute(db);
    await sql`create trigger api_tokens_changed
      after update of id, name, scope, hash, prefix, revoked_at, person or delete or truncate on api_tokens
      for each statement execute function roster_api_tokens_changed()`.execute(db);
  },

  async down(db: Kysely<unknown>) {
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    await sql`drop trigger if exists api_tokens_changed on api_tokens`.execute(db);
    await sql`drop function if exists roster_api_tokens_changed()`.execute(db);
  },
};

/** @module Test support for Postgres: the admin connection, whether Postgres is up, and fresh throwaway databases. */

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { requireService, type ServiceCheck } from './services.js';

/** A database the test user may create databases from (trust auth on the test machine and in CI). */
export const ADMIN_URL =
  process.env['ROSTER_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Skips (or, with ROSTER_REQUIRE_SERVICES=1, fails) the Postgres tests when Postgres is down. */
export function requirePostgres(): Promise<ServiceCheck> {
  return requireService('Postgres', async () => {
    await admin((client) => client.query('select 1'));
  });
}

/** A fresh, empty database; drop() removes it even while a store still holds connections. */
export async function freshDatabase(
  prefix = 'roster_test',
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomUUID().replaceAll('-', '')}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      admin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => {}),
  };
}

/** @module Test helpers for the SQL store's area tests. */

import { afterEach, beforeEach } from 'vitest';
import type { Link } from '../../core/types.js';
import type { KyselyStore } from '../kysely-store.js';
import { MEMORY, openSqliteStore } from '../sqlite.js';

/**
 * A fresh in-memory store holding one app, `app` (Targetprocess), opened before each test of the calling suite
 * and closed after it: `store()` is the current test's.
 */
export function memoryStoreEachTest(): () => KyselyStore {
  let store: KyselyStore | undefined;
  beforeEach(async () => {
    store = await openSqliteStore(MEMORY);
    await store.upsertApp({ id: 'app', type: 'targetprocess', baseUrl: 'http://tp.local/api/v1' });
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  return () => {
    if (store === undefined) throw new Error('the store is opened for each test: call store() inside one');
    return store;
  };
}

/** A link correlation made by email: `accountId` of `appId` belongs to `employeeId`. */
export function emailLink(accountId: string, employeeId: string, appId = 'app'): Link {
  return {
    appId,
    accountId,
    employeeId,
    situation: 'linked',
    method: 'email',
    confidence: 0.95,
    candidates: [employeeId],
  };
}

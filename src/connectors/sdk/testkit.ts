/** @module Test support for connector tests: HTTP settings that keep tests fast without making them flaky. */

import type { CreateConnectorOptions } from './create.js';

/**
 * Fast backoff always; a short timeout only where the upstream may hang on purpose (a sandbox whose fault
 * profile has hangs), since on a loaded CI machine a slow but healthy answer must not count as a timeout.
 */
export function testHttp(upstream?: {
  faults(): { hang: number };
}): NonNullable<CreateConnectorOptions['http']> {
  const hangs = upstream !== undefined && upstream.faults().hang > 0;
  return { backoff: { baseMs: 5, capMs: 50 }, timeoutMs: hangs ? 2_000 : 30_000 };
}

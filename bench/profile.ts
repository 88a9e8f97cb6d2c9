/**
 * @module A CPU profile of one measured step of a benchmark (open the file in Chrome's DevTools), so a profile
 * shows that step alone rather than the set-up around it.
 */

import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/** Runs `fn`, writing a CPU profile of it to `file` when one is named; without a file, runs it as it is. */
export async function profiled<T>(file: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (!file) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // Finer than the default 1 ms: the steps measured take seconds, and most of their functions microseconds a call.
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
  }
}

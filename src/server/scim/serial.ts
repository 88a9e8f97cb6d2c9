/**
 * @module One write at a time per resource in this process: an IdP (or two) writing one user concurrently would
 * otherwise have each write computed from a state the other is changing, and its read-back see the other's value.
 */

const tails = new Map<string, Promise<void>>();

/** Runs `work` once every earlier call with the same key has finished (failed or not); keys are forgotten when idle. */
export async function serially<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = before.then(() => mine);
  tails.set(key, tail);
  await before;
  try {
    return await work();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}

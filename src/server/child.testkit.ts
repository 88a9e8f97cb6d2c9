/** @module `roster serve` as a real process, for tests that kill it: started, and the store it leaves read apart. */

import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ServeChild {
  child: ChildProcess;
  /** Where it listens (a free port). */
  url: string;
  /** Settles once the process has exited (killed or stopped). */
  exited: Promise<void>;
}

/** The built `roster serve` of `dir`'s roster.yaml, in a child process on a free port, answered once it listens. */
export async function serveChild(dir: string): Promise<ServeChild> {
  const child = spawn('node', [join(ROOT, 'bin/roster.js'), '-c', 'roster.yaml', 'serve', '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((found, failed) => {
    lines.on('line', (line) => {
      const at = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (at) found(at[1] as string);
    });
    void exited.then(() => failed(new Error('roster serve exited before it listened')));
  });
  return { child, url, exited };
}

/** Runs `fn` on a handle of its own on the store at `url`, closed after: what is durable, as another process reads it. */
export async function withStoreAt<T>(url: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(url);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

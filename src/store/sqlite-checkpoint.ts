/**
 * @module WAL checkpoints off the event loop: a busy store's checkpoints run in a worker thread of their own,
 * so the commit that crosses the WAL's limit no longer copies pages and fsyncs while every request waits.
 */

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Sqlite from 'better-sqlite3';

/** SQLite's own default: the WAL is checkpointed by the commit that takes it past this many pages. */
export const AUTO_PAGES = 1000;

/**
 * The worker: its own connection to the file, a PASSIVE checkpoint every `intervalMs` (it never waits for, nor
 * holds up, a writer or a reader; the next writer starts the WAL over once all of it is copied), a last one on
 * `stop`. CommonJS source run with eval, so it loads the same better-sqlite3 the store does, built or not.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface BackgroundCheckpoints {
  /** Stops the worker after one last checkpoint; the connection checkpoints itself again from then on. */
  stop(): Promise<void>;
}

/**
 * Moves the WAL checkpoints of this connection to a worker thread. Should the worker fail, the connection goes
 * back to checkpointing itself, so the WAL never grows without bound. Durability is unchanged: a commit is as
 * durable in the WAL as it was (synchronous NORMAL); only where the copy into the database file runs moves.
 */
export function checkpointInBackground(
  sqlite: Sqlite.Database,
  path: string,
  intervalMs = 250,
): BackgroundCheckpoints {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { module, path, intervalMs } });
  // A store left open must not keep the process alive for its checkpoints.
  worker.unref();
  sqlite.pragma('wal_autocheckpoint = 0');
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTO_PAGES}`);
      resolve();
    });
  });
  worker.on('error', () => {
    // The exit that follows gives the checkpoints back to the connection.
  });
  return {
    async stop() {
      // Held again while it finishes: an unref'd worker awaited by a closing store whose process has nothing else
      // to do would let the process end mid-close (Node's exit 13: a promise never settled).
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}

/**
 * @module Hearing about changes other processes make, on Postgres: a connection of its own that LISTENs on a
 * channel, kept open (and opened again after it is lost), telling its caller when it hears, when it can hear
 * (listening), and when it cannot (lost): a caller that keeps something only while it would hear of its change
 * then knows when to keep nothing.
 */

import pg from 'pg';
import type { WatchHandlers } from './store.js';

export interface Watch {
  close(): Promise<void>;
}

/** First wait before opening a lost connection again; it doubles up to MAX_RETRY_MS. */
const RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/**
 * LISTENs on `channel` with a connection of its own (`config`'s server; TCP keepalive on, so a connection dropped
 * without a word is found out). `handlers.lost` is told when it fails, and a new one is opened after a wait.
 */
export function listenPostgres(config: pg.ClientConfig, channel: string, handlers: WatchHandlers): Watch {
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  let delay = RETRY_MS;
  let live = false;

  const lose = (failed: pg.Client) => {
    if (client !== failed) return;
    client = null;
    failed.removeAllListeners('notification');
    // A client that failed may still emit 'error' as it closes: heard, and ignored.
    failed.on('error', () => {});
    void failed.end().catch(() => {});
    if (live) {
      live = false;
      handlers.lost();
    }
    if (closed) return;
    retry = setTimeout(open, delay);
    retry.unref();
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  };

  const open = () => {
    retry = null;
    if (closed) return;
    const opened = new pg.Client({ ...config, keepAlive: true, application_name: 'roster-listen' });
    client = opened;
    opened.on('error', () => lose(opened));
    opened.on('end', () => lose(opened));
    opened.on('notification', (message) => {
      if (message.channel === channel && client === opened) handlers.changed();
    });
    opened
      .connect()
      .then(() => opened.query(`listen ${pg.escapeIdentifier(channel)}`))
      .then(() => {
        if (client !== opened || closed) return;
        delay = RETRY_MS;
        live = true;
        handlers.listening();
      })
      .catch(() => lose(opened));
  };

  open();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const last = client;
      client = null;
      if (live) {
        live = false;
        handlers.lost();
      }
      if (last) {
        last.removeAllListeners();
        last.on('error', () => {});
        await last.end().catch(() => {});
      }
    },
  };
}

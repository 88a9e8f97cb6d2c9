/**
 * @module A TCP proxy that holds every chunk `delayMs` before passing it on, each way, in order: a database on
 * loopback made as far away as one across a network (a round trip costs twice the delay). Run as a child process of
 * its own (`startDelayProxy`), so its work is not counted as the measured server's.
 */

import { fork } from 'node:child_process';
import { createConnection, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Starts the proxy in a process of its own; answers the port it listens on (127.0.0.1) and how to stop it. */
export async function startDelayProxy(
  target: { host: string; port: number },
  delayMs: number,
): Promise<{ port: number; close: () => void }> {
  const child = fork(fileURLToPath(import.meta.url), [target.host, String(target.port), String(delayMs)], {
    stdio: 'inherit',
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(Number(m)));
    child.once('exit', (code) => reject(new Error(`the delay proxy exited (${code})`)));
  });
  return { port, close: () => child.kill() };
}

/** Writes what `from` sends to `to`, each chunk `delayMs` after it came, in the order they came. */
function delayed(from: Socket, to: Socket, delayMs: number): void {
  from.on('data', (chunk) => setTimeout(() => to.write(chunk), delayMs));
  from.on('end', () => setTimeout(() => to.end(), delayMs));
  from.on('error', () => to.destroy());
}

if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  const [host = '127.0.0.1', port = '5432', delay = '0'] = process.argv.slice(2);
  const delayMs = Number(delay);
  const server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = createConnection({ host, port: Number(port) }, () => upstream.setNoDelay(true));
    delayed(client, upstream, delayMs);
    delayed(upstream, client, delayMs);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.(typeof address === 'object' && address !== null ? address.port : 0);
  });
}

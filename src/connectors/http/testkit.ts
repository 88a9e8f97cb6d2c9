/** @module Test support: a scripted HTTP server on 127.0.0.1 that answers, hangs or resets as each test says. */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the server does with one request: answer, never answer, or drop the connection. */
export type ScriptedReply =
  | { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number }
  | 'hang'
  | 'reset';

export interface ReceivedRequest {
  method: string;
  /** Path and query exactly as sent. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface ScriptedServer {
  origin: string;
  received: ReceivedRequest[];
  /** Most requests that were in flight at the same time. */
  maxConcurrent(): number;
  close(): Promise<void>;
}

export type ScriptHandler = (request: ReceivedRequest, index: number) => ScriptedReply;

/** Answers the n-th request with the n-th reply, and every later one with the last. */
export function inOrder(...replies: ScriptedReply[]): ScriptHandler {
  return (_request, index) => replies[Math.min(index, replies.length - 1)]!;
}

export async function startScriptedServer(handler: ScriptHandler): Promise<ScriptedServer> {
  const received: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let peak = 0;

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const entry: ReceivedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
      ),
      body: Buffer.concat(chunks).toString('utf8'),
    };
    const reply = handler(entry, received.length);
    received.push(entry);
    if (reply === 'hang') return;
    if (reply === 'reset') {
      req.socket.destroy();
      return;
    }
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    inFlight -= 1;
    const isText = typeof reply.body === 'string';
    const headers = {
      ...(reply.body === undefined ? {} : { 'content-type': isText ? 'text/plain' : 'application/json' }),
      ...reply.headers,
    };
    res.writeHead(reply.status, headers);
    res.end(reply.body === undefined ? undefined : isText ? reply.body : JSON.stringify(reply.body));
  };

  const server = createServer((req, res) => {
    answer(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    maxConcurrent: () => peak,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

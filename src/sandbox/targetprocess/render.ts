/** @module Targetprocess response rendering: format negotiation, `/Date(ms+0000)/` JSON dates, and the XML default. */

import type { FastifyReply, FastifyRequest } from 'fastify';

export type ResponseFormat = 'json' | 'xml';

const STATUS_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** The app's error body: `{ Status: 'BadRequest', Message: '...' }`. */
export function errorBody(status: number, message: string): { Status: string; Message: string } {
  return { Status: STATUS_NAMES[status] ?? String(status), Message: message };
}

/** Vendor docs: XML is the default; `format=json|xml` wins over an `Accept: application/json` header. */
export function negotiate(query: URLSearchParams, request: FastifyRequest): ResponseFormat {
  const format = query.get('format')?.toLowerCase();
  if (format === 'json') return 'json';
  if (format === 'xml') return 'xml';
  const accept = request.headers.accept ?? '';
  return /application\/json/i.test(accept) ? 'json' : 'xml';
}

/** Real Targetprocess JSON dates: milliseconds since the epoch with an offset, `/Date(1717171717000+0000)/`. */
export function msDate(date: Date): string {
  return `/Date(${date.getTime()}+0000)/`;
}

function jsonValue(value: unknown, isoDates: boolean): unknown {
  if (value instanceof Date) return isoDates ? value.toISOString() : msDate(value);
  if (Array.isArray(value)) return value.map((v) => jsonValue(v, isoDates));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonValue(v, isoDates);
    return out;
  }
  return value;
}

const escapeXml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

/** XML dates are ISO 8601 without an offset, as in the vendor's XML examples. */
const xmlDate = (date: Date) => date.toISOString().slice(0, 19);

const scalar = (value: unknown): string =>
  value instanceof Date ? xmlDate(value) : escapeXml(String(value));

/** Vendor XML: Id and Name are attributes, other fields elements, null is `nil="true"`, collections nest. */
function xmlElement(name: string, value: unknown): string {
  if (value === null || value === undefined) return `<${name} nil="true" />`;
  if (Array.isArray(value))
    return `<${name}>${value.map((v) => xmlElement(singular(name), v)).join('')}</${name}>`;
  if (typeof value === 'object' && !(value instanceof Date)) {
    const record = value as Record<string, unknown>;
    if ('Items' in record && Array.isArray(record['Items'])) {
      const extra = attrs(record, ['Next', 'Prev']);
      return `<${name}${extra}>${record['Items'].map((v) => xmlElement(singular(name), v)).join('')}</${name}>`;
    }
    const head = attrs(record, ['Id', 'Name']);
    const children = Object.entries(record)
      .filter(([k]) => k !== 'Id' && k !== 'Name')
      .map(([k, v]) => xmlElement(k, v))
      .join('');
    return children === '' ? `<${name}${head} />` : `<${name}${head}>${children}</${name}>`;
  }
  return `<${name}>${scalar(value)}</${name}>`;
}

function attrs(record: Record<string, unknown>, names: string[]): string {
  return names
    .filter((n) => record[n] !== undefined && record[n] !== null)
    .map((n) => ` ${n}="${scalar(record[n])}"`)
    .join('');
}

function singular(plural: string): string {
  return plural.endsWith('s') ? plural.slice(0, -1) : plural;
}

/** Sends a body in the negotiated format; `root` names the XML element (`Users`, `User`, `Error`). */
export function send(
  reply: FastifyReply,
  options: { format: ResponseFormat; isoDates: boolean; status?: number; root: string; body: unknown },
): FastifyReply {
  reply.code(options.status ?? 200);
  if (options.format === 'json') {
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .send(JSON.stringify(jsonValue(options.body, options.isoDates)));
  }
  return reply
    .header('content-type', 'application/xml; charset=utf-8')
    .send(`<?xml version="1.0" encoding="utf-8"?>\n${xmlElement(options.root, options.body)}`);
}

/** @module How a client authenticates: the auth shapes Roster supports, the headers they send, the secrets they hold. */

import { RosterError } from '../../core/errors.js';

export type HttpAuth =
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string }
  | { type: 'api-key'; key: string; header?: string }
  | { type: 'none' };

export const DEFAULT_API_KEY_HEADER = 'X-API-Key';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function basicValue(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/** The headers that carry the credentials. Secrets travel only here, never in a URL. */
export function authHeaders(auth: HttpAuth): Record<string, string> {
  switch (auth.type) {
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
    case 'basic':
      return { authorization: `Basic ${basicValue(auth.username, auth.password)}` };
    case 'api-key':
      return { [(auth.header ?? DEFAULT_API_KEY_HEADER).toLowerCase()]: auth.key };
    case 'none':
      return {};
  }
}

/** Every secret value this auth puts on the wire, for the redactor: the raw values and the Basic encoding. */
export function authSecrets(auth: HttpAuth): string[] {
  switch (auth.type) {
    case 'bearer':
      return [auth.token];
    case 'basic':
      return [auth.password, basicValue(auth.username, auth.password)];
    case 'api-key':
      return [auth.key];
    case 'none':
      return [];
  }
}

/** Rejects auth that could not be sent as a header; the message never repeats the secret. */
export function validateAuth(appId: string, auth: HttpAuth): void {
  const bad = (what: string) =>
    new RosterError('invalid_input', `${appId}: ${what}`, { where: appId, details: { appId } });
  switch (auth.type) {
    case 'bearer':
      if (auth.token.length === 0) throw bad('the bearer token is empty');
      if (/[\r\n]/.test(auth.token)) throw bad('the bearer token contains a line break');
      return;
    case 'basic':
      if (auth.username.length === 0) throw bad('the basic auth user name is empty');
      if (auth.username.includes(':')) throw bad('the basic auth user name contains ":"');
      if (/[\r\n]/.test(auth.username + auth.password))
        throw bad('the basic auth credentials contain a line break');
      return;
    case 'api-key': {
      const header = auth.header ?? DEFAULT_API_KEY_HEADER;
      if (!HEADER_NAME.test(header)) throw bad(`"${header}" is not a valid header name for the API key`);
      if (auth.key.length === 0) throw bad('the API key is empty');
      if (/[\r\n]/.test(auth.key)) throw bad('the API key contains a line break');
      return;
    }
    case 'none':
      return;
  }
}

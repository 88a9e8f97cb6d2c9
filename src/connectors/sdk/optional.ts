/** @module Optional endpoints: a call the app's guide does not document, tried only when configured; its absence falls back. */

import { isRosterError } from '../../core/errors.js';
import type { HttpLogger, HttpResponse } from '../http/index.js';

/** Statuses that mean "this instance does not serve that path or method", not "the request was wrong". */
const ABSENT = new Set([404, 405, 501]);

export interface OptionalEndpointInput<T> {
  appId: string;
  logger: HttpLogger;
  /** The config's name for it (`groups-endpoint`), so the log line says what to remove. */
  flag: string;
  /** Whether the app's config lists the flag under `undocumented`; off, no request is ever sent. */
  enabled: boolean;
  endpoint: string;
  /** Sends the request with `accept404: true`. */
  send(): Promise<HttpResponse>;
  /** Reads a served answer; a payload that does not fit still fails (the endpoint is there and answered). */
  parse(body: unknown): T;
}

/**
 * A guide's silence is not an endpoint: the call is made only when the config opts in, and a 404, 405 or 501
 * means the instance lacks it — `null`, so the caller takes the documented path. The first absence is
 * remembered (and logged once), so the endpoint is not asked again by this connector.
 */
export function optionalEndpoint<T>(input: OptionalEndpointInput<T>): () => Promise<T | null> {
  let absent = !input.enabled;
  return async () => {
    if (absent) return null;
    let status: number;
    try {
      const res = await input.send();
      if (!ABSENT.has(res.status)) return input.parse(res.body);
      status = res.status;
    } catch (error) {
      const said = isRosterError(error) ? error.details['status'] : undefined;
      if (typeof said !== 'number' || !ABSENT.has(said)) throw error;
      status = said;
    }
    absent = true;
    input.logger.warn(
      { appId: input.appId, endpoint: input.endpoint, status, flag: input.flag },
      `${input.appId}: ${input.endpoint} is not served (${status}); using the documented path instead (remove "${input.flag}" from undocumented to stop trying it)`,
    );
    return null;
  };
}

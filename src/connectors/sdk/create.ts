/** @module Builds a live connector for one roster.yaml app entry: its HTTP client, its operations, its manifest. */

import type { AppEntry } from '../../config/parts.js';
import type { AppType } from '../../core/types.js';
import { createHttpClient, type HttpClientOptions, type HttpLogger } from '../http/index.js';
import { deriveManifest } from './define.js';
import { DEFAULT_MAX_ITEMS_PER_LISTING } from './paging.js';
import type { Connector, ConnectorDefinition, SyncLimits } from './types.js';

/** Like the HR import's guard (source.maxDropShare): losing 30% of an app's accounts in one sync is suspect. */
export const DEFAULT_MAX_DROP_SHARE = 0.3;
/** Staged pages older than an hour may show what the app no longer holds (a user since deactivated). */
export const DEFAULT_RESUME_WITHIN_MINUTES = 60;

/** An app's `sync` settings with the defaults filled in. */
export function syncLimitsOf(app: AppEntry): SyncLimits {
  return {
    maxDropShare: app.sync?.maxDropShare ?? DEFAULT_MAX_DROP_SHARE,
    maxItemsPerListing: app.sync?.maxItemsPerListing ?? DEFAULT_MAX_ITEMS_PER_LISTING,
    resumeWithinMs: (app.sync?.resumeWithinMinutes ?? DEFAULT_RESUME_WITHIN_MINUTES) * 60_000,
  };
}

export interface CreateConnectorOptions {
  logger?: HttpLogger;
  /** Overrides for the HTTP client (tests: fast backoff, fake sleep). */
  http?: Partial<Omit<HttpClientOptions, 'appId' | 'baseUrl' | 'auth'>>;
  now?: () => Date;
}

/** No logger given: nothing is logged, and saying so (isLevelEnabled) spares the client building each line. */
const silent: HttpLogger = {
  child: () => silent,
  isLevelEnabled: () => false,
  debug: () => {},
  info: () => {},
  warn: () => {},
};

/** `config` is the app's entry, already validated by `definition.config` (the loader's composed schema). */
export function createConnector(
  definition: ConnectorDefinition,
  config: AppEntry,
  options: CreateConnectorOptions = {},
): Connector {
  const logger = (options.logger ?? silent).child({ app: config.id });
  const http = createHttpClient({
    appId: config.id,
    baseUrl: config.baseUrl,
    auth: config.auth,
    headers: definition.headers?.(config),
    ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
    ...(config.maxResponseBytes ? { maxResponseBytes: config.maxResponseBytes } : {}),
    ...(config.concurrency ? { concurrency: { max: config.concurrency } } : {}),
    logger,
    ...options.http,
  });
  const ops = definition.create({
    appId: config.id,
    config,
    http,
    logger,
    now: options.now ?? (() => new Date()),
  });
  return {
    ...ops,
    appId: config.id,
    type: definition.type as AppType,
    title: definition.title,
    manifest: deriveManifest(definition, ops),
    http,
    sync: syncLimitsOf(config),
    close: () => http.close(),
  };
}

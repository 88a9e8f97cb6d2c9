/** @module Builds a live connector for one roster.yaml app entry: its HTTP client, its operations, its manifest. */

import type { AppConfig, AppConfigOf } from '../../config/schema.js';
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
export function syncLimitsOf(app: AppConfig): SyncLimits {
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

const silent: HttpLogger = {
  child: () => silent,
  debug: () => {},
  info: () => {},
  warn: () => {},
};

export function createConnector<T extends AppType>(
  definition: ConnectorDefinition<T>,
  config: AppConfigOf<T>,
  options: CreateConnectorOptions = {},
): Connector {
  const app = config as AppConfig;
  const logger = (options.logger ?? silent).child({ app: app.id });
  const http = createHttpClient({
    appId: app.id,
    baseUrl: app.baseUrl,
    auth: app.auth,
    headers: definition.headers?.(config),
    ...(app.timeoutMs ? { timeoutMs: app.timeoutMs } : {}),
    ...(app.maxResponseBytes ? { maxResponseBytes: app.maxResponseBytes } : {}),
    ...(app.concurrency ? { concurrency: { max: app.concurrency } } : {}),
    logger,
    ...options.http,
  });
  const ops = definition.create({
    appId: app.id,
    config,
    http,
    logger,
    now: options.now ?? (() => new Date()),
  });
  return {
    ...ops,
    appId: app.id,
    type: definition.type,
    title: definition.title,
    manifest: deriveManifest(definition, ops),
    http,
    sync: syncLimitsOf(app),
    close: () => http.close(),
  };
}

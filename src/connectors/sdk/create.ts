/** @module Builds a live connector for one roster.yaml app entry: its HTTP client, its operations, its manifest. */

import type { AppConfig, AppConfigOf } from '../../config/schema.js';
import type { AppType } from '../../core/types.js';
import { createHttpClient, type HttpClientOptions, type HttpLogger } from '../http/index.js';
import { deriveManifest } from './define.js';
import type { Connector, ConnectorDefinition } from './types.js';

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
    close: () => http.close(),
  };
}

/** @module Builds a live connector for one roster.yaml app entry: its HTTP client, its operations, its manifest. */

import type { AppEntry } from '../../config/parts.js';
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
    close: () => http.close(),
  };
}

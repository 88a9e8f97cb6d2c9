/** @module Every connector by app type, and building the live connectors a roster.yaml asks for. */

import type { AppConfig, AppConfigOf } from '../config/schema.js';
import type { AppType } from '../core/types.js';
import { customerDirectoryConnector } from './customer-directory/index.js';
import { processStreetConnector } from './process-street/index.js';
import { scimConnector } from './scim/index.js';
import { type CreateConnectorOptions, createConnector } from './sdk/create.js';
import type { Connector, ConnectorDefinition } from './sdk/types.js';
import { stackspotScimConnector } from './stackspot-scim/index.js';
import { targetprocessConnector } from './targetprocess/index.js';
import { thoughtIndustriesConnector } from './thought-industries/index.js';

export const CONNECTORS: { [T in AppType]: ConnectorDefinition<T> } = {
  targetprocess: targetprocessConnector,
  'process-street': processStreetConnector,
  'thought-industries': thoughtIndustriesConnector,
  'customer-directory': customerDirectoryConnector,
  'stackspot-scim': stackspotScimConnector,
  scim: scimConnector,
};

/** The live connector for one app entry of roster.yaml. */
export function connectorFor(app: AppConfig, options: CreateConnectorOptions = {}): Connector {
  const definition = CONNECTORS[app.type] as ConnectorDefinition<AppType>;
  return createConnector(definition, app as AppConfigOf<AppType>, options);
}

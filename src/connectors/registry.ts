/** @module Every connector, and what the list derives: app types, config schemas, auth kinds, traits, live connectors. */

// Adding an app is one line in DEFINITIONS: nothing else in Roster lists the apps.

import { parse } from 'yaml';
import type { z } from 'zod';
import type { AppEntry, AuthType } from '../config/parts.js';
import { customerDirectoryConnector } from './customer-directory/index.js';
import { processStreetConnector } from './process-street/index.js';
import { scimConnector } from './scim/index.js';
import { type CreateConnectorOptions, createConnector } from './sdk/create.js';
import type { Connector, ConnectorDefinition, ConnectorTraits } from './sdk/types.js';
import { stackspotScimConnector } from './stackspot-scim/index.js';
import { targetprocessConnector } from './targetprocess/index.js';
import { thoughtIndustriesConnector } from './thought-industries/index.js';

const DEFINITIONS = [
  targetprocessConnector,
  processStreetConnector,
  thoughtIndustriesConnector,
  customerDirectoryConnector,
  stackspotScimConnector,
  scimConnector,
] as const;

type Definition = (typeof DEFINITIONS)[number];

/** The kinds of app Roster has a connector for. `scim` is any SCIM 2.0 service. */
export type AppType = Definition['type'];
export const APP_TYPES: readonly AppType[] = DEFINITIONS.map((d) => d.type);

/** One app entry of roster.yaml, as its connector's schema parses it. */
export type AppConfig = z.output<Definition['config']>;
export type AppConfigOf<T extends AppType> = Extract<AppConfig, { type: T }>;

export const CONNECTORS = Object.fromEntries(DEFINITIONS.map((d) => [d.type, d])) as unknown as {
  [T in AppType]: Extract<Definition, { type: T }>;
};

/** Each app's entry schema, in registry order: the config loader composes them into one union on `type`. */
export const APP_CONFIG_SCHEMAS: readonly Definition['config'][] = DEFINITIONS.map((d) => d.config);

/** The definition of an app type; undefined for a type Roster does not know (a stored row from a newer Roster). */
export function definitionOf(type: string): ConnectorDefinition | undefined {
  return (CONNECTORS as Record<string, ConnectorDefinition | undefined>)[type];
}

/** What the generic modules must know about an app type, from its connector. */
export function traitsOf(type: string): ConnectorTraits {
  const definition = definitionOf(type);
  if (!definition) throw new Error(`no connector for app type "${type}"`);
  return definition.traits;
}

interface SchemaDef {
  type?: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  options?: { _zod: { def: SchemaDef } }[];
  values?: unknown[];
}

/** The `auth.type` values an app entry schema accepts, read from the schema itself so they are declared once. */
function authTypesOf(schema: z.ZodType): AuthType[] {
  const def = (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  const auth = def.shape?.['auth']?._zod.def;
  return (auth?.options ?? []).flatMap((option) => {
    const literal = option._zod.def.shape?.['type']?._zod.def;
    return (literal?.values ?? []).filter((v): v is AuthType => typeof v === 'string');
  });
}

/** Which auth each app type accepts; the loader names these when `auth.type` is wrong. */
export const APP_AUTH_TYPES = Object.fromEntries(
  DEFINITIONS.map((d) => [d.type, authTypesOf(d.config)]),
) as unknown as Record<AppType, readonly AuthType[]>;

/** The live connector for one app entry of roster.yaml. */
export function connectorFor(app: AppEntry, options: CreateConnectorOptions = {}): Connector {
  const definition = definitionOf(app.type);
  if (!definition) throw new Error(`no connector for app type "${app.type}"`);
  return createConnector(definition, app, options);
}

/**
 * Every connector type with what it can do, read without a roster.yaml: each is built from its own `roster init`
 * example with placeholder secrets (building one makes no request).
 */
export function connectorCatalogue(): { type: AppType; title: string; manifest: Connector['manifest'] }[] {
  return DEFINITIONS.map((definition) => {
    // Placeholders are letters: YAML reads a string of digits as a number.
    const example = definition.configExample('example', 'EXAMPLE').replace(/\$\{[A-Z_]+\}/g, 'a'.repeat(24));
    const [entry] = parse(example) as [AppEntry];
    const connector = createConnector(definition as unknown as ConnectorDefinition, entry);
    void connector.close();
    return { type: definition.type, title: definition.title, manifest: connector.manifest };
  });
}

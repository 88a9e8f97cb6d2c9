/** @module An app's SCIM profile (schemas, limits, map) from its connector, and the discovery documents (RFC 7644 §4). */

import type { Capability, CapabilityManifest, ConnectorTraits } from '../../connectors/sdk/types.js';
import type { EntitlementKind } from '../../core/types.js';
import { notFound, notImplemented } from './errors.js';
import { parsePath } from './filter.js';
import { LIST_RESPONSE_SCHEMA, type ListResponse } from './listing.js';
import {
  type AccountField,
  CATALOGUE_GROUP,
  CATALOGUE_USER,
  groupKindOf,
  type MapEntry,
  type MappingOverrides,
  userMapping,
} from './mapping.js';
import {
  type AttributeDef,
  ENTERPRISE_USER_SCHEMA,
  findAttribute,
  GROUP_SCHEMA,
  type JsonObject,
  type Mutability,
  type ResourceSchema,
  resolveAttribute,
  SCHEMA_NAMES,
  type SchemaDef,
  USER_SCHEMA,
} from './schema.js';

export const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** What the facade needs to know about one app: all of it from the live connector and roster.yaml. */
export interface AppFacts {
  appId: string;
  title: string;
  manifest: CapabilityManifest;
  traits: Pick<ConnectorTraits, 'attributeMap' | 'deactivateByDelete' | 'inviteOnCreate'>;
  /** The facade's base URL for this app, e.g. `https://roster.example/scim/v2/tp`. */
  baseUrl: string;
  /** Which entitlement kind is a SCIM Group (roster.yaml); default: groups, else teams; null: none. */
  groupKind?: EntitlementKind | null;
  mapping?: MappingOverrides;
}

export interface FacadeLimits {
  /** Most operations in one /Bulk request, and its largest body in bytes. */
  maxOperations: number;
  maxPayloadSize: number;
  /** Most resources in one page, and the default page size. */
  maxResults: number;
}

export const DEFAULT_FACADE_LIMITS: FacadeLimits = {
  maxOperations: 100,
  maxPayloadSize: 1_048_576,
  maxResults: 200,
};

/** What the app can do through the facade, each with the connector's reason when it cannot. */
export interface AppAbilities {
  create: boolean;
  update: boolean;
  /** How `active: false` is carried out: a deactivation, a removal (apps without one), or not at all. */
  deactivateBy: 'deactivate' | 'delete' | null;
  reactivate: boolean;
  delete: boolean;
  addMembers: boolean;
  removeMembers: boolean;
  /** A create is an invitation: the account is `invited` until the person accepts (Process Street). */
  invites: boolean;
  notes: Partial<Record<Capability, string>>;
}

export interface AppProfile {
  appId: string;
  title: string;
  baseUrl: string;
  user: ResourceSchema;
  /** Null when the app has no entitlement kind served as Groups. */
  group: ResourceSchema | null;
  groupKind: EntitlementKind | null;
  mapping: MapEntry[];
  abilities: AppAbilities;
  limits: FacadeLimits;
}

function abilitiesOf(facts: AppFacts, groupKind: EntitlementKind | null): AppAbilities {
  const a = facts.manifest.accounts;
  const g = groupKind ? facts.manifest.entitlements[groupKind] : undefined;
  return {
    create: a.create,
    update: a.update,
    deactivateBy: a.deactivate ? 'deactivate' : facts.traits.deactivateByDelete && a.delete ? 'delete' : null,
    reactivate: a.reactivate,
    delete: a.delete,
    addMembers: g?.grant ?? false,
    removeMembers: g?.revoke ?? false,
    invites: facts.traits.inviteOnCreate === true,
    notes: facts.manifest.notes,
  };
}

/** A field the connector writes: the three every create takes, and what its attributeMap lists. */
function writes(facts: AppFacts, field: AccountField): boolean {
  if (field === 'email' || field === 'firstName' || field === 'lastName') return true;
  if (field === 'displayName' || field === 'active') return false;
  const name = field.startsWith('attributes.') ? field.slice('attributes.'.length) : field;
  return Object.hasOwn(facts.traits.attributeMap, name);
}

function mutabilityOf(facts: AppFacts, abilities: AppAbilities, field: AccountField): Mutability {
  if (field === 'active') return abilities.deactivateBy || abilities.reactivate ? 'readWrite' : 'readOnly';
  if (!writes(facts, field)) return 'readOnly';
  if (abilities.update) return 'readWrite';
  // Set when the account is made, never after (Process Street: invite, no update).
  return abilities.create ? 'immutable' : 'readOnly';
}

const RANK: Record<Mutability, number> = { readOnly: 0, immutable: 1, writeOnly: 2, readWrite: 3 };

/**
 * The app's User schema: the catalogue's attributes that the map uses, with only the sub-attributes it uses,
 * each as writable as the app makes it. An attribute the map does not use is not declared, so never answered.
 */
function userSchemaOf(
  facts: AppFacts,
  mapping: readonly MapEntry[],
  abilities: AppAbilities,
  hasGroups: boolean,
) {
  const picked = new Map<
    string,
    {
      container: string | null;
      def: AttributeDef;
      subs: Map<string, Mutability> | null;
      mutability: Mutability;
    }
  >();
  for (const entry of mapping) {
    const path = parsePath(entry.scim);
    const at = resolveAttribute(CATALOGUE_USER, path.attr);
    if (!at || (at.container === null && at.def.name === 'externalId')) continue;
    const mutability = mutabilityOf(facts, abilities, entry.account);
    const key = `${at.container ?? ''}|${at.def.name}`;
    const item = picked.get(key) ?? {
      container: at.container,
      def: at.def,
      subs: at.def.subAttributes ? new Map<string, Mutability>() : null,
      mutability,
    };
    if (RANK[mutability] > RANK[item.mutability]) item.mutability = mutability;
    const subName = path.sub ?? at.sub?.name ?? null;
    if (item.subs) {
      const names = subName ? [subName] : [];
      // A value path such as emails[type eq "work"].value writes type too; multi-valued values carry primary.
      if (at.def.multiValued) names.push('value', 'type', 'primary');
      for (const n of names) {
        const prev = item.subs.get(n);
        if (!prev || RANK[mutability] > RANK[prev]) item.subs.set(n, mutability);
      }
    }
    picked.set(key, item);
  }
  const build = (container: string | null): AttributeDef[] =>
    [...picked.values()]
      .filter((p) => p.container === container)
      .map((p) => {
        const def: AttributeDef = { ...p.def, mutability: p.mutability };
        if (p.subs)
          def.subAttributes = (p.def.subAttributes ?? [])
            .filter((s) => p.subs?.has(s.name))
            .map((s) => ({ ...s, mutability: p.subs?.get(s.name) ?? s.mutability }));
        return def;
      });
  const core = build(null);
  if (hasGroups) {
    const groups = findAttribute(CATALOGUE_USER.core.attributes, 'groups');
    if (groups) core.push(groups);
  }
  const enterprise = build(ENTERPRISE_USER_SCHEMA);
  const schema: ResourceSchema = { core: { ...describe(USER_SCHEMA), attributes: core }, extensions: [] };
  if (enterprise.length > 0)
    schema.extensions.push({ ...describe(ENTERPRISE_USER_SCHEMA), attributes: enterprise });
  return schema;
}

function describe(id: string): Omit<SchemaDef, 'attributes'> {
  const names = SCHEMA_NAMES[id] ?? { name: id, description: id };
  return { id, ...names };
}

/** The app's Group schema: names are the app's own (read-only), members as writable as grant/revoke make them. */
function groupSchemaOf(abilities: AppAbilities): ResourceSchema {
  const members: Mutability = abilities.addMembers || abilities.removeMembers ? 'readWrite' : 'readOnly';
  const attributes = CATALOGUE_GROUP.core.attributes.map((def) =>
    def.name === 'displayName'
      ? { ...def, mutability: 'readOnly' as const }
      : { ...def, mutability: members },
  );
  return { core: { ...describe(GROUP_SCHEMA), attributes }, extensions: [] };
}

export function buildProfile(facts: AppFacts, limits: FacadeLimits = DEFAULT_FACADE_LIMITS): AppProfile {
  const groupKind = groupKindOf(facts.manifest, facts.groupKind);
  const abilities = abilitiesOf(facts, groupKind);
  const mapping = userMapping(facts.traits, facts.mapping);
  return {
    appId: facts.appId,
    title: facts.title,
    baseUrl: facts.baseUrl.replace(/\/+$/, ''),
    user: userSchemaOf(facts, mapping, abilities, groupKind !== null),
    group: groupKind ? groupSchemaOf(abilities) : null,
    groupKind,
    mapping,
    abilities,
    limits,
  };
}

/**
 * Refuses what the app cannot do through its API with the connector's reason (501 Not Implemented), so an IdP
 * is told, never answered a success for a change that did not happen.
 */
export function requireAbility(
  profile: AppProfile,
  ability: Exclude<keyof AppAbilities, 'notes' | 'deactivateBy' | 'invites'> | 'deactivate',
): void {
  const { abilities } = profile;
  const can = ability === 'deactivate' ? abilities.deactivateBy !== null : abilities[ability];
  if (can) return;
  const capability: Capability =
    ability === 'addMembers' ? 'grant' : ability === 'removeMembers' ? 'revoke' : ability;
  const note = abilities.notes[capability];
  throw notImplemented(
    `${profile.title} (${profile.appId}) cannot ${describeAbility(ability)} through its API${note ? `: ${note}` : ''}`,
  );
}

function describeAbility(ability: string): string {
  switch (ability) {
    case 'addMembers':
      return 'add group members';
    case 'removeMembers':
      return 'remove group members';
    default:
      return `${ability} users`;
  }
}

export function serviceProviderConfig(profile: AppProfile): JsonObject {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: {
      supported: true,
      maxOperations: profile.limits.maxOperations,
      maxPayloadSize: profile.limits.maxPayloadSize,
    },
    filter: { supported: true, maxResults: profile.limits.maxResults },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: `A Roster token with the scope scim:${profile.appId}, sent as "Authorization: Bearer <token>".`,
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${profile.baseUrl}/ServiceProviderConfig` },
  };
}

/** What a resource type cannot do, in words, for its description (SCIM has no attribute for it). */
function cannot(profile: AppProfile, kind: 'User' | 'Group'): string {
  const a = profile.abilities;
  const missing: [boolean, string, Capability | null][] =
    kind === 'User'
      ? [
          [a.create, 'create', 'create'],
          [a.update, 'update', 'update'],
          [a.deactivateBy !== null, 'deactivate', 'deactivate'],
          [a.reactivate, 'reactivate', 'reactivate'],
          [a.delete, 'delete', 'delete'],
        ]
      : [
          [false, 'create or delete groups', null],
          [a.addMembers, 'add members', 'grant'],
          [a.removeMembers, 'remove members', 'revoke'],
        ];
  const lines = missing
    .filter(([can]) => !can)
    .map(([, what, cap]) => {
      const note = cap ? a.notes[cap] : undefined;
      return note ? `${what} (${note})` : what;
    });
  return lines.length > 0 ? ` Cannot: ${lines.join('; ')}.` : '';
}

export function resourceTypes(profile: AppProfile): JsonObject[] {
  const user: JsonObject = {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: `${profile.title} accounts.${cannot(profile, 'User')}`,
    schema: USER_SCHEMA,
    meta: { resourceType: 'ResourceType', location: `${profile.baseUrl}/ResourceTypes/User` },
  };
  if (profile.user.extensions.length > 0)
    user['schemaExtensions'] = profile.user.extensions.map((e) => ({ schema: e.id, required: false }));
  const types = [user];
  if (profile.group && profile.groupKind)
    types.push({
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: `${profile.title} ${profile.groupKind}s.${cannot(profile, 'Group')}`,
      schema: GROUP_SCHEMA,
      meta: { resourceType: 'ResourceType', location: `${profile.baseUrl}/ResourceTypes/Group` },
    });
  return types;
}

function schemaResource(profile: AppProfile, schema: SchemaDef): JsonObject {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes as unknown as JsonObject[],
    meta: { resourceType: 'Schema', location: `${profile.baseUrl}/Schemas/${schema.id}` },
  };
}

export function schemas(profile: AppProfile): JsonObject[] {
  const defs = [
    profile.user.core,
    ...profile.user.extensions,
    ...(profile.group ? [profile.group.core] : []),
  ];
  return defs.map((d) => schemaResource(profile, d));
}

/** A discovery listing (RFC 7644 §4 answers /Schemas and /ResourceTypes as a ListResponse). */
export function discoveryList(resources: JsonObject[]): ListResponse {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

export function resourceTypeById(profile: AppProfile, id: string): JsonObject {
  const found = resourceTypes(profile).find((t) => String(t['id']).toLowerCase() === id.toLowerCase());
  if (!found) throw notFound(`no resource type "${id}" for ${profile.appId}`);
  return found;
}

export function schemaById(profile: AppProfile, id: string): JsonObject {
  const found = schemas(profile).find((s) => String(s['id']).toLowerCase() === id.toLowerCase());
  if (!found) throw notFound(`no schema "${id}" for ${profile.appId}`);
  return found;
}

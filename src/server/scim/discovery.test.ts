import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { connectorFor, definitionOf } from '../../connectors/registry.js';
import type { Connector } from '../../connectors/sdk/types.js';
import type { SeedAppType } from '../../core/types.js';
import { type Fleet, fleetConfigYaml, startFleet } from '../../sandbox/fleet.js';
import {
  type AppProfile,
  buildProfile,
  discoveryList,
  requireAbility,
  resourceTypeById,
  resourceTypes,
  schemaById,
  schemas,
  serviceProviderConfig,
} from './discovery.js';
import { ScimError } from './errors.js';
import { project } from './listing.js';
import { toScimUser } from './mapping.js';
import {
  type AttributeDef,
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  type JsonObject,
  USER_SCHEMA,
} from './schema.js';

let fleet: Fleet;
const connectors = new Map<SeedAppType, Connector>();
const profiles = new Map<SeedAppType, AppProfile>();

beforeAll(async () => {
  fleet = await startFleet({ people: 5, basePort: 0 });
  const config = parseConfig(fleetConfigYaml(fleet, { sourcePath: 'hr.csv', store: 'sqlite:./roster.db' }), {
    file: '/tmp/roster.yaml',
    env: {},
  });
  for (const app of config.apps) {
    const connector = connectorFor(app);
    const type = app.type as SeedAppType;
    connectors.set(type, connector);
    const traits = definitionOf(type)!.traits;
    profiles.set(
      type,
      buildProfile({
        appId: app.id,
        title: connector.title,
        manifest: connector.manifest,
        traits,
        baseUrl: `https://roster.test/scim/v2/${app.id}/`,
      }),
    );
  }
});
afterAll(async () => {
  await Promise.all([...connectors.values()].map((c) => c.close()));
  await fleet.close();
});

const profile = (type: SeedAppType) => profiles.get(type)!;
const attribute = (p: AppProfile, name: string): AttributeDef | undefined =>
  p.user.core.attributes.find((a) => a.name === name);

function failure(run: () => unknown): ScimError {
  try {
    run();
  } catch (e) {
    if (e instanceof ScimError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('each app declares what its connector can do', () => {
  it('customer-directory: no create, no active (no status through PATCH), department in the enterprise extension', () => {
    const p = profile('customer-directory');
    expect(p.abilities).toMatchObject({ create: false, update: true, deactivateBy: null, reactivate: false });
    expect(attribute(p, 'active')?.mutability).toBe('readOnly');
    expect(attribute(p, 'name')?.mutability).toBe('readWrite');
    expect(attribute(p, 'title')?.mutability).toBe('readWrite');
    expect(p.user.extensions[0]?.id).toBe(ENTERPRISE_USER_SCHEMA);
    expect(p.user.extensions[0]?.attributes.map((a) => a.name)).toEqual(['department']);
    expect(p.groupKind).toBe('group');
    const create = failure(() => requireAbility(p, 'create'));
    expect(create.status).toBe(501);
    expect(create.message).toMatch(/cannot create users through its API: The API has no create endpoint/);
    const user = resourceTypeById(p, 'user');
    expect(user['description']).toMatch(/Cannot: create \(The API has no create endpoint/);
    expect(user['schemaExtensions']).toEqual([{ schema: ENTERPRISE_USER_SCHEMA, required: false }]);
  });
  it('Process Street: no update, so names are immutable (set by the invite); active:false removes the member', () => {
    const p = profile('process-street');
    expect(p.abilities).toMatchObject({
      create: true,
      update: false,
      deactivateBy: 'delete',
      reactivate: false,
    });
    expect(attribute(p, 'name')?.mutability).toBe('immutable');
    expect(attribute(p, 'userName')?.mutability).toBe('immutable');
    expect(attribute(p, 'active')?.mutability).toBe('readWrite');
    expect(failure(() => requireAbility(p, 'update')).message).toMatch(/no member update endpoint/);
    expect(() => requireAbility(p, 'deactivate')).not.toThrow();
    expect(p.groupKind).toBe('group');
    expect(p.group?.core.attributes.find((a) => a.name === 'members')?.mutability).toBe('readWrite');
  });
  it('Targetprocess: userName is the login, teams are its Groups, no title attribute', () => {
    const p = profile('targetprocess');
    expect(p.mapping.find((m) => m.scim === 'userName')?.account).toBe('login');
    expect(p.groupKind).toBe('team');
    expect(attribute(p, 'title')).toBeUndefined();
    expect(p.user.extensions).toEqual([]);
    expect(resourceTypeById(p, 'Group')['description']).toMatch(/teams\./);
  });
  it('StackSpot: users only, no Group resource type', () => {
    const p = profile('stackspot-scim');
    expect(p.group).toBeNull();
    expect(resourceTypes(p).map((t) => t['id'])).toEqual(['User']);
    expect(attribute(p, 'groups')).toBeUndefined();
    expect(failure(() => resourceTypeById(p, 'Group')).status).toBe(404);
  });
  it('Thought Industries: a custom field with a standard home (customFields.department) maps there', () => {
    const p = profile('thought-industries');
    expect(p.mapping).toContainEqual({
      scim: `${ENTERPRISE_USER_SCHEMA}:department`,
      account: 'attributes.customFields.department',
    });
    expect(p.abilities.deactivateBy).toBe('deactivate');
  });
  it('a configured group kind the app lacks is refused', () => {
    const connector = connectors.get('stackspot-scim')!;
    expect(() =>
      buildProfile({
        appId: 'x',
        title: 'x',
        manifest: connector.manifest,
        traits: { attributeMap: {} },
        baseUrl: 'https://r/scim/v2/x',
        groupKind: 'team',
      }),
    ).toThrow(/no "team" entitlements/);
  });
});

describe('discovery documents', () => {
  it('ServiceProviderConfig says what the protocol layer supports and the limits', () => {
    const spc = serviceProviderConfig(profile('targetprocess'));
    expect(spc).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 100, maxPayloadSize: 1_048_576 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      meta: { location: 'https://roster.test/scim/v2/targetprocess/ServiceProviderConfig' },
    });
    expect((spc['authenticationSchemes'] as JsonObject[])[0]?.['type']).toBe('oauthbearertoken');
  });
  it('Schemas lists User, the extension where mapped, and Group; each by id; unknown ids are 404', () => {
    const p = profile('customer-directory');
    expect(schemas(p).map((s) => s['id'])).toEqual([USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA]);
    expect(schemaById(p, USER_SCHEMA.toUpperCase())['name']).toBe('User');
    const error = failure(() => schemaById(p, 'urn:nope'));
    expect(error.status).toBe(404);
    expect(error.toJSON()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '404',
      detail: expect.stringContaining('urn:nope'),
    });
    const list = discoveryList(schemas(p));
    expect(list.totalResults).toBe(3);
  });
  it('the User schema of every app carries only the sub-attributes the map writes', () => {
    for (const p of profiles.values()) {
      const name = attribute(p, 'name');
      expect(name?.subAttributes?.map((s) => s.name)).toEqual(['familyName', 'givenName']);
      const emails = attribute(p, 'emails');
      expect(emails?.subAttributes?.map((s) => s.name)).toEqual(['value', 'type', 'primary']);
      expect(attribute(p, 'password')).toBeUndefined();
    }
  });
});

describe('a response never carries an attribute its schema does not declare', () => {
  it('an account with unmapped attributes answers only declared ones, for every app', async () => {
    for (const [type, p] of profiles) {
      const connector = connectors.get(type)!;
      const page = await connector.accounts.list!({ pageToken: null });
      const account = page.items[0]!;
      const resource = project(toScimUser(account, p.mapping, { baseUrl: p.baseUrl }), p.user);
      const declared = new Set([
        'schemas',
        'id',
        'externalId',
        'meta',
        ...p.user.core.attributes.map((a) => a.name),
      ]);
      for (const key of Object.keys(resource)) {
        if (key === ENTERPRISE_USER_SCHEMA) {
          const ext = p.user.extensions[0]!;
          for (const k of Object.keys(resource[key] as JsonObject))
            expect(
              ext.attributes.map((a) => a.name),
              `${type} ${k}`,
            ).toContain(k);
        } else expect(declared, `${type} ${key}`).toContain(key);
      }
      expect(resource['id']).toBe(account.id);
      expect(resource['meta']).toMatchObject({
        resourceType: 'User',
        location: `${p.baseUrl}/Users/${account.id}`,
      });
    }
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { type SandboxHandle, startSandbox } from '../kit/server.js';
import { PATCH_OP_SCHEMA } from './patch.js';
import { stackspotScimSandbox } from './sandbox.js';
import { CUSTOM_SCHEMA, type SsState } from './state.js';
import { account, call, company } from './testkit.js';

let sandbox: SandboxHandle<SsState> | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** The keys of the guide's example resource (GET, POST, PUT and PATCH all print the same shape). */
const EXAMPLE_KEYS = [
  'attributes',
  'block_and_date',
  'block_start_date',
  'block_type_name',
  'company',
  'displayName',
  'emails',
  'gender',
  'groups',
  'hire_date',
  'human',
  'id',
  'is_blocked',
  'is_email_verified',
  'is_phone_verified',
  'machine_name',
  'meta',
  'name',
  'never_logged',
  'phoneNumbers',
  'preferredLanguage',
  'preferredLoginName',
  'profileUrl',
  'properties',
  'required_actions',
  'resource_owner',
  'schemas',
  'userName',
];

function expectExampleResource(value: unknown): Record<string, unknown> {
  const resource = value as Record<string, unknown>;
  const extra = Object.keys(resource).filter((key) => !EXAMPLE_KEYS.includes(key));
  expect(extra.every((key) => key === 'externalId' || key === CUSTOM_SCHEMA)).toBe(true);
  expect(Object.keys(resource)).toEqual(expect.arrayContaining(EXAMPLE_KEYS));
  expect(resource.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', CUSTOM_SCHEMA]);
  const meta = resource.meta as Record<string, unknown>;
  expect(meta.resourceType).toBe('User');
  expect(meta.location).toBe(`Users/${resource.id}`);
  expect(meta.version).toMatch(/^\d+$/);
  expect(meta.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  expect(Object.keys(resource.name as object).sort()).toEqual(['familyName', 'formatted', 'givenName']);
  for (const email of resource.emails as object[])
    expect(Object.keys(email).sort()).toEqual(['display', 'type', 'value']);
  return resource;
}

describe('StackSpot guide examples', () => {
  it('each example request, on the /tenant-id/scim/Users form, answers the documented status and shape', async () => {
    sandbox = await startSandbox(stackspotScimSandbox, {
      seed: 8,
      company: company([account('lucas', { login: 'lucas.torres@dev.acme.test' })]),
    });
    const base = `/${sandbox.credentials.tenant}/scim/Users`;
    // "Header: Authorization: Bearer token" and nothing else: the tenant is in the path.
    const headers = { authorization: `Bearer ${sandbox.credentials.token}` };

    // GET /tenant-id/scim/Users Get all Users
    const all = await call(sandbox, 'GET', base, undefined, headers);
    expect(all.status).toBe(200);
    const page = all.body as Record<string, unknown>;
    expect(Object.keys(page).sort()).toEqual([
      'Resources',
      'itemsPerPage',
      'schemas',
      'startIndex',
      'totalResults',
    ]);
    expect(page).toMatchObject({
      itemsPerPage: 100,
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      startIndex: 1,
      totalResults: 1,
    });
    expectExampleResource((page.Resources as unknown[])[0]);

    // POST /tenant-id/scim/Users Create Users (a domain.CreateUser body that yields the example response)
    const created = await call(
      sandbox,
      'POST',
      base,
      {
        userName: 'test.scim@dev.acme.test',
        displayName: 'FirstNameLastName',
        name: { givenName: 'FirstName', familyName: 'LastName' },
        emails: [
          { primary: true, type: 'work', value: 'work@example.com' },
          { primary: false, type: 'Personal', value: 'personal@example.com' },
        ],
        phoneNumbers: [{ primary: true, type: 'mobile', value: '5541999999999' }],
        [CUSTOM_SCHEMA]: {
          company: 'Default',
          gender: 'M',
          hireDate: '08/04/1198',
          machineName: 'MyMachineName',
          preferredLoginName: 'MyPreferredLogin',
          human: true,
        },
      },
      headers,
    );
    expect(created.status).toBe(201);
    const user = expectExampleResource(created.body);
    expect(user).toMatchObject({
      company: 'Default',
      displayName: 'FirstNameLastName',
      gender: 'M',
      hire_date: '08/04/1198',
      machine_name: 'MyMachineName',
      preferredLoginName: 'MyPreferredLogin',
      preferredLanguage: 'und',
      never_logged: true,
      required_actions: ['otp-configure'],
      is_blocked: false,
      groups: null,
      attributes: null,
      phoneNumbers: [{ value: '5541999999999' }],
      emails: [
        { display: 'Work Email', type: 'work', value: 'work@example.com' },
        { display: 'Personal Email', type: 'Personal', value: 'personal@example.com' },
      ],
    });
    const id = user.id as string;

    // GET /tenant-id/scim/Users/{id} Get User By Id
    const got = await call(sandbox, 'GET', `${base}/${id}`, undefined, headers);
    expect(got.status).toBe(200);
    expect(expectExampleResource(got.body)).toEqual(user);

    // PUT /tenant-id/scim/Users/{id} Update User (domain.UpdateUser)
    const put = await call(
      sandbox,
      'PUT',
      `${base}/${id}`,
      {
        userName: 'test.scim@dev.acme.test',
        name: { givenName: 'FirstName', familyName: 'LastName' },
        emails: [{ type: 'work', value: 'work@example.com' }],
        phoneNumbers: [{ value: '554199999999' }],
        [CUSTOM_SCHEMA]: { company: 'Default', gender: 'M' },
      },
      headers,
    );
    expect(put.status).toBe(200);
    expect(expectExampleResource(put.body).phoneNumbers).toEqual([{ value: '554199999999' }]);

    // PATCH /tenant-id/scim/Users/{id} Update Users With Patch operation (domain.UserPatchOperation)
    const patched = await call(
      sandbox,
      'PATCH',
      `${base}/${id}`,
      {
        schemas: PATCH_OP_SCHEMA,
        Operations: [{ op: 'replace', path: 'displayName', value: 'FirstName LastName' }],
      },
      headers,
    );
    expect(patched.status).toBe(200);
    expect(expectExampleResource(patched.body).displayName).toBe('FirstName LastName');

    // DELETE /tenant-id/scim/Users/{id} Remove User: "Status-Code 204: NO BODY RESPONSE"
    const removed = await call(sandbox, 'DELETE', `${base}/${id}`, undefined, headers);
    expect(removed.status).toBe(204);
    expect(removed.body).toBeNull();
  });
});

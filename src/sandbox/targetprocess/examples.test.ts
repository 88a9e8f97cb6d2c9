import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SandboxHandle, startSandbox } from '../kit/server.js';
import { targetprocessSandbox } from './sandbox.js';
import type { TargetprocessState } from './state.js';
import { manyAccounts, sampleCompany } from './testkit.js';

// Every request example printed in the guide, sent as printed (token in the query where the guide puts it).
let sandbox: SandboxHandle<TargetprocessState>;
beforeAll(async () => {
  // 5 named accounts + 94 more: users 42 and 99 exist, as in the guide's examples.
  const extra = manyAccounts(94);
  extra[0] = { ...extra[0]!, email: 'jane@example.com', firstName: 'Jane', lastName: 'Doe' };
  sandbox = await startSandbox(targetprocessSandbox, { seed: 3, company: sampleCompany(extra) });
});
afterAll(() => sandbox.close());

type Json = Record<string, unknown>;

async function send(line: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const [method, path] = line.split(' ') as [string, string];
  const url = `${sandbox.origin}${path.replace('{token}', sandbox.credentials.token)}`;
  const res = await fetch(url, {
    method,
    headers: {
      ...(path.includes('access_token') ? {} : { authorization: `Bearer ${sandbox.credentials.token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

const items = (json: Json) => json['Items'] as Json[];

describe('Targetprocess guide request examples', () => {
  it('List Users: GET /api/v1/Users?format=json&take=25&skip=0&access_token={token}', async () => {
    const { status, json } = await send('GET /api/v1/Users?format=json&take=25&skip=0&access_token={token}');
    expect(status).toBe(200);
    expect(items(json)).toHaveLength(25);
    expect(items(json)[0]).toMatchObject({
      Id: 1,
      FirstName: expect.any(String),
      LastName: expect.any(String),
      Email: expect.any(String),
      IsActive: expect.any(Boolean),
    });
    expect(json['Next']).toEqual(expect.any(String));
  });

  it('Get User by ID: GET /api/v1/Users/42?format=json&access_token={token} (Role only with include)', async () => {
    const { json } = await send('GET /api/v1/Users/42?format=json&access_token={token}');
    expect(json).toMatchObject({
      Id: 42,
      FirstName: expect.any(String),
      LastName: expect.any(String),
      Email: expect.any(String),
      Login: expect.any(String),
      IsActive: true,
    });
    expect(json['Role']).toBeUndefined();
    const withRole = await send('GET /api/v1/Users/42?format=json&include=[Role]&access_token={token}');
    expect(withRole.json['Role']).toEqual({ Id: 2, Name: 'Developer' });
  });

  it('Create User: POST /api/v1/Users?format=json', async () => {
    const { status, json } = await send('POST /api/v1/Users?format=json', {
      FirstName: 'John',
      LastName: 'Smith',
      Email: 'john@example.com',
      Login: 'john.smith',
      Password: 'SecurePass1!',
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      Id: expect.any(Number),
      FirstName: 'John',
      LastName: 'Smith',
      Email: 'john@example.com',
      IsActive: true,
    });
  });

  it('Update User: POST /api/v1/Users/99?format=json', async () => {
    const { status, json } = await send('POST /api/v1/Users/99?format=json', {
      FirstName: 'Jonathan',
      IsActive: false,
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({ Id: 99, FirstName: 'Jonathan', IsActive: false });
  });

  it('Delete User: DELETE /api/v1/Users/99?format=json&access_token={token}', async () => {
    const { status, json } = await send('DELETE /api/v1/Users/99?format=json&access_token={token}');
    expect(status).toBe(200);
    expect(json).toEqual({});
  });

  it("Filter Users by Email: GET /api/v1/Users?where=(Email+eq+'jane@example.com')&format=json", async () => {
    const { json } = await send(
      "GET /api/v1/Users?where=(Email+eq+'jane@example.com')&format=json&access_token={token}",
    );
    expect(items(json)).toHaveLength(1);
    expect(items(json)[0]).toMatchObject({ Id: 6, Email: 'jane@example.com', IsActive: true });
    expect(json['Next']).toBeUndefined();
  });

  it('List Roles: GET /api/v1/Roles?format=json&access_token={token}', async () => {
    const { json } = await send('GET /api/v1/Roles?format=json&access_token={token}');
    expect(items(json)).toEqual(
      expect.arrayContaining([
        { Id: expect.any(Number), Name: 'Administrator' },
        { Id: expect.any(Number), Name: 'Developer' },
      ]),
    );
  });

  it('List Teams: GET /api/v1/Teams?format=json&access_token={token}', async () => {
    const { json } = await send('GET /api/v1/Teams?format=json&access_token={token}');
    expect(items(json)).toEqual([
      { Id: 10, Name: 'Alpha Team' },
      { Id: 11, Name: 'Beta Team' },
    ]);
  });

  it('Bulk provisioning: POST /api/v1/TeamMembers with the stored User Id and the Team Id', async () => {
    const { status, json } = await send('POST /api/v1/TeamMembers?format=json', {
      User: { Id: 42 },
      Team: { Id: 11 },
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      Id: expect.any(Number),
      User: { Id: 42 },
      Team: { Id: 11, Name: 'Beta Team' },
    });
  });

  it("Role sync: GET /api/v1/Users?where=(ModifyDate gt '{ts}'), then POST a Role {Id}", async () => {
    const since = new Date(Date.now() - 60_000).toISOString().slice(0, 19);
    const changed = await send(
      `GET /api/v1/Users?where=${encodeURIComponent(`(ModifyDate gt '${since}')`)}&format=json&access_token={token}`,
    );
    // Users 99 (updated, then deleted) and the John just created.
    expect(items(changed.json).map((u) => u['Id'])).toEqual([99, 100]);
    const { status } = await send('POST /api/v1/Users/42?format=json', { Role: { Id: 1 } });
    expect(status).toBe(200);
    const after = await send('GET /api/v1/Users/42?format=json&include=[Role]&access_token={token}');
    expect(after.json['Role']).toEqual({ Id: 1, Name: 'Administrator' });
  });
});

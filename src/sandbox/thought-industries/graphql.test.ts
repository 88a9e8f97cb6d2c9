import { afterEach, describe, expect, it } from 'vitest';
import { sampleCompany, startTi, type TiHarness } from './testkit.js';

type GqlUser = {
  id: string;
  email: string;
  active: boolean;
  customFields: string;
  enrollments: { courseId: string; status: string; completedAt: string | null }[];
};

let h: TiHarness | undefined;
afterEach(async () => {
  await h?.sandbox.close();
  h = undefined;
});

async function start(extra = 0, undocumented: string[] = []): Promise<TiHarness> {
  h = await startTi({ seed: 7, company: sampleCompany(extra), undocumented });
  return h;
}
const ENROLLMENTS = ['graphql-enrollments'];

describe('GraphQL /incoming/api/graphql', () => {
  it('users(page) answers data.users with the requested fields only', async () => {
    const t = await start(30);
    const res = await t.graphql<{ users: Record<string, unknown>[] }>(
      '{ users(page: 1) { id email firstName active } }',
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.users).toHaveLength(25);
    expect(Object.keys(res.body.data!.users[0]!)).toEqual(['id', 'email', 'firstName', 'active']);
  });

  it('pages with page/perPage like REST, and perPage above 100 is clamped (graphql-enrollments flag)', async () => {
    const t = await start(150, ENROLLMENTS);
    const q = 'query ($page: Int, $perPage: Int) { users(page: $page, perPage: $perPage) { id } }';
    const big = await t.graphql<{ users: { id: string }[] }>(q, { page: 1, perPage: 1000 });
    expect(big.body.data?.users).toHaveLength(100);
    const last = await t.graphql<{ users: { id: string }[] }>(q, { page: 2, perPage: 100 });
    expect(last.body.data?.users).toHaveLength(54);
    const rest = await t.call<{ users: { id: string }[] }>('GET', '/users?page=2&per_page=100');
    expect(last.body.data?.users.map((u) => u.id)).toEqual(rest.body.users.map((u) => u.id));
  });

  it('reads every user with their enrollments in one page-sized request (graphql-enrollments flag)', async () => {
    const t = await start(0, ENROLLMENTS);
    t.sandbox.clearRequests();
    const res = await t.graphql<{ users: GqlUser[] }>(
      '{ users(page: 1, perPage: 100) { id email active customFields enrollments { courseId status completedAt } } }',
    );
    expect(t.sandbox.requests()).toHaveLength(1);
    const ada = res.body.data!.users.find((u) => u.id === t.idOf('ada'))!;
    expect(ada.enrollments).toHaveLength(2);
    const rest = await t.call<{ enrollments: unknown[] }>('GET', `/users/${ada.id}/enrollments`);
    expect(ada.enrollments).toEqual(rest.body.enrollments);
    expect(JSON.parse(ada.customFields)).toEqual({ department: 'Sales', title: 'VP Sales' });
  });

  it('by default the schema has what the guide shows: no User.enrollments, no perPage, and says so', async () => {
    const t = await start();
    const type = await t.graphql<{ __type: { fields: { name: string }[] } }>(
      '{ __type(name: "User") { fields { name } } }',
    );
    expect(type.body.data!.__type.fields.map((f) => f.name)).not.toContain('enrollments');
    const asked = await t.graphql('{ users(page: 1, perPage: 100) { id enrollments { courseId } } }');
    expect(asked.status).toBe(400);
    expect(asked.body.errors?.map((e) => e.message).join(' ')).toMatch(/perPage|enrollments/);
  });

  it('introspection works and shows the User type with enrollments (graphql-enrollments flag)', async () => {
    const t = await start(0, ENROLLMENTS);
    const res = await t.graphql<{ __type: { fields: { name: string }[] } }>(
      '{ __type(name: "User") { fields { name } } }',
    );
    const names = res.body.data!.__type.fields.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['id', 'email', 'ssoId', 'groups', 'customFields', 'enrollments']),
    );
    const schema = await t.graphql<{ __schema: { mutationType: unknown } }>(
      '{ __schema { mutationType { name } } }',
    );
    expect(schema.body.data?.__schema.mutationType).toBeNull();
  });

  it('is read-only: a mutation is rejected and REST is the only way to write', async () => {
    const t = await start();
    const res = await t.graphql(`mutation { updateUser(id: "${t.idOf('ada')}", active: false) { id } }`);
    expect(res.body.data).toBeNull();
    expect(res.body.errors?.[0]?.message).toBe('Schema is not configured to execute mutation operation.');
    expect(t.sandbox.state.usersById.get(t.idOf('ada'))?.active).toBe(true);
  });

  it('user(id) returns one user, or null for an unknown id', async () => {
    const t = await start();
    const one = await t.graphql<{ user: { email: string } | null }>(
      'query ($id: ID!) { user(id: $id) { email } }',
      {
        id: t.idOf('ada'),
      },
    );
    expect(one.body.data?.user?.email).toBe('Ada.Lovelace@Acme.com');
    const none = await t.graphql<{ user: null }>('{ user(id: "nope") { email } }');
    expect(none.body.data?.user).toBeNull();
  });

  it('a syntax error or a missing query is a 400 with errors', async () => {
    const t = await start();
    expect((await t.graphql('{ users(page: 1) { id ')).status).toBe(400);
    const res = await fetch(`${t.sandbox.origin}/incoming/api/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': t.sandbox.credentials.token },
      body: JSON.stringify({ variables: {} }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it('a page below 1 is a field error in a 200', async () => {
    const t = await start();
    const res = await t.graphql('{ users(page: 0) { id } }');
    expect(res.status).toBe(200);
    expect(res.body.errors?.[0]?.message).toContain('page');
  });

  it('takes the API key like REST: apiKey query parameter works, no key is a 401', async () => {
    const t = await start();
    const url = `${t.sandbox.origin}/incoming/api/graphql`;
    const body = JSON.stringify({ query: '{ users { id } }' });
    const headers = { 'content-type': 'application/json' };
    expect((await fetch(url, { method: 'POST', headers, body })).status).toBe(401);
    const ok = await fetch(`${url}?apiKey=${t.sandbox.credentials.token}`, { method: 'POST', headers, body });
    expect(ok.status).toBe(200);
  });
});

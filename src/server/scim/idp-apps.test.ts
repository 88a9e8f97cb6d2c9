import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../app/tokens.js';
import { loadConfig } from '../../config/load.js';
import { connectorFor } from '../../connectors/registry.js';
import { readGrants } from '../../connectors/sdk/contract.testkit.js';
import type { Connector } from '../../connectors/sdk/types.js';
import type { EntitlementKind, SeedAppType } from '../../core/types.js';
import { type Fleet, startFleet } from '../../sandbox/fleet.js';
import type { SandboxHandle } from '../../sandbox/kit/server.js';
import { adminCall } from '../../sandbox/kit/testkit.js';
import { fleetWorkspace } from '../../sandbox/testkit.js';
import { openStore } from '../../store/open.js';
import { freshDatabase, requirePostgres } from '../../store/postgres.testkit.js';
import { tokenStore } from '../../store/tokens.js';
import { startTestServer, type TestServer } from '../testkit.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/**
 * What each app can do through its documented API, written out here (not read from the facade's profile) so
 * the test fails if the facade claims more, or less, than the app's guide allows.
 */
interface AppCase {
  app: SeedAppType;
  /** yes; invite (Process Street: the member is invited, joins on accepting); no (customer-directory). */
  create: 'yes' | 'invite' | 'no';
  update: boolean;
  /** inactive: deactivated; removed: Process Street has no deactivation, the member is removed; no: a task. */
  deactivate: 'inactive' | 'removed' | 'no';
  reactivate: boolean;
  /** The entitlement kind served as Groups, and whether memberships can be written through the API. */
  groups: { kind: EntitlementKind; write: boolean } | null;
}

const CASES: AppCase[] = [
  {
    app: 'thought-industries',
    create: 'yes',
    update: true,
    deactivate: 'inactive',
    reactivate: true,
    groups: { kind: 'group', write: true },
  },
  {
    app: 'targetprocess',
    create: 'yes',
    update: true,
    deactivate: 'inactive',
    reactivate: true,
    groups: { kind: 'team', write: true },
  },
  {
    app: 'process-street',
    create: 'invite',
    update: false,
    deactivate: 'removed',
    reactivate: false,
    groups: { kind: 'group', write: true },
  },
  {
    app: 'customer-directory',
    create: 'no',
    update: true,
    deactivate: 'no',
    reactivate: false,
    groups: { kind: 'group', write: false },
  },
  {
    app: 'stackspot-scim',
    create: 'yes',
    update: true,
    deactivate: 'inactive',
    reactivate: true,
    groups: null,
  },
];

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

type Dialect = 'okta' | 'entra';

const postgres = await requirePostgres();

/**
 * On the embedded store and on the cluster's (Postgres, whose connections send some statements with the next one
 * and prepare the ones run again: the facade's writes are the ones that use both most).
 */
const ENGINES = (['SQLite', 'Postgres'] as const).filter((e) => e !== 'Postgres' || postgres.available);

describe.each(ENGINES)(
  'Okta and Entra ID provisioning sequences on each of the five sandboxes, through /scim/v2/<app> (%s store)',
  (engine) => {
    let fleet: Fleet;
    let t: TestServer;
    let database: { url: string; drop: () => Promise<void> } | undefined;
    const tokens = new Map<string, string>();
    const apps = new Map<string, Connector>();
    beforeAll(async () => {
      fleet = await startFleet({ people: 12, seed: 21 });
      database = engine === 'Postgres' ? await freshDatabase('roster_scim_idp') : undefined;
      const storeLine = database ? `store: ${JSON.stringify(database.url)}` : null;
      // Ten sequences deactivate and delete more than the default hold allows in an hour (hold.test.ts tests it).
      const ws = fleetWorkspace(fleet, {
        prefix: 'roster-scim-idp-',
        edit: (yaml) =>
          `${storeLine ? yaml.replace(/^store: .*$/m, storeLine) : yaml}scim:\n  hold: { max: 100 }\n`,
      });
      const config = await loadConfig(ws.file, { env: {} });
      // The Postgres run is on Postgres, not on a file the edit failed to replace.
      expect(config.store.startsWith(engine === 'Postgres' ? 'postgres://' : 'sqlite:')).toBe(true);
      t = await startTestServer({ dir: ws.dir, config });
      for (const app of config.apps) {
        const issued = await issueToken(
          { store: t.store, tokens: tokenStore(t.store) },
          { name: `idp-${app.id}`, scope: `scim:${app.id}`, createdBy: 'test' },
        );
        tokens.set(app.id, issued.token);
        // The test's own view of each sandbox, apart from Roster's: what the app really holds.
        apps.set(app.id, connectorFor(app));
      }
      await t.call('POST', '/syncs', { token: t.tokens.operate, body: {} });
      for (let i = 0; i < 1500 && t.server.context.jobs.list().length > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
    }, 120_000);
    afterAll(async () => {
      for (const app of apps.values()) await app.close();
      await t?.close();
      await fleet?.close();
      await database?.drop();
    });

    const scim = async (app: string, method: string, path: string, body?: unknown): Promise<Answer> => {
      const r = await fetch(`${t.server.url}/scim/v2/${app}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${tokens.get(app)}`,
          ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return {
        status: r.status,
        headers: r.headers,
        body: r.status === 204 ? {} : ((await r.json()) as Record<string, unknown>),
      };
    };
    const byUserName = (app: string, userName: string) =>
      scim(
        app,
        'GET',
        `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`,
      );
    const patchUser = (app: string, id: string, Operations: unknown[]) =>
      scim(app, 'PATCH', `/Users/${encodeURIComponent(id)}`, { schemas: [PATCH], Operations });
    const held = (app: string, id: string) => apps.get(app)!.accounts.get!({ id });
    const openTasks = async (app: string) => t.store.listTasks({ appId: app, status: 'open' });

    it('an IdP token revoked by another process (the CLI, on the same store) is refused by the facade', async () => {
      const app = 'stackspot-scim';
      // Another process: a store of its own on the same database, as `roster tokens` opens.
      const cli = await openStore(t.config.store);
      try {
        const issued = await issueToken(
          { store: cli, tokens: tokenStore(cli) },
          { name: 'idp-revoked-elsewhere', scope: `scim:${app}`, createdBy: 'test' },
        );
        const read = () =>
          fetch(`${t.server.url}/scim/v2/${app}/Users?count=1`, {
            headers: { authorization: `Bearer ${issued.token}` },
          }).then((r) => r.status);
        // Checked, then checked again (kept, on Postgres, once the server listens).
        expect(await read()).toBe(200);
        expect(await read()).toBe(200);
        await tokenStore(cli).revoke({ idOrName: 'idp-revoked-elsewhere' });
        // Refused as soon as the server hears of it (at once on SQLite, which reads the token on every request);
        // well before a token unheard of would expire from what the server keeps (5 s).
        let status = await read();
        for (let waited = 0; status !== 401 && waited < 3_000; waited += 10) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          status = await read();
        }
        expect(status).toBe(401);
      } finally {
        await cli.close();
      }
    });

    /**
     * A 501 in SCIM's error form, and a manual task open for a person (a new one, or the open one for the same
     * account and change, which a second request joins): never a silent success.
     */
    async function expectTask(app: string, answer: Answer, kind: string) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(501);
      expect(answer.body).toMatchObject({ schemas: [ERROR], status: '501' });
      expect(String(answer.body['detail'])).toContain('manual task');
      expect((await openTasks(app)).map((task) => task.kind)).toContain(kind);
    }

    /** What the IdP sends to create a user, in its own words. */
    function createBody(dialect: Dialect, userName: string, given: string, family: string) {
      return dialect === 'okta'
        ? {
            schemas: [USER],
            userName,
            name: { givenName: given, familyName: family },
            emails: [{ primary: true, value: userName, type: 'work' }],
            displayName: `${given} ${family}`,
            locale: 'en-US',
            externalId: `00u${given.toLowerCase()}`,
            groups: [],
            password: 'Okta-sends-a-password-1',
            active: true,
          }
        : {
            schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
            externalId: `${given}${family[0]}`,
            userName,
            active: true,
            displayName: `${given} ${family}`,
            emails: [{ primary: true, type: 'work', value: userName }],
            meta: { resourceType: 'User' },
            name: { formatted: `${given} ${family}`, familyName: family, givenName: given },
            roles: [],
          };
    }

    /** An active account the sandbox already holds (apps where the API cannot create one), by its SCIM id. */
    async function existing(app: string, skip: number): Promise<{ id: string; userName: string }> {
      const list = await scim(app, 'GET', `/Users?filter=${encodeURIComponent('active eq true')}&count=5`);
      const found = (list.body['Resources'] as { id: string; userName: string }[])[skip];
      if (!found) throw new Error(`${app}'s sandbox holds no active account to work on`);
      return found;
    }

    for (const c of CASES) {
      for (const dialect of ['okta', 'entra'] as const) {
        it(`${dialect} on ${c.app}: lookup, create, update, group membership, deactivate, reactivate, delete`, async () => {
          const app = c.app;
          const sandbox = fleet.get(app) as SandboxHandle;
          const stamp = `${dialect}${c.app.replace(/[^a-z]/g, '').slice(0, 6)}`;
          const given = dialect === 'okta' ? 'Olive' : 'Edna';
          const family = `Idp${stamp}`;
          const userName = `${given.toLowerCase()}.${family.toLowerCase()}@${fleet.company.domain}`;

          // Both IdPs look the user up by userName before creating it.
          expect((await byUserName(app, userName)).body).toMatchObject({ totalResults: 0, Resources: [] });

          let id: string;
          let name = userName;
          const created = await scim(app, 'POST', '/Users', createBody(dialect, userName, given, family));
          if (c.create === 'no') {
            await expectTask(app, created, 'create');
            expect(await apps.get(app)!.accounts.findByEmail!({ email: userName })).toEqual([]);
            // The IdP then matches a user the app already holds, and manages it from there on.
            ({ id, userName: name } = await existing(app, dialect === 'okta' ? 0 : 1));
          } else {
            expect(created.status, JSON.stringify(created.body)).toBe(201);
            id = created.body['id'] as string;
            expect(created.body).toMatchObject({ userName, active: true });
            expect(created.body).not.toHaveProperty('password');
            expect(await held(app, id)).toMatchObject({
              email: userName,
              firstName: given,
              lastName: family,
              status: c.create === 'invite' ? 'invited' : 'active',
            });
            const found = await byUserName(app, userName.toUpperCase());
            expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id, active: true }] });
          }

          // Update: Okta replaces the whole user (PUT), Entra sends "Replace" with dotted keys and no path.
          const before = (await held(app, id))!;
          const renamed = `${given}x`;
          let updated: Answer;
          if (dialect === 'okta') {
            const current = (await scim(app, 'GET', `/Users/${encodeURIComponent(id)}`)).body;
            const { meta: _meta, ...full } = current;
            updated = await scim(app, 'PUT', `/Users/${encodeURIComponent(id)}`, {
              ...full,
              name: { ...(full['name'] as object), givenName: renamed },
              password: 'Okta-sends-it-again-1',
            });
          } else {
            updated = await patchUser(app, id, [{ op: 'Replace', value: { 'name.givenName': renamed } }]);
          }
          if (c.update) {
            expect(updated.status, JSON.stringify(updated.body)).toBe(200);
            expect(updated.body).toMatchObject({ name: { givenName: renamed } });
            expect((await held(app, id))?.firstName).toBe(renamed);
          } else {
            await expectTask(app, updated, 'update');
            expect((await held(app, id))?.firstName).toBe(before.firstName);
          }

          // Group push: find the group by name, add the user, see it on the group, remove it.
          if (c.groups === null) {
            const none = await scim(app, 'GET', '/Groups');
            expect(none.status).toBe(404);
            expect(none.body).toMatchObject({ schemas: [ERROR], status: '404' });
          } else {
            const list = await scim(app, 'GET', '/Groups?count=1');
            const group = (list.body['Resources'] as { id: string; displayName: string }[])[0]!;
            // Entra ID looks a group up without its members (Microsoft's SCIM guide: excludedAttributes=members).
            const lookup = await scim(
              app,
              'GET',
              `/Groups?filter=${encodeURIComponent(`displayName eq "${group.displayName}"`)}${
                dialect === 'entra' ? '&excludedAttributes=members' : ''
              }`,
            );
            expect(lookup.body).toMatchObject({ Resources: [{ id: group.id }] });
            if (dialect === 'entra') {
              expect((lookup.body['Resources'] as Record<string, unknown>[])[0]).not.toHaveProperty(
                'members',
              );
            }
            // Only the configured kind is a Group (a Targetprocess role or a Thought Industries course is not).
            const kinds = await t.store.listEntitlements({ appId: app });
            const served = (await scim(app, 'GET', '/Groups?count=1000')).body['Resources'] as {
              id: string;
            }[];
            expect(served.map((g) => g.id).sort()).toEqual(
              kinds
                .filter((e) => e.kind === c.groups!.kind)
                .map((e) => e.id)
                .sort(),
            );
            // A member joins groups once the invitation is accepted (the Process Street guide).
            if (c.create === 'invite') await adminCall(sandbox, 'POST', `/members/${id}/accept`);
            const gid = encodeURIComponent(group.id);
            const add =
              dialect === 'okta'
                ? { op: 'add', path: 'members', value: [{ value: id, display: name }] }
                : { op: 'Add', path: 'members', value: [{ value: id }] };
            const added = await scim(app, 'PATCH', `/Groups/${gid}`, { schemas: [PATCH], Operations: [add] });
            const grants = async () =>
              (await readGrants(apps.get(app)!, c.groups!.kind)).filter(
                (g) => g.entitlementId === group.id && g.accountId === id,
              );
            if (c.groups.write) {
              expect(added.status, JSON.stringify(added.body)).toBe(200);
              expect(await grants()).toHaveLength(1);
              // Read after write: the group shows its new member at once, without a sync.
              const read = await scim(app, 'GET', `/Groups/${gid}`);
              expect(read.body['members']).toEqual(
                expect.arrayContaining([expect.objectContaining({ value: id })]),
              );
              // Its version moved with the member, and reads the same with the members left out.
              const bare = await scim(app, 'GET', `/Groups/${gid}?excludedAttributes=members`);
              expect(bare.body).not.toHaveProperty('members');
              expect((bare.body['meta'] as { version: string }).version).toBe(
                (read.body['meta'] as { version: string }).version,
              );
              expect((read.body['meta'] as { version: string }).version).not.toBe(
                (lookup.body['Resources'] as { meta: { version: string } }[])[0]?.meta.version,
              );
              const remove =
                dialect === 'okta'
                  ? { op: 'remove', path: `members[value eq "${id}"]` }
                  : { op: 'Remove', path: 'members', value: [{ value: id }] };
              const removed = await scim(app, 'PATCH', `/Groups/${gid}`, {
                schemas: [PATCH],
                Operations: [remove],
              });
              expect(removed.status, JSON.stringify(removed.body)).toBe(200);
              expect(await grants()).toHaveLength(0);
              const after = await scim(app, 'GET', `/Groups/${gid}`);
              expect(JSON.stringify(after.body['members'] ?? [])).not.toContain(`"${id}"`);
            } else {
              await expectTask(app, added, 'grant');
              expect(await grants()).toHaveLength(0);
            }
          }

          // Deactivate: Okta sends active:false in a no-path replace, Entra "False" as a string on path active.
          const off =
            dialect === 'okta'
              ? await patchUser(app, id, [{ op: 'replace', value: { active: false } }])
              : await patchUser(app, id, [{ op: 'Replace', path: 'active', value: 'False' }]);
          if (c.deactivate === 'inactive') {
            expect(off.status, JSON.stringify(off.body)).toBe(200);
            expect(off.body).toMatchObject({ id, active: false });
            expect((await held(app, id))?.status).toBe('inactive');
          } else if (c.deactivate === 'removed') {
            expect([200, 204], JSON.stringify(off.body)).toContain(off.status);
            const gone = await held(app, id);
            expect(gone === null || gone.status === 'deleted').toBe(true);
            expect((await byUserName(app, userName)).body).toMatchObject({ totalResults: 0 });
          } else {
            await expectTask(app, off, 'deactivate');
            expect((await held(app, id))?.status).toBe('active');
          }

          // Reactivate.
          const tasksBeforeOn = (await openTasks(app)).length;
          const on =
            dialect === 'okta'
              ? await patchUser(app, id, [{ op: 'replace', value: { active: true } }])
              : await patchUser(app, id, [{ op: 'Replace', path: 'active', value: 'True' }]);
          if (c.reactivate) {
            expect(on.status, JSON.stringify(on.body)).toBe(200);
            expect(on.body).toMatchObject({ active: true });
            expect((await held(app, id))?.status).toBe('active');
          } else if (c.deactivate === 'removed') {
            // Nothing left to reactivate: the IdP is told the user is gone, and creates it again.
            expect(on.status).toBe(404);
            expect(on.body).toMatchObject({ schemas: [ERROR] });
            return;
          } else {
            // Never deactivated (the API could not), so already active: nothing to do, and the answer says so.
            expect(on.status).toBe(200);
            expect(on.body).toMatchObject({ active: true });
            expect((await openTasks(app)).length).toBe(tasksBeforeOn);
          }

          // Delete (Entra deletes after its soft-delete period; Okta only deactivates, so it is asked of Entra).
          if (dialect === 'entra') {
            const deleted = await scim(app, 'DELETE', `/Users/${encodeURIComponent(id)}`);
            expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
            const gone = await held(app, id);
            expect(gone === null || gone.status === 'deleted').toBe(true);
            expect((await scim(app, 'GET', `/Users/${encodeURIComponent(id)}`)).status).toBe(404);
          }
        }, 60_000);
      }
    }

    for (const c of CASES) {
      it(`an import of ${c.app} page by page by startIndex reaches every user once, and a user created since`, async () => {
        const app = c.app;
        const walk = async () => {
          const seen: string[] = [];
          let total = 0;
          for (let start = 1; ; ) {
            const page = await scim(app, 'GET', `/Users?startIndex=${start}&count=2`);
            expect(page.status, JSON.stringify(page.body)).toBe(200);
            total = page.body['totalResults'] as number;
            const ids = (page.body['Resources'] as { id: string }[]).map((u) => u.id);
            seen.push(...ids);
            start += ids.length;
            if (ids.length === 0 || start > total) return { seen, total };
          }
        };
        const every = (await scim(app, 'GET', '/Users?count=1000')).body['Resources'] as { id: string }[];
        const first = await walk();
        expect(first.seen).toEqual(every.map((u) => u.id));
        expect(first.total).toBe(every.length);
        expect(first.total).toBeGreaterThan(4);
        // The same walk again reads on from where each page ended; a user created since moves every page after it.
        expect((await walk()).seen).toEqual(first.seen);
        if (c.create !== 'yes') return;
        const userName = `walk.${app.replace(/[^a-z]/g, '')}@${fleet.company.domain}`;
        const created = await scim(app, 'POST', '/Users', createBody('okta', userName, 'Walk', 'Er'));
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        const again = await walk();
        expect(again.total).toBe(first.total + 1);
        expect(again.seen).toEqual(
          ((await scim(app, 'GET', '/Users?count=1000')).body['Resources'] as { id: string }[]).map(
            (u) => u.id,
          ),
        );
        expect(again.seen).toContain(created.body['id']);
      }, 60_000);
    }

    it('Entra ID matching by externalId finds the user the app holds with it, exactly', async () => {
      let matched = 0;
      for (const c of CASES) {
        const every = (await scim(c.app, 'GET', '/Users?count=1000')).body['Resources'] as {
          id: string;
          externalId?: string;
        }[];
        for (const user of every.filter((u) => u.externalId).slice(0, 2)) {
          const externalId = user.externalId as string;
          const found = await scim(
            c.app,
            'GET',
            `/Users?filter=${encodeURIComponent(`externalId eq "${externalId}"`)}&startIndex=1&count=100`,
          );
          expect(found.status, JSON.stringify(found.body)).toBe(200);
          const holders = every.filter((u) => u.externalId === externalId).map((u) => u.id);
          expect((found.body['Resources'] as { id: string }[]).map((u) => u.id)).toEqual(holders);
          expect(holders).toContain(user.id);
          // caseExact: another case is another id.
          const other =
            externalId.toUpperCase() === externalId ? externalId.toLowerCase() : externalId.toUpperCase();
          if (other !== externalId && !every.some((u) => u.externalId === other)) {
            const none = await scim(
              c.app,
              'GET',
              `/Users?filter=${encodeURIComponent(`externalId eq "${other}"`)}`,
            );
            expect(none.body).toMatchObject({ totalResults: 0 });
          }
          matched++;
        }
      }
      expect(matched).toBeGreaterThan(0);
    }, 60_000);

    it('Entra ID matching by work email finds the user the app holds with it, in any case, and updates it', async () => {
      let matched = 0;
      for (const c of CASES) {
        type Listed = { id: string; emails?: { value: string; type?: string }[] };
        const every = (await scim(c.app, 'GET', '/Users?count=1000')).body['Resources'] as Listed[];
        const work = (u: Listed) => u.emails?.find((e) => e.type === 'work')?.value;
        const user = every.find((u) => u.id !== undefined && work(u) !== undefined);
        if (user === undefined) continue;
        const address = work(user) as string;
        // Entra sends the address as its user holds it; emails.value is compared without regard to case.
        const filter = `emails[type eq "work"].value eq "${address.toUpperCase()}"`;
        const found = await scim(c.app, 'GET', `/Users?filter=${encodeURIComponent(filter)}`);
        expect(found.status, JSON.stringify(found.body)).toBe(200);
        const holders = every
          .filter((u) => work(u)?.toLowerCase() === address.toLowerCase())
          .map((u) => u.id);
        expect((found.body['Resources'] as { id: string }[]).map((u) => u.id)).toEqual(holders);
        expect(holders).toContain(user.id);
        const none = await scim(
          c.app,
          'GET',
          `/Users?filter=${encodeURIComponent(`emails[type eq "work"].value eq "nobody.${address}"`)}`,
        );
        expect(none.body).toMatchObject({ totalResults: 0 });
        matched++;
        if (!c.update) continue;
        // Matched, Entra updates the user it found; the app holds the change.
        const renamed = `Matched${matched}`;
        const updated = await patchUser(c.app, user.id, [
          { op: 'Replace', value: { 'name.givenName': renamed } },
        ]);
        expect(updated.status, JSON.stringify(updated.body)).toBe(200);
        expect((await held(c.app, user.id))?.firstName).toBe(renamed);
      }
      expect(matched).toBe(CASES.length);
    }, 60_000);

    it('an Okta PUT with active:false on customer-directory (no deactivation in its API) is a task and a 501', async () => {
      const app = 'customer-directory';
      const { id } = await existing(app, 2);
      const current = (await scim(app, 'GET', `/Users/${encodeURIComponent(id)}`)).body;
      const { meta: _meta, ...full } = current;
      const off = await scim(app, 'PUT', `/Users/${encodeURIComponent(id)}`, { ...full, active: false });
      await expectTask(app, off, 'deactivate');
      expect(String(off.body['detail'])).toContain('active');
      expect((await held(app, id))?.status).toBe('active');
      // The same PUT that leaves active as it is changes nothing and is answered 200.
      const same = await scim(app, 'PUT', `/Users/${encodeURIComponent(id)}`, { ...full, active: true });
      expect(same.status, JSON.stringify(same.body)).toBe(200);
    }, 60_000);
  },
);

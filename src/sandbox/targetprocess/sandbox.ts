/** @module The Targetprocess sandbox definition: credentials, auth (Bearer, access_token, Basic), summary, admin extras. */

import { z } from 'zod';
import { createRng } from '../kit/rng.js';
import { basicCredentials, bearerToken, type SandboxDefinition } from '../kit/server.js';
import { errorBody } from './render.js';
import { API_PREFIX, registerRoutes } from './routes.js';
import { createState, restore, snapshot, type TargetprocessState } from './state.js';

const settingsBody = z
  .object({
    sso: z.boolean(),
    excludeDeletedByDefault: z.boolean(),
    isoDates: z.boolean(),
  })
  .partial()
  .strict();

function accessTokenParam(url: string): string | null {
  const at = url.indexOf('?');
  return at < 0 ? null : new URLSearchParams(url.slice(at + 1)).get('access_token');
}

export const targetprocessSandbox: SandboxDefinition<TargetprocessState> = {
  type: 'targetprocess',
  title: 'Targetprocess',
  // Guide: no rate-limit headers and no Retry-After.
  retryAfter: 'never',
  credentials(seed) {
    const rng = createRng(seed).fork('credentials:targetprocess');
    return { token: `MTp${rng.hex(40)}`, username: 'roster.admin', password: `tp-${rng.hex(16)}` };
  },
  baseUrl: (origin) => `${origin}${API_PREFIX}`,
  createState: (input) => createState(input),
  snapshot,
  restore,
  summary(state) {
    let deleted = 0;
    let inactive = 0;
    for (const user of state.users) {
      if (user.DeleteDate !== null) deleted++;
      else if (!user.IsActive) inactive++;
    }
    return {
      users: state.users.length,
      deletedUsers: deleted,
      inactiveUsers: inactive,
      roles: state.roles.length,
      teams: state.teams.length,
      teamMembers: state.teamMembers.size,
    };
  },
  // Guide: an access token as `Authorization: Bearer`, or as `?access_token=`; or Basic login:password.
  authenticate(request, credentials) {
    const bearer = bearerToken(request);
    if (bearer !== null && bearer === credentials.token) return { ok: true };
    const basic = basicCredentials(request);
    if (basic && basic.username === credentials.username && basic.password === credentials.password) {
      return { ok: true };
    }
    if (bearer === null && basic === null && accessTokenParam(request.url) === credentials.token) {
      return { ok: true };
    }
    return { ok: false, status: 401, message: 'Authentication failed' };
  },
  errorBody,
  routes: registerRoutes,
  adminRoutes(app, ctx) {
    // Switch the readings the guide leaves open (README.md): SSO tenant, hide deleted users, ISO dates.
    app.get('/__admin/targetprocess/settings', async () => ctx.state.settings);
    app.put('/__admin/targetprocess/settings', async (request, reply) => {
      const parsed = settingsBody.safeParse(request.body ?? {});
      if (!parsed.success) {
        return reply.code(400).send({ error: 'invalid admin request', issues: parsed.error.issues });
      }
      Object.assign(ctx.state.settings, parsed.data);
      return ctx.state.settings;
    });
    // Tests name planted accounts by key; this answers the Targetprocess user Id.
    app.get('/__admin/targetprocess/users/by-key/:key', async (request, reply) => {
      const id = ctx.state.userIdByKey.get((request.params as { key: string }).key);
      if (id === undefined) return reply.code(404).send({ error: 'no planted account with that key' });
      return { Id: id };
    });
  },
};

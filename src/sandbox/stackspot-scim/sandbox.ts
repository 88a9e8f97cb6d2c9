/** @module The StackSpot SCIM sandbox definition: a tenant-scoped Bearer token and the SCIM Users API. */

import { createRng } from '../kit/rng.js';
import { bearerToken, type SandboxDefinition } from '../kit/server.js';
import { registerAdminRoutes } from './admin.js';
import { errorBody, registerRoutes } from './routes.js';
import { createState, restore, type SsState, snapshot, summary, tenantFor } from './state.js';

export const stackspotScimSandbox: SandboxDefinition<SsState> = {
  type: 'stackspot-scim',
  title: 'StackSpot SCIM',
  // The guide says nothing about rate limits: some 429s carry Retry-After, some do not.
  retryAfter: 'sometimes',
  // One token per tenant; `tenant` is what goes in X-Tenant-Id (or the path).
  credentials: (seed) => ({
    token: `stk_${createRng(seed).fork('stackspot-scim:token').hex(40)}`,
    tenant: tenantFor(seed),
  }),
  // The endpoint table's form: /scim/Users with X-Tenant-Id. The examples' /{tenant}/scim/Users works too.
  baseUrl: (origin) => `${origin}/scim`,
  createState,
  snapshot,
  restore,
  summary,
  // "Authorization: Bearer token" on every example.
  authenticate(request, credentials) {
    const token = bearerToken(request);
    if (token === null) return { ok: false, status: 401, message: 'Missing bearer token' };
    if (token !== credentials.token) return { ok: false, status: 401, message: 'Invalid bearer token' };
    return { ok: true };
  },
  errorBody: (status, message) => errorBody(status, message),
  routes: registerRoutes,
  adminRoutes: registerAdminRoutes,
};

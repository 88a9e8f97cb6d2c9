/** @module The customer-directory sandbox definition: a customer-scoped access token and the users API. */

import { createRng } from '../kit/rng.js';
import type { SandboxDefinition } from '../kit/server.js';
import { registerAdminRoutes } from './admin.js';
import { CD_UNDOCUMENTED_FLAGS, errorBody, registerRoutes } from './routes.js';
import { type CdState, createState, customerIdFor, restore, snapshot, summary } from './state.js';

export const customerDirectorySandbox: SandboxDefinition<CdState> = {
  type: 'customer-directory',
  title: 'customer-directory',
  // The guide says nothing about rate limits: some 429s carry Retry-After, some do not.
  retryAfter: 'sometimes',
  // One access token per customer; `tenant` is the 24-hex customerId it is scoped to.
  credentials: (seed) => ({
    token: createRng(seed).fork('customer-directory:token').hex(40),
    tenant: customerIdFor(seed),
  }),
  // Paths carry their own version (/api/v1, /api/v2), so the base is the origin.
  baseUrl: (origin) => origin,
  createState,
  snapshot,
  restore,
  summary,
  // "Enter access token": `Authorization: Bearer <token>`, or the bare token as the whole header value.
  authenticate(request, credentials) {
    const header = request.headers.authorization;
    if (!header) return { ok: false, status: 401, message: 'Missing Authorization header (access token)' };
    const token = /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, '') : header;
    if (token.trim() !== credentials.token)
      return { ok: false, status: 401, message: 'Invalid access token' };
    return { ok: true };
  },
  errorBody,
  undocumented: CD_UNDOCUMENTED_FLAGS,
  // The guide documents no list of roles or groups: roster.yaml names them (name → id) for the connector.
  appConfig: (state, flags) => ({
    roles: Object.fromEntries([...state.roles.values()].map((r) => [r.name, r._id])),
    groups: Object.fromEntries([...state.groups.values()].map((g) => [g.name, g._id])),
    // Every flag of this sandbox is an endpoint the connector can be told to try.
    ...(flags.length > 0 ? { undocumented: [...flags] } : {}),
  }),
  routes: registerRoutes,
  adminRoutes: registerAdminRoutes,
};

/** @module The Process Street sandbox definition: org-scoped Bearer API key, members API, admin extras. */

import { createRng } from '../kit/rng.js';
import { bearerToken, type SandboxDefinition } from '../kit/server.js';
import { registerAdminRoutes } from './admin.js';
import { API_BASE, errorBody, registerRoutes } from './routes.js';
import { createState, organizationIdFor, type PsState, restore, snapshot, summary } from './state.js';

export const processStreetSandbox: SandboxDefinition<PsState> = {
  type: 'process-street',
  title: 'Process Street',
  // "Retry-After header: Unknown": some 429s carry it, some do not.
  retryAfter: 'sometimes',
  // One key per organization (Settings → Integrations → API); `tenant` names the org it belongs to.
  credentials: (seed) => ({
    token: `ps_${createRng(seed).fork('process-street:api-key').hex(40)}`,
    tenant: organizationIdFor(seed),
  }),
  baseUrl: (origin) => `${origin}${API_BASE}`,
  createState,
  snapshot,
  restore,
  summary,
  // "Authorization: Bearer <api_key>" on every request; no OAuth, no per-user tokens.
  authenticate(request, credentials) {
    const token = bearerToken(request);
    if (token === null) {
      return { ok: false, status: 401, message: 'Missing API key: send Authorization: Bearer <api_key>' };
    }
    if (token !== credentials.token) return { ok: false, status: 401, message: 'Invalid API key' };
    return { ok: true };
  },
  errorBody,
  routes: registerRoutes,
  adminRoutes: registerAdminRoutes,
};

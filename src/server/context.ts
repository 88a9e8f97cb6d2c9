/** @module What every route and background service of `roster serve` is handed: config, store, tokens, clock. */

import type { FastifyBaseLogger } from 'fastify';
import type { AuditQueue } from '../app/audit-batch.js';
import type { ClusterQueues } from '../cluster/queue.js';
import type { RosterConfig } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { ApiToken, TokenScope, TokenStore } from '../store/tokens.js';
import type { FindingsCache } from './findings-cache.js';
import type { Jobs } from './jobs.js';
import type { Metrics } from './metrics.js';
import type { Notifier } from './notify.js';
import type { Scheduler } from './scheduler.js';

/**
 * Who may call a route: a token of at least this scope, anyone (health, docs), a webhook sender, or any token
 * the route itself then checks against the app it serves (`scim`: the SCIM facade, `scimAllows`).
 */
export type RouteScope = TokenScope | 'public' | 'webhook' | 'scim';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route; the server refuses to start with a route that lacks it. */
    scope?: RouteScope;
    /** A reviewer's token (one that answers for a person) may call only the routes marked so. */
    reviewer?: boolean;
  }
  interface FastifyRequest {
    /** The token that authenticated the request (null on public and webhook routes). */
    token: ApiToken | null;
  }
}

export interface ServerContext {
  config: RosterConfig;
  /** Where roster.yaml is, for reloading and for paths relative to it. */
  configPath: string;
  store: Store;
  tokens: TokenStore;
  clock: () => Date;
  /** Syncs and applies running in the background, one per app or plan. */
  jobs: Jobs;
  metrics: Metrics;
  /** Findings between changes (computing them refreshes the whole graph). */
  findings: FindingsCache;
  notifier: Notifier;
  /** Set once the server listens, when roster.yaml has a schedule: block. */
  scheduler: Scheduler | null;
  /** Cluster mode (roster.yaml `queue:`): syncs and applies are enqueued for `roster worker`, not run here. */
  cluster?: ClusterQueues | null;
  log: FastifyBaseLogger;
  /** The SCIM facade's queue of request audit events (set when its routes are registered). */
  scimAudit?: AuditQueue;
  /** How the facade carries on interrupted writes (see registerScimRoutes); its defaults unless given (tests). */
  scimResume?: ScimResumeTimings;
}

export interface ScimResumeTimings {
  /** Between two passes over every app, after the one at start (default: an op's claim, OP_LEASE_MS). */
  everyMs?: number;
  /** How long an app's writes wait at most for its pass at start (default 30 s). */
  waitMs?: number;
}

/** The audit actor of a request: the token's name. */
export function actorOf(request: { token: ApiToken | null }): string {
  return request.token?.name ?? 'anonymous';
}

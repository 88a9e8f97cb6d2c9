/** @module `/scim/v2/<appId>/…`: carries requests to the app's SCIM handler and its answers back, nothing more. */

import type { FastifyReply, FastifyRequest } from 'fastify';
import { auditQueue } from '../../app/audit-batch.js';
import { OP_LEASE_MS, type Roster } from '../../app/index.js';
import { scimAllows } from '../../app/tokens.js';
import type { RosterConfig } from '../../config/schema.js';
import { DEFAULT_SCIM_CONFIG } from '../../config/scim.js';
import { definitionOf } from '../../connectors/registry.js';
import type { Store } from '../../store/store.js';
import { actorOf, type ServerContext } from '../context.js';
import { asActor } from '../core.js';
import { announcePlan } from '../notify.js';
import type { RosterFastify } from '../server.js';
import { groupCommitOf, rosterBackend } from './backend.js';
import { connectorCache } from './connectors.js';
import { type AppProfile, buildProfile } from './discovery.js';
import { badRequest, notFound, ScimError, toScimError } from './errors.js';
import { createScimHandler, errorResponse, type ScimResponse } from './handler.js';
import type { MappingOverrides } from './mapping.js';

const PREFIX = '/scim/v2';

/** Who carries on the facade writes a stopped server left half done, in the audit log. */
export const RESUMING_ACTOR = 'scim-resume';

/** How long an app's writes wait at most for its interrupted ones to be carried on as the server starts. */
const RESUME_WAIT_MS = 30_000;

const waited = (ms: number) => new Promise<void>((done) => setTimeout(done, ms).unref());

/**
 * Each app's profile, built once per config and base URL: building one reads the connector's manifest and
 * compiles the attribute map, the same for every request until roster.yaml is reloaded (a new config object).
 */
const profiles = new WeakMap<RosterConfig, Map<string, AppProfile>>();

/** Apps known to have a succeeded sync, per store: once synced, an app stays synced. */
const syncedApps = new WeakMap<Store, Set<string>>();

async function hasSynced(store: Store, appId: string): Promise<boolean> {
  const known = syncedApps.get(store) ?? new Set<string>();
  if (known.has(appId)) return true;
  const [synced] = await store.listSyncRuns({ appId, status: 'succeeded', limit: 1 });
  if (!synced) return false;
  known.add(appId);
  syncedApps.set(store, known);
  return true;
}

function profileOf(roster: Roster, appId: string, baseUrl: string): AppProfile {
  const byApp = profiles.get(roster.config) ?? new Map<string, AppProfile>();
  profiles.set(roster.config, byApp);
  const key = `${appId}\u0000${baseUrl}`;
  const cached = byApp.get(key);
  if (cached) return cached;
  const config = roster.app(appId);
  const connector = roster.connector(appId);
  const own = roster.config.scim?.apps[appId];
  const profile = buildProfile({
    appId,
    title: connector.title,
    manifest: connector.manifest,
    traits: definitionOf(config.type)?.traits ?? { attributeMap: {} },
    ...(own?.groups ? { groupKind: own.groups === 'none' ? null : own.groups } : {}),
    ...(own?.attributes ? { mapping: own.attributes as MappingOverrides } : {}),
    baseUrl,
  });
  // The base URL comes from the request's Host: a client sending many is not let to grow the cache.
  if (byApp.size >= 64) byApp.clear();
  byApp.set(key, profile);
  return profile;
}

function send(reply: FastifyReply, response: ScimResponse): FastifyReply {
  reply.code(response.status).headers(response.headers);
  if (response.body === null) return reply.send();
  return reply.serializer(JSON.stringify).send(response.body);
}

export async function registerScimRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  await app.register(async (scim) => {
    // The server's auth hook (scope 'scim') has found the token; which app it opens is decided here, and every
    // refusal, from there or here, is answered in SCIM's error form so an IdP shows its admin why.
    scim.setErrorHandler((error, request, reply) => {
      const scimError = toScimError(error);
      const response = errorResponse(scimError);
      if (response.status === 401) response.headers['www-authenticate'] = 'Bearer realm="roster-scim"';
      if (response.status >= 500) request.log.error({ err: error }, 'SCIM request failed');
      else request.log.info({ status: response.status, detail: scimError.message }, 'SCIM request refused');
      return send(reply, response);
    });
    scim.addHook('onRequest', async (request) => {
      const { appId } = request.params as { appId: string };
      const token = request.token;
      if (token && !scimAllows(token.scope, appId))
        throw new ScimError(
          403,
          `the token "${token.name}" (${token.scope}) does not open the SCIM facade of "${appId}": ` +
            `use a token made with roster tokens create --scope scim:${appId}`,
        );
    });
    // Every request, read or write, answered or refused, is in the audit log under the token's name: queued and
    // written in batches (a transaction per few ms, not per request), every one written before the server
    // closes. A write's own intent and outcome are not these: runOp writes them before the answer.
    const writes = groupCommitOf(ctx.store);
    const audit = auditQueue(ctx.store, {
      // In the facade's group commit: a batch joins the commit of the op records written meanwhile.
      transaction: (fn) => writes.write(fn),
      onError: (error, lost) =>
        ctx.log.error({ err: error, lost }, 'SCIM request audit events could not be written'),
    });
    ctx.scimAudit = audit;
    // One connector per app and config generation, kept across requests, closed with the server.
    const connectors = connectorCache();
    const asScimActor = <T>(actor: string, work: (roster: Roster) => Promise<T>) =>
      asActor(ctx, actor, work, { sharedConnector: connectors.get });
    // Facade writes a stopped server left half done are carried on as it starts (see interruptedFacadePlans),
    // each app's before that app's next write: the IdP's retry of such a write then finds what it made. Then
    // every claim's length, those of a cluster's other servers, once their claims have run out.
    const resumeInterrupted = (appId: string) =>
      asScimActor(RESUMING_ACTOR, async (roster) => {
        if (!(await hasSynced(roster.store, appId))) return;
        const { finished, failed, left } = await rosterBackend(roster, appId).resumeInterrupted(ctx.clock());
        ctx.metrics.observeInterrupted('scim_write', 'finished', finished.length);
        ctx.metrics.observeInterrupted('scim_write', 'failed', failed.length);
        ctx.metrics.observeInterrupted('scim_write', 'left', left.length);
        if (finished.length > 0)
          scim.log.info({ appId, plans: finished }, 'interrupted SCIM writes carried on to the end');
        for (const { planId, error } of left)
          scim.log.info({ appId, planId, error }, 'an interrupted SCIM write is being carried on elsewhere');
        for (const { planId, error } of failed)
          scim.log.warn({ appId, planId, error }, 'an interrupted SCIM write failed when carried on');
      }).catch((error: unknown) =>
        scim.log.error({ err: error, appId }, 'interrupted SCIM writes could not be carried on'),
      );
    const started = new Map<string, Promise<void>>();
    const sweeping = new Map<string, Promise<void>>();
    const sweep = () => {
      for (const { id } of ctx.config.apps) {
        if (sweeping.has(id)) continue;
        const done = resumeInterrupted(id).finally(() => sweeping.delete(id));
        sweeping.set(id, done);
        // An app that does not answer holds its writes up no longer than that: they then go ahead (and fail
        // against an app that is down, or find it back).
        if (!started.has(id))
          started.set(id, Promise.race([done, waited(ctx.scimResume?.waitMs ?? RESUME_WAIT_MS)]));
      }
    };
    let sweeps: NodeJS.Timeout | undefined;
    scim.addHook('onReady', async () => {
      sweep();
      sweeps = setInterval(sweep, ctx.scimResume?.everyMs ?? OP_LEASE_MS).unref();
    });
    scim.addHook('onClose', async () => {
      clearInterval(sweeps);
      await Promise.all(sweeping.values());
      await audit.close();
      await connectors.close();
    });
    scim.addHook('onResponse', async (request, reply) => {
      const { appId } = request.params as { appId: string };
      audit.append({
        actor: actorOf(request),
        kind: 'scim.request',
        appId: ctx.config.apps.some((a) => a.id === appId) ? appId : null,
        subject: `${request.method} ${request.url.split('?')[0]}`,
        data: { status: reply.statusCode, requestId: request.id },
      });
    });
    // IdPs send application/scim+json (RFC 7644 §3.1); read it, and JSON, as text so a bad body is a SCIM
    // invalidSyntax and its size is known for the bulk limit.
    scim.removeAllContentTypeParsers();
    scim.addContentTypeParser(
      ['application/scim+json', 'application/json'],
      { parseAs: 'string' },
      (_req, body, done) => done(null, body),
    );

    async function handle(request: FastifyRequest, reply: FastifyReply) {
      const { appId, '*': rest = '' } = request.params as { appId: string; '*': string };
      const text = typeof request.body === 'string' ? request.body : '';
      let body: unknown;
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          return send(reply, errorResponse(badRequest('invalidSyntax', 'the body is not JSON')));
        }
      }
      const actor = actorOf(request);
      // A write waits for the app's interrupted ones to be carried on (a read does not: the snapshot answers).
      if (request.method !== 'GET' && !rest.endsWith('.search')) await started.get(appId);
      const response = await asScimActor(actor, async (roster) => {
        try {
          const config = roster.config.apps.find((a) => a.id === appId);
          if (!config) throw notFound(`no app "${appId}" in roster.yaml`);
          if (/^(Users|Groups|Bulk)\b/.test(rest) && !(await hasSynced(roster.store, appId)))
            // Reads come from the snapshot: without one every user would look absent, and an IdP would create
            // duplicates of people the app already has. Refused (IdPs retry a 503) until a sync has run.
            throw new ScimError(503, `${appId} has not been synced yet; run roster sync --app ${appId}`, {
              retryAfter: 60,
            });
          const profile = profileOf(
            roster,
            appId,
            `${request.protocol}://${request.host}${PREFIX}/${encodeURIComponent(appId)}`,
          );
          const query = request.query as Record<string, string | undefined>;
          const header = (name: string) => {
            const value = request.headers[name];
            return typeof value === 'string' ? value : undefined;
          };
          const { hold } = roster.config.scim ?? DEFAULT_SCIM_CONFIG;
          const backend = rosterBackend(roster, appId, {
            hold: { max: hold.max, windowMs: hold.window, retryAfterMs: hold.retryAfter },
            groupKind: profile.groupKind,
            onHold: (planId) => announcePlan(ctx.notifier, ctx.store, planId),
          });
          return await createScimHandler(profile, backend).handle({
            method: request.method,
            path: `/${rest}`,
            query,
            ...(header('if-match') ? { ifMatch: header('if-match') as string } : {}),
            ...(header('if-none-match') ? { ifNoneMatch: header('if-none-match') as string } : {}),
            body,
            bodyBytes: Buffer.byteLength(text),
            tokenName: actor,
          });
        } catch (error) {
          // An unknown app id, or a connector that cannot be built: a SCIM error too, so an IdP can read it.
          return errorResponse(error);
        }
      });
      return send(reply, response);
    }

    // A SCIM client changes accounts, as a plan's apply does: its app's scim:<appId> token, or operate and up.
    for (const url of [`${PREFIX}/:appId/*`]) {
      scim.route({
        method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        url,
        config: { scope: 'scim' },
        schema: { hide: true },
        handler: handle,
      });
    }
  });
}

/** @module The Fastify app of `roster serve`: validation and OpenAPI from zod, auth, problem+json, request ids. */

import { randomUUID } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { authenticate, scopeAllows } from '../app/tokens.js';
import { RosterError } from '../core/errors.js';
import type { ApiToken } from '../store/tokens.js';
import type { RouteScope, ServerContext } from './context.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.js';

export type RosterFastify = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface ServerOptions {
  /** pino options, or false for no logs (tests); a destination stream may be given with `stream`. */
  logger?: FastifyServerOptions['logger'];
  loggerInstance?: FastifyServerOptions['loggerInstance'];
  /** Requests per token (or per address, unauthenticated) per window. */
  rateLimit?: { max: number; timeWindowMs: number };
}

export interface RouteInfo {
  method: string;
  url: string;
  scope: RouteScope;
}

/** Routes a plugin registers that are not API resources: open to anyone, left out of the OpenAPI document. */
const PUBLIC_PREFIXES = ['/docs'];
/** How often a token's last-used time is written: every request would be a write per read. */
const TOUCH_EVERY_MS = 60_000;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Builds the app with its infrastructure; routes are added by `register` before it is made ready. */
export async function createApp(
  context: Omit<ServerContext, 'log'>,
  options: ServerOptions,
  register: (app: RosterFastify, context: ServerContext) => Promise<void>,
): Promise<{ app: RosterFastify; context: ServerContext; routes: RouteInfo[] }> {
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : { logger: options.logger ?? false }),
    // A caller's own request id is kept (so a trace crosses systems) when it is a plain token; else a new one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given)
        ? given
        : // From a random UUID (its bytes come from a buffered pool): randomBytes cost ~9 µs a request, this ~0.3.
          `req_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    },
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<ZodTypeProvider>() as unknown as RosterFastify;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const ctx: ServerContext = { ...context, log: app.log };

  app.decorateRequest('token', null);

  const routes: RouteInfo[] = [];
  // Every route says who may call it; a route without a scope would be an open door, so it stops the start.
  app.addHook('onRoute', (route) => {
    const url = route.url;
    if (route.config?.scope === undefined) {
      if (!PUBLIC_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`))) {
        throw new Error(`route ${route.method} ${url} declares no scope (config.scope)`);
      }
      route.config = { ...(route.config ?? {}), scope: 'public' };
    }
    const scope = route.config.scope as RouteScope;
    for (const method of [route.method].flat()) routes.push({ method, url, scope });
  });

  const touched = new Map<string, number>();
  app.addHook('onRequest', async (request) => {
    const scope: RouteScope | undefined = request.routeOptions.config.scope;
    if (scope === undefined || scope === 'public' || scope === 'webhook') return;
    const token: ApiToken = await authenticate(ctx.tokens, request.headers.authorization);
    request.token = token;
    request.log = request.log.child({ actor: token.name });
    if (scope !== 'scim' && !scopeAllows(token.scope, scope)) {
      throw new RosterError(
        'forbidden',
        `this needs a token with the ${scope} scope; "${token.name}" has ${token.scope}`,
        {
          fix: `use a token created with --scope ${scope} (or higher)`,
        },
      );
    }
    // A reviewer's token is for their review items: the rest of the API is not theirs to read.
    if (token.person !== null && request.routeOptions.config.reviewer !== true) {
      throw new RosterError('forbidden', `"${token.name}" is a reviewer's token: it only reviews access`, {
        fix: 'use a token made without --person for the rest of the API',
      });
    }
    const now = ctx.clock().getTime();
    if (now - (touched.get(token.id) ?? 0) > TOUCH_EVERY_MS) {
      touched.set(token.id, now);
      await ctx.tokens.touch({ id: token.id, at: new Date(now).toISOString() });
    }
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.observeRequest({
      method: request.method,
      // The route pattern, not the URL: ids in paths would make a metric per account.
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
    });
  });

  app.setErrorHandler((error, request, reply) => {
    const { problem, internal } = toProblem(error, request);
    if (internal) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: problem.code, detail: problem.detail }, 'request refused');
    if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="roster"');
    return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).serializer(JSON.stringify).send(problem);
  });

  app.setNotFoundHandler((request, reply) => {
    const { problem } = toProblem(
      new RosterError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`, {
        fix: 'GET /openapi.json lists every route',
      }),
      request,
    );
    return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(problem);
  });

  await app.register(fastifyRateLimit, {
    global: true,
    max: options.rateLimit?.max ?? 600,
    timeWindow: options.rateLimit?.timeWindowMs ?? 60_000,
    // After auth (onRequest), so the budget is the token's, not the address's: many users behind one proxy.
    hook: 'preHandler',
    keyGenerator: (request) => (request.token ? `token:${request.token.id}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, limit) =>
      new RosterError('rate_limited', `rate limit reached: ${limit.max} requests per ${limit.after}`, {
        fix: `wait ${Math.ceil(limit.ttl / 1000)} s (Retry-After) and slow down`,
      }),
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Roster API',
        version: '0.1.0',
        description:
          'Roster keeps SaaS accounts in line with who works at the company. Every route takes a bearer token ' +
          '(roster tokens create); its scope (read < operate < approve < admin) decides what it may do.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  await register(app, ctx);
  return { app, context: ctx, routes };
}

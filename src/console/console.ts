/**
 * @module The console mounted in `roster serve`: sessions from API tokens, CSRF on every write, HTML errors, and the
 * page registry. Pages parse the request, call `src/app` use cases (as the session's token), and render.
 */

import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { scopeAllows } from '../app/tokens.js';
import { ERROR_CODE_TABLE, isRosterError, RosterError } from '../core/errors.js';
import type { ServerContext } from '../server/context.js';
import type { RosterFastify } from '../server/server.js';
import type { TokenScope } from '../store/tokens.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { type Html, html } from './html.js';
import { ASSET_CSS, ASSET_JS, layout, type NavEntry, type Viewer } from './layout.js';
import {
  type ConsoleSession,
  csrfMatches,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  sessionStore,
} from './sessions.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Console routes: who may open the page (a token scope), or anyone (the login page). */
    console?: TokenScope | 'anonymous';
  }
  interface FastifyRequest {
    consoleSession: ConsoleSession | null;
  }
}

export type FormBody = Record<string, string | string[] | undefined>;

export interface RouteOptions {
  /** A reviewer's session (a token made with --person) may use it; such a session may use nothing else. */
  reviewer?: boolean;
}

/** Where a reviewer's session lands: their review items are all it may see. */
export const REVIEWER_HOME = '/console/reviews';

export interface ConsoleRoutes {
  readonly ctx: ServerContext;
  /** A page (GET) for sessions of at least `scope`; the handler returns the page's markup. */
  page(
    path: string,
    scope: TokenScope,
    handler: (request: FastifyRequest, viewer: Viewer, reply: FastifyReply) => Promise<Html | undefined>,
    options?: RouteOptions,
  ): void;
  /** A write (POST form) for sessions of at least `scope`, CSRF-checked; the handler returns where to go next. */
  action(
    path: string,
    scope: TokenScope,
    handler: (request: FastifyRequest, form: FormBody, viewer: Viewer) => Promise<string>,
    options?: RouteOptions,
  ): void;
  /** The page shell with the registered navigation. */
  render(viewer: Viewer | null, title: string, current: string, body: Html): Html;
}

/** One section of the console (overview, people, plans…): its navigation entry and its routes. */
export interface ConsolePage {
  nav?: NavEntry;
  /** Whether this server has the section at all (e.g. the queues, in cluster mode only); yes when absent. */
  available?(ctx: ServerContext): boolean;
  register(routes: ConsoleRoutes): void;
}

const LOGIN_CSRF_COOKIE = 'roster_login_csrf';
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const viewerOf = (session: ConsoleSession): Viewer => ({
  name: session.token.name,
  scope: session.token.scope,
  person: session.token.person,
  csrf: session.csrf,
  can: (scope) => scopeAllows(session.token.scope, scope),
});

/** A path inside the console to go back to after login; anything else (another host, `//x`) is the overview. */
function localPath(next: unknown): string {
  return typeof next === 'string' &&
    /^\/console(\/[^\s\\]*)?(\?[^\s\\]*)?$/.test(next) &&
    !next.startsWith('//')
    ? next
    : '/console';
}

export function field(form: FormBody, name: string): string | undefined {
  const value = form[name];
  return Array.isArray(value) ? value[0] : value;
}

export function fields(form: FormBody, name: string): string[] {
  const value = form[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The form field a write needs, or a 400 naming it. */
export function required(form: FormBody, name: string, label: string, min = 1): string {
  const value = field(form, name)?.trim() ?? '';
  if (value.length < min) {
    throw new RosterError(
      'invalid_input',
      `${label} is required${min > 1 ? ` (at least ${min} characters)` : ''}`,
      {
        where: name,
        fix: `fill in ${label.toLowerCase()} and send the form again`,
      },
    );
  }
  return value;
}

export async function registerConsole(
  app: RosterFastify,
  ctx: ServerContext,
  pages: readonly ConsolePage[],
): Promise<void> {
  const sessions = sessionStore(ctx);
  const present = pages.filter((p) => p.available?.(ctx) ?? true);
  const nav = present.flatMap((p) => (p.nav ? [p.nav] : []));

  app.get('/', { config: { scope: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.redirect('/console', 302),
  );

  await app.register(async (scoped) => {
    await scoped.register(fastifyCookie);
    await scoped.register(fastifyFormbody);
    scoped.decorateRequest('consoleSession', null);

    scoped.addHook('onRequest', async (request, reply) => {
      reply.headers(SECURITY_HEADERS);
      const needed = request.routeOptions.config.console;
      if (needed === undefined || needed === 'anonymous') return;
      const session = await sessions.find(request.cookies[SESSION_COOKIE]);
      if (session === null) {
        if (request.method === 'GET') {
          return reply.redirect(`/console/login?next=${encodeURIComponent(request.url)}`, 303);
        }
        throw new RosterError('unauthenticated', 'you are not signed in (or your session ended)', {
          fix: 'sign in again at /console/login',
        });
      }
      request.consoleSession = session;
      // The API's rate limit and audit actor key on the token: a session is its token.
      request.token = session.token;
      // As in the API: a reviewer's token is for their review items, not for the rest of the console.
      if (session.token.person !== null && request.routeOptions.config.reviewer !== true) {
        if (request.method === 'GET') return reply.redirect(REVIEWER_HOME, 303);
        throw new RosterError(
          'forbidden',
          `"${session.token.name}" is a reviewer's token: it only reviews access`,
          {
            fix: `open ${REVIEWER_HOME}, or sign in with a token made without --person`,
          },
        );
      }
      if (!scopeAllows(session.token.scope, needed)) {
        throw new RosterError(
          'forbidden',
          `this needs a token with the ${needed} scope; "${session.token.name}" has ${session.token.scope}`,
          {
            fix: `sign in with a token created with --scope ${needed} (or higher)`,
          },
        );
      }
    });

    // Writes check the session's CSRF token once the form is parsed and before anything runs.
    scoped.addHook('preHandler', async (request) => {
      if (request.method !== 'POST') return;
      const form = (request.body ?? {}) as FormBody;
      const session = request.consoleSession;
      const expected = session ? session.csrf : request.cookies[LOGIN_CSRF_COOKIE];
      if (!expected || !csrfMatches(expected, field(form, '_csrf'))) {
        throw new RosterError(
          'forbidden',
          'the form is missing its CSRF token or it does not match your session',
          {
            fix: 'reload the page and send the form again',
          },
        );
      }
    });

    scoped.setErrorHandler((error, request, reply) => {
      const status = isRosterError(error)
        ? ERROR_CODE_TABLE[error.code].http
        : ((error as { statusCode?: number }).statusCode ?? 500);
      const internal = status >= 500;
      if (internal) request.log.error({ err: error }, 'console request failed');
      else request.log.info({ detail: (error as Error).message }, 'console request refused');
      const message = internal
        ? 'something went wrong on the server; the log has the details'
        : (error as Error).message;
      const fix = isRosterError(error) ? error.fix : undefined;
      const session = request.consoleSession;
      const body = html`<h1>${status === 403 ? 'Not allowed' : status === 401 ? 'Signed out' : 'That did not work'}</h1>
<div class="banner bad" role="alert"><p><strong>${message}</strong></p>${fix ? html`<p>${fix}</p>` : ''}</div>
<p><a href="${status === 401 ? '/console/login' : '/console'}">${status === 401 ? 'Sign in' : 'Back to the overview'}</a>
<span class="muted"> · request ${request.id}</span></p>`;
      return reply
        .code(status)
        .type('text/html; charset=utf-8')
        .send(layout({ title: 'Error', viewer: session ? viewerOf(session) : null, nav, body }).value);
    });

    const loginPage = (
      request: FastifyRequest,
      reply: FastifyReply,
      next: string,
      error: RosterError | null,
    ) => {
      const csrf = randomBytes(24).toString('base64url');
      reply.setCookie(LOGIN_CSRF_COOKIE, csrf, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/console/login',
        secure: request.protocol === 'https',
      });
      const body = html`<div class="login card"><h1>Sign in to Roster</h1>
${error ? html`<div class="banner bad" role="alert"><strong>${error.message}</strong>${error.fix ? html`<br>${error.fix}` : ''}</div>` : ''}
<p>Paste an API token (<code>roster tokens create --name you --scope read</code> makes one). The token is exchanged for
a session cookie and is not kept in the browser.</p>
<form method="post" action="/console/login">
<input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
<p><label for="token">API token</label><input id="token" name="token" type="password" autocomplete="off" required></p>
<p><button type="submit">Sign in</button></p></form></div>`;
      return reply
        .type('text/html; charset=utf-8')
        .send(layout({ title: 'Sign in', viewer: null, nav, body }).value);
    };

    const routes: ConsoleRoutes = {
      ctx,
      page(path, scope, handler, options = {}) {
        scoped.get(
          path,
          { config: { scope: 'public', console: scope, reviewer: options.reviewer }, schema: { hide: true } },
          async (request, reply) => {
            const session = request.consoleSession as ConsoleSession;
            const out = await handler(request, viewerOf(session), reply);
            if (out === undefined) return reply;
            return reply.type('text/html; charset=utf-8').send(out.value);
          },
        );
      },
      action(path, scope, handler, options = {}) {
        scoped.post(
          path,
          { config: { scope: 'public', console: scope, reviewer: options.reviewer }, schema: { hide: true } },
          async (request, reply) => {
            const session = request.consoleSession as ConsoleSession;
            const next = await handler(request, (request.body ?? {}) as FormBody, viewerOf(session));
            // 303: the browser follows with a GET, so a reload does not send the form twice.
            return reply.redirect(next, 303);
          },
        );
      },
      render: (viewer, title, current, body) => layout({ title, viewer, nav, current, body }),
    };

    scoped.get(
      ASSET_CSS,
      { config: { scope: 'public', console: 'anonymous' }, schema: { hide: true } },
      async (_r, reply) =>
        reply
          .type('text/css; charset=utf-8')
          .header('cache-control', 'public, max-age=300')
          .send(CONSOLE_CSS),
    );
    scoped.get(
      ASSET_JS,
      { config: { scope: 'public', console: 'anonymous' }, schema: { hide: true } },
      async (_r, reply) =>
        reply
          .type('text/javascript; charset=utf-8')
          .header('cache-control', 'public, max-age=300')
          .send(CONSOLE_JS),
    );

    scoped.get(
      '/console/login',
      { config: { scope: 'public', console: 'anonymous' }, schema: { hide: true } },
      async (request, reply) => {
        const next = localPath((request.query as { next?: unknown }).next);
        return loginPage(request, reply, next, null);
      },
    );

    scoped.post(
      '/console/login',
      { config: { scope: 'public', console: 'anonymous' }, schema: { hide: true } },
      async (request, reply) => {
        const form = (request.body ?? {}) as FormBody;
        let opened: Awaited<ReturnType<typeof sessions.open>>;
        try {
          opened = await sessions.open(required(form, 'token', 'API token'));
        } catch (error) {
          // A wrong token is said on the form itself, so the person can paste another one.
          if (!isRosterError(error) || (error.code !== 'unauthenticated' && error.code !== 'invalid_input'))
            throw error;
          reply.code(error.code === 'unauthenticated' ? 401 : 400);
          return loginPage(request, reply, localPath(field(form, 'next')), error);
        }
        const { id, session } = opened;
        reply.clearCookie(LOGIN_CSRF_COOKIE, { path: '/console/login' });
        reply.setCookie(SESSION_COOKIE, id, {
          httpOnly: true,
          sameSite: 'strict',
          path: '/',
          secure: request.protocol === 'https',
          maxAge: Math.floor(SESSION_TTL_MS / 1000),
        });
        request.log.info({ actor: session.token.name }, 'console sign-in');
        const next = localPath(field(form, 'next'));
        return reply.redirect(
          session.token.person !== null && next === '/console' ? REVIEWER_HOME : next,
          303,
        );
      },
    );

    scoped.post(
      '/console/logout',
      { config: { scope: 'public', console: 'read', reviewer: true }, schema: { hide: true } },
      async (request, reply) => {
        await sessions.close(request.cookies[SESSION_COOKIE]);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.redirect('/console/login', 303);
      },
    );

    for (const page of present) page.register(routes);
  });
}

/** @module /people, /accounts, /entitlements, /links and /findings: the identity graph, read and decided. */

import { z } from 'zod';
import {
  findPerson,
  importPeople,
  linkAccount,
  pageAccountViews,
  pageLinks,
  pagePeople,
  searchPeople,
  unlinkAccount,
} from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import { SEVERITIES } from '../../identity/index.js';
import type { ImportResult } from '../../sources/import.js';
import type { StoredEntitlement } from '../../store/store.js';
import { actorOf, type ServerContext } from '../context.js';
import { asActor } from '../core.js';
import { pageOf, pageQuery, paginate } from '../paging.js';
import { problemResponses } from '../problem.js';
import {
  accountViewSchema,
  entitlementSchema,
  findingSchema,
  idParams,
  linkSchema,
  personSchema,
  personViewSchema,
} from '../schemas.js';
import type { RosterFastify } from '../server.js';
import { knownApp } from './apps.js';

const PERSON_STATUS = z.enum(['active', 'leaver', 'on_leave', 'pending']);
const reason = z.string().trim().min(3).max(500).describe('why: kept in the audit log');
const accountParams = z.object({ appId: z.string(), accountId: z.string() });

export async function registerGraphRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  app.get(
    '/people',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['people'],
        summary: 'People from the last HR import; filter by status, department or a search term',
        querystring: pageQuery(['employeeId', 'email', 'lastName', 'department'] as const).extend({
          status: PERSON_STATUS.optional(),
          department: z.string().optional(),
          q: z.string().optional().describe('matches id, email, aliases or name (case-insensitive)'),
        }),
        response: { 200: pageOf(personSchema), ...problemResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      // By employee id (the default) and without a search term, a page is read by the store, not every person.
      if ((q.sort ?? 'employeeId') === 'employeeId' && !q.q?.trim()) {
        return asActor(ctx, actorOf(request), (roster) =>
          pagePeople(roster, {
            status: q.status,
            department: q.department,
            order: q.order,
            cursor: q.cursor,
            limit: q.limit,
          }),
        );
      }
      const people = await asActor(ctx, actorOf(request), (roster) =>
        searchPeople(roster, { q: q.q, status: q.status, department: q.department }),
      );
      return paginate(people, q, {
        id: (p) => p.employeeId,
        sortBy: {
          employeeId: (p) => p.employeeId,
          email: (p) => p.email.toLowerCase(),
          lastName: (p) => p.lastName.toLowerCase(),
          department: (p) => p.department,
        },
      });
    },
  );

  app.post(
    '/people/import',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['people'],
        summary:
          'Re-read the HR export named by source: in roster.yaml (all or nothing, with the drop guard)',
        body: z
          .object({ skipInvalid: z.boolean().default(false), force: z.boolean().default(false) })
          .default({
            skipInvalid: false,
            force: false,
          }),
        response: {
          200: z.object({
            status: z.enum(['applied', 'unchanged']),
            importId: z.string(),
            file: z.string(),
            at: z.string(),
            counts: z.record(z.string(), z.number()),
            errors: z.array(z.unknown()),
            warnings: z.array(z.unknown()),
          }),
          ...problemResponses('conflict'),
        },
      },
    },
    async (request) => {
      // The scheduler's people job shares the key: one import at a time, whoever starts it.
      const { promise, joined } = ctx.jobs.start<ImportResult>('people', () =>
        asActor(ctx, actorOf(request), (roster) => importPeople(roster, request.body)),
      );
      if (joined) {
        throw new RosterError('conflict', 'an import of the HR export is running now', {
          fix: 'retry in a moment; GET /schedule shows the people job',
        });
      }
      const result = await promise;
      return { ...result, counts: { ...result.counts } };
    },
  );

  app.get(
    '/people/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['people'],
        summary: 'One person (by employee id or email) with every linked account and its entitlements',
        params: idParams,
        response: { 200: personViewSchema, ...problemResponses('not_found') },
      },
    },
    async (request) => asActor(ctx, actorOf(request), (roster) => findPerson(roster, request.params.id)),
  );

  app.get(
    '/accounts',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['accounts'],
        summary: 'Synced accounts with their owner or why they have none',
        querystring: pageQuery(['id', 'email', 'status', 'situation'] as const).extend({
          appId: z.string().optional(),
          situation: z.enum(['linked', 'unmatched', 'disputed', 'suggested']).optional(),
          status: z.enum(['active', 'inactive', 'invited', 'deleted']).optional(),
          admin: z.enum(['true', 'false']).optional(),
        }),
        response: { 200: pageOf(accountViewSchema), ...problemResponses('not_found') },
      },
    },
    async (request) => {
      const q = request.query;
      if (q.appId) knownApp(ctx, q.appId, 'query.appId');
      // By (app, id), the default: a page is read by the store, not every account of the fleet.
      if ((q.sort ?? 'id') === 'id') {
        const page = await asActor(ctx, actorOf(request), (roster) =>
          pageAccountViews(roster, {
            appId: q.appId,
            status: q.status,
            admin: q.admin === undefined ? undefined : q.admin === 'true',
            situation: q.situation,
            order: q.order,
            cursor: q.cursor,
            limit: q.limit,
          }),
        );
        return { ...page, items: page.items.map(({ appId: _appId, ...v }) => v) };
      }
      const all = (await ctx.findings.accounts(actorOf(request), q.appId)).filter(
        (v) => !q.situation || v.situation === q.situation,
      );
      const rows = all
        .filter((v) => !q.status || v.account.status === q.status)
        .filter((v) => !q.admin || v.account.isAdmin === (q.admin === 'true'))
        .map(({ appId: _appId, ...v }) => v);
      return paginate(rows, q, {
        id: (v) => `${v.account.appId}\u0000${v.account.id}`,
        sortBy: {
          id: (v) => `${v.account.appId}\u0000${v.account.id}`,
          email: (v) => v.account.email?.toLowerCase() ?? null,
          status: (v) => v.account.status,
          situation: (v) => v.situation,
        },
      });
    },
  );

  app.get(
    '/entitlements',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['accounts'],
        summary: "Apps' roles, teams, groups and courses",
        querystring: pageQuery(['name', 'kind'] as const).extend({
          appId: z.string().optional(),
          kind: z.enum(['role', 'team', 'group', 'course', 'delegate']).optional(),
          privileged: z.enum(['true', 'false']).optional(),
        }),
        response: { 200: pageOf(entitlementSchema), ...problemResponses('not_found') },
      },
    },
    async (request) => {
      const q = request.query;
      const rows: StoredEntitlement[] = [];
      for (const a of q.appId ? [knownApp(ctx, q.appId, 'query.appId')] : ctx.config.apps) {
        for (const e of await ctx.store.listEntitlements({ appId: a.id })) {
          if (q.kind && e.kind !== q.kind) continue;
          if (q.privileged && e.privileged !== (q.privileged === 'true')) continue;
          rows.push(e);
        }
      }
      return paginate(
        rows.map(({ raw: _raw, syncRunId: _run, ...e }) => e),
        q,
        {
          id: (e) => `${e.appId}\u0000${e.id}`,
          sortBy: { name: (e) => e.name.toLowerCase(), kind: (e) => e.kind },
        },
      );
    },
  );

  app.get(
    '/links',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['links'],
        summary: 'How each account is tied to a person (or why not)',
        querystring: pageQuery(['accountId', 'updatedAt'] as const).extend({
          appId: z.string().optional(),
          employeeId: z.string().optional(),
          situation: z.enum(['linked', 'unmatched', 'disputed', 'suggested']).optional(),
          manual: z.enum(['true', 'false']).optional(),
        }),
        response: { 200: pageOf(linkSchema), ...problemResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const filter = {
        ...(q.appId ? { appId: q.appId } : {}),
        ...(q.employeeId ? { employeeId: q.employeeId } : {}),
        ...(q.situation ? { situation: q.situation } : {}),
        ...(q.manual === undefined ? {} : { manual: q.manual === 'true' }),
      };
      // In the links' key order (the default), a page is read by the store: a million accounts are a million links.
      if ((q.sort ?? 'accountId') === 'accountId') {
        return asActor(ctx, actorOf(request), (roster) =>
          pageLinks(roster, {
            ...filter,
            order: q.order,
            limit: q.limit,
            ...(q.cursor ? { cursor: q.cursor } : {}),
          }),
        );
      }
      const { manual, ...listed } = filter;
      const links = (await ctx.store.listLinks(listed)).filter(
        (l) => manual === undefined || l.manual === manual,
      );
      return paginate(links, q, {
        id: (l) => `${l.appId}\u0000${l.accountId}`,
        sortBy: { accountId: (l) => `${l.appId}\u0000${l.accountId}`, updatedAt: (l) => l.updatedAt },
      });
    },
  );

  app.put(
    '/links/:appId/:accountId',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['links'],
        summary: 'Decide by hand who owns an account (employeeId null: nobody, e.g. a service account)',
        params: accountParams,
        body: z.object({ employeeId: z.string().nullable(), reason }),
        response: { 200: linkSchema, ...problemResponses('not_found') },
      },
    },
    async (request) => {
      knownApp(ctx, request.params.appId, 'path.appId');
      const { link } = await asActor(ctx, actorOf(request), (roster) =>
        linkAccount(roster, {
          ...request.params,
          person: request.body.employeeId,
          reason: request.body.reason,
        }),
      );
      ctx.findings.invalidate();
      return link;
    },
  );

  app.delete(
    '/links/:appId/:accountId',
    {
      config: { scope: 'operate' },
      schema: {
        tags: ['links'],
        summary: 'Withdraw a manual decision; correlation decides the account again',
        params: accountParams,
        querystring: z.object({ reason }),
        response: {
          200: z.object({ withdrawn: linkSchema, link: linkSchema.nullable() }),
          ...problemResponses('not_found'),
        },
      },
    },
    async (request) => {
      knownApp(ctx, request.params.appId, 'path.appId');
      const result = await asActor(ctx, actorOf(request), (roster) =>
        unlinkAccount(roster, { ...request.params, reason: request.query.reason }),
      );
      ctx.findings.invalidate();
      return result;
    },
  );

  app.get(
    '/findings',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['findings'],
        summary: 'What is wrong: leavers with access, orphans, disputes, privileged and dormant accounts…',
        description: 'Computed from the identity graph as of the last syncs and import.',
        querystring: pageQuery(['severity', 'rule', 'appId', 'id'] as const).extend({
          rule: z.string().optional().describe('one rule, or several separated by commas'),
          minSeverity: z.enum(SEVERITIES).optional(),
          appId: z.string().optional(),
          employeeId: z.string().optional(),
        }),
        response: { 200: pageOf(findingSchema), ...problemResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const unfiltered = !q.rule && !q.minSeverity && !q.appId && !q.employeeId;
      const findings = await ctx.findings.list(actorOf(request), {
        ...(q.rule ? { rules: q.rule.split(',').map((r) => r.trim()) } : {}),
        ...(q.minSeverity ? { minSeverity: q.minSeverity } : {}),
        ...(q.appId ? { appId: knownApp(ctx, q.appId, 'query.appId').id } : {}),
        ...(q.employeeId ? { employeeId: q.employeeId } : {}),
      });
      if (unfiltered) ctx.metrics.observeFindings(findings);
      return paginate(findings, q, {
        id: (f) => f.id,
        sortBy: {
          severity: (f) => SEVERITIES.indexOf(f.severity),
          rule: (f) => f.rule,
          appId: (f) => f.appId,
          id: (f) => f.id,
        },
      });
    },
  );
}

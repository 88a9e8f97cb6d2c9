/** @module The account half of a person's diff: create (or invite, or a task), reactivate, update, wait for acceptance. */

import type { Account, Entitlement, Person } from '../../core/types.js';
import type { DesiredAccount } from '../desired.js';
import { IDENTITY_FIELDS, INPUT_FIELDS } from '../policy.js';
import type { AppDiff } from './context.js';
import type { AccountRef, DiffAccount, PlanOp } from './types.js';

/** Where a person's account stands once the account ops are planned: what later ops act on and wait for. */
export interface AccountPlan {
  /** The account the app holds now (null: created by this plan, or by hand). */
  current: DiffAccount | null;
  account: AccountRef;
  /** Refs the person's grants must wait for. */
  ready: string[];
}

/**
 * Plans the account a desired person must have. Null when nothing may be done for them: a disputed or suggested
 * account may be theirs, and a create would make a second one.
 */
export function diffAccount(
  ctx: AppDiff,
  want: DesiredAccount,
  wanted: readonly Entitlement[],
): AccountPlan | null {
  const { app } = ctx;
  const person = ctx.people.get(want.employeeId) as Person;
  const who = ctx.who(person);
  const rule = want.rules[0] as string;
  const current = ctx.linked.get(want.employeeId)?.find((a) => a.status !== 'deleted') ?? null;
  const base = `${app.id}:${want.employeeId}`;

  if (!current && ctx.contested.has(want.employeeId)) {
    // Decide the dispute (roster link) and the next plan creates or grants.
    ctx.leave(
      'candidate of a disputed or suggested account',
      `${ctx.contested.get(want.employeeId)} (${want.employeeId})`,
    );
    return null;
  }
  if (!current) {
    const inputFields = accountInput(want, person);
    const reason = { rule, text: `rule "${rule}" gives ${who.name} an account in ${app.id}` };
    if (!ctx.can('create')) {
      // The task ctx.task makes, as one literal in its key order: an app without create gets one per person.
      const op = ctx.push({
        ref: `${base}:create`,
        account: null,
        person: who,
        reason,
        dependsOn: [],
        input: inputFields,
        appId: app.id,
        kind: 'task',
        risk: 'low',
        task: {
          instead: 'create',
          instructions: `${ctx.note('create')} Person: ${who.name} <${who.email}>.`,
        },
      });
      // Grants wait for the manual creation; a later sync links the account and a new plan grants.
      return { current, account: { createdBy: op.ref }, ready: [op.ref] };
    }
    const invite = ctx.traits.inviteOnCreate === true;
    const ref = `${base}:create`;
    // Two literals, not a spread inside one: one op per person is made here, and the keys keep this order.
    const op = ctx.push(
      invite
        ? {
            ref,
            appId: app.id,
            kind: 'create',
            account: null,
            person: who,
            input: inputFields,
            invite: true,
            reason,
            dependsOn: [],
            risk: 'low',
          }
        : {
            ref,
            appId: app.id,
            kind: 'create',
            account: null,
            person: who,
            input: inputFields,
            reason,
            dependsOn: [],
            risk: 'low',
          },
    );
    const account = { createdBy: op.ref };
    const ready = invite && wanted.length > 0 ? [waitOp(ctx, base, account, who, [op.ref]).ref] : [op.ref];
    return { current, account, ready };
  }

  const account = { id: current.id };
  let ready: string[] = [];
  if (current.status === 'inactive') {
    const reason = { rule, text: `rule "${rule}" gives ${who.name} ${app.id}, but the account is inactive` };
    const op = ctx.can('reactivate')
      ? ctx.push({
          ref: `${base}:reactivate`,
          appId: app.id,
          kind: 'reactivate',
          account,
          person: who,
          reason,
          dependsOn: [],
          risk: 'medium',
        })
      : ctx.task(
          { ref: `${base}:reactivate`, account, person: who, reason, dependsOn: [] },
          'reactivate',
          ctx.note('reactivate'),
        );
    ready = [op.ref];
  }
  const changes = attributeChanges(want, current);
  if (changes !== null) {
    const fieldRules = [
      ...new Set(Object.keys(changes).map((f) => want.fields[f]?.rule ?? `defaults for ${app.type}`)),
    ];
    const reason = {
      rule: fieldRules[0] ?? rule,
      text: `${Object.keys(changes).join(', ')} differ from HR (${fieldRules.join(', ')})`,
    };
    const op = { ref: `${base}:update`, account, person: who, changes, reason, dependsOn: [...ready] };
    if (ctx.can('update')) {
      ctx.push({ ...op, appId: app.id, kind: 'update', risk: 'low' });
    } else {
      const list = Object.entries(changes)
        .map(([f, c]) => `${f}: "${c.from ?? ''}" → "${c.to}"`)
        .join('; ');
      ctx.task(op, 'update', `${ctx.note('update')} Change for ${who.name}: ${list}.`);
    }
  }
  if (current.status === 'invited' && ctx.traits.inviteOnCreate) {
    const held = new Set((ctx.grantsOf.get(current.id) ?? []).map((g) => g.entitlementId));
    if (wanted.some((e) => !held.has(e.id))) ready = [waitOp(ctx, base, account, who, ready).ref];
  }
  return { current, account, ready };
}

function waitOp(
  ctx: AppDiff,
  base: string,
  account: AccountRef,
  who: PlanOp['person'],
  dependsOn: string[],
): PlanOp {
  return ctx.push({
    ref: `${base}:wait`,
    appId: ctx.app.id,
    kind: 'wait',
    account,
    person: who,
    waitFor: 'invite_acceptance',
    // Process Street guide: an invited member joins groups only after accepting the invitation.
    reason: {
      text: `${who?.name ?? 'the person'} must accept the ${ctx.app.id} invitation before joining groups`,
    },
    dependsOn,
    risk: 'low',
  });
}

const INPUT_FIELD_SET: ReadonlySet<string> = new Set(INPUT_FIELDS);

/** The create input for a desired account: identity fields and names at the top, the rest as attributes. */
function accountInput(want: DesiredAccount, person: Person): NonNullable<PlanOp['input']> {
  const value = (f: string) => want.fields[f]?.value;
  const input: NonNullable<PlanOp['input']> = {
    email: value('email') ?? person.email,
    firstName: value('firstName') ?? person.firstName,
    lastName: value('lastName') ?? person.lastName,
  };
  const login = value('login');
  if (login !== undefined) input.login = login;
  const externalId = value('externalId');
  if (externalId !== undefined) input.externalId = externalId;
  // Made only when a field is left for it: most creates have none, and a plan makes one per person.
  let attributes: Record<string, string> | undefined;
  for (const field in want.fields) {
    if (INPUT_FIELD_SET.has(field)) continue;
    attributes ??= {};
    attributes[field] = (want.fields[field] as { value: string }).value;
  }
  if (attributes !== undefined) input.attributes = attributes;
  return input;
}

/**
 * Managed fields whose value in the app differs from the policy's; identity fields are never changed. Null when
 * none does, as for most accounts: nothing is made for them.
 */
function attributeChanges(
  want: DesiredAccount,
  account: DiffAccount,
): Record<string, { from: string | null; to: string }> | null {
  let changes: Record<string, { from: string | null; to: string }> | null = null;
  for (const field in want.fields) {
    if (IDENTITY_FIELDS.has(field)) continue;
    const value = (want.fields[field] as { value: string }).value;
    const from = accountField(account, field);
    if (from !== value) {
      changes ??= {};
      changes[field] = { from, to: value };
    }
  }
  return changes;
}

/**
 * Whether comparing these policy fields with an account reads its attributes: the names are columns of their own
 * and identity fields are never compared (see attributeChanges and accountField).
 */
export function comparesAttributes(fields: Iterable<string>): boolean {
  for (const field of fields) {
    if (!IDENTITY_FIELDS.has(field) && field !== 'firstName' && field !== 'lastName') return true;
  }
  return false;
}

/** What an account holds for a policy field: the name fields, or a connector attribute; null when unset. */
export function accountField(
  account: Pick<Account, 'firstName' | 'lastName' | 'attributes'>,
  field: string,
): string | null {
  const raw =
    field === 'firstName'
      ? account.firstName
      : field === 'lastName'
        ? account.lastName
        : account.attributes[field];
  return raw === null || raw === undefined ? null : String(raw);
}

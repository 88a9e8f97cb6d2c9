/** @module Process Street members as Roster accounts: list, get, find by email, invite, remove. */

import { isRosterError, RosterError } from '../../core/errors.js';
import type { Account } from '../../core/types.js';
import { urlPath, withAmbiguityCheck } from '../http/index.js';
import { decodePageToken, encodePageToken } from '../sdk/paging.js';
import type { AccountInput, AccountOps, AccountPage, ConnectorContext, WithRaw } from '../sdk/types.js';
import { type OffsetCursor, readOffsetPage, START } from './client.js';
import type { ProcessStreetConfig } from './config.js';
import { toAccount } from './mappers.js';
import { inviteAnswerSchema, memberAnswerSchema, memberListSchema, parseAnswer } from './schemas.js';

type Ctx = ConnectorContext<ProcessStreetConfig>;

export function createMemberOps(
  ctx: Ctx,
): Required<Pick<AccountOps, 'list' | 'get' | 'findByEmail' | 'create' | 'delete'>> {
  const { http, appId } = ctx;

  const list = async ({ pageToken }: { pageToken: string | null }): Promise<AccountPage> => {
    // GET /members: offset paging with an undocumented page size ("must be tested empirically").
    const page = await readOffsetPage(
      http,
      {
        path: '/members',
        endpoint: 'GET /members',
        schema: memberListSchema,
        pick: (answer) => answer.members,
        idOf: (member) => member.id,
      },
      decodePageToken<OffsetCursor>(pageToken, START),
    );
    if (!page) return { items: [], nextPageToken: null };
    return {
      items: page.items.map((member) => toAccount(appId, member)),
      nextPageToken: page.next ? encodePageToken({ ...page.next }) : null,
    };
  };

  const get = async ({ id }: { id: string }): Promise<WithRaw<Account> | null> => {
    // GET /members/{id}: "Member must belong to the authenticated organization" — another org's is a 404 too.
    const res = await http.request({
      method: 'GET',
      path: urlPath`/members/${id}`,
      endpoint: 'GET /members/{memberId}',
      accept404: true,
    });
    if (res.status === 404) return null;
    const answer = parseAnswer(appId, 'GET /members/{memberId}', memberAnswerSchema, res.body);
    return toAccount(appId, answer.member);
  };

  /**
   * No filter endpoint exists, so this pages through all of GET /members (ceil(members / page size)
   * requests, plus one when the organization fits in the first page) and compares emails case-insensitively.
   */
  const findByEmail = async ({ email }: { email: string }): Promise<WithRaw<Account>[]> => {
    const wanted = email.trim().toLowerCase();
    const found = new Map<string, WithRaw<Account>>();
    let pageToken: string | null = null;
    do {
      const page: AccountPage = await list({ pageToken });
      for (const account of page.items) {
        if (account.email?.trim().toLowerCase() === wanted) found.set(account.id, account);
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== null);
    return [...found.values()];
  };

  /** `attributes.role` on create picks the role (admin, member or guest; the app's default is member). */
  const invite = async (account: AccountInput): Promise<string> => {
    const role = account.attributes?.['role'];
    // POST /members invites: the answer is only { id, email, status: 'invited' }; any 2xx is success.
    const res = await http.request({
      method: 'POST',
      path: '/members',
      endpoint: 'POST /members',
      body: {
        email: account.email,
        firstName: account.firstName,
        lastName: account.lastName,
        ...(account.login ? { username: account.login } : {}),
        ...(typeof role === 'string' && role !== '' ? { role } : {}),
      },
    });
    return parseAnswer(appId, 'POST /members', inviteAnswerSchema, res.body).member.id;
  };

  const create = async ({ account }: { account: AccountInput }) => {
    let outcome: { value: string; recovered: boolean };
    try {
      // An invite whose answer was lost may have happened: look the email up before inviting again.
      outcome = await withAmbiguityCheck({
        attempt: () => invite(account),
        lookup: async () => (await findByEmail({ email: account.email }))[0]?.id ?? null,
      });
    } catch (error) {
      throw seatLimitError(appId, account.email, error) ?? error;
    }
    // The invite answer carries three fields: read the member back for the rest.
    const created = await get({ id: outcome.value });
    if (!created) {
      throw new RosterError(
        'unavailable',
        `${appId}: invited ${account.email} as member ${outcome.value}, but GET /members/${outcome.value} does not find it`,
        { where: appId, details: { appId, memberId: outcome.value } },
      );
    }
    return { account: created, recovered: outcome.recovered };
  };

  const remove = async ({ id }: { id: string }): Promise<{ alreadyAbsent: boolean }> => {
    const path = urlPath`/members/${id}`;
    // DELETE /members/{id} removes the member from the org; 404 means it is not (or no longer) there. Sent as
    // non-idempotent so a lost answer is checked with a GET instead of a blind repeat that would say "absent".
    const { value, recovered } = await withAmbiguityCheck({
      attempt: async () => {
        const res = await http.request({
          method: 'DELETE',
          path,
          endpoint: 'DELETE /members/{memberId}',
          accept404: true,
          idempotent: false,
        });
        return { alreadyAbsent: res.status === 404 };
      },
      lookup: async () => ((await get({ id })) === null ? { alreadyAbsent: false } : null),
    });
    // The guide's offboarding recipe: verify the removal with a follow-up GET.
    if (!value.alreadyAbsent && !recovered && (await get({ id })) !== null) {
      throw new RosterError(
        'unavailable',
        `${appId}: member ${id} is still in the organization after DELETE`,
        {
          where: appId,
          details: { appId, memberId: id },
        },
      );
    }
    return value;
  };

  return { list, get, findByEmail, create, delete: remove };
}

/** "Seat limits apply per plan": the 402 becomes a conflict that says how to make room. */
function seatLimitError(appId: string, email: string, error: unknown): RosterError | null {
  if (!isRosterError(error) || error.details['status'] !== 402) return null;
  return new RosterError(
    'conflict',
    `${appId}: cannot invite ${email}: the Process Street plan's seat limit is reached ` +
      '(active members and pending invitations both hold a seat)',
    {
      cause: error,
      where: appId,
      fix: "free a seat (remove a member or a pending invitation that is no longer needed) or raise the plan's seat count, then apply again",
      details: { ...error.details, reason: 'seat_limit' },
    },
  );
}

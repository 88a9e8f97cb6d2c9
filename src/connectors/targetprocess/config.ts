/** @module The Targetprocess entry of roster.yaml: auth (Bearer token or Basic), SSO, and where create passwords come from. */

import { z } from 'zod';
import { appCommon, basicAuth, bearerAuth, fail, nonEmpty } from '../../config/parts.js';

export const targetprocessConfig = z
  .strictObject({
    ...appCommon,
    type: z.literal('targetprocess'),
    // Guide: Access Token as Bearer (preferred) or Basic; never the access_token query parameter.
    auth: z.discriminatedUnion('type', [bearerAuth, basicAuth]),
    /** Guide: "Password is required for non-SSO accounts" — with sso true, Roster sends none. */
    sso: z.boolean().default(false),
    /**
     * Where the Password for a non-SSO create comes from: `generate` (a random one per user, shown to
     * nobody; people reset it) or the name of a column in the people source.
     */
    passwordFrom: nonEmpty.optional(),
  })
  .superRefine((app, ctx) => {
    if (app.sso && app.passwordFrom !== undefined) {
      fail(
        ctx,
        'passwordFrom is set but sso is true, so no Password is ever sent',
        'remove passwordFrom, or set sso: false',
        ['passwordFrom'],
      );
    }
  });

export type TargetprocessConfig = z.output<typeof targetprocessConfig>;

/** The block `roster init` writes. */
export const targetprocessExample = (id: string, env: string): string => `
  # Targetprocess (REST API v1). Token from your profile > Settings > Access Tokens.
  - id: ${id}
    type: targetprocess
    baseUrl: https://your-account.tpondemand.com/api/v1
    auth:
      type: bearer            # or: type: basic, with username and password
      token: \${${env}_TOKEN}
    # sso: true when people sign in through SSO: then Roster sends no Password on create.
    sso: false
    # passwordFrom: with sso false, Targetprocess requires a Password on create. "generate" gives each new
    # user a random one nobody sees (they reset it); or name a column of the people source.
    passwordFrom: generate`;

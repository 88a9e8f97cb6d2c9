/** @module The Targetprocess connector definition: users, roles and teams over REST API v1. */

import { defineConnector } from '../sdk/index.js';
import { roleOps } from './roles.js';
import { teamOps } from './teams.js';
import { accountOps } from './users.js';

export const targetprocessConnector = defineConnector({
  type: 'targetprocess',
  title: 'Targetprocess',
  // Guide: poll GET /Users with a ModifyDate filter to detect changes (no webhooks).
  incremental: true,
  unsupported: {
    revoke:
      'Targetprocess roles cannot be revoked: every user holds exactly one role, so grant another role instead ' +
      '(team memberships can be revoked).',
  },
  create: (ctx) => ({
    accounts: accountOps(ctx),
    entitlements: { role: roleOps(ctx), team: teamOps(ctx) },
  }),
});

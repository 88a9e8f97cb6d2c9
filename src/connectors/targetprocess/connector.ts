/** @module The Targetprocess connector definition: users, roles and teams over REST API v1. */

import { defineConnector } from '../sdk/index.js';
import { targetprocessConfig, targetprocessExample } from './config.js';
import { roleOps } from './roles.js';
import { teamOps } from './teams.js';
import { accountOps } from './users.js';

export const targetprocessConnector = defineConnector({
  type: 'targetprocess',
  title: 'Targetprocess',
  config: targetprocessConfig,
  configExample: targetprocessExample,
  traits: {
    // Guide: a user has one Role ("Role: object"); setting another replaces it.
    singleValued: ['role'],
    // Guide's user object: CreateDate and ModifyDate, no login time — use cannot be told from the API.
    activity: 'none',
    // Login is required on create; the connector's own fallback is also the email local part.
    attributeMap: {
      email: '{email}',
      firstName: '{first_name}',
      lastName: '{last_name}',
      login: '{email.local}',
    },
    // Guide: "Password is required for non-SSO accounts".
    createNeedsPassword: (config) => !config.sso,
  },
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

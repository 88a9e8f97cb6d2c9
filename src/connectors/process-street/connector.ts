/** @module The Process Street connector definition: members as accounts, groups as entitlements. */

import { defineConnector } from '../sdk/define.js';
import { processStreetConfig, processStreetExample } from './config.js';
import { createGroupOps } from './groups.js';
import { createMemberOps } from './users.js';

export const processStreetConnector = defineConnector({
  type: 'process-street',
  title: 'Process Street',
  config: processStreetConfig,
  configExample: processStreetExample,
  traits: {
    // Guide: POST /members "sends an invitation email; member is not active until they accept", and group
    // assignment before activation may fail.
    inviteOnCreate: true,
    // Guide: no deactivation; DELETE /members/{id} is how access is removed.
    deactivateByDelete: true,
    // Guide: "the absence of a last-login field limits activity-based access review".
    activity: 'none',
    // An invite takes the email only; names come from the person's own profile.
    attributeMap: { email: '{email}', firstName: '{first_name}', lastName: '{last_name}' },
  },
  unsupported: {
    update:
      'Process Street has no member update endpoint: the email is "not updatable via API" and no other field ' +
      "is documented as updatable. Change the name, username or role in Process Street's organization settings.",
    deactivate:
      'Process Street has no deactivation: removing the member (delete) is the only way to revoke access ' +
      "through the API. Removal does not delete the person's Process Street account or end their SSO " +
      'sessions: revoke those in the identity provider (Okta, Entra ID) as well.',
    reactivate:
      'Process Street has no deactivation, so nothing to reactivate: invite the person again (create), which ' +
      'makes a new member with a new id who must accept the invitation before joining groups.',
  },
  create: (ctx) => ({
    accounts: createMemberOps(ctx),
    entitlements: { group: createGroupOps(ctx) },
  }),
});

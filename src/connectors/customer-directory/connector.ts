/** @module The customer-directory connector definition: what it can do, and why the rest is a manual task. */

import { defineConnector } from '../sdk/define.js';
import { createCatalog } from './catalog.js';
import { createCdApi } from './client.js';
import { customerDirectoryConfig, customerDirectoryExample } from './config.js';
import { createDelegateOps } from './delegates.js';
import { createGroupOps } from './groups.js';
import { createRoleOps } from './roles.js';
import { createUserOps } from './users.js';

export const customerDirectoryConnector = defineConnector({
  type: 'customer-directory',
  title: 'Customer directory',
  config: customerDirectoryConfig,
  configExample: customerDirectoryExample,
  traits: {
    // Guide's user: createdAt and updatedAt, no login time.
    activity: 'none',
    // PATCH v2 writes department and jobTitle (WRITABLE_ATTRIBUTES).
    attributeMap: {
      email: '{email}',
      firstName: '{first_name}',
      lastName: '{last_name}',
      department: '{department}',
      jobTitle: '{title}',
    },
  },
  unsupported: {
    create:
      'The API has no create endpoint (users arrive through the product: HR sync or invites). ' +
      'Add the person in the directory admin; the next sync links the account.',
    deactivate:
      'PATCH has no status field, so an account cannot be made inactive through the API. ' +
      'Deactivate it in the directory admin, or delete it if it should go.',
    reactivate:
      'PATCH has no status field, so an account cannot be reactivated through the API. ' +
      'Reactivate it in the directory admin.',
    update:
      'Partial: PATCH changes firstName, lastName, email and the attributes jobTitle, nickname, seniority, ' +
      'department, office, subdepartment, pod (and roles, through grant/revoke). Status, login, external ' +
      'identities, groups and super delegation are changed in the directory admin only.',
  },
  create(ctx) {
    const api = createCdApi(ctx);
    const catalog = createCatalog(ctx, api);
    return {
      accounts: createUserOps(ctx, api, catalog),
      entitlements: {
        role: createRoleOps(ctx, api, catalog),
        group: createGroupOps(ctx, catalog),
        delegate: createDelegateOps(ctx),
      },
    };
  },
});

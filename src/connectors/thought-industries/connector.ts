/** @module The Thought Industries connector definition: users over REST, groups, courses with their enrollments. */

import { defineConnector } from '../sdk/define.js';
import { createCatalog } from './catalog.js';
import { thoughtIndustriesConfig, thoughtIndustriesExample } from './config.js';
import { courseOps } from './courses.js';
import { groupOps } from './groups.js';
import { CUSTOM_FIELD_PREFIX } from './mappers.js';
import { userOps } from './users.js';

export const thoughtIndustriesConnector = defineConnector({
  type: 'thought-industries',
  title: 'Thought Industries',
  config: thoughtIndustriesConfig,
  configExample: thoughtIndustriesExample,
  traits: {
    // Guide's user object: createdAt and updatedAt, no login or activity time.
    activity: 'none',
    attributeMap: {
      email: '{email}',
      firstName: '{first_name}',
      lastName: '{last_name}',
      [`${CUSTOM_FIELD_PREFIX}department`]: '{department}',
    },
    // Guide: custom field keys must exist in the admin portal, or writes are silently ignored.
    customFields: { prefix: CUSTOM_FIELD_PREFIX, keys: (config) => config.customFieldKeys ?? [] },
  },
  unsupported: {
    // Groups can be revoked (PUT of the user's `groups`); only courses miss it.
    revoke:
      'The guide documents no way to remove a course enrollment. Remove it in the admin portal; the next sync ' +
      'shows it gone. (An instance that serves DELETE /courses/{id}/enrollments/{userId} can be used by adding ' +
      '"unenroll-endpoint" to the app\'s `undocumented` list.)',
  },
  create: (ctx) => {
    const catalog = createCatalog(ctx);
    return {
      accounts: userOps(ctx, catalog),
      entitlements: { group: groupOps(ctx, catalog), course: courseOps(ctx, catalog) },
    };
  },
});

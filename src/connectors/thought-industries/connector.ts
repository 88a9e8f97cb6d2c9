/** @module The Thought Industries connector definition: users over REST, groups, courses with enrollments over GraphQL. */

import { defineConnector } from '../sdk/define.js';
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
  create: (ctx) => ({
    accounts: userOps(ctx),
    entitlements: { group: groupOps(ctx), course: courseOps(ctx) },
  }),
});

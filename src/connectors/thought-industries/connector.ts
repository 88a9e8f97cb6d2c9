/** @module The Thought Industries connector definition: users over REST, groups, courses with enrollments over GraphQL. */

import { defineConnector } from '../sdk/define.js';
import { courseOps } from './courses.js';
import { groupOps } from './groups.js';
import { userOps } from './users.js';

export const thoughtIndustriesConnector = defineConnector({
  type: 'thought-industries',
  title: 'Thought Industries',
  create: (ctx) => ({
    accounts: userOps(ctx),
    entitlements: { group: groupOps(ctx), course: courseOps(ctx) },
  }),
});

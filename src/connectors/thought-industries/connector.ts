/** @module The Thought Industries connector definition: users over REST, groups, courses with their enrollments. */

import { defineConnector } from '../sdk/define.js';
import { createCatalog } from './catalog.js';
import { courseOps } from './courses.js';
import { groupOps } from './groups.js';
import { userOps } from './users.js';

export const thoughtIndustriesConnector = defineConnector({
  type: 'thought-industries',
  title: 'Thought Industries',
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

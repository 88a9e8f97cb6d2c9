/** @module The console's pages, in navigation order; a new section (access reviews) is one more entry here. */

import type { ConsolePage } from '../console.js';
import { appsPage } from './apps.js';
import { findingsPage } from './findings.js';
import { auditPage, tasksPage } from './follow-up.js';
import { overviewPage } from './overview.js';
import { peoplePage } from './people.js';
import { plansPage } from './plans.js';
import { queuesPage } from './queues.js';
import { reviewsPage } from './reviews.js';

export const CONSOLE_PAGES: readonly ConsolePage[] = [
  overviewPage,
  peoplePage,
  findingsPage,
  plansPage,
  tasksPage,
  reviewsPage,
  auditPage,
  appsPage,
  queuesPage,
];

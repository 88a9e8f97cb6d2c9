/** @module Every route module of the API, registered in one place. */

import { CONSOLE_PAGES, registerConsole } from '../../console/index.js';
import type { ServerContext } from '../context.js';
import { registerScimRoutes } from '../scim/routes.js';
import type { RosterFastify } from '../server.js';
import { registerAppRoutes, registerScheduleRoutes } from './apps.js';
import { registerGraphRoutes } from './graph.js';
import { registerMcpRoutes } from './mcp.js';
import { registerMetaRoutes } from './meta.js';
import { registerPlanRoutes } from './plans.js';
import { registerQueueRoutes } from './queues.js';
import { registerReviewRoutes } from './reviews.js';
import { registerTokenRoutes } from './tokens.js';
import { registerWebhookRoutes } from './webhooks.js';

export async function registerRoutes(app: RosterFastify, ctx: ServerContext): Promise<void> {
  await registerMetaRoutes(app, ctx);
  await registerTokenRoutes(app, ctx);
  await registerAppRoutes(app, ctx);
  await registerScheduleRoutes(app, ctx);
  await registerGraphRoutes(app, ctx);
  await registerPlanRoutes(app, ctx);
  await registerReviewRoutes(app, ctx);
  await registerQueueRoutes(app, ctx);
  await registerWebhookRoutes(app, ctx);
  await registerMcpRoutes(app, ctx);
  await registerScimRoutes(app, ctx);
  await registerConsole(app, ctx, CONSOLE_PAGES);
}

/** @module The application core: the use cases every interface (CLI, API, console, SCIM, MCP, workers) calls. */

export * from './apply.js';
export * from './context.js';
export * from './explain.js';
export * from './follow-up.js';
export * from './graph.js';
export * from './ops.js';
export * from './people.js';
export * from './plan.js';
export * from './propose.js';
export * from './review-evidence.js';
export * from './review-export.js';
export * from './review-followup.js';
export * from './reviews.js';
export * from './scim-holds.js';
export * from './scim-resume.js';
export * from './service.js';
export * from './status.js';
export * from './sync.js';
export * from './tokens.js';

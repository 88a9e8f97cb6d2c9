/** @module The MCP server: Roster's read and propose use cases for AI assistants, over stdio or HTTP. */

export * from './guard.js';
export * from './http.js';
export * from './server.js';
export * from './stdio.js';

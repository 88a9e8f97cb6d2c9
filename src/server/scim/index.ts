/** @module The SCIM 2.0 protocol layer of the facade: pure modules for filters, listing, writes, bulk, discovery. */

export * from './bulk.js';
export * from './discovery.js';
export * from './errors.js';
export * from './etag.js';
export * from './filter.js';
export * from './handler.js';
export * from './listing.js';
export * from './mapping.js';
export * from './ops.js';
export * from './patch.js';
export * from './schema.js';

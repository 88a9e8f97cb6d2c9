/** @module The connector SDK: the contract, defineConnector, the manifest, paging helpers. */

export { type CreateConnectorOptions, createConnector } from './create.js';
export { defineConnector, deriveManifest } from './define.js';
export { decodePageToken, encodePageToken, grantKey, readAll } from './paging.js';
export * from './types.js';

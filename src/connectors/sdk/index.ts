/** @module The connector SDK: the contract, defineConnector, the manifest, paging helpers. */

export {
  type CreateConnectorOptions,
  createConnector,
  DEFAULT_MAX_DROP_SHARE,
  DEFAULT_RESUME_WITHIN_MINUTES,
  syncLimitsOf,
} from './create.js';
export { defineConnector, deriveManifest } from './define.js';
export {
  DEFAULT_MAX_ITEMS_PER_LISTING,
  decodePageToken,
  encodePageToken,
  grantKey,
  readAll,
  type WalkOptions,
  walkPages,
} from './paging.js';
export * from './types.js';

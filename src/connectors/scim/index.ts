/** @module The generic SCIM 2.0 connector and the building blocks other SCIM connectors reuse. */

export { scimConnector } from './connector.js';
export { type AccountRefiner, filterString, primaryEmail, statusOf, toAccount } from './mappers.js';
export { createScimOps, type ScimOptions } from './ops.js';
export { EXTENSION_PREFIX } from './payloads.js';
export { type ScimUser, scimUserSchema } from './schemas.js';

/** @module The StackSpot SCIM connector. */

export { stackspotScimConnector } from './connector.js';
export { refineStackspotAccount } from './mappers.js';
export { STACKSPOT_EXTENSION } from './schemas.js';

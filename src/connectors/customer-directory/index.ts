/** @module Re-exports the customer-directory connector definition. */

export { customerDirectoryConnector } from './connector.js';
export { WRITABLE_ATTRIBUTES } from './users.js';

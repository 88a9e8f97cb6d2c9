/** @module The Thought Industries connector. */

export { thoughtIndustriesConnector } from './connector.js';
export { CUSTOM_FIELD_PREFIX, PLAIN_ATTRIBUTES } from './mappers.js';

/** @module The Targetprocess connector's public surface. */

export { targetprocessConnector } from './connector.js';

/** @module Public surface of the Process Street connector. */

export { processStreetConnector } from './connector.js';

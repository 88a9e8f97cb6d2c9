/** @module The identity graph: email normalization, correlation, findings and the store-backed graph. */

export * from './correlate.js';
export * from './findings.js';
export * from './graph.js';
export * from './normalize.js';

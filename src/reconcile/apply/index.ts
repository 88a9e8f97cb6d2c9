/** @module Apply: carrying out a saved plan, and closing manual tasks a sync shows done. */

export * from './executor.js';
export * from './operations.js';
export * from './run-op.js';
export * from './state.js';
export * from './tasks.js';

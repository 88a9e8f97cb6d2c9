/** @module Re-exports the customer-directory sandbox definition and its state type. */

export { customerDirectorySandbox } from './sandbox.js';
export type { CdConfig, CdState, CdUser } from './state.js';

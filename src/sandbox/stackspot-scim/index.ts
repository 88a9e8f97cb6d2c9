/** @module Re-exports the StackSpot SCIM sandbox definition and its state type. */

export { stackspotScimSandbox } from './sandbox.js';
export type { SsConfig, SsState, SsUser } from './state.js';

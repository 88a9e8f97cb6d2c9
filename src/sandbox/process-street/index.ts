/** @module Public surface of the Process Street sandbox. */

export { processStreetSandbox } from './sandbox.js';
export type { PsConfig, PsGroup, PsMember, PsOrganization, PsRole, PsState, PsStatus } from './state.js';

/** @module The Thought Industries sandbox: its definition and state type. */

export { thoughtIndustriesSandbox, tiErrorBody } from './sandbox.js';
export type { TiConfig, TiCourse, TiEnrollment, TiGroup, TiState, TiUser, TiUserBody } from './state.js';

/** @module The Targetprocess sandbox's public surface. */

export { targetprocessSandbox } from './sandbox.js';
export type {
  TargetprocessSettings,
  TargetprocessState,
  TpRole,
  TpTeam,
  TpTeamMember,
  TpUser,
} from './state.js';

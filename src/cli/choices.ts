/** @module The values the CLI's options and help list, here so `roster --help` loads none of the modules that own them. */

// Each list mirrors the module that owns it (named beside it); choices.test.ts fails when the two drift apart.

/** config/schema.ts PERSON_STATUSES. */
export const PERSON_STATUSES = ['active', 'leaver', 'on_leave', 'pending'] as const;
/** identity/graph.ts SITUATIONS. */
export const SITUATIONS = ['linked', 'suggested', 'disputed', 'unmatched'] as const;
/** identity/findings.ts SEVERITIES. */
export const SEVERITIES = ['high', 'medium', 'low', 'info'] as const;
/** identity/findings.ts FINDING_RULES. */
export const FINDING_RULES = [
  'leaver_with_access',
  'orphan',
  'disputed',
  'duplicate_accounts',
  'privileged',
  'dormant',
  'invite_pending',
  'attribute_drift',
] as const;
/** sandbox/kit/faults.ts FAULT_PROFILE_NAMES. */
export const FAULT_PROFILE_NAMES = ['clean', 'flaky', 'hostile'] as const;
/** store/tokens.ts TOKEN_SCOPES. */
export const TOKEN_SCOPES = ['read', 'operate', 'approve', 'admin'] as const;
/** mcp/server.ts STDIO_ACTOR. */
export const STDIO_ACTOR = 'assistant via mcp';
/** config/json-schema.ts SCHEMA_FILE_NAME. */
export const SCHEMA_FILE_NAME = 'roster.schema.json';

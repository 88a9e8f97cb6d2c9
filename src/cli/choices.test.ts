import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE_NAME } from '../config/json-schema.js';
import { PERSON_STATUSES } from '../config/schema.js';
import { FINDING_RULES, SEVERITIES, SITUATIONS } from '../identity/index.js';
import { STDIO_ACTOR } from '../mcp/index.js';
import { FAULT_PROFILE_NAMES } from '../sandbox/kit/faults.js';
import { TOKEN_SCOPES } from '../store/tokens.js';
import * as choices from './choices.js';

describe('the CLI choices kept light for --help', () => {
  it('list exactly what the modules that own them list', () => {
    expect(choices.PERSON_STATUSES).toEqual(PERSON_STATUSES);
    expect(choices.SITUATIONS).toEqual(SITUATIONS);
    expect(choices.SEVERITIES).toEqual(SEVERITIES);
    expect(choices.FINDING_RULES).toEqual(FINDING_RULES);
    expect(choices.FAULT_PROFILE_NAMES).toEqual(FAULT_PROFILE_NAMES);
    expect(choices.TOKEN_SCOPES).toEqual(TOKEN_SCOPES);
    expect(choices.STDIO_ACTOR).toEqual(STDIO_ACTOR);
    expect(choices.SCHEMA_FILE_NAME).toEqual(SCHEMA_FILE_NAME);
  });
});

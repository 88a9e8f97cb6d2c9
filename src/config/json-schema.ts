/** @module The JSON Schema of roster.yaml, generated from the zod schema: completion and checks in an editor. */

import { z } from 'zod';
import { rosterConfigSchema } from './schema.js';

/** The name `roster init` writes the schema under, next to roster.yaml; the template's modeline points at it. */
export const SCHEMA_FILE_NAME = 'roster.schema.json';

/**
 * The JSON Schema (draft 2020-12) of what may be written in roster.yaml. It is the input side of the zod
 * schema: keys with defaults are optional, as they are in the file. Checks that are code rather than shape
 * (a URL's scheme, a customer id's 24 hex digits, duplicate app ids) stay with `roster config show`, which
 * also names the line and the fix; an editor shows the shape, the values allowed and the descriptions.
 */
export function rosterJsonSchema(): Record<string, unknown> {
  // `unrepresentable: 'any'`: a refinement or custom type added later must not break the command.
  const generated = z.toJSONSchema(rosterConfigSchema, { io: 'input', unrepresentable: 'any' });
  return {
    ...generated,
    title: 'roster.yaml',
    description:
      'Roster configuration: the store, the HR export (source), identity rules, the apps and the policy. ' +
      '${VAR} references in strings are filled from the environment when Roster starts.',
  };
}

/** The schema as a file's text: stable key order, two-space indent, final newline. */
export function rosterJsonSchemaText(): string {
  return `${JSON.stringify(rosterJsonSchema(), null, 2)}\n`;
}

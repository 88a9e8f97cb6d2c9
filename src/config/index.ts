/** @module The config package: roster.yaml schema, loader, secret masking and the init template. */

export { rosterJsonSchema, rosterJsonSchemaText, SCHEMA_FILE_NAME } from './json-schema.js';
export type { ConfigPath, ConfigProblem, Env, LoadConfigOptions, ParseConfigOptions } from './load.js';
export { formatPath, formatProblem, loadConfig, parseConfig } from './load.js';
export { collectSecrets, MASK, maskSecrets, redact, secretsOf } from './mask.js';
export type {
  AppConfig,
  AppConfigOf,
  AuthConfig,
  AuthType,
  RosterConfig,
  SourceConfig,
  SourceField,
} from './schema.js';
export {
  APP_AUTH_TYPES,
  AUTH_TYPES,
  appSchema,
  httpUrl,
  PERSON_STATUSES,
  rosterConfigSchema,
  SOURCE_FIELDS,
} from './schema.js';
export type { InitTemplateOptions } from './template.js';
export { initTemplate } from './template.js';

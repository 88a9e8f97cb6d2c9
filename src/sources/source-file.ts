/** @module The configured HR export on disk: read once, and what stops it being read, told with the setting to change. */

import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { settingLocation } from '../config/load.js';
import type { RosterConfig } from '../config/schema.js';
import { RosterError } from '../core/errors.js';

/** The bytes of the export source.path names; a missing or unreadable file is an error naming the setting. */
export async function readSourceFile(config: RosterConfig): Promise<Buffer> {
  try {
    return await readFile(config.source.path);
  } catch (error) {
    throw sourceFileError(config, error);
  }
}

/**
 * What would stop the export being read (missing, a folder, unreadable), or null; reads no rows. Commands
 * that only show the config report it as a warning; those that need the people fail with it.
 */
export async function checkSourceFile(config: RosterConfig): Promise<RosterError | null> {
  const path = config.source.path;
  try {
    if ((await stat(path)).isDirectory()) {
      throw Object.assign(new Error(`${path} is a directory`), { code: 'EISDIR' });
    }
    await access(path, constants.R_OK);
    return null;
  } catch (error) {
    return sourceFileError(config, error);
  }
}

function sourceFileError(config: RosterConfig, error: unknown): RosterError {
  const path = config.source.path;
  const code = (error as NodeJS.ErrnoException).code;
  // The setting is where the fix goes, so it is the place named first: roster.yaml:4.
  const setting = settingLocation(config, ['source', 'path']);
  const where = setting ?? path;
  const inFile = setting === undefined ? 'in roster.yaml' : `in ${setting.replace(/:\d+$/, '')}`;
  const details = { file: path, setting: 'source.path' };
  if (code === 'ENOENT') {
    return new RosterError('not_found', `source.path: the HR export ${path} does not exist`, {
      cause: error,
      where,
      fix: `export the people from your HR system to ${path}, or set source.path ${inFile} to where the export is`,
      details,
    });
  }
  if (code === 'EISDIR') {
    return new RosterError('invalid_input', `source.path: ${path} is a folder, not an HR export`, {
      cause: error,
      where,
      fix: `set source.path ${inFile} to the export file itself`,
      details,
    });
  }
  return new RosterError(
    'invalid_input',
    `source.path: the HR export ${path} cannot be read (${code ?? 'unknown error'})`,
    {
      cause: error,
      where,
      fix: `let the user Roster runs as read ${path}, or set source.path ${inFile} to a copy it can read`,
      details,
    },
  );
}

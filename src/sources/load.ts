/** @module Reads a people export from disk: picks the format from the extension and decodes strict UTF-8. */

import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { RosterError } from '../core/errors.js';
import { parsePeople } from './people.js';
import type { ParsePeopleOptions, ParsePeopleResult, PeopleFormat } from './types.js';

export interface LoadPeopleOptions extends Omit<ParsePeopleOptions, 'text' | 'file' | 'format'> {
  /** Overrides the format the extension implies (`.csv`, `.json`). */
  format?: PeopleFormat;
}

/** Read and parse a people file; messages name it by the path as given. */
export async function loadPeopleFile(
  path: string,
  options: LoadPeopleOptions = {},
): Promise<ParsePeopleResult> {
  const format = options.format ?? formatOf(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RosterError(
      code === 'ENOENT' ? 'not_found' : 'invalid_input',
      code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${code ?? 'unknown error'})`,
      { cause: error, where: path, fix: 'check source.path in roster.yaml', details: { file: path } },
    );
  }
  return parsePeopleBytes(bytes, path, { ...options, format });
}

/** Parse an export already read: strict UTF-8, messages naming it by the path as given. */
export function parsePeopleBytes(
  bytes: Buffer,
  path: string,
  options: LoadPeopleOptions = {},
): ParsePeopleResult {
  const format = options.format ?? formatOf(path);
  return parsePeople({ ...options, text: decodeUtf8(bytes, path), format, file: path });
}

function formatOf(path: string): PeopleFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.json') return 'json';
  throw new RosterError('invalid_input', `cannot tell the format of ${path} from its extension`, {
    where: path,
    fix: 'set source.format to csv or json',
    details: { file: path },
  });
}

function decodeUtf8(bytes: Buffer, path: string): string {
  try {
    // ignoreBOM keeps a BOM in the text, where the readers expect and drop it.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    // The lenient decoding marks the first bad byte with U+FFFD: its line is where to look.
    const lenient = bytes.toString('utf8');
    const line = lenient.slice(0, Math.max(0, lenient.indexOf('\uFFFD'))).split('\n').length;
    throw new RosterError('invalid_input', `${path}:${line} is not UTF-8 text`, {
      cause: error,
      where: `${path}:${line}`,
      fix: 'export as UTF-8 (in Excel: Save As "CSV UTF-8"), not in a legacy encoding such as Windows-1252',
      details: { file: path, line },
    });
  }
}

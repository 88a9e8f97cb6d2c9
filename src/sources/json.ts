/** @module Reads a JSON export (an array of objects, or `{ "people": [...] }`) into a header and rows with lines. */

import { RosterError } from '../core/errors.js';
import type { Cell, RawRow, RawTable } from './types.js';

/**
 * Parse JSON text. The header is every key seen, in order of first appearance. Numbers and booleans become
 * text, null an empty cell, an array of scalars a list, anything deeper its JSON text.
 */
export function readJson(text: string, file: string): RawTable {
  const body = text.replace(/^\uFEFF/, '');
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch (error) {
    const position = /position (\d+)/.exec(String((error as Error).message))?.[1];
    const line = position === undefined ? undefined : lineOf(body, Number(position));
    const where = line === undefined ? file : `${file}:${line}`;
    throw new RosterError('invalid_input', `${where} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
      where,
      fix: 'export the people again as JSON, or use the CSV export',
      details: { file, line },
    });
  }

  const key = Array.isArray(document) ? null : 'people';
  const items = Array.isArray(document) ? document : peopleArray(document);
  if (items === undefined) {
    throw new RosterError(
      'invalid_input',
      `${file} is neither a JSON array of people nor an object with a "people" array`,
      {
        where: file,
        fix: 'export the people as [{...}, ...] or { "people": [{...}, ...] }',
        details: { file },
      },
    );
  }

  // If the scan and the parse ever disagree, rows are placed on line 1 and found by their path instead.
  const scanned = elementLines(body, key);
  const lines = scanned.length === items.length ? scanned : [];
  const header: string[] = [];
  const columnOf = new Map<string, number>();
  const rows: RawRow[] = [];
  items.forEach((item, index) => {
    const path = `${key ?? ''}[${index}]`;
    const line = lines[index] ?? 1;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      // An element that is not an object is kept as a row of no cells, so it is reported with its line.
      rows.push({ line, path, cells: [], problem: `${path} is ${describeJson(item)}, not an object` });
      return;
    }
    const cells: (Cell | undefined)[] = [];
    for (const [name, value] of Object.entries(item as Record<string, unknown>)) {
      let column = columnOf.get(name);
      if (column === undefined) {
        column = header.push(name) - 1;
        columnOf.set(name, column);
      }
      cells[column] = toCell(value);
    }
    rows.push({ line, path, cells });
  });
  return { header, headerLine: 1, rows };
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string'
    ? `the text ${JSON.stringify(value)}`
    : `the ${typeof value} ${String(value)}`;
}

function peopleArray(document: unknown): unknown[] | undefined {
  if (document === null || typeof document !== 'object') return undefined;
  const people = (document as Record<string, unknown>)['people'];
  return Array.isArray(people) ? people : undefined;
}

function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    return value.map(String);
  }
  return JSON.stringify(value);
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) line++;
  }
  return line;
}

/**
 * The line on which each element of the people array starts, from one pass over text already known to be
 * valid JSON: the array is the top-level value (key null) or the value of that key in the top-level object.
 */
function elementLines(text: string, key: string | null): number[] {
  const starts: number[] = [];
  let line = 1;
  let depth = 0;
  // Depth of the people array's contents, once its `[` has been seen.
  let arrayDepth = key === null ? 1 : -1;
  let expectingElement = false;
  let lastString: string | null = null;
  let keyPending = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\n' || (char === '\r' && text[i + 1] !== '\n')) {
      line++;
      continue;
    }
    if (char === ' ' || char === '\t' || char === '\r') continue;
    if (expectingElement && depth === arrayDepth && char !== ']') {
      starts.push(line);
      expectingElement = false;
    }
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      lastString = depth === 1 ? (JSON.parse(text.slice(i, end + 1)) as string) : null;
      i = end;
      continue;
    }
    if (char === ':') {
      keyPending = depth === 1 && lastString === key;
    } else if (char === '[' || char === '{') {
      depth++;
      if (char === '[' && (key === null ? depth === 1 : keyPending && depth === 2)) {
        arrayDepth = depth;
        expectingElement = true;
      }
      keyPending = false;
    } else if (char === ']' || char === '}') {
      if (depth === arrayDepth && char === ']') arrayDepth = -2;
      depth--;
    } else if (char === ',') {
      if (depth === arrayDepth) expectingElement = true;
      keyPending = false;
    }
  }
  return starts;
}

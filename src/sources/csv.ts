/** @module Reads an RFC 4180 CSV export into a header and rows, each row knowing the line it starts on. */

import { CsvError } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { RosterError } from '../core/errors.js';
import type { Delimiter, RawRow, RawTable } from './types.js';

interface CsvRecord {
  record: string[];
  info: { bytes: number };
}

/**
 * Parse CSV text. Blank lines (and lines of only separators and spaces) are skipped, so a trailing newline or
 * an Excel tail of `,,,,` rows is harmless. The header is the first non-blank record. Without a delimiter,
 * it is told from the header line (see detectDelimiter).
 */
export function readCsv(text: string, file: string, delimiter?: Delimiter): RawTable {
  const separator = delimiter ?? detectDelimiter(text);
  const bytes = Buffer.from(text, 'utf8');
  const lines = lineCounter(bytes);
  let records: CsvRecord[];
  // Where the last record parsed so far ended: on a syntax error, the failing record starts there.
  let parsedUpTo = 0;
  try {
    records = parse(bytes, {
      // A UTF-8 BOM (Excel's "CSV UTF-8") is not part of the first column's name.
      bom: true,
      delimiter: separator,
      info: true,
      // Rows with the wrong number of fields are row errors with a line, not a parse failure.
      relax_column_count: true,
      // Mixed line endings happen when a file is edited on two systems; auto-detection locks onto the first.
      record_delimiter: ['\r\n', '\n', '\r'],
      on_record: (record: string[], context: { bytes: number }) => {
        parsedUpTo = context.bytes;
        return record;
      },
    }) as unknown as CsvRecord[];
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    throw csvSyntaxError(error, file, lines(parsedUpTo));
  }

  // csv-parse counts a CRLF inside a quoted field as two lines, so lines come from byte offsets instead:
  // a record starts where the previous one (terminator included) ended.
  let previousEnd = 0;
  let header: string[] | undefined;
  let headerLine = 0;
  const rows: RawRow[] = [];
  for (const { record, info } of records) {
    const line = lines(previousEnd);
    previousEnd = info.bytes;
    if (record.every((cell) => cell.trim() === '')) continue;
    if (header === undefined) {
      header = record;
      headerLine = line;
      continue;
    }
    // A field count that differs from the header's means the columns have shifted (an unquoted comma):
    // every value after the shift would land in the wrong field.
    rows.push(
      record.length === header.length
        ? { line, cells: record }
        : {
            line,
            cells: record,
            problem: `the row has ${record.length} fields but the header has ${header.length}: a field with a comma in it needs quotes`,
          },
    );
  }
  return {
    header: header ?? [],
    headerLine,
    rows,
    delimiter: { char: separator, detected: delimiter === undefined },
  };
}

/**
 * The separator of a CSV whose delimiter is not configured: a comma unless the header line has none. Excel in
 * much of Europe saves "CSV" with semicolons; a header without a single comma cannot be a comma-separated
 * header with more than one column, so reading it by its semicolons (or tabs, or pipes) can only help.
 */
export function detectDelimiter(text: string): Delimiter {
  const header = firstLine(text);
  const counts = new Map<Delimiter, number>();
  let quoted = false;
  for (const char of header) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === ',' || char === ';' || char === '\t' || char === '|')) {
      counts.set(char, (counts.get(char) ?? 0) + 1);
    }
  }
  if ((counts.get(',') ?? 0) > 0) return ',';
  let best: Delimiter = ',';
  for (const candidate of [';', '\t', '|'] as const) {
    if ((counts.get(candidate) ?? 0) > (counts.get(best) ?? 0)) best = candidate;
  }
  return best;
}

/** The first line with something on it, BOM dropped; reads no further than that line. */
function firstLine(text: string): string {
  const pattern = /[^\r\n]*/y;
  let at = text.startsWith('\uFEFF') ? 1 : 0;
  while (at < text.length) {
    pattern.lastIndex = at;
    const line = pattern.exec(text)?.[0] ?? '';
    if (line.trim() !== '') return line;
    at += line.length + 1;
  }
  return '';
}

/** A function from a byte offset to its 1-based line; offsets must not go backwards. */
function lineCounter(bytes: Buffer): (offset: number) => number {
  let cursor = 0;
  let line = 1;
  return (offset) => {
    for (; cursor < offset && cursor < bytes.length; cursor++) {
      const byte = bytes[cursor];
      // LF ends a line; CR does too unless an LF follows (CRLF is counted once, at its LF).
      if (byte === 0x0a || (byte === 0x0d && bytes[cursor + 1] !== 0x0a)) line++;
    }
    return line;
  };
}

function csvSyntaxError(error: CsvError, file: string, line: number): RosterError {
  const [message, fix] =
    error.code === 'CSV_QUOTE_NOT_CLOSED'
      ? [
          'a quoted field that starts in this row is never closed',
          'close the quote, and write a quote inside a quoted field as two quotes ("")',
        ]
      : error.code === 'INVALID_OPENING_QUOTE'
        ? [
            'a quote appears inside a field that is not quoted',
            'quote the whole field and double the quote inside it: "5"" screen" for 5" screen',
          ]
        : error.code === 'CSV_INVALID_CLOSING_QUOTE' ||
            error.code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE'
          ? [
              'text follows the closing quote of a quoted field',
              'write a quote inside a quoted field as two quotes ("")',
            ]
          : [error.message, 'save the export again as CSV (comma-separated, UTF-8)'];
  return new RosterError('invalid_input', `${file}:${line} is not valid CSV: ${message}`, {
    cause: error,
    where: `${file}:${line}`,
    fix,
    details: { file, line, csvCode: error.code },
  });
}

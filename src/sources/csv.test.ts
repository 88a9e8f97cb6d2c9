import { describe, expect, it } from 'vitest';
import { RosterError } from '../core/errors.js';
import { readCsv } from './csv.js';

const HEADER = 'employee_id,email,title';

describe('CSV reader (RFC 4180)', () => {
  it('drops a UTF-8 BOM so the first column keeps its name', () => {
    const table = readCsv(`\uFEFF${HEADER}\n1,a@x.com,Dev\n`, 'hr.csv');
    expect(table.header[0]).toBe('employee_id');
    expect(table.rows[0]?.cells[0]).toBe('1');
  });

  it('reads CRLF, LF, CR and mixed line endings, with or without a trailing newline', () => {
    for (const eol of ['\r\n', '\n', '\r']) {
      for (const tail of [eol, '']) {
        const table = readCsv(`${HEADER}${eol}1,a@x.com,Dev${eol}2,b@x.com,QA${tail}`, 'hr.csv');
        expect(table.rows.map((r) => [r.line, r.cells[2]])).toEqual([
          [2, 'Dev'],
          [3, 'QA'],
        ]);
      }
    }
    const mixed = readCsv(`${HEADER}\r\n1,a@x.com,Dev\n2,b@x.com,QA\r\n`, 'hr.csv');
    expect(mixed.rows.map((r) => r.cells)).toEqual([
      ['1', 'a@x.com', 'Dev'],
      ['2', 'b@x.com', 'QA'],
    ]);
  });

  it('keeps commas and doubled quotes inside quoted fields', () => {
    const table = readCsv(`${HEADER}\n1,a@x.com,"Lead, ""Platform"""\n`, 'hr.csv');
    expect(table.rows[0]?.cells[2]).toBe('Lead, "Platform"');
    expect(table.rows[0]?.problem).toBeUndefined();
  });

  it('numbers a row by the line it starts on, and later rows stay right after newlines inside quotes', () => {
    for (const eol of ['\r\n', '\n']) {
      const text = [
        HEADER,
        `1,a@x.com,"multi${eol}line${eol}title"`,
        '2,b@x.com,QA',
        '',
        '3,c@x.com,Ops',
      ].join(eol);
      const table = readCsv(text, 'hr.csv');
      expect(table.rows.map((r) => r.line)).toEqual([2, 5, 7]);
      expect(table.rows[0]?.cells[2]).toBe(`multi${eol}line${eol}title`);
    }
  });

  it('skips blank lines and rows of empty fields without counting them', () => {
    const table = readCsv(`\n${HEADER}\n\n1,a@x.com,Dev\n,,\n  ,  ,\n`, 'hr.csv');
    expect(table.headerLine).toBe(2);
    expect(table.rows.map((r) => r.line)).toEqual([4]);
  });

  it('marks a row whose field count differs from the header, even by a trailing empty field', () => {
    const table = readCsv(
      `${HEADER}\n1,a@x.com,Lead, Platform\n2,b@x.com,QA,\n3,c@x.com\n4,d@x.com,\n`,
      'hr.csv',
    );
    expect(table.rows[0]?.problem).toMatch(/4 fields but the header has 3/);
    expect(table.rows[1]?.problem).toMatch(/4 fields but the header has 3/);
    expect(table.rows[2]?.problem).toMatch(/2 fields but the header has 3/);
    expect(table.rows[3]?.problem).toBeUndefined();
  });

  it('reports an unclosed quote at the line of the row that opens it', () => {
    const text = `${HEADER}\r\n1,a@x.com,"a\r\nb"\r\n2,b@x.com,"never closed\r\n3,c@x.com,QA\r\n`;
    const error = catchError(() => readCsv(text, 'hr.csv'));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('hr.csv:4 is not valid CSV');
    expect(error.fix).toContain('""');
  });

  it('reports a stray quote inside an unquoted field with its line', () => {
    const error = catchError(() => readCsv(`${HEADER}\n1,a@x.com,Dev\n2,b@x.com,5" screen\n`, 'hr.csv'));
    expect(error.message).toContain('hr.csv:3');
    expect(error.message).toContain('quote');
  });
});

function catchError(run: () => unknown): RosterError {
  try {
    run();
  } catch (error) {
    if (error instanceof RosterError) return error;
    throw error;
  }
  throw new Error('expected a RosterError');
}

describe('CSV delimiter', () => {
  it('is a comma whenever the header has one, even if the cells hold semicolons', () => {
    const table = readCsv(`${HEADER}\n1,a@x.com,R&D; Platform\n`, 'hr.csv');
    expect(table.delimiter).toEqual({ char: ',', detected: true });
    expect(table.rows[0]?.cells).toEqual(['1', 'a@x.com', 'R&D; Platform']);
  });

  it('is told from a header without a comma: semicolons, tabs or pipes, after blank lines and a BOM', () => {
    for (const char of [';', '\t', '|'] as const) {
      const header = HEADER.replaceAll(',', char);
      const table = readCsv(`\uFEFF\n\n${header}\n1${char}a@x.com${char}"Dev, Lead"\n`, 'hr.csv');
      expect(table.delimiter).toEqual({ char, detected: true });
      expect(table.header).toEqual(['employee_id', 'email', 'title']);
      expect(table.rows[0]?.cells).toEqual(['1', 'a@x.com', 'Dev, Lead']);
    }
  });

  it('a configured delimiter is used as given, never guessed', () => {
    const table = readCsv('employee_id;email\n1;a@x.com\n', 'hr.csv', ',');
    expect(table.delimiter).toEqual({ char: ',', detected: false });
    expect(table.header).toEqual(['employee_id;email']);
  });
});

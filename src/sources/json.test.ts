import { describe, expect, it } from 'vitest';
import { RosterError } from '../core/errors.js';
import { readJson } from './json.js';

describe('JSON reader', () => {
  it('reads a bare array of objects, placing each row on the line of its opening brace', () => {
    const text =
      '[\n  {"employee_id": "E1", "email": "a@x.com"},\n  {\n    "employee_id": 2,\n    "email": "b@x.com"\n  }\n]';
    const table = readJson(text, 'hr.json');
    expect(table.header).toEqual(['employee_id', 'email']);
    expect(table.rows.map((r) => [r.line, r.path, r.cells[0]])).toEqual([
      [2, '[0]', 'E1'],
      [3, '[1]', '2'],
    ]);
  });

  it('reads { "people": [...] } and ignores other keys, even ones holding arrays', () => {
    const text = [
      '{',
      '  "exported": "2026-11-01", "tags": ["a", {"b": 1}],',
      '  "people": [',
      '    {"employee_id": "E1", "note": "has a [bracket] and a \\"quote\\""},',
      '    {"employee_id": "E2", "aliases": ["x@y.com", "z@y.com"], "meta": {"k": 1}, "gone": null}',
      '  ]',
      '}',
    ].join('\n');
    const table = readJson(text, 'hr.json');
    expect(table.rows.map((r) => [r.line, r.path])).toEqual([
      [4, 'people[0]'],
      [5, 'people[1]'],
    ]);
    const row = table.rows[1]!;
    expect(row.cells[table.header.indexOf('aliases')]).toEqual(['x@y.com', 'z@y.com']);
    expect(row.cells[table.header.indexOf('meta')]).toBe('{"k":1}');
    expect(row.cells[table.header.indexOf('gone')]).toBe('');
  });

  it('marks an element that is not an object', () => {
    const table = readJson('[{"employee_id": "E1"}, "E2"]', 'hr.json');
    expect(table.rows[1]?.problem).toBe('[1] is the text "E2", not an object');
  });

  it('refuses a document that is neither shape, and invalid JSON with its line', () => {
    expect(() => readJson('{"staff": []}', 'hr.json')).toThrow(/neither a JSON array of people/);
    try {
      readJson('[\n{"a": 1},\n{"a": }\n]', 'hr.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RosterError);
      expect((error as RosterError).message).toMatch(/^hr\.json(:3)? is not valid JSON/);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { RosterError } from '../core/errors.js';
import { generateCompany, hrToCsv } from '../sandbox/company.js';
import { parsePeople } from './people.js';
import type { ParsePeopleOptions } from './types.js';

const HEADER =
  'employee_id,email,first_name,last_name,status,department,title,manager_email,start_date,end_date,aliases';
const ADA = 'E1,ada@acme.com,Ada,Lovelace,active,Engineering,CTO,,2020-01-06,,';
const ALAN = 'E2,alan@acme.com,Alan,Turing,active,Engineering,Engineer,ada@acme.com,2021-03-01,,';

function csv(...rows: string[]): string {
  return [HEADER, ...rows].join('\n') + '\n';
}

function parse(text: string, options: Partial<ParsePeopleOptions> = {}) {
  return parsePeople({ text, format: 'csv', file: 'hr.csv', ...options });
}

/** The errors a refused file lists, one `file:line field: message` per line. */
function refusal(
  text: string,
  options: Partial<ParsePeopleOptions> = {},
): { error: RosterError; lines: string[] } {
  try {
    parse(text, options);
  } catch (error) {
    if (!(error instanceof RosterError)) throw error;
    return {
      error,
      lines: error.message
        .split('\n')
        .slice(1)
        .map((l) => l.trim()),
    };
  }
  throw new Error('expected the file to be refused');
}

describe('people source: reading', () => {
  it('maps the default columns to a Person and keeps every other column in attributes', () => {
    const text = `${HEADER},Cost Center\n${ADA},CC-10\n${ALAN},CC-20\n`;
    const { people, errors, warnings, rows } = parse(text);
    expect({ errors, warnings, rows }).toEqual({ errors: [], warnings: [], rows: 2 });
    expect(people[1]).toEqual({
      employeeId: 'E2',
      email: 'alan@acme.com',
      aliases: [],
      firstName: 'Alan',
      lastName: 'Turing',
      status: 'active',
      department: 'Engineering',
      title: 'Engineer',
      managerEmail: 'ada@acme.com',
      startDate: '2021-03-01',
      endDate: null,
      attributes: { 'Cost Center': 'CC-20' },
    });
  });

  it('trims whitespace and stores every address in lower case', () => {
    const { people } = parse(
      csv(ADA, '  E2 , Alan.Turing@ACME.com ,  Alan ,Turing, Active ,,, ADA@Acme.com ,,,Alan@ACME.io'),
    );
    expect(people[1]).toMatchObject({
      employeeId: 'E2',
      email: 'alan.turing@acme.com',
      managerEmail: 'ada@acme.com',
      aliases: ['alan@acme.io'],
      firstName: 'Alan',
    });
  });

  it('stores names and other text in Unicode NFC, whatever form the export used', () => {
    const decomposed = 'Jose\u0301';
    const { people } = parse(csv(`E1,jose@acme.com,${decomposed},Mun\u0303oz,active,Ingenieri\u0301a,,,,,`));
    expect(people[0]).toMatchObject({
      firstName: 'Jos\u00e9',
      lastName: 'Mu\u00f1oz',
      department: 'Ingenier\u00eda',
    });
  });

  it('matches headers case-insensitively and ignoring spaces around them', () => {
    const text = ' Employee_ID ,EMAIL, Status \nE1,ada@acme.com,active\n';
    expect(parse(text).people[0]).toMatchObject({
      employeeId: 'E1',
      email: 'ada@acme.com',
      status: 'active',
    });
  });

  it('reads a column the user mapped by name', () => {
    const text = 'Worker ID,Work Email,Employment Status,Given Name\nW-7,ada@acme.com,Active,Ada\n';
    const { people } = parse(text, {
      columns: {
        employeeId: 'worker id',
        email: 'Work Email',
        status: 'Employment Status',
        firstName: 'Given Name',
      },
    });
    expect(people[0]).toMatchObject({
      employeeId: 'W-7',
      email: 'ada@acme.com',
      firstName: 'Ada',
      attributes: {},
    });
  });

  it('a mapped column missing from the header is an error naming the column, the header and the fix', () => {
    const text = 'Worker ID,Mail,status\nW-7,ada@acme.com,active\n';
    const { error } = refusal(text, { columns: { employeeId: 'Worker ID', email: 'Work Email' } });
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain(
      'hr.csv:1 Work Email: the file has no column "Work Email" (header: Worker ID, Mail, status)',
    );
    expect(error.fix).toContain('set source.columns.email');
  });

  it('a missing default column is an error only for the required ones, and names become a warning', () => {
    const { error } = refusal('employee_id,email\nE1,ada@acme.com\n');
    expect(error.message).toContain('no column "status"');
    const { people, warnings } = parse('employee_id,email,status\nE1,ada@acme.com,active\n');
    expect(people[0]).toMatchObject({ firstName: '', lastName: '', department: null, aliases: [] });
    expect(warnings.map((w) => w.field)).toEqual(['first_name', 'last_name']);
  });

  it('refuses a column name the user mapped to no Roster field', () => {
    expect(() => parse(csv(ADA), { columns: { employee_number: 'id' } as never })).toThrow(
      /source\.columns\.employee_number is not a field Roster reads/,
    );
  });

  it('accepts field names as roster.yaml spells them (employee_id) as well as employeeId', () => {
    const text = 'id,email,status\nE1,ada@acme.com,active\n';
    expect(parse(text, { columns: { employee_id: 'id' } as never }).people[0]?.employeeId).toBe('E1');
    expect(parse(text, { columns: { employeeId: 'id' } }).people[0]?.employeeId).toBe('E1');
  });

  it("reads aliases separated by ; or , and drops blanks and the person's own email", () => {
    const text = csv(
      'E1,ada@acme.com,Ada,Lovelace,active,,,,,,"ada.l@acme.io; a.lovelace@acme.com,,ADA@acme.com"',
    );
    const { people, warnings } = parse(text);
    expect(people[0]?.aliases).toEqual(['ada.l@acme.io', 'a.lovelace@acme.com']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ line: 2, field: 'aliases' });
  });

  it('reads the JSON array shape and the { people } shape, with aliases as a JSON list', () => {
    const person = {
      employee_id: 1001,
      email: 'ada@acme.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      status: 'active',
      aliases: ['ada@acme.io', 'al@acme.com'],
      remote: true,
    };
    for (const text of [JSON.stringify([person]), JSON.stringify({ people: [person] }, null, 2)]) {
      const { people, errors } = parsePeople({ text, format: 'json', file: 'hr.json' });
      expect(errors).toEqual([]);
      expect(people[0]).toMatchObject({
        employeeId: '1001',
        aliases: ['ada@acme.io', 'al@acme.com'],
        attributes: { remote: 'true' },
      });
    }
  });

  it('places a JSON row error on its line and its array index', () => {
    const text =
      '{\n  "people": [\n    {"employee_id": "E1", "email": "ada@acme.com", "status": "active"},\n    {"employee_id": "E2", "email": "bob@", "status": "active"}\n  ]\n}\n';
    const { errors } = parsePeople({ text, format: 'json', file: 'hr.json', skipInvalid: true });
    expect(errors).toEqual([
      expect.objectContaining({
        file: 'hr.json',
        line: 4,
        path: 'people[1]',
        field: 'email',
        employeeId: 'E2',
      }),
    ]);
  });

  it("parses the sample company's HR export with no errors and 200 people", () => {
    const company = generateCompany({ seed: 42 });
    const { people, errors, rows } = parse(hrToCsv(company.hr));
    expect(errors).toEqual([]);
    expect(rows).toBe(200);
    expect(people).toHaveLength(200);
    expect(people.filter((p) => p.status === 'leaver').length).toBe(
      company.hr.filter((r) => r.status === 'leaver').length,
    );
  });
});

describe('people source: status values', () => {
  it('maps the default status words, in any case', () => {
    const statuses = [
      'Employed',
      'CURRENT',
      'terminated',
      'Former',
      'Inactive',
      'on_leave',
      'Leave',
      'Preboarding',
      'hired',
    ];
    const rows = statuses.map((s, i) => `E${i},p${i}@acme.com,P,${i},${s},,,,,,`);
    expect(parse(csv(...rows)).people.map((p) => p.status)).toEqual([
      'active',
      'active',
      'leaver',
      'leaver',
      'leaver',
      'on_leave',
      'on_leave',
      'pending',
      'pending',
    ]);
  });

  it('takes extra status values from statusValues, on top of the defaults', () => {
    const text = csv(
      'E1,a@acme.com,A,A,A,,,,,,',
      'E2,b@acme.com,B,B,T,,,,,,',
      'E3,c@acme.com,C,C,active,,,,,,',
    );
    const { people } = parse(text, { statusValues: { A: 'active', t: 'leaver' } });
    expect(people.map((p) => p.status)).toEqual(['active', 'leaver', 'active']);
  });

  it('an unknown status is a row error listing the known values', () => {
    const { lines } = refusal(csv(ADA, 'E2,alan@acme.com,Alan,Turing,Retired,,,,,,'));
    expect(lines[0]).toMatch(
      /^hr\.csv:3 status: "Retired" is not a known status \(known values: active, employed, current, terminated/,
    );
  });

  it('refuses a statusValues entry that maps to no Roster status', () => {
    expect(() => parse(csv(ADA), { statusValues: { A: 'enabled' as never } })).toThrow(/not a Roster status/);
  });
});

describe('people source: validation', () => {
  it('employee_id and email are required; missing names are warnings', () => {
    const { lines } = refusal(csv(',ada@acme.com,Ada,,active,,,,,,', 'E2,,Alan,Turing,active,,,,,,'));
    expect(lines).toEqual(['hr.csv:2 employee_id: is empty', 'hr.csv:3 email: is empty']);
    const { warnings } = parse(csv('E1,ada@acme.com,,,active,,,,,,'));
    expect(warnings.map((w) => `${w.line} ${w.field}`)).toEqual(['2 first_name', '2 last_name']);
  });

  it('an email must look like an address', () => {
    const { lines } = refusal(csv(ADA, 'E2,bob@,Bob,B,active,,,,,,', 'E3,carol acme.com,C,C,active,,,,,,'));
    expect(lines).toEqual([
      'hr.csv:3 email: "bob@" is not an email address',
      'hr.csv:4 email: "carol acme.com" is not an email address',
    ]);
  });

  it('accepts Unicode addresses and compares emails in NFC, case-insensitively', () => {
    const composed = 'jos\u00e9@acme.com';
    const decomposed = 'JOSE\u0301@acme.com';
    expect(parse(csv(`E1,${composed},José,A,active,,,,,,`)).people[0]?.email).toBe(composed);
    expect(parse(csv(`E1,${decomposed},José,A,active,,,,,,`)).people[0]?.email).toBe(composed);
    const { lines } = refusal(
      csv(`E1,${composed},José,A,active,,,,,,`, `E2,${decomposed},José,B,active,,,,,,`),
    );
    expect(lines).toEqual([`hr.csv:3 email: "${composed}" is also the email of the person on line 2`]);
  });

  it('a duplicate employee id is an error naming both lines', () => {
    const { lines } = refusal(csv(ADA, ALAN, 'E1,other@acme.com,O,O,active,,,,,,'));
    expect(lines).toEqual(['hr.csv:4 employee_id: "E1" is also the employee id on line 2']);
  });

  it('a duplicate email is an error naming both lines, whatever its case', () => {
    const { lines } = refusal(csv(ADA, ALAN, 'E3,Ada@Acme.com,Ada,Byron,active,,,,,,'));
    expect(lines).toEqual(['hr.csv:4 email: "ada@acme.com" is also the email of the person on line 2']);
  });

  it("an alias equal to another person's email or alias is an error naming both lines", () => {
    const { lines } = refusal(
      csv(
        'E1,ada@acme.com,Ada,L,active,,,,,,ada@acme.io',
        'E2,alan@acme.com,Alan,T,active,,,,,,ADA@acme.com',
        'E3,grace@acme.com,Grace,H,active,,,,,,ada@acme.io',
      ),
    );
    expect(lines).toEqual([
      'hr.csv:3 aliases: "ada@acme.com" is also the email of the person on line 2',
      'hr.csv:4 aliases: "ada@acme.io" is also an alias of the person on line 2',
    ]);
  });

  it('an alias must be an email address', () => {
    const { lines } = refusal(csv('E1,ada@acme.com,Ada,L,active,,,,,,ada-at-home'));
    expect(lines).toEqual(['hr.csv:2 aliases: "ada-at-home" is not an email address']);
  });

  it('dates must be ISO dates; an ISO datetime is accepted as its date', () => {
    const { lines } = refusal(
      csv(
        'E1,ada@acme.com,Ada,L,active,,,,01/06/2020,,',
        'E2,alan@acme.com,Alan,T,active,,,,2021-02-30,,',
        'E3,grace@acme.com,Grace,H,leaver,,,,2021-02-01,2023-13-01,',
      ),
    );
    expect(lines).toEqual([
      'hr.csv:2 start_date: "01/06/2020" is not a date in the format YYYY-MM-DD (and 1 more row like it: line 3)',
      'hr.csv:4 end_date: "2023-13-01" is not a date in the format YYYY-MM-DD',
    ]);
    const { people } = parse(
      csv('E1,ada@acme.com,Ada,L,leaver,,,,2020-01-06T09:00:00Z,2024-05-31T17:30:00+02:00,'),
    );
    expect(people[0]).toMatchObject({ startDate: '2020-01-06', endDate: '2024-05-31' });
  });

  it('an end_date before the start_date is an error', () => {
    const { lines } = refusal(csv('E1,ada@acme.com,Ada,L,leaver,,,,2022-05-01,2022-04-30,'));
    expect(lines).toEqual(['hr.csv:2 end_date: "2022-04-30" is before start_date "2022-05-01"']);
  });

  it('an active person with an end_date in the past is kept as given', () => {
    const { people, errors } = parse(csv('E1,ada@acme.com,Ada,L,active,,,,2010-01-01,2011-01-01,'));
    expect(errors).toEqual([]);
    expect(people[0]).toMatchObject({ status: 'active', endDate: '2011-01-01' });
  });

  it('a manager_email must be someone in the file, by email or alias', () => {
    const { lines } = refusal(
      csv(
        'E1,ada@acme.com,Ada,L,active,,,,,,ada@acme.io',
        'E2,alan@acme.com,Alan,T,active,,,ADA@acme.io,,,',
        'E3,grace@acme.com,Grace,H,active,,,boss@acme.com,,,',
      ),
    );
    expect(lines).toEqual(['hr.csv:4 manager_email: "boss@acme.com" is not the email of anyone in the file']);
  });

  it('a row whose fields have shifted is an error on its line', () => {
    const { lines } = refusal(csv(ADA, 'E2,alan@acme.com,Alan,Turing,active,Engineering,Lead, Platform,,,,'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hr\.csv:3 the row has 12 fields but the header has 11/);
  });

  it('line numbers stay right after a quoted field with newlines', () => {
    const text = [
      HEADER,
      'E1,ada@acme.com,Ada,L,active,,"Chief\r\nTechnology\r\nOfficer",,,,',
      'E2,bob@,Bob,B,active,,,,,,',
    ].join('\r\n');
    const { lines } = refusal(text);
    expect(lines).toEqual(['hr.csv:5 email: "bob@" is not an email address']);
  });
});

describe('people source: refusing and skipping', () => {
  it('an empty file is refused', () => {
    expect(() => parse('')).toThrow('hr.csv is empty (0 bytes) — is this the right export?');
    expect(() => parse('\uFEFF\r\n\r\n')).toThrow(/only blank lines/);
  });

  it('a header-only file is refused', () => {
    expect(() => parse(`${HEADER}\r\n`)).toThrow(
      'hr.csv has a header but no people — is this the right export?',
    );
    expect(() => parsePeople({ text: '{"people": []}', format: 'json', file: 'hr.json' })).toThrow(
      /has no people/,
    );
  });

  it('by default any row error refuses the whole file with one error listing every row', () => {
    const { error, lines } = refusal(
      csv(ADA, 'E2,bob@,Bob,B,active,,,,,,', 'E3,carol@acme.com,C,C,gone,,,,,,'),
    );
    expect(error.code).toBe('invalid_input');
    expect(error.message.split('\n')[0]).toBe('hr.csv has 2 errors in 2 of 3 rows; nothing was imported:');
    expect(lines).toHaveLength(2);
    expect(error.fix).toContain('--skip-invalid');
  });

  it('the refusal lists at most 50 errors and says how many more there are', () => {
    const rows = Array.from({ length: 60 }, (_, i) => `E${i},bad${i}@,B,B,active,,,,,,`);
    const { lines } = refusal(csv(...rows));
    expect(lines).toHaveLength(51);
    expect(lines[49]).toBe('hr.csv:51 email: "bad49@" is not an email address');
    expect(lines[50]).toBe('and 10 more');
  });

  it('with skipInvalid the valid people come back beside the errors', () => {
    const result = parse(csv(ADA, 'E9,bob@,Bob,B,active,,,,,,', ALAN), { skipInvalid: true });
    expect(result.people.map((p) => p.employeeId)).toEqual(['E1', 'E2']);
    expect(result.people[1]?.email).toBe('alan@acme.com');
    expect(result.rows).toBe(3);
    expect(result.errors).toEqual([
      {
        file: 'hr.csv',
        line: 3,
        field: 'email',
        message: '"bob@" is not an email address',
        employeeId: 'E9',
      },
    ]);
  });

  it('a missing column refuses the file even with skipInvalid', () => {
    expect(() => parse('employee_id,email\nE1,ada@acme.com\n', { skipInvalid: true })).toThrow(
      /no column "status"/,
    );
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/load.js';
import { rosterConfigSchema } from '../config/schema.js';
import { RosterError } from '../core/errors.js';
import { defaultPolicy } from '../reconcile/policy.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { importPeople } from './import.js';
import { parsePeopleBytes } from './load.js';

// Counts the parses, so a test can tell an unchanged file was recognised without reading its rows.
vi.mock('./load.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./load.js')>();
  return { ...original, parsePeopleBytes: vi.fn(original.parsePeopleBytes) };
});
const parses = () => vi.mocked(parsePeopleBytes).mock.calls.length;

const HEADER = 'employee_id,email,first_name,last_name,status';
const person = (n: number, status = 'active') => `E${n},p${n}@acme.com,P,${n},${status}`;
const people = (count: number, from = 1) => Array.from({ length: count }, (_, i) => person(from + i));

let dir = '';
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'roster-import-'));
  store = await openStore(':memory:');
  vi.mocked(parsePeopleBytes).mockClear();
});
afterEach(async () => {
  await store.close();
});

function setup(rows: string[], source: Record<string, unknown> = {}, header = HEADER) {
  const path = join(dir, 'hr.csv');
  writeFileSync(path, `${[header, ...rows].join('\n')}\n`);
  const config = rosterConfigSchema.parse({ source: { type: 'csv', path, ...source }, apps: [] });
  return { path, config };
}

async function refused(run: Promise<unknown>): Promise<RosterError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof RosterError) return error;
    throw error;
  }
  throw new Error('expected the import to be refused');
}

describe('importing people', () => {
  it('a file with an invalid row is refused whole, recorded as rejected, and changes nothing', async () => {
    const first = setup(people(3));
    await importPeople({ store, config: first.config });
    const bad = setup([...people(3), 'E4,not-an-email,P,4,active']);
    const error = await refused(importPeople({ store, config: bad.config }));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain(`${bad.path}:5 email: "not-an-email" is not an email address`);
    expect(error.fix).toContain('--skip-invalid');
    expect((await store.listPeople()).map((p) => p.employeeId)).toEqual(['E1', 'E2', 'E3']);
    const [latest] = await store.listImports();
    expect(latest?.status).toBe('rejected');
    expect(latest?.error).toContain('not an email address');
  });

  it('with skipInvalid the valid rows are imported and the invalid ones reported', async () => {
    const { config } = setup([...people(2), 'E3,,P,3,active', 'E4,p4@acme.com,P,4,fired']);
    const result = await importPeople({ store, config, skipInvalid: true });
    expect(result.status).toBe('applied');
    expect(result.counts).toMatchObject({ rows: 4, people: 2, skipped: 2, active: 2 });
    expect(result.errors.map((e) => [e.line, e.field])).toEqual([
      [4, 'email'],
      [5, 'status'],
    ]);
    expect((await store.listPeople()).map((p) => p.employeeId)).toEqual(['E1', 'E2']);
  });

  it("a skipped row keeps its person's last imported record instead of dropping them", async () => {
    await importPeople({ store, config: setup(people(3)).config });
    const { config } = setup([person(1), person(2), 'E3,broken,P,3,active']);
    const result = await importPeople({ store, config, skipInvalid: true });
    expect(result.counts).toMatchObject({ skipped: 1, carried: 1, dropped: 0, people: 3 });
    expect((await store.getPerson({ employeeId: 'E3' }))?.email).toBe('p3@acme.com');
  });

  it('the drop guard refuses a truncated file with the numbers, records it, and force imports it', async () => {
    await importPeople({ store, config: setup(people(10)).config });
    const { config } = setup(people(6));
    const error = await refused(importPeople({ store, config }));
    expect(error.code).toBe('conflict');
    expect(error.message).toContain('drop 4 of 10 active people (40%)');
    expect(await store.listPeople()).toHaveLength(10);
    expect((await store.listImports())[0]?.status).toBe('rejected');
    const forced = await importPeople({ store, config, force: true });
    expect(forced.status).toBe('applied');
    expect(forced.counts).toMatchObject({ dropped: 4, previousActive: 10, people: 6 });
    expect(await store.listPeople()).toHaveLength(6);
  });

  it('leavers marked as such count as dropped active people too', async () => {
    await importPeople({ store, config: setup(people(4)).config });
    const { config } = setup([person(1), person(2), person(3, 'terminated'), person(4, 'terminated')]);
    const error = await refused(importPeople({ store, config }));
    expect(error.message).toContain('drop 2 of 4 active people (50%)');
  });

  it('importing the same file again is unchanged and writes no history row', async () => {
    const { config } = setup(people(3));
    const first = await importPeople({ store, config });
    const again = await importPeople({ store, config });
    expect(again.status).toBe('unchanged');
    expect(again.importId).toBe(first.importId);
    expect(again.counts).toMatchObject({ people: 3, active: 3, rows: 3 });
    expect(await store.listImports()).toHaveLength(1);
  });

  it('an unchanged file is recognised by its hash without parsing a row', async () => {
    const { config } = setup(people(3));
    await importPeople({ store, config });
    expect(parses()).toBe(1);
    expect((await importPeople({ store, config })).status).toBe('unchanged');
    expect(parses()).toBe(1);
  });

  it('a file whose import skipped rows is read again, and unchanged if it skips the same ones', async () => {
    const { config } = setup([...people(3), 'E4,broken,P,4,active']);
    await importPeople({ store, config, skipInvalid: true });
    const again = await importPeople({ store, config, skipInvalid: true });
    expect(again.status).toBe('unchanged');
    expect(again.errors.map((e) => e.line)).toEqual([5]);
    expect(parses()).toBe(2);
    // Without skipInvalid the same bad row refuses it, as it would have the first time.
    expect((await refused(importPeople({ store, config }))).message).toContain('hr.csv:5 email');
  });

  it('the file the store holds is the one compared, even when imports tie on their time', async () => {
    await store.close();
    // A pinned clock: every import ties on its creation time, as two in one millisecond would.
    store = await openStore(':memory:', { clock: () => new Date('2026-11-01T00:00:00Z') });
    const a = setup(people(3));
    const first = await importPeople({ store, config: a.config });
    await importPeople({ store, config: setup(people(4)).config });
    const back = setup(people(3));
    const result = await importPeople({ store, config: back.config });
    expect(result.status).toBe('applied');
    expect(result.importId).not.toBe(first.importId);
    expect(await store.listPeople()).toHaveLength(3);
  });

  it('the same bytes read with a different column mapping import again', async () => {
    const { config } = setup(people(3));
    await importPeople({ store, config });
    const remapped = setup(people(3), { columns: { first_name: 'last_name' } });
    expect((await importPeople({ store, config: remapped.config })).status).toBe('applied');
    expect((await store.getPerson({ employeeId: 'E1' }))?.firstName).toBe('1');
  });

  it('keeps every import, applied and rejected, in the history, newest first', async () => {
    await importPeople({ store, config: setup(people(3)).config });
    await refused(importPeople({ store, config: setup(['E1,x,P,1,active']).config }));
    await importPeople({ store, config: setup(people(4)).config });
    const history = await store.listImports();
    expect(history.map((r) => r.status).sort()).toEqual(['applied', 'applied', 'rejected']);
    expect(history.filter((r) => r.status === 'applied').map((r) => r.counts['people'])).toContain(4);
  });
});

describe('HR exports as they really come', () => {
  it('stores names in Unicode NFC and addresses trimmed and in lower case', async () => {
    const { config } = setup([`E1, P2@ACME.com ,Jose\u0301,Mun\u0303oz,active`]);
    await importPeople({ store, config });
    const [stored] = await store.listPeople();
    expect(stored).toMatchObject({ email: 'p2@acme.com', firstName: 'Jos\u00e9', lastName: 'Mu\u00f1oz' });
    expect((await store.getPerson({ email: 'p2@acme.com' }))?.employeeId).toBe('E1');
  });

  it('dates in another order are refused once, with the count, the first lines and the dateFormat that reads them', async () => {
    const header = `${HEADER},start_date`;
    const rows = Array.from(
      { length: 338 },
      (_, i) => `${person(i + 1)},0${(i % 9) + 1}/0${(i % 7) + 1}/2024`,
    );
    const ambiguous = setup(rows, {}, header);
    const error = await refused(importPeople({ store, config: ambiguous.config }));
    const lines = error.message.split('\n').slice(1);
    expect(lines).toEqual([
      `  ${ambiguous.path}:2 start_date: "01/01/2024" is not a date in the format YYYY-MM-DD ` +
        '(and 337 more rows like it: lines 3, 4, 5, 6, 7 and 332 more)',
    ]);
    expect(error.fix).toBe(
      'set source.dateFormat in roster.yaml to the order your HR system writes: every date in question reads as MM/DD/YYYY or as DD/MM/YYYY',
    );

    // One day past the 12th settles the order, and the fix names the one setting.
    const settled = setup([...rows, `${person(339)},25/04/2024`], {}, header);
    expect((await refused(importPeople({ store, config: settled.config }))).fix).toBe(
      'set source.dateFormat: DD/MM/YYYY in roster.yaml (every date in question reads that way)',
    );
    const read = setup([...rows, `${person(339)},25/04/2024`], { dateFormat: 'DD/MM/YYYY' }, header);
    expect((await importPeople({ store, config: read.config })).status).toBe('applied');
    expect((await store.getPerson({ employeeId: 'E339' }))?.startDate).toBe('2024-04-25');
    expect((await store.getPerson({ employeeId: 'E10' }))?.startDate).toBe('2024-03-01');
  });

  it('skipping every row is refused too: an export of nobody is never meant', async () => {
    const { config } = setup(['E1,p1@acme.com,P,1,fired', 'E2,p2@acme.com,P,2,fired']);
    const error = await refused(importPeople({ store, config, skipInvalid: true }));
    expect(error.message.split('\n')[0]).toContain('has 2 errors in 2 of 2 rows; nothing was imported');
    expect(error.fix).toBe('correct these rows in the export: skipping them all leaves nobody');
    expect(await store.listPeople()).toEqual([]);
  });

  it('a date that fits no format asks for the dates to be fixed, or the rows skipped', async () => {
    const { config } = setup([`${person(1)},next monday`], {}, `${HEADER},start_date`);
    const error = await refused(importPeople({ store, config }));
    expect(error.fix).toContain('write dates as YYYY-MM-DD, or set source.dateFormat');
    expect(error.fix).toContain('--skip-invalid');
  });

  it('source.dateFormat reads US, German and single-digit dates, and ISO dates whatever it says', async () => {
    const header = `${HEADER},start_date,end_date`;
    const us = setup(
      [`${person(1, 'leaver')},9/4/2024,12/31/2024 17:00`],
      { dateFormat: 'MM/DD/YYYY' },
      header,
    );
    await importPeople({ store, config: us.config });
    expect(await store.getPerson({ employeeId: 'E1' })).toMatchObject({
      startDate: '2024-09-04',
      endDate: '2024-12-31',
    });
    const de = setup([`${person(1, 'leaver')},04.09.2024,2024-12-31`], { dateFormat: 'DD.MM.YYYY' }, header);
    await importPeople({ store, config: de.config });
    expect(await store.getPerson({ employeeId: 'E1' })).toMatchObject({
      startDate: '2024-09-04',
      endDate: '2024-12-31',
    });
  });

  it('a semicolon-separated export is read by its semicolons, with a warning naming source.delimiter', async () => {
    const { config } = setup(
      ['E1;ada@acme.com;Ada;Lovelace;active', 'E2;alan@acme.com;Alan;Turing, Jr.;active'],
      {},
      HEADER.replaceAll(',', ';'),
    );
    const result = await importPeople({ store, config });
    expect(result.counts.people).toBe(2);
    expect((await store.getPerson({ employeeId: 'E2' }))?.lastName).toBe('Turing, Jr.');
    expect(result.warnings.map((w) => [w.message, w.fix])).toEqual([
      [
        'read as separated by semicolons: the header has no comma',
        'set source.delimiter: ";" in roster.yaml to say so',
      ],
    ]);
    // Said once, the delimiter is read as said and the warning goes.
    const said = setup(
      ['E1;ada@acme.com;Ada;Lovelace;active'],
      { delimiter: ';' },
      HEADER.replaceAll(',', ';'),
    );
    expect((await importPeople({ store, config: said.config, force: true })).warnings).toEqual([]);
  });

  it('a header problem names the mapping or the separator to set, never --skip-invalid', async () => {
    const wrongSeparator = setup(
      ['E1;ada@acme.com;Ada;L;active'],
      { delimiter: ',' },
      HEADER.replaceAll(',', ';'),
    );
    const error = await refused(importPeople({ store, config: wrongSeparator.config, skipInvalid: true }));
    expect(error.fix).toContain('set source.delimiter: ";"');
    expect(error.fix).not.toContain('skip');

    const noStatus = setup(['E1,ada@acme.com'], {}, 'employee_id,email');
    const missing = await refused(importPeople({ store, config: noStatus.config }));
    expect(missing.message).toContain('the file has no column "status"');
    expect(missing.fix).toBe('set source.columns.status to the column that holds the status');
  });

  it('columns no Roster field or setting reads are named once, and kept as attributes', async () => {
    const { config } = setup(
      [
        'E1,ada@acme.com,Ada,L,active,CC-10,Berlin,okta-1',
        'E2,alan@acme.com,Alan,T,active,CC-20,Paris,okta-2',
      ],
      {},
      `${HEADER},Cost Center,Location,idp_id`,
    );
    const result = await importPeople({ store, config });
    // idp_id is read by identity.externalIdAttribute; a policy condition on Location would take it off too.
    expect(result.unusedColumns).toEqual(['Cost Center', 'Location']);
    const rule = { name: 'eu', when: { location: 'Berlin' }, apps: {} };
    const withPolicy = { ...config, policy: { ...defaultPolicy(), rules: [rule] } };
    const fresh = await openStore(':memory:');
    try {
      expect((await importPeople({ store: fresh, config: withPolicy })).unusedColumns).toEqual([
        'Cost Center',
      ]);
    } finally {
      await fresh.close();
    }
    expect((await store.getPerson({ employeeId: 'E2' }))?.attributes).toEqual({
      'Cost Center': 'CC-20',
      Location: 'Paris',
      idp_id: 'okta-2',
    });
  });

  it('column names match whatever spacing, underscores or hyphens the export uses', async () => {
    const { config } = setup(
      ['E1,ada@acme.com,Ada,L,active'],
      {},
      'Employee ID,E-mail,First Name,last-name,STATUS',
    );
    const result = await importPeople({ store, config });
    expect(result.unusedColumns).toEqual([]);
    expect(await store.getPerson({ employeeId: 'E1' })).toMatchObject({
      email: 'ada@acme.com',
      lastName: 'L',
    });
    // The column of the very name wins over a loose match; the other is kept as an attribute.
    const both = setup(['E1,ada@acme.com,old@acme.com,active'], {}, 'employee_id,Email,E-mail,status');
    expect((await importPeople({ store, config: both.config })).unusedColumns).toEqual(['E-mail']);
    expect((await store.getPerson({ employeeId: 'E1' }))?.email).toBe('ada@acme.com');
  });

  it('a missing export names the file, the roster.yaml line that points at it and the fix', async () => {
    const yaml = join(dir, 'roster.yaml');
    writeFileSync(yaml, 'store: sqlite:./r.db\napps: []\nsource:\n  type: csv\n  path: exports/hr.csv\n');
    const config = await loadConfig(yaml, { env: {} });
    const error = await refused(importPeople({ store, config }));
    expect(error.code).toBe('not_found');
    expect(error.where).toBe(`${yaml}:5`);
    expect(error.message).toBe(`source.path: the HR export ${join(dir, 'exports/hr.csv')} does not exist`);
    expect(error.fix).toBe(
      `export the people from your HR system to ${join(dir, 'exports/hr.csv')}, or set source.path in ${yaml} to where the export is`,
    );
  });
});

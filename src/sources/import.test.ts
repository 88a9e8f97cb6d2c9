import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rosterConfigSchema } from '../config/schema.js';
import { RosterError } from '../core/errors.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { importPeople } from './import.js';

const HEADER = 'employee_id,email,first_name,last_name,status';
const person = (n: number, status = 'active') => `E${n},p${n}@acme.com,P,${n},${status}`;
const people = (count: number, from = 1) => Array.from({ length: count }, (_, i) => person(from + i));

let dir = '';
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'roster-import-'));
  store = await openStore(':memory:');
});
afterEach(async () => {
  await store.close();
});

function setup(rows: string[], source: Record<string, unknown> = {}) {
  const path = join(dir, 'hr.csv');
  writeFileSync(path, `${[HEADER, ...rows].join('\n')}\n`);
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
    expect(await store.listImports()).toHaveLength(1);
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

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPeopleFile } from './load.js';

const CSV = '\uFEFFemployee_id,email,status\r\nE1,zoë@acme.com,active\r\n';
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roster-sources-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('loading a people file', () => {
  it('takes the format from the extension, in any case', async () => {
    const csv = await loadPeopleFile(await file('hr.CSV', CSV));
    expect(csv.people[0]?.email).toBe('zoë@acme.com');
    const json = await loadPeopleFile(
      await file('hr.json', '[{"employee_id": "E1", "email": "a@acme.com", "status": "active"}]'),
    );
    expect(json.people).toHaveLength(1);
  });

  it('lets the format be set for an extension it cannot tell from', async () => {
    const path = await file('export.txt', CSV);
    await expect(loadPeopleFile(path)).rejects.toThrow(/cannot tell the format of .*export\.txt/);
    expect((await loadPeopleFile(path, { format: 'csv' })).people).toHaveLength(1);
  });

  it('names the file and line in row errors', async () => {
    const path = await file('bad.csv', 'employee_id,email,status\nE1,bob@,active\n');
    await expect(loadPeopleFile(path)).rejects.toThrow(`${path}:2 email: "bob@" is not an email address`);
  });

  it('refuses a file that is not UTF-8, with the line and how to export it', async () => {
    const latin1 = Buffer.from(
      'employee_id,email,first_name,status\nE1,a@acme.com,Zo\xeb,active\n',
      'latin1',
    );
    const path = await file('latin1.csv', latin1);
    await expect(loadPeopleFile(path)).rejects.toMatchObject({
      code: 'invalid_input',
      message: `${path}:2 is not UTF-8 text`,
      fix: expect.stringContaining('CSV UTF-8'),
    });
  });

  it('a missing file is not_found, naming the path', async () => {
    const path = join(dir, 'nope.csv');
    await expect(loadPeopleFile(path)).rejects.toMatchObject({
      code: 'not_found',
      message: `${path} does not exist`,
    });
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRosterError } from '../core/errors.js';
import type { ConfigProblem } from './load.js';
import { loadConfig } from './load.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roster-config-scim-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const BASE = [
  'source: { type: csv, path: people.csv }',
  'apps:',
  '  - id: tp',
  '    type: targetprocess',
  '    baseUrl: https://tp.example.com',
  '    auth: { type: bearer, token: t }',
];

async function load(lines: string[]) {
  const path = join(dir, 'roster.yaml');
  await writeFile(path, [...BASE, ...lines].join('\n'));
  return loadConfig(path, { env: {} });
}

async function problems(lines: string[]): Promise<[number, string, string][]> {
  const error = await load(lines).then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!isRosterError(error)) throw new Error('expected the config to be refused');
  return (error.details['problems'] as ConfigProblem[]).map((p) => [p.line ?? 0, p.path, p.message]);
}

describe('roster.yaml scim:', () => {
  it('is optional, and its defaults hold 10 removals an hour for 5 minutes and protect IdP-managed accounts', async () => {
    const none = await load([]);
    expect(none.scim).toBeUndefined();
    const some = await load(['scim:', '  apps:', '    tp: { groups: role }']);
    expect(some.scim).toMatchObject({
      hold: { max: 10, window: 3_600_000, retryAfter: 300_000 },
      protectIdpManaged: true,
      apps: { tp: { groups: 'role' } },
    });
  });

  it('each mistake names its line and field: unknown app, kind, account field and SCIM path', async () => {
    const found = await problems([
      'scim:',
      '  hold: { max: 0, window: soon }',
      '  apps:',
      '    pt: { groups: team }',
      '    tp:',
      '      groups: squad',
      '      attributes:',
      '        title: jobTitle',
      '        nickname2: attributes.nick',
    ]);
    const at = found.map(([line, path]) => [line, path]);
    expect(at).toEqual(
      expect.arrayContaining([
        [8, 'scim.hold.max'],
        [8, 'scim.hold.window'],
        [12, 'scim.apps.tp.groups'],
        [14, 'scim.apps.tp.attributes.title'],
        [15, 'scim.apps.tp.attributes.nickname2'],
      ]),
    );
    expect(found.find(([, path]) => path === 'scim.apps.tp.attributes.title')?.[2]).toContain(
      '"jobTitle" is not an account field',
    );
    expect(found.find(([, path]) => path === 'scim.apps.tp.attributes.nickname2')?.[2]).toContain(
      '"nickname2" is not a SCIM User attribute',
    );
  });

  it('an app id scim.apps names must be one of apps:, with a guess', async () => {
    const found = await problems(['scim:', '  apps:', '    pt: { groups: team }']);
    expect(found).toEqual([[9, 'scim.apps.pt', expect.stringContaining('which roster.yaml does not have')]]);
  });
});

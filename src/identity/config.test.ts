import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';

function write(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'roster-identity-config-'));
  writeFileSync(join(dir, 'roster.yaml'), lines.join('\n'));
  return join(dir, 'roster.yaml');
}
const BASE = ['source:', '  type: csv', '  path: people.csv', 'apps: []'];

describe('the identity config section', () => {
  it('is optional, and fills its defaults when given empty', async () => {
    expect((await loadConfig(write(BASE), { env: {} })).identity).toBeUndefined();
    expect((await loadConfig(write([...BASE, 'identity: {}']), { env: {} })).identity).toEqual({
      externalIdAttribute: 'idp_id',
      dormantDays: 90,
      dormantGraceDays: 30,
      inviteDays: 14,
      nameSuggestions: true,
    });
  });

  it('takes its keys and refuses a non-positive day count', async () => {
    const config = await loadConfig(
      write([
        ...BASE,
        'identity:',
        '  externalIdAttribute: okta_id',
        '  dormantDays: 30',
        '  nameSuggestions: false',
      ]),
      { env: {} },
    );
    expect(config.identity).toMatchObject({
      externalIdAttribute: 'okta_id',
      dormantDays: 30,
      nameSuggestions: false,
    });
    await expect(loadConfig(write([...BASE, 'identity:', '  inviteDays: 0']), { env: {} })).rejects.toThrow(
      /inviteDays/,
    );
  });
});

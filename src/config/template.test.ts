import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_TYPES } from '../connectors/registry.js';
import { loadConfig } from './load.js';
import { maskSecrets } from './mask.js';
import { initTemplate } from './template.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roster-template-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every ${NAME} the text references (not $${…} literals), each set to a value that passes the schema. */
function envFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/(?<!\$)\$\{([A-Z0-9_]+)\}/g)) {
    const name = match[1] ?? '';
    env[name] = name.endsWith('CUSTOMER_ID') ? '64b7f0c2a1e4d5f6a7b8c9d0' : `value-of-${name.toLowerCase()}`;
  }
  return env;
}

async function load(text: string, env: Record<string, string>) {
  const path = join(dir, 'roster.yaml');
  await writeFile(path, text);
  return loadConfig(path, { env });
}

describe('initTemplate', () => {
  it('round-trips through loadConfig with one app of every type', async () => {
    const text = initTemplate();
    const config = await load(text, envFor(text));
    expect(config.apps.map((app) => app.type)).toEqual([...APP_TYPES]);
    expect(config.store).toBe(`sqlite:${join(dir, 'roster.db')}`);
    expect(config.source.path).toBe(join(dir, 'people.csv'));
    expect(config.domains?.aliases).toEqual([['acme.com', 'acme.io']]);
  });

  it(`writes every secret as an \${ENV} reference, so none is in the file and all are masked on show`, async () => {
    const text = initTemplate();
    const env = envFor(text);
    expect(Object.keys(env)).toContain('TARGETPROCESS_TOKEN');
    expect(Object.keys(env)).toContain('THOUGHT_INDUSTRIES_API_KEY');
    const config = await load(text, env);
    for (const app of config.apps) {
      const auth = app.auth as Record<string, unknown>;
      const secret = auth['token'] ?? auth['key'] ?? auth['password'];
      expect(secret).toBe(env[Object.keys(env).find((name) => env[name] === secret) ?? '']);
      expect(text).not.toContain(String(secret));
      expect(JSON.stringify(maskSecrets(config))).not.toContain(String(secret));
    }
  });

  it('with no variables set, names each one that is missing', async () => {
    const text = initTemplate({ apps: ['process-street', 'stackspot-scim'] });
    const error = await load(text, {}).then(
      () => new Error('expected loadConfig to fail'),
      (caught: unknown) => caught as Error,
    );
    expect(error.message).toContain(`apps[0].auth.token uses \${PROCESS_STREET_TOKEN}, which is not set`);
    expect(error.message).toContain(`apps[1].tenantId uses \${STACKSPOT_SCIM_TENANT_ID}, which is not set`);
  });

  it('explains every key in a comment', () => {
    const text = initTemplate();
    for (const key of [
      'store',
      'source',
      'columns',
      'statusValues',
      'maxDropShare',
      'domains',
      'apps',
      'policy',
    ]) {
      expect(text).toMatch(new RegExp(`#.*\\b${key}\\b`));
    }
    for (const key of [
      'sso',
      'passwordFrom',
      'customFieldKeys',
      'concurrency',
      'timeoutMs',
      'privilegedRoles',
    ]) {
      expect(text).toContain(key);
    }
  });

  it('only the app types asked for, with distinct ids when a type repeats', async () => {
    const text = initTemplate({ apps: ['scim', 'scim'] });
    const config = await load(text, envFor(text));
    expect(config.apps.map((app) => app.id)).toEqual(['scim', 'scim-2']);
    const empty = initTemplate({ apps: [] });
    expect((await load(empty, envFor(empty))).apps).toEqual([]);
  });
});

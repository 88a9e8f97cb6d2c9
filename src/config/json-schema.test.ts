import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { rosterJsonSchema, SCHEMA_FILE_NAME } from './json-schema.js';
import { loadConfig } from './load.js';
import { initTemplate } from './template.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roster-json-schema-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A real JSON Schema validator, as an editor's would be: the schema is judged by what it accepts. */
function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  return ajv.compile(rosterJsonSchema());
}

/** The template with its commented `# policy:` example (the block that ends the file) switched on. */
function withPolicy(template: string): string {
  const at = template.indexOf('# policy:\n');
  return template.slice(0, at) + template.slice(at).replace(/^# ?/gm, '');
}

describe('the roster.yaml JSON Schema', () => {
  it('accepts the file roster init writes, its policy example switched on, as loadConfig does', async () => {
    const text = withPolicy(initTemplate());
    expect(text).toMatch(/^policy:\n {2}rules:/m);
    const validate = validator();
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    // The same text loads, so the schema and the loader agree on it (secrets resolved from a stub env).
    const path = join(dir, 'roster.yaml');
    await writeFile(path, text);
    const env = Object.fromEntries(
      [...text.matchAll(/(?<!\$)\$\{([A-Z0-9_]+)\}/g)].map(([, name = '']) => [
        name,
        name.endsWith('CUSTOMER_ID') ? '64b7f0c2a1e4d5f6a7b8c9d0' : 'value',
      ]),
    );
    const config = await loadConfig(path, { env });
    expect(config.policy?.rules.map((r) => r.name)).toEqual(['engineering', 'no-contractors-in-academy']);
    expect(config.policy?.rules[1]?.apps['thought-industries']?.account).toBe(false);
    expect(config.policy?.unmanaged).toEqual({ targetprocess: ['On-call Rota'] });
  });

  it('rejects what the loader rejects by shape, at the path of the mistake', () => {
    const validate = validator();
    const base = { source: { type: 'csv', path: 'hr.csv' }, apps: [] };
    expect(validate(base)).toBe(true);
    const wrong = (value: unknown) => {
      validate(value);
      return (validate.errors ?? []).map((e) => e.instancePath);
    };
    expect(wrong({ ...base, source: { ...base.source, dateFormat: 'MM/DD/YY' } })).toContain(
      '/source/dateFormat',
    );
    expect(wrong({ ...base, soruce: {} })).toContain('');
    expect(
      wrong({ ...base, apps: [{ id: 'ps', type: 'process-street', baseUrl: 'https://api.process.st' }] }),
    ).toContain('/apps/0');
    expect(
      wrong({
        ...base,
        apps: [{ id: 'PS!', type: 'scim', baseUrl: 'x', auth: { type: 'bearer', token: 't' } }],
      }),
    ).toContain('/apps/0/id');
  });

  it('the template points editors at the schema file on its first line, and says how to write it', () => {
    const [first] = initTemplate().split('\n');
    expect(first).toBe(`# yaml-language-server: $schema=./${SCHEMA_FILE_NAME}`);
    expect(initTemplate()).toContain(`roster config schema > ${SCHEMA_FILE_NAME}`);
    expect(initTemplate({ schema: false }).split('\n')[0]).toBe(
      '# roster.yaml — what Roster keeps in line, and with what.',
    );
  });
});

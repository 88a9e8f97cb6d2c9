import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRosterError, type RosterError } from '../core/errors.js';
import { type ConfigProblem, loadConfig } from './load.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roster-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes roster.yaml (lines joined with \n, so line numbers in tests are array index + 1). */
async function write(lines: string[], name = 'roster.yaml'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, lines.join('\n'));
  return path;
}

async function failure(path: string, env: Record<string, string> = {}): Promise<RosterError> {
  const error = await loadConfig(path, { env }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isRosterError(error)) throw new Error(`expected a RosterError, got ${String(error)}`);
  return error;
}

function problems(error: RosterError): ConfigProblem[] {
  return error.details['problems'] as ConfigProblem[];
}

const SOURCE = ['source:', '  type: csv', '  path: people.csv'];

describe('loadConfig', () => {
  it(`a valid file loads with defaults filled in and \${VAR} references resolved`, async () => {
    const path = await write([
      ...SOURCE,
      'apps:',
      '  - id: ps',
      '    type: process-street',
      '    baseUrl: https://api.process.st/api/v1/',
      `    auth: { type: bearer, token: "\${PS_TOKEN}" }`,
      '  - id: ti',
      '    type: thought-industries',
      `    baseUrl: https://\${TI_HOST}/incoming/api/v1`,
      `    auth: { type: api-key, key: "k-\${TI_KEY}-$\${LITERAL}" }`,
    ]);
    const config = await loadConfig(path, {
      env: { PS_TOKEN: 'ps-secret', TI_HOST: 'acme.ti.com', TI_KEY: 'x' },
    });
    expect(config.store).toBe(`sqlite:${join(dir, 'roster.db')}`);
    expect(config.source).toEqual({
      type: 'csv',
      path: join(dir, 'people.csv'),
      columns: {},
      statusValues: {},
      maxDropShare: 0.3,
      dateFormat: 'YYYY-MM-DD',
    });
    expect(config.apps[0]).toEqual({
      id: 'ps',
      type: 'process-street',
      baseUrl: 'https://api.process.st/api/v1',
      auth: { type: 'bearer', token: 'ps-secret' },
    });
    expect(config.apps[1]?.baseUrl).toBe('https://acme.ti.com/incoming/api/v1');
    expect(config.apps[1]?.auth).toEqual({ type: 'api-key', key: `k-x-\${LITERAL}`, header: 'X-API-Key' });
  });

  it('relative source and sqlite paths resolve against the config folder, absolute ones stay', async () => {
    const path = await write([
      'store: sqlite:data/r.db',
      'source: { type: json, path: /srv/hr.json }',
      'apps: []',
    ]);
    const config = await loadConfig(path, { env: {} });
    expect(config.store).toBe(`sqlite:${join(dir, 'data/r.db')}`);
    expect(config.source.path).toBe('/srv/hr.json');
  });

  it('a URL without a scheme names file, line, path and the fix', async () => {
    const path = await write([
      ...SOURCE,
      'apps:',
      '  - id: local',
      '    type: scim',
      '    baseUrl: localhost:8080',
      '    auth: { type: bearer, token: t }',
    ]);
    const error = await failure(path);
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain(
      `${path}:7 apps[0].baseUrl: "localhost:8080" is not a URL — write it with its scheme, e.g. http://localhost:8080`,
    );
  });

  it('collects every problem in one error, in line order', async () => {
    const path = await write([
      'store: mysql://x',
      'source:',
      '  type: xlsx',
      '  path: people.csv',
      '  maxDropShare: 2',
      'apps:',
      '  - id: tp',
      '    type: targetprocess',
      '    baseUrl: ftp://tp.example.com',
      '    auth: { type: bearer, token: t }',
      '    concurrency: "4"',
    ]);
    const error = await failure(path);
    const found = problems(error).map((p) => [p.line, p.path]);
    expect(found).toEqual([
      [1, 'store'],
      [3, 'source.type'],
      [5, 'source.maxDropShare'],
      [9, 'apps[0].baseUrl'],
      [11, 'apps[0].concurrency'],
    ]);
    expect(error.message).toMatch(/has 5 problems/);
    expect(error.message).toContain(
      `${path}:3 source.type: "xlsx" is not allowed here — use one of: csv, json`,
    );
    expect(error.message).toContain(
      `${path}:5 source.maxDropShare: 2 is out of range — use a number at most 1`,
    );
    expect(error.message).toContain(
      `${path}:11 apps[0].concurrency: "4" is a string, expected a number — write a plain number without quotes`,
    );
    for (const problem of problems(error)) expect(problem.fix.length).toBeGreaterThan(0);
  });

  it(`a missing \${VAR} names the variable and the path that used it`, async () => {
    const path = await write([
      ...SOURCE,
      'apps:',
      '  - id: tp',
      '    type: targetprocess',
      '    baseUrl: https://acme.tpondemand.com/api/v1',
      `    auth: { type: basic, username: bot, password: "\${TP_PASSWORD}" }`,
      '  - id: ps',
      '    type: process-street',
      '    baseUrl: https://api.process.st/api/v1',
      '    auth:',
      '      type: bearer',
      `      token: \${PS_TOKEN}`,
    ]);
    const error = await failure(path, { TP_PASSWORD: '' });
    expect(error.message).toContain(
      `${path}:8 apps[0].auth.password uses \${TP_PASSWORD}, which is empty — set TP_PASSWORD in the environment`,
    );
    expect(error.message).toContain(
      `${path}:14 apps[1].auth.token uses \${PS_TOKEN}, which is not set — set PS_TOKEN in the environment`,
    );
    // The unresolved value is reported once, not again by the schema.
    expect(problems(error)).toHaveLength(2);
  });

  it('duplicate app ids name both places', async () => {
    const path = await write([
      ...SOURCE,
      'apps:',
      '  - id: ps',
      '    type: process-street',
      '    baseUrl: https://api.process.st/api/v1',
      '    auth: { type: bearer, token: a }',
      '  - id: ps',
      '    type: scim',
      '    baseUrl: https://scim.example.com',
      '    auth: { type: bearer }',
    ]);
    const error = await failure(path);
    expect(error.message).toContain(
      `${path}:9 apps[1].id: app id "ps" is already used by apps[0] (line 5) — give each app its own id`,
    );
    // The other entry's own problem is still reported alongside.
    expect(error.message).toContain(`${path}:12 apps[1].auth.token: is required, but it is missing`);
  });

  it('an unknown app type lists the valid ones; a missing type says to add one', async () => {
    const path = await write([
      ...SOURCE,
      'apps:',
      '  - id: jira',
      '    type: jira',
      '    baseUrl: https://jira.example.com',
      '  - id: nothing',
      '    baseUrl: https://x.example.com',
    ]);
    const error = await failure(path);
    expect(error.message).toContain(
      `${path}:6 apps[0].type: "jira" is not an app type Roster knows — use one of: targetprocess, process-street, thought-industries, customer-directory, stackspot-scim, scim`,
    );
    expect(error.message).toContain(`${path}:8 apps[1].type: the app has no type — add "type:" with one of:`);
  });

  it('an auth type the app does not accept names the app type and the accepted ones', async () => {
    const path = await write([
      ...SOURCE,
      'apps:',
      '  - id: ps',
      '    type: process-street',
      '    baseUrl: https://api.process.st/api/v1',
      '    auth:',
      '      type: basic',
      '      username: a',
      '      password: b',
    ]);
    const error = await failure(path);
    expect(problems(error)).toHaveLength(1);
    expect(error.message).toContain(
      `${path}:9 apps[0].auth.type: auth type "basic" is not accepted by process-street apps — use one of: bearer`,
    );
  });

  it('app-specific keys are checked per type: required, format, and forbidden combinations', async () => {
    const path = await write([
      ...SOURCE,
      'apps:',
      '  - id: cd',
      '    type: customer-directory',
      '    baseUrl: https://dir.example.com',
      '    auth: { type: bearer, token: t }',
      '    customerId: "12345"',
      '  - id: ss',
      '    type: stackspot-scim',
      '    baseUrl: https://scim.example.com',
      '    auth: { type: bearer, token: t }',
      '  - id: tp',
      '    type: targetprocess',
      '    baseUrl: https://acme.tpondemand.com/api/v1',
      '    auth: { type: bearer, token: t }',
      '    sso: true',
      '    passwordFrom: generate',
      '  - id: ti',
      '    type: thought-industries',
      '    baseUrl: https://acme.ti.com',
      '    auth: { type: api-key, key: k, header: Authorization }',
      '  - id: sc',
      '    type: scim',
      '    baseUrl: https://scim.example.com',
      '    auth: { type: api-key, key: k }',
    ]);
    const error = await failure(path);
    const text = error.message;
    expect(text).toContain(
      `${path}:9 apps[0].customerId: "12345" is not a customer id (24 hexadecimal characters)`,
    );
    expect(text).toContain(
      `${path}:5 apps[0].integration: customer-directory apps need integration, but it is missing`,
    );
    expect(text).toContain(
      `${path}:10 apps[1].tenantId: stackspot-scim apps need tenantId, but it is missing — add tenantId:`,
    );
    expect(text).toContain(`${path}:19 apps[2].passwordFrom: passwordFrom is set but sso is true`);
    expect(text).toContain(
      `${path}:23 apps[3].auth.header: "Authorization": Thought Industries reads the key from the X-API-Key header only — write X-API-Key`,
    );
    expect(text).toContain(`${path}:27 apps[4].auth.header: is required, but it is missing`);
  });

  it('an unknown key suggests the key that was probably meant', async () => {
    const path = await write([
      ...SOURCE,
      '  colums: { email: Mail }',
      'apps:',
      '  - id: ps',
      '    type: process-street',
      '    baseURL: https://api.process.st/api/v1',
      '    auth: { type: bearer, token: t }',
      '    region: eu',
    ]);
    const error = await failure(path);
    expect(error.message).toContain(
      `${path}:4 source.colums: unknown key "colums" — did you mean "columns"?`,
    );
    expect(error.message).toContain(
      `${path}:8 apps[0].baseURL: unknown key "baseURL" for process-street apps — did you mean "baseUrl"?`,
    );
    expect(error.message).toContain(
      `${path}:10 apps[0].region: unknown key "region" for process-street apps — remove it; keys allowed here:`,
    );
  });

  it('bad source mappings and domains point at the entry', async () => {
    const path = await write([
      ...SOURCE,
      '  columns: { email: Mail, manager: Boss }',
      '  statusValues:',
      '    Gone: left',
      'domains:',
      '  primary: "@acme.com"',
      '  aliases:',
      '    - [acme.com, acme.com]',
      'apps: []',
    ]);
    const error = await failure(path);
    expect(error.message).toContain(
      `${path}:4 source.columns.manager: unknown key "manager" — remove it; keys allowed here: employee_id,`,
    );
    expect(error.message).toContain(
      `${path}:6 source.statusValues.Gone: "left" is not allowed here — use one of: active, leaver, on_leave, pending`,
    );
    expect(error.message).toContain(`${path}:8 domains.primary: "@acme.com" is not an email domain`);
    expect(error.message).toContain(`${path}:10 domains.aliases[0]: "acme.com" is aliased to itself`);
  });

  it('YAML syntax errors give the line and a fix', async () => {
    const path = await write([
      ...SOURCE,
      'apps:',
      '  - id: ps',
      '    type: "process-street',
      '    baseUrl: x',
    ]);
    const error = await failure(path);
    expect(error.code).toBe('invalid_input');
    expect(problems(error)[0]?.line).toBe(6);
    expect(error.message).toMatch(new RegExp(`${path}:6 YAML syntax error: .+ — close the quote`));
  });

  it('a key written twice is a syntax error on the second one', async () => {
    const path = await write([...SOURCE, 'apps: []', 'store: sqlite:a.db', 'store: sqlite:b.db']);
    const error = await failure(path);
    expect(error.message).toContain(`${path}:6 YAML syntax error:`);
    expect(error.message).toContain('keep one of the two keys');
  });

  it('an unclosed [ or { is reported on the line that opens it, with the fix to close it', async () => {
    const path = await write([
      'store: sqlite:./r.db',
      'source: { type: csv, path: hr.csv }',
      'apps: [',
      '  {id: x}',
      'identity:',
      '  dormantDays: 30',
    ]);
    const error = await failure(path);
    expect(problems(error)).toEqual([
      {
        file: path,
        line: 3,
        path: '',
        message: 'YAML syntax error: the [ on this line opens a list that is never closed',
        fix: 'close it with ] on this line (or on a later line indented under its key), before the next key',
      },
    ]);

    const map = await failure(await write([...SOURCE, '  columns: { email: Work Email', 'apps: []']));
    expect(problems(map).map((p) => [p.line, p.message])).toEqual([
      [4, 'YAML syntax error: the { on this line opens a mapping that is never closed'],
    ]);
    expect(map.fix).toContain('close it with }');
  });

  it('an alias bomb names the file, the line where aliases nest, and the fix', async () => {
    const path = await write([
      ...SOURCE,
      'apps: []',
      'x: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
      'y: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'z: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'w: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ]);
    const error = await failure(path);
    expect(error.code).toBe('invalid_input');
    expect(problems(error)).toEqual([
      {
        file: path,
        line: 7,
        path: '',
        message: '*b repeats an anchor that itself repeats anchors: the copies multiply to 8,315 values',
        fix: 'write the values out, or point aliases only at anchors that hold no aliases (roster.yaml needs no nesting)',
      },
    ]);
    expect(error.message).not.toContain('internal');
  });

  it('an alias to no anchor names its line', async () => {
    const error = await failure(await write([...SOURCE, 'apps: []', 'identity: *defaults']));
    expect(problems(error).map((p) => [p.line, p.message])).toEqual([
      [5, '*defaults refers to no anchor: nothing above it is marked &defaults'],
    ]);
  });

  it('source.dateFormat and source.delimiter take the listed values only', async () => {
    const path = await write([...SOURCE, '  dateFormat: MM/DD/YY', '  delimiter: ":"', 'apps: []']);
    const found = problems(await failure(path)).map((p) => [p.line, p.path, p.fix]);
    expect(found).toEqual([
      [
        4,
        'source.dateFormat',
        'use one of: YYYY-MM-DD, MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY, MM-DD-YYYY, DD-MM-YYYY, YYYY/MM/DD',
      ],
      [5, 'source.delimiter', 'use one of: ,, ;, \t, |'],
    ]);
  });

  it('a delimiter on a JSON source is refused, naming the line', async () => {
    const path = await write([
      'source:',
      '  type: json',
      '  path: people.json',
      '  delimiter: ";"',
      'apps: []',
    ]);
    expect(problems(await failure(path)).map((p) => [p.line, p.path, p.fix])).toEqual([
      [4, 'source.delimiter', 'remove source.delimiter'],
    ]);
  });

  it('a missing file says so and suggests roster init', async () => {
    const error = await failure(join(dir, 'nope.yaml'));
    expect(error.code).toBe('not_found');
    expect(error.message).toContain('nope.yaml does not exist');
    expect(error.fix).toContain('roster init');
  });

  it('an empty file suggests roster init', async () => {
    const error = await failure(await write(['# nothing yet']));
    expect(error.message).toContain('the file is empty — run `roster init`');
  });

  it('a file that is not a mapping says what the top level should be', async () => {
    const error = await failure(await write(['- store', '- apps']));
    expect(error.message).toContain(':1 the file holds a list, not a mapping of settings — start from');
  });

  it('a missing top-level section is reported with what to add', async () => {
    const error = await failure(await write(['store: sqlite:./r.db']));
    expect(error.message).toContain(':1 source: is required, but it is missing — add source:');
    expect(error.message).toContain(':1 apps: is required, but it is missing — add apps:');
  });

  it('secret values never appear in error messages', async () => {
    const path = await write([
      `store: "postgres://roster:\${PGPASSWORD}@db:5432/roster?bad=\${PGPASSWORD}"`,
      ...SOURCE,
      'apps:',
      '  - id: tp',
      '    type: targetprocess',
      `    baseUrl: "https://acme.tpondemand.com/\${TP_TOKEN}?x"`,
      `    auth: { type: bearer, token: "\${TP_TOKEN}", extra: 1 }`,
      '    timeoutMs: 5',
    ]);
    const env = { TP_TOKEN: 'tok-very-secret-123', PGPASSWORD: 'pg-hunter2' };
    const error = await failure(path, env);
    expect(problems(error).length).toBeGreaterThan(0);
    const everything = JSON.stringify({ message: error.message, details: error.details, fix: error.fix });
    expect(everything).not.toContain('tok-very-secret-123');
    expect(everything).not.toContain('pg-hunter2');
  });
});

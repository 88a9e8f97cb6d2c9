import { describe, expect, it } from 'vitest';
import { ScimError } from './errors.js';
import {
  LIST_RESPONSE_SCHEMA,
  listResources,
  parseListQuery,
  parseSearchRequest,
  project,
} from './listing.js';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from './schema.js';
import { PEOPLE, userSchema } from './testkit.js';

const list = (params: Record<string, unknown>, limits = { maxResults: 200, maxFilterTerms: 50 }) =>
  listResources(PEOPLE, parseListQuery(params, userSchema, limits), userSchema);
const idsOf = (params: Record<string, unknown>) => list(params).Resources.map((r) => r['id']);

function scimError(run: () => unknown): ScimError {
  try {
    run();
  } catch (e) {
    if (e instanceof ScimError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('paging: startIndex/count with totalResults counting every match', () => {
  it.each([
    [{}, ['1', '2', '3', '4', '5'], 5, 1],
    [{ count: '2' }, ['1', '2'], 5, 1],
    [{ startIndex: '2', count: '2' }, ['2', '3'], 5, 2],
    [{ startIndex: '5', count: '10' }, ['5'], 5, 5],
    [{ startIndex: '6' }, [], 5, 6],
    // RFC 7644 §3.4.2.4: startIndex below 1 is 1, a negative count is 0
    [{ startIndex: '0', count: '1' }, ['1'], 5, 1],
    [{ startIndex: '-3', count: '-1' }, [], 5, 1],
    [{ count: '0' }, [], 5, 1],
    [{ filter: 'title pr', count: '1' }, ['1'], 2, 1],
  ])('%j', (params, ids, total, startIndex) => {
    const page = list(params);
    expect(page.schemas).toEqual([LIST_RESPONSE_SCHEMA]);
    expect(page.Resources.map((r) => r['id'])).toEqual(ids);
    expect(page.totalResults).toBe(total);
    expect(page.itemsPerPage).toBe(ids.length);
    expect(page.startIndex).toBe(startIndex);
  });
  it('a count above maxResults is cut to it, the total still counts all', () => {
    const page = list({ count: '100' }, { maxResults: 2, maxFilterTerms: 50 });
    expect(page.itemsPerPage).toBe(2);
    expect(page.totalResults).toBe(5);
  });
});

describe('sorting: sortBy/sortOrder, case-insensitive where caseExact is false, unassigned last', () => {
  it.each([
    [{ sortBy: 'userName' }, ['1', '3', '5', '4', '2']],
    [{ sortBy: 'userName', sortOrder: 'descending' }, ['2', '4', '5', '3', '1']],
    [{ sortBy: 'name.familyName' }, ['4', '2', '5', '1', '3']],
    // unassigned titles last ascending, first descending
    [{ sortBy: 'title' }, ['1', '3', '2', '4', '5']],
    [{ sortBy: 'title', sortOrder: 'DESCENDING' }, ['2', '4', '5', '3', '1']],
    [{ sortBy: 'meta.created', sortOrder: 'descending' }, ['5', '4', '3', '2', '1']],
    // a multi-valued attribute sorts by its primary value
    [{ sortBy: 'emails', count: '2' }, ['1', '3']],
    [{ sortBy: `${ENTERPRISE_USER_SCHEMA}:department` }, ['4', '1', '3', '2', '5']],
    [{ filter: 'userName ew ".com"', sortBy: 'userName', startIndex: '2', count: '2' }, ['3', '5']],
  ])('%j', (params, ids) => {
    expect(idsOf(params)).toEqual(ids);
  });
});

describe('projection: attributes/excludedAttributes and the returned characteristic', () => {
  const ada = PEOPLE[0]!;
  it('answers only declared attributes, under their declared names', () => {
    const out = project({ ...ada, USERNAME: 'x', shoeSize: 44, password: 'secret' }, userSchema);
    expect(out).not.toHaveProperty('shoeSize');
    expect(out).not.toHaveProperty('USERNAME');
    expect(out['userName']).toBe('Ada.Lovelace@example.com');
  });
  it('attributes: keeps id and schemas always, and only the named attributes', () => {
    const out = project(
      ada,
      userSchema,
      parseListQuery({ attributes: 'userName,name.givenName' }, userSchema),
    );
    expect(out).toEqual({
      schemas: [USER_SCHEMA],
      id: '1',
      userName: 'Ada.Lovelace@example.com',
      name: { givenName: 'Ada' },
    });
  });
  it('attributes: an extension attribute by its URN, sub-attributes of multi-valued values', () => {
    const out = project(
      ada,
      userSchema,
      parseListQuery({ attributes: `emails.value,${ENTERPRISE_USER_SCHEMA}:department` }, userSchema),
    );
    expect(out).toEqual({
      schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
      id: '1',
      emails: [{ value: 'Ada.Lovelace@example.com' }],
      [ENTERPRISE_USER_SCHEMA]: { department: 'Research' },
    });
  });
  it('excludedAttributes: drops the named ones and never id', () => {
    const out = project(
      ada,
      userSchema,
      parseListQuery({ excludedAttributes: 'emails,name.familyName,id,meta' }, userSchema),
    );
    expect(out['id']).toBe('1');
    expect(out).not.toHaveProperty('emails');
    expect(out).not.toHaveProperty('meta');
    expect(out['name']).toEqual({ givenName: 'Ada' });
    expect(out['userName']).toBeDefined();
  });
  it('unknown attribute names in a projection are ignored, not an error', () => {
    const out = project(
      ada,
      userSchema,
      parseListQuery({ attributes: ['userName', 'shoeSize'] }, userSchema),
    );
    expect(Object.keys(out).sort()).toEqual(['id', 'schemas', 'userName']);
  });
});

describe('POST /.search reads the same parameters from a JSON body', () => {
  it('filters, sorts, pages and projects like the query string', () => {
    const query = parseSearchRequest(
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: 'userName ew ".com"',
        sortBy: 'userName',
        sortOrder: 'descending',
        startIndex: 1,
        count: 2,
        attributes: ['userName'],
      },
      userSchema,
    );
    const page = listResources(PEOPLE, query, userSchema);
    expect(page.totalResults).toBe(4);
    expect(page.Resources).toEqual([
      { schemas: [USER_SCHEMA], id: '2', userName: 'grace.hopper@example.com' },
      { schemas: [USER_SCHEMA], id: '5', userName: 'barbara.liskov@example.com' },
    ]);
  });
  it('accepts a body without schemas', () => {
    expect(parseSearchRequest({ count: 1 }, userSchema).count).toBe(1);
  });
  it.each([
    [[], 'invalidSyntax', /JSON object/],
    [{ schemas: ['urn:other'] }, 'invalidSyntax', /SearchRequest/],
    [{ filter: 42 }, 'invalidFilter', /must be a string/],
    [{ count: 'lots' }, 'invalidValue', /count must be an integer/],
    [{ sortBy: 'shoeSize' }, 'invalidValue', /no attribute "shoeSize"/],
    [{ sortOrder: 'up' }, 'invalidValue', /sortOrder/],
    [{ filter: 'userName eq' }, 'invalidFilter', /expected a value/],
  ])('%j is a %s', (body, scimType, message) => {
    const error = scimError(() => parseSearchRequest(body, userSchema));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe(scimType);
    expect(error.message).toMatch(message);
  });
});

describe('tooMany: a filter past the comparison bound is refused', () => {
  it('refuses 51 comparisons and accepts 50', () => {
    const terms = (n: number) => Array.from({ length: n }, (_, i) => `userName eq "u${i}"`).join(' or ');
    const error = scimError(() => parseListQuery({ filter: terms(51) }, userSchema));
    expect(error.scimType).toBe('tooMany');
    expect(error.status).toBe(400);
    expect(list({ filter: terms(50) }).totalResults).toBe(0);
  });
});

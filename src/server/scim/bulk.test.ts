import { describe, expect, it } from 'vitest';
import { type BulkOperation, type BulkOutcome, parseBulkRequest, runBulk } from './bulk.js';
import { badRequest, ScimError } from './errors.js';

const limits = { maxOperations: 10, maxPayloadSize: 10_000 };
const SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

/** An executor over an in-memory store: POST makes u1, u2...; a userName "taken" is a uniqueness error. */
function memory() {
  const seen: BulkOperation[] = [];
  let next = 1;
  const execute = async (op: BulkOperation): Promise<BulkOutcome> => {
    seen.push(op);
    const data = op.data as Record<string, unknown> | undefined;
    if (data?.['userName'] === 'taken') throw badRequest('uniqueness', 'userName taken is in use');
    if (data?.['boom']) throw new Error('socket hang up at 10.0.0.1 with token s3cret');
    if (op.method === 'POST') {
      const id = `${op.path === '/Users' ? 'u' : 'g'}${next++}`;
      return { status: 201, id, location: `https://r/scim/v2/a${op.path}/${id}`, version: 'W/"1"' };
    }
    return { status: op.method === 'DELETE' ? 204 : 200 };
  };
  return { seen, execute };
}

const post = (bulkId: string, data: Record<string, unknown> = { userName: bulkId }, path = '/Users') => ({
  method: 'POST',
  bulkId,
  path,
  data,
});

function failure(run: () => unknown): ScimError {
  try {
    run();
  } catch (e) {
    if (e instanceof ScimError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('bulk requests are validated before anything runs', () => {
  it.each([
    [[], 400, 'invalidSyntax', /JSON object/],
    [{ schemas: ['urn:x'], Operations: [post('a')] }, 400, 'invalidSyntax', /BulkRequest/],
    [{ Operations: [] }, 400, 'invalidSyntax', /non-empty/],
    [{ failOnErrors: 0, Operations: [post('a')] }, 400, 'invalidValue', /failOnErrors/],
    [{ Operations: [{ method: 'GET', path: '/Users' }] }, 400, 'invalidSyntax', /method/],
    [{ Operations: [{ method: 'POST', path: '/Users', data: {} }] }, 400, 'invalidSyntax', /needs a bulkId/],
    [{ Operations: [post('a'), post('a')] }, 400, 'invalidSyntax', /used twice/],
    [
      { Operations: [{ method: 'POST', bulkId: 'a', path: '/Widgets', data: {} }] },
      400,
      'invalidPath',
      /\/Users or \/Groups/,
    ],
    [
      { Operations: [{ method: 'POST', bulkId: 'a', path: '/Users/1', data: {} }] },
      400,
      'invalidPath',
      /resource type only/,
    ],
    [{ Operations: [{ method: 'DELETE', path: '/Users' }] }, 400, 'invalidPath', /must name the resource/],
    [{ Operations: [{ method: 'PATCH', path: '/Users/1' }] }, 400, 'invalidSyntax', /needs a data object/],
    [
      { Operations: Array.from({ length: 11 }, (_, i) => post(`b${i}`)) },
      413,
      undefined,
      /11 operations; the most is 10/,
    ],
  ])('%j → %i %s', (body, status, scimType, message) => {
    const error = failure(() => parseBulkRequest(body, limits));
    expect(error.status).toBe(status);
    expect(error.scimType).toBe(scimType);
    expect(error.message).toMatch(message);
  });
  it('a body over maxPayloadSize is a 413', () => {
    expect(failure(() => parseBulkRequest({ Operations: [post('a')] }, limits, 10_001)).status).toBe(413);
  });
  it('accepts methods in any case and no schemas', () => {
    const request = parseBulkRequest(
      { Operations: [{ method: 'delete', path: '/Users/9', version: 'W/"3"' }] },
      limits,
    );
    expect(request.operations[0]).toEqual({
      method: 'DELETE',
      bulkId: null,
      version: 'W/"3"',
      path: '/Users/9',
      data: undefined,
    });
  });
});

describe('bulkId references resolve in any order', () => {
  it('a group made before its member still gets the member id', async () => {
    const { seen, execute } = memory();
    const request = parseBulkRequest(
      {
        schemas: [SCHEMA],
        Operations: [
          post('grp', { displayName: 'Eng', members: [{ type: 'User', value: 'bulkId:ada' }] }, '/Groups'),
          post('ada'),
          {
            method: 'PATCH',
            path: '/Users/bulkId:ada',
            data: { Operations: [{ op: 'replace', path: 'active', value: false }] },
          },
        ],
      },
      limits,
    );
    const response = await runBulk(request, execute);
    expect(seen.map((o) => `${o.method} ${o.path}`)).toEqual([
      'POST /Users',
      'POST /Groups',
      'PATCH /Users/u1',
    ]);
    expect((seen[1]!.data as { members: { value: string }[] }).members[0]!.value).toBe('u1');
    expect(response.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:BulkResponse']);
    expect(response.Operations).toEqual([
      {
        method: 'POST',
        bulkId: 'grp',
        status: '201',
        location: 'https://r/scim/v2/a/Groups/g2',
        version: 'W/"1"',
      },
      {
        method: 'POST',
        bulkId: 'ada',
        status: '201',
        location: 'https://r/scim/v2/a/Users/u1',
        version: 'W/"1"',
      },
      { method: 'PATCH', status: '200' },
    ]);
  });
  it('unknown, failed and circular references fail those operations alone', async () => {
    const { seen, execute } = memory();
    const request = parseBulkRequest(
      {
        Operations: [
          post('x', { userName: 'taken' }),
          post('needsX', { userName: 'y', manager: 'bulkId:x' }),
          { method: 'DELETE', path: '/Users/bulkId:ghost' },
          post('c1', { userName: 'c1', peer: 'bulkId:c2' }),
          post('c2', { userName: 'c2', peer: 'bulkId:c1' }),
          post('fine'),
        ],
      },
      limits,
    );
    const response = await runBulk(request, execute);
    const statuses = response.Operations.map((o) => [
      o.bulkId ?? o.method,
      o.status,
      (o.response as { scimType?: string } | undefined)?.scimType,
    ]);
    expect(statuses).toEqual([
      ['x', '409', 'uniqueness'],
      ['needsX', '400', 'invalidValue'],
      ['DELETE', '400', 'invalidValue'],
      ['c1', '409', undefined],
      ['c2', '409', undefined],
      ['fine', '201', undefined],
    ]);
    expect(seen.map((o) => o.data && (o.data as { userName: string }).userName)).toEqual(['taken', 'fine']);
  });
});

describe('failOnErrors stops after that many errors', () => {
  it('runs nothing after the second error and does not report it', async () => {
    const { seen, execute } = memory();
    const request = parseBulkRequest(
      {
        failOnErrors: 2,
        Operations: [
          post('a', { userName: 'taken' }),
          post('b'),
          post('c', { userName: 'taken' }),
          post('d'),
        ],
      },
      limits,
    );
    const response = await runBulk(request, execute);
    expect(response.Operations.map((o) => o.status)).toEqual(['409', '201', '409']);
    expect(seen).toHaveLength(3);
  });
  it('without failOnErrors every operation runs', async () => {
    const { execute } = memory();
    const request = parseBulkRequest(
      { Operations: [post('a', { userName: 'taken' }), post('b', { userName: 'taken' }), post('c')] },
      limits,
    );
    expect((await runBulk(request, execute)).Operations.map((o) => o.status)).toEqual(['409', '409', '201']);
  });
  it('an unexpected executor error is a 500 that says nothing of its cause', async () => {
    const { execute } = memory();
    const response = await runBulk(
      parseBulkRequest({ Operations: [post('a', { boom: true })] }, limits),
      execute,
    );
    expect(response.Operations[0]).toEqual({
      method: 'POST',
      bulkId: 'a',
      status: '500',
      response: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '500',
        detail: 'internal error',
      },
    });
  });
});

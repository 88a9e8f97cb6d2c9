/** @module The fast path answers exactly what zod answers (values, keys and their order) or leaves the value to zod. */

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cdUserSchema } from '../customer-directory/schemas.js';
import { memberListSchema } from '../process-street/schemas.js';
import { listResponseSchema, parsePayload, scimUserSchema } from '../scim/schemas.js';
import { tpPage, parseAnswer as tpParse, tpUser } from '../targetprocess/schemas.js';
import { enrollmentListSchema, userListSchema } from '../thought-industries/schemas.js';
import { compileChecker, FAIL, fastParse } from './fast-parse.js';

/** zod's answer and the fast path's, as comparable text: JSON keeps key order, undefined values are marked. */
const shown = (r: { success: boolean; data?: unknown; error?: { issues: unknown[] } }) =>
  JSON.stringify(r.success ? r.data : r.error?.issues, (_k, v) => (v === undefined ? '<undefined>' : v));

function same(schema: z.ZodType, value: unknown) {
  const zod = schema.safeParse(structuredClone(value));
  const fast = fastParse(schema, structuredClone(value));
  expect(shown(fast)).toBe(shown(zod));
  expect(fast.success).toBe(zod.success);
  if (zod.success) expect(fast.data).toStrictEqual(zod.data);
}

/** A deterministic stream of choices, so a failing case can be run again. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

/** Variants zod may treat differently: keys shuffled, dropped, added, values nulled or of another type. */
function mutate(value: unknown, next: () => number, depth = 0): unknown {
  if (Array.isArray(value)) return value.map((v) => mutate(v, next, depth + 1));
  if (value === null || typeof value !== 'object') {
    const r = next();
    if (r < 0.04) return null;
    if (r < 0.06) return 42;
    if (r < 0.08) return 'True';
    if (r < 0.09) return '';
    if (r < 0.1) return undefined;
    return value;
  }
  let entries = Object.entries(value as Record<string, unknown>);
  if (next() < 0.2) entries = entries.reverse();
  if (next() < 0.15) entries = entries.filter(() => next() > 0.2);
  if (next() < 0.15) entries.splice(Math.floor(next() * entries.length), 0, ['extra', 'x']);
  return Object.fromEntries(entries.map(([k, v]) => [k, mutate(v, next, depth + 1)]));
}

const scimUser = (i: number) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: `u${i}`,
  userName: `user${i}@example.com`,
  externalId: null,
  name: { givenName: 'Ada', familyName: `L${i}` },
  emails: [{ value: `user${i}@example.com`, primary: true, type: 'work' }],
  roles: [],
  active: i % 2 === 0,
  meta: { created: '2024-01-01T00:00:00Z', lastModified: '2024-02-01T00:00:00Z' },
});

const cases: { name: string; schema: z.ZodType; value: unknown }[] = [
  {
    name: 'SCIM list (loose, extra keys after the known ones)',
    schema: listResponseSchema(scimUserSchema),
    value: {
      Resources: [{ ...scimUser(1), schemas: ['x'] }, scimUser(2)],
      totalResults: 2,
      startIndex: 1,
      itemsPerPage: 2,
    },
  },
  {
    name: 'SCIM list, keys in the server order',
    schema: listResponseSchema(scimUserSchema),
    value: {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 1,
      Resources: [{ ...scimUser(3), active: 'False' }],
    },
  },
  {
    name: 'Thought Industries users',
    schema: userListSchema,
    value: {
      users: [
        {
          id: 'a1',
          email: 'a@x.io',
          firstName: 'A',
          lastName: null,
          groups: ['g1'],
          customFields: { dept: 'x', level: 3, ok: true, none: null },
          active: true,
        },
      ],
      total: 1,
    },
  },
  {
    name: 'Thought Industries enrollments',
    schema: enrollmentListSchema,
    value: { enrollments: [{ courseId: 'c1', status: 'active' }, { courseId: 'c2' }] },
  },
  {
    name: 'Process Street members',
    schema: memberListSchema,
    value: {
      members: [{ id: 'm1', email: 'm@x.io', firstName: 'M', role: 'Admin', avatarUrl: 'http://a/b.png' }],
    },
  },
  {
    name: 'customer-directory users (regex ids)',
    schema: z.array(cdUserSchema),
    value: [
      {
        _id: '0123456789abcdef01234567',
        email: 'c@x.io',
        groupIds: ['0123456789abcdef01234567'],
        status: 'active',
        custom: 1,
      },
      { _id: 'not-an-id', email: 'd@x.io' },
    ],
  },
  {
    name: 'Targetprocess users (dates transformed)',
    schema: tpPage(tpUser),
    value: {
      Items: [
        {
          Id: 7,
          FirstName: 'T',
          Email: 't@x.io',
          IsActive: true,
          CreateDate: '/Date(1717171717000+0000)/',
          ModifyDate: '2024-05-01T10:00:00',
          LastLoginDate: null,
          Role: { Id: 1, Name: 'Dev' },
        },
      ],
      Next: 'http://tp/api/v1/Users?skip=1000',
    },
  },
];

describe('fastParse', () => {
  for (const c of cases) {
    it(`answers as zod does: ${c.name}, and ${200} variants of it`, () => {
      same(c.schema, c.value);
      const next = random(c.name.length);
      for (let i = 0; i < 200; i++) same(c.schema, mutate(c.value, next));
    });
  }

  it('answers a payload already in zod’s form as it is, without a copy', () => {
    const page = {
      members: [{ id: 'm1', email: 'm@x.io', firstName: 'M', avatarUrl: 'http://a/b.png' }],
    };
    expect(fastParse(memberListSchema, page).data).toBe(page);
  });

  it('copies where zod would reorder or drop keys', () => {
    const loose = z.looseObject({ a: z.string(), b: z.number().nullish() });
    const input = { extra: 1, b: 2, a: 'x' };
    const out = fastParse(loose, input).data as Record<string, unknown>;
    expect(out).not.toBe(input);
    expect(Object.keys(out)).toEqual(['a', 'b', 'extra']);
    const strip = z.object({ a: z.string() });
    expect(fastParse(strip, { a: 'x', b: 1 }).data).toStrictEqual({ a: 'x' });
  });

  it('leaves to zod what it does not model, and zod’s error stands', () => {
    expect(compileChecker(z.string().transform((s) => s.length))).toBeNull();
    expect(compileChecker(z.strictObject({ a: z.string() }))).toBeNull();
    expect(compileChecker(z.email())).toBeNull();
    const checker = compileChecker(z.object({ n: z.number().int().min(0) }))!;
    expect(checker({ n: -1 })).toBe(FAIL);
    expect(checker({ n: 1.5 })).toBe(FAIL);
    expect(() =>
      tpParse(
        tpPage(tpUser),
        { Items: [{ Id: 1, IsActive: true, CreateDate: 'soon' }] },
        {
          appId: 'tp',
          endpoint: 'GET /Users',
        },
      ),
    ).toThrow(/Items\.0\.CreateDate/);
    expect(() =>
      parsePayload(scimUserSchema, { id: '' }, { appId: 's', endpoint: 'GET /Users/{id}' }),
    ).toThrow(/id/);
  });
});

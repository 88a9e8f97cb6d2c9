import { describe, expect, it } from 'vitest';
import { ScimError } from './errors.js';
import {
  applyPatch,
  checkUniqueness,
  createResource,
  type PatchOperation,
  parsePatchRequest,
  replaceResource,
} from './patch.js';
import {
  clone,
  ENTERPRISE_USER_SCHEMA,
  type Json,
  type JsonObject,
  type ResourceSchema,
  sameJson,
} from './schema.js';
import { groupSchema, PEOPLE, userSchema } from './testkit.js';

const grace = PEOPLE[1]!;
const ENT = ENTERPRISE_USER_SCHEMA;

function patch(resource: JsonObject, operations: unknown[], schema: ResourceSchema = userSchema) {
  return applyPatch(
    resource,
    parsePatchRequest({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations }),
    schema,
  ).resource;
}

function failure(run: () => unknown): ScimError {
  try {
    run();
  } catch (e) {
    if (e instanceof ScimError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('PATCH add/replace/remove with paths, value filters and no-path objects', () => {
  it('replace a simple attribute and a sub-attribute', () => {
    const out = patch(grace, [
      { op: 'replace', path: 'title', value: 'Rear Admiral' },
      { op: 'replace', path: 'name.givenName', value: 'Amazing Grace' },
    ]);
    expect(out['title']).toBe('Rear Admiral');
    expect(out['name']).toEqual({ givenName: 'Amazing Grace', familyName: 'hopper' });
  });
  it('replace a sub-attribute of the values a filter selects', () => {
    const out = patch(grace, [
      { op: 'replace', path: 'emails[type eq "home"].value', value: 'g@navy.example' },
    ]);
    expect(out['emails']).toEqual([
      { value: 'grace.hopper@example.com', type: 'work', primary: true },
      { value: 'g@navy.example', type: 'home' },
    ]);
  });
  it('add to a multi-valued attribute appends, and a new primary takes primary from the others', () => {
    const out = patch(grace, [
      { op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'other', primary: true }] },
    ]);
    expect(out['emails']).toEqual([
      { value: 'grace.hopper@example.com', type: 'work', primary: false },
      { value: 'grace@home.example', type: 'home' },
      { value: 'new@example.com', type: 'other', primary: true },
    ]);
  });
  it('add of a value already there merges instead of doubling it', () => {
    const out = patch(grace, [
      { op: 'add', path: 'emails', value: [{ value: 'grace@home.example', display: 'Home' }] },
    ]);
    expect(out['emails']).toHaveLength(2);
    expect((out['emails'] as JsonObject[])[1]).toEqual({
      value: 'grace@home.example',
      type: 'home',
      display: 'Home',
    });
  });
  it('replace of a multi-valued attribute replaces the whole list', () => {
    const out = patch(grace, [
      { op: 'replace', path: 'emails', value: [{ value: 'only@example.com', type: 'work' }] },
    ]);
    expect(out['emails']).toEqual([{ value: 'only@example.com', type: 'work' }]);
  });
  it('remove by value filter, remove a sub-attribute, remove an attribute', () => {
    const out = patch({ ...grace, title: 'x' }, [
      { op: 'remove', path: 'emails[type eq "home"]' },
      { op: 'remove', path: 'name.familyName' },
      { op: 'remove', path: 'title' },
    ]);
    expect(out['emails']).toEqual([{ value: 'grace.hopper@example.com', type: 'work', primary: true }]);
    expect(out['name']).toEqual({ givenName: 'grace' });
    expect(out).not.toHaveProperty('title');
  });
  it('remove of a value that is not there is done already (IdPs retry)', () => {
    expect(patch(grace, [{ op: 'remove', path: 'emails[type eq "fax"]' }])).toEqual(grace);
  });
  it('no-path add merges complex attributes and sets simple ones', () => {
    const out = patch(grace, [{ op: 'add', value: { name: { middleName: 'Brewster' }, title: 'Admiral' } }]);
    expect(out['name']).toEqual({ givenName: 'grace', familyName: 'hopper', middleName: 'Brewster' });
    expect(out['title']).toBe('Admiral');
  });
  it('extension attributes by URN path, by URN object, and by the extension path itself', () => {
    const a = patch(grace, [{ op: 'add', path: `${ENT}:department`, value: 'Navy' }]);
    expect(a[ENT]).toEqual({ department: 'Navy' });
    const b = patch(grace, [{ op: 'replace', value: { [ENT]: { department: 'Navy', costCenter: '42' } } }]);
    expect(b[ENT]).toEqual({ department: 'Navy', costCenter: '42' });
    const c = patch(b, [{ op: 'replace', path: ENT, value: { division: 'Fleet' } }]);
    expect(c[ENT]).toEqual({ department: 'Navy', costCenter: '42', division: 'Fleet' });
    const d = patch(c, [
      { op: 'remove', path: `${ENT}:department` },
      { op: 'remove', path: `${ENT}:costCenter` },
      { op: 'remove', path: `${ENT}:division` },
    ]);
    expect(d).not.toHaveProperty(ENT);
  });
  it('group members: add, remove by filter, replace the list', () => {
    const group = {
      schemas: [groupSchema.core.id],
      id: 'g1',
      displayName: 'Eng',
      members: [{ value: 'u1' }],
    };
    const added = patch(
      group,
      [{ op: 'add', path: 'members', value: [{ value: 'u2' }, { value: 'u1' }] }],
      groupSchema,
    );
    expect(added['members']).toEqual([{ value: 'u1' }, { value: 'u2' }]);
    const removed = patch(added, [{ op: 'remove', path: 'members[value eq "u1"]' }], groupSchema);
    expect(removed['members']).toEqual([{ value: 'u2' }]);
    const replaced = patch(
      removed,
      [{ op: 'replace', path: 'members', value: [{ value: 'u3' }] }],
      groupSchema,
    );
    expect(replaced['members']).toEqual([{ value: 'u3' }]);
  });
});

describe('IdP quirks are accepted', () => {
  it('Entra: capitalised op, "False" as a string, dotted keys in a no-path value', () => {
    const out = patch(PEOPLE[0]!, [
      { op: 'Replace', path: 'active', value: 'False' },
      { op: 'Add', value: { 'name.givenName': 'Augusta Ada', 'name.familyName': 'King', title: 'Countess' } },
    ]);
    expect(out['active']).toBe(false);
    expect(out['name']).toEqual({ givenName: 'Augusta Ada', familyName: 'King' });
    expect(out['title']).toBe('Countess');
  });
  it('Entra: "True" inside a no-path object, Operations spelt in another case, no schemas', () => {
    const ops = parsePatchRequest({ operations: [{ OP: 'replace', Value: { active: 'True' } }] });
    expect(applyPatch(PEOPLE[2]!, ops, userSchema).resource['active']).toBe(true);
  });
  it('Entra: a value filter that matches nothing creates the value it names', () => {
    const bare = { ...grace, emails: [] };
    const out = patch(bare, [
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'gh@example.com' },
    ]);
    expect(out['emails']).toEqual([{ type: 'work', value: 'gh@example.com' }]);
  });
  it('Entra: removes group members with a value list instead of a filter', () => {
    const group = {
      id: 'g1',
      displayName: 'Eng',
      members: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }],
    };
    const out = patch(
      group,
      [{ op: 'Remove', path: 'members', value: [{ value: 'u1' }, { value: 'u3' }] }],
      groupSchema,
    );
    expect(out['members']).toEqual([{ value: 'u2' }]);
  });
  it('Entra: an enterprise URN-prefixed key in a no-path value', () => {
    const out = patch(grace, [{ op: 'add', value: { [`${ENT}:department`]: 'Navy' } }]);
    expect(out[ENT]).toEqual({ department: 'Navy' });
  });
  it('Okta: deprovisioning as a no-path replace of active:false', () => {
    expect(patch(grace, [{ op: 'replace', value: { active: false } }])['active']).toBe(false);
  });
  it('an unchanged readOnly or immutable value sent again is not an error', () => {
    expect(patch(grace, [{ op: 'replace', value: { id: '2', active: true } }])['id']).toBe('2');
  });
  it('an attribute the schema lacks in a no-path value is ignored and reported', () => {
    const result = applyPatch(
      grace,
      parsePatchRequest({ Operations: [{ op: 'add', value: { shoeSize: 9, title: 'x' } }] }),
      userSchema,
    );
    expect(result.ignored).toEqual(['shoeSize']);
    expect(result.resource).not.toHaveProperty('shoeSize');
    const strict = failure(() =>
      applyPatch(
        grace,
        parsePatchRequest({ Operations: [{ op: 'add', value: { shoeSize: 9 } }] }),
        userSchema,
        {
          unknownAttributes: 'error',
        },
      ),
    );
    expect(strict.scimType).toBe('invalidValue');
  });
});

describe('PATCH errors carry the right scimType', () => {
  const table: [unknown, number, string, RegExp][] = [
    [[], 400, 'invalidSyntax', /JSON object/],
    [{ Operations: [] }, 400, 'invalidSyntax', /non-empty Operations/],
    [{ schemas: ['urn:x'], Operations: [{ op: 'add', value: {} }] }, 400, 'invalidSyntax', /PatchOp/],
    [{ Operations: [{ op: 'move', path: 'title' }] }, 400, 'invalidSyntax', /add, replace or remove/],
    [{ Operations: [{ op: 'add', path: 'title' }] }, 400, 'invalidSyntax', /needs a value/],
    [{ Operations: [{ op: 'remove' }] }, 400, 'noTarget', /remove needs a path/],
    [
      {
        Operations: [{ op: 'replace', path: 'emails[type eq "fax" or primary eq false].value', value: 'x' }],
      },
      400,
      'noTarget',
      /no value of emails matches/,
    ],
    [
      { Operations: [{ op: 'replace', path: 'emails[type eq', value: 9 }] },
      400,
      'invalidPath',
      /expected a value/,
    ],
    [
      { Operations: [{ op: 'replace', path: 'emails[nope eq "x"].value', value: 'x' }] },
      400,
      'invalidPath',
      /no sub-attribute "nope"/,
    ],
    [
      { Operations: [{ op: 'replace', path: 'title[type eq "x"]', value: 'x' }] },
      400,
      'invalidPath',
      /not a multi-valued/,
    ],
    [{ Operations: [{ op: 'replace', path: 'id', value: 'other' }] }, 400, 'mutability', /id is readOnly/],
    [
      { Operations: [{ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }] },
      400,
      'mutability',
      /readOnly/,
    ],
    [
      { Operations: [{ op: 'add', path: 'groups', value: [{ value: 'g1' }] }] },
      400,
      'mutability',
      /groups is readOnly/,
    ],
    [{ Operations: [{ op: 'remove', path: 'userName' }] }, 400, 'invalidValue', /userName is required/],
    [
      { Operations: [{ op: 'replace', path: 'active', value: 'maybe' }] },
      400,
      'invalidValue',
      /must be a boolean/,
    ],
    [{ Operations: [{ op: 'replace', value: 'x' }] }, 400, 'invalidValue', /must be an object of attributes/],
    [
      { Operations: [{ op: 'replace', path: 'title', value: ['a', 'b'] }] },
      400,
      'invalidValue',
      /takes one value/,
    ],
  ];
  it.each(table)('%j → %i %s', (body, status, scimType, message) => {
    const error = failure(() => applyPatch(grace, parsePatchRequest(body), userSchema));
    expect(error.status).toBe(status);
    expect(error.scimType).toBe(scimType);
    expect(error.message).toMatch(message);
  });
  it('a failed operation leaves the resource as it was (all or nothing)', () => {
    const before = structuredClone(grace);
    const ops: PatchOperation[] = [
      { op: 'replace', path: 'title', value: 'changed' },
      { op: 'replace', path: 'id', value: 'other' },
    ];
    expect(() => applyPatch(grace, ops, userSchema)).toThrow(ScimError);
    expect(grace).toEqual(before);
  });
  it('members.value of a group is immutable only in the sense of the list: members may be added once set', () => {
    const group = { id: 'g1', displayName: 'Eng' };
    expect(
      patch(group, [{ op: 'add', path: 'members', value: [{ value: 'u1' }] }], groupSchema)['members'],
    ).toEqual([{ value: 'u1' }]);
  });
});

describe('paths to attributes the app does not declare (Entra default mappings)', () => {
  const entra = [
    { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+1 555' },
    { op: 'Add', path: 'addresses[type eq "work"].formatted', value: '1 Main St' },
    {
      op: 'Replace',
      path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
      value: 'm1',
    },
    { op: 'Replace', path: 'title', value: 'Admiral' },
  ];
  it('are left out and reported by default, the rest applied', () => {
    const result = applyPatch(grace, parsePatchRequest({ Operations: entra }), userSchema);
    expect(result.resource['title']).toBe('Admiral');
    expect(result.resource).not.toHaveProperty('phoneNumbers');
    expect(result.ignored).toEqual([
      'Operations[0]: phoneNumbers[type eq "work"].value',
      'Operations[1]: addresses[type eq "work"].formatted',
      'Operations[2]: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
    ]);
  });
  it('are an invalidPath in strict mode', () => {
    const error = failure(() =>
      applyPatch(
        grace,
        parsePatchRequest({ Operations: [{ op: 'replace', path: 'shoeSize', value: 9 }] }),
        userSchema,
        {
          unknownAttributes: 'error',
        },
      ),
    );
    expect(error.scimType).toBe('invalidPath');
    expect(error.message).toMatch(/no attribute "Operations\[0\]: shoeSize"/);
  });
});

describe('PUT replaces (Okta), POST creates', () => {
  it('PUT clears what it leaves out, keeps readOnly id and meta, takes active:false', () => {
    const { resource, ignored } = replaceResource(
      { ...grace, title: 'Admiral' },
      {
        schemas: [userSchema.core.id],
        id: 'ignored',
        userName: 'grace.hopper@example.com',
        active: false,
        password: 'p',
        name: { givenName: 'Grace', familyName: 'Hopper' },
      },
      userSchema,
    );
    expect(resource['id']).toBe('2');
    expect(resource['meta']).toEqual(grace['meta']);
    expect(resource['active']).toBe(false);
    expect(resource).not.toHaveProperty('title');
    expect(resource).not.toHaveProperty('emails');
    expect(ignored).toEqual(['password']);
  });
  it('PUT without the required userName is an invalidValue', () => {
    expect(failure(() => replaceResource(grace, { active: true }, userSchema)).scimType).toBe('invalidValue');
  });
  it('PUT may not change an immutable attribute once set', () => {
    const group = { id: 'g1', displayName: 'Eng', members: [{ value: 'u1' }] };
    const immutableSchema: ResourceSchema = {
      core: {
        ...groupSchema.core,
        attributes: groupSchema.core.attributes.map((a) =>
          a.name === 'displayName' ? { ...a, mutability: 'immutable' as const } : a,
        ),
      },
      extensions: [],
    };
    expect(failure(() => replaceResource(group, { displayName: 'Other' }, immutableSchema)).scimType).toBe(
      'mutability',
    );
    expect(replaceResource(group, { displayName: 'Eng' }, immutableSchema).resource['displayName']).toBe(
      'Eng',
    );
  });
  it('POST keeps declared attributes, coerces, drops readOnly ones and reports unknown ones', () => {
    const { resource, ignored } = createResource(
      {
        id: 'mine',
        userName: 'new@example.com',
        active: 'true',
        emails: { value: 'new@example.com', type: 'work' },
        [ENT]: { department: 'R&D', badge: 7 },
        phoneNumbers: [],
      },
      userSchema,
    );
    expect(resource).toEqual({
      schemas: [userSchema.core.id],
      userName: 'new@example.com',
      active: true,
      emails: [{ value: 'new@example.com', type: 'work' }],
      [ENT]: { department: 'R&D' },
    });
    expect(ignored).toEqual(['phoneNumbers', `${ENT}:badge`]);
  });
  it('POST without userName is an invalidValue', () => {
    expect(failure(() => createResource({ active: true }, userSchema)).message).toMatch(
      /userName is required/,
    );
  });
});

describe('uniqueness: userName another resource holds is a 409', () => {
  it('compares as caseExact says, and a resource does not collide with itself', () => {
    const error = failure(() =>
      checkUniqueness({ userName: 'GRACE.HOPPER@example.com' }, PEOPLE, userSchema),
    );
    expect(error.status).toBe(409);
    expect(error.scimType).toBe('uniqueness');
    expect(error.message).toMatch(/already held by 2/);
    expect(() => checkUniqueness({ ...grace, title: 'x' }, PEOPLE, userSchema)).not.toThrow();
    expect(() => checkUniqueness({ userName: 'new@example.com' }, PEOPLE, userSchema)).not.toThrow();
  });
});

describe('JSON copies and comparisons a PATCH makes', () => {
  it('a copy is deep, leaves the original alone, and keeps a __proto__ member as a member', () => {
    const original = JSON.parse(
      '{"name":{"givenName":"Ada"},"emails":[{"value":"a@x.io","primary":true}],"__proto__":{"admin":true}}',
    ) as JsonObject;
    const copy = clone(original);
    expect(copy).toEqual(original);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    (copy['name'] as JsonObject)['givenName'] = 'Grace';
    (copy['emails'] as JsonObject[]).push({ value: 'b@x.io' });
    expect(original['name']).toEqual({ givenName: 'Ada' });
    expect(original['emails']).toHaveLength(1);
  });

  it('the same data compares equal whatever its members’ order, and nothing else does', () => {
    const same: [unknown, unknown][] = [
      [
        { a: 1, b: { c: [1, 'x', null] } },
        { b: { c: [1, 'x', null] }, a: 1 },
      ],
      [{ a: 1, gone: undefined }, { a: 1 }],
      [undefined, undefined],
      [0, -0],
    ];
    const different: [unknown, unknown][] = [
      [{ a: 1 }, { a: 1, b: 2 }],
      [
        { a: 1, b: 2 },
        { a: 1, c: 2 },
      ],
      [
        [1, 2],
        [2, 1],
      ],
      [[1], { 0: 1 }],
      [null, undefined],
      [{}, null],
      ['1', 1],
      [true, 'true'],
      [{ a: [] }, { a: {} }],
    ];
    for (const [a, b] of same) {
      expect(sameJson(a as Json, b as Json), JSON.stringify([a, b])).toBe(true);
      expect(sameJson(b as Json, a as Json)).toBe(true);
    }
    for (const [a, b] of different) {
      expect(sameJson(a as Json, b as Json), JSON.stringify([a, b])).toBe(false);
      expect(sameJson(b as Json, a as Json)).toBe(false);
    }
  });
});

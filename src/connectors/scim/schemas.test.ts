import { describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import { parsePayload, scimUserSchema } from './schemas.js';

const context = { appId: 'app', endpoint: 'GET /Users/{id}' };
const parse = (body: unknown) => parsePayload(scimUserSchema, body, context);

/** A user as StackSpot's guide prints it: its own flat fields beside the SCIM ones. */
const stackspotUser = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: 'u1',
  userName: 'ana@acme.com',
  name: { givenName: 'Ana', familyName: 'Lima' },
  emails: [{ value: 'ana@acme.com', type: 'work', primary: true, display: 'Work Email' }],
  is_blocked: false,
  never_logged: true,
  properties: { role: 'member' },
  meta: { resourceType: 'User', created: '2026-01-01T00:00:00Z', lastModified: null },
};

describe('parsePayload of a SCIM user', () => {
  it('a user already in the schema form reads exactly as zod reads it', () => {
    const samples: unknown[] = [
      stackspotUser,
      { id: 'u2' },
      { id: 'u3', active: true, roles: [{ value: 'admin' }], title: null, externalId: 'E1', emails: null },
      { id: 'u4', name: null, meta: null, displayName: 'Bo', userType: 'Employee', groups: [{ value: 'g' }] },
    ];
    for (const body of samples) expect(parse(body)).toEqual(scimUserSchema.parse(body));
  });

  it('booleans sent as "True"/"False" strings are still read as booleans', () => {
    expect(parse({ id: 'u1', active: 'False' }).active).toBe(false);
    expect(parse({ id: 'u1', emails: [{ value: 'a@x', primary: 'True' }] }).emails?.[0]?.primary).toBe(true);
  });

  it('a user of the wrong shape is refused, naming the field', () => {
    const refused = (body: unknown) => {
      try {
        parse(body);
        return null;
      } catch (error) {
        return isRosterError(error) ? error.message : String(error);
      }
    };
    expect(refused({ id: '' })).toContain('id');
    expect(refused({ userName: 'x' })).toContain('id');
    expect(refused({ id: 'u1', emails: [{ value: 7 }] })).toContain('emails.0.value');
    expect(refused({ id: 'u1', name: 'Ana' })).toContain('name');
    expect(refused({ id: 'u1', active: 'yes' })).toContain('active');
    expect(refused([{ id: 'u1' }])).not.toBeNull();
  });
});

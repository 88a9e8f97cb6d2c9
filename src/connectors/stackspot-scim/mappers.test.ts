import { describe, expect, it } from 'vitest';
import { type ScimUser, scimUserSchema, toAccount } from '../scim/index.js';
import { refineStackspotAccount } from './mappers.js';
import { STACKSPOT_EXTENSION } from './schemas.js';

const read = (fields: Record<string, unknown>) => {
  const user: ScimUser = scimUserSchema.parse({ id: 'u1', userName: 'ana@acme.com', ...fields });
  return toAccount('stackspot-scim', user, refineStackspotAccount);
};

describe('refineStackspotAccount', () => {
  it('reads the role from properties or the extension, and never_logged as a flag', () => {
    expect(read({ properties: { role: 'admin' }, never_logged: true })).toMatchObject({
      isAdmin: true,
      lastLoginAt: null,
      attributes: { role: 'admin', neverLogged: true },
    });
    const viaExtension = read({ [STACKSPOT_EXTENSION]: { properties: { role: 'member' }, team: 'core' } });
    expect(viaExtension.isAdmin).toBe(false);
    expect(viaExtension.attributes).toMatchObject({
      role: 'member',
      'ext.properties.role': 'member',
      'ext.team': 'core',
    });
  });

  it('fields of another shape are left unread, as the generic SCIM reading has them', () => {
    const generic = toAccount('stackspot-scim', scimUserSchema.parse({ id: 'u1', userName: 'ana@acme.com' }));
    expect(read({ properties: 'admin' })).toEqual(generic);
    expect(read({ never_logged: 'yes' })).toEqual(generic);
    expect(read({ [STACKSPOT_EXTENSION]: { roles: ['admin'] } })).toEqual(generic);
  });
});

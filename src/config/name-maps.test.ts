// The name → id maps and the undocumented opt-in of Thought Industries and customer-directory entries.
import { describe, expect, it } from 'vitest';
import { appSchema } from './schema.js';

const ti = {
  id: 'ti',
  type: 'thought-industries',
  baseUrl: 'https://school.thoughtindustries.com/incoming/api/v1',
  auth: { type: 'api-key', key: 'k' },
};
const cd = {
  id: 'cd',
  type: 'customer-directory',
  baseUrl: 'https://directory.example.com',
  auth: { type: 'bearer', token: 't' },
  customerId: '64b7f0c2a1e4d5f6a7b8c9d0',
  integration: 'okta',
};
const issues = (value: unknown) => {
  const parsed = appSchema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('name → id maps and undocumented endpoints are opt-in config', () => {
  it('takes group and course maps and the endpoints Thought Industries may try', () => {
    const parsed = appSchema.parse({
      ...ti,
      groups: { 'Sales Academy': 'grp-1' },
      courses: { 'Security Awareness': 'crs-1' },
      undocumented: ['groups-endpoint', 'unenroll-endpoint'],
    });
    expect(parsed).toMatchObject({
      groups: { 'Sales Academy': 'grp-1' },
      undocumented: ['groups-endpoint', 'unenroll-endpoint'],
    });
    // Nothing undocumented unless listed.
    expect(appSchema.parse(ti)).not.toHaveProperty('undocumented');
  });

  it('an endpoint the app has no option for is refused, listing the ones it has', () => {
    expect(issues({ ...ti, undocumented: ['roles-endpoint'] })).toEqual([
      'undocumented.0: must be one of: groups-endpoint, courses-endpoint, unenroll-endpoint',
    ]);
    expect(issues({ ...cd, undocumented: ['courses-endpoint'] })).toEqual([
      'undocumented.0: must be one of: roles-endpoint, groups-endpoint',
    ]);
  });

  it('customer-directory ids must be object ids, and two names may not share one id', () => {
    expect(issues({ ...cd, roles: { Admin: 'r-1' } })).toEqual([
      'roles.Admin: "r-1" is not an id (24 hexadecimal characters)',
    ]);
    expect(
      issues({ ...cd, groups: { Eng: '64b7f0c2a1e4d5f6a7b8c9d1', Engineering: '64B7F0C2A1E4D5F6A7B8C9D1' } }),
    ).toEqual(['groups.Engineering: "Engineering" and "Eng" name the same id 64B7F0C2A1E4D5F6A7B8C9D1']);
  });
});

import { describe, expect, it } from 'vitest';
import { isRosterError } from '../../core/errors.js';
import { changeOperations, createUserBody, replacePrimaryEmail } from './payloads.js';

const EXT = 'urn:example:ext';

describe('SCIM payloads', () => {
  it('create always sends `active` explicitly, with the work email as primary', () => {
    const body = createUserBody(
      { email: 'a@acme.com', firstName: 'A', lastName: 'B', externalId: 'x1' },
      { appId: 'app' },
    );
    expect(body).toMatchObject({
      userName: 'a@acme.com',
      active: true,
      externalId: 'x1',
      emails: [{ value: 'a@acme.com', type: 'work', primary: true }],
    });
  });

  it('ext.<name> attributes go to the extension schema; unknown names are invalid_input', () => {
    const body = createUserBody(
      { email: 'a@x', firstName: 'A', lastName: 'B', attributes: { 'ext.company': 'Acme', title: 'T' } },
      { appId: 'app', extensionSchema: EXT },
    );
    expect(body).toMatchObject({ title: 'T', [EXT]: { company: 'Acme' } });
    expect(body['schemas']).toContain(EXT);
    let error: unknown;
    try {
      createUserBody(
        { email: 'a@x', firstName: 'A', lastName: 'B', attributes: { 'ext.x': 1 } },
        { appId: 'app' },
      );
    } catch (e) {
      error = e;
    }
    expect(isRosterError(error) && error.code).toBe('invalid_input');
  });

  it('a change is PATCH replace operations; a null attribute is a remove', () => {
    expect(
      changeOperations(
        { firstName: 'N', login: 'n', attributes: { title: null, 'ext.company': 'C' } },
        { appId: 'app', extensionSchema: EXT },
      ),
    ).toEqual([
      { op: 'replace', path: 'userName', value: 'n' },
      { op: 'replace', path: 'name.givenName', value: 'N' },
      { op: 'remove', path: 'title' },
      { op: 'replace', path: `${EXT}:company`, value: 'C' },
    ]);
  });

  it('an email change replaces the primary address and keeps the others', () => {
    expect(
      replacePrimaryEmail(
        [
          { value: 'p@x', type: 'Personal', display: 'Personal Email' },
          { value: 'w@x', type: 'work', display: 'Work Email' },
        ],
        'new@x',
      ),
    ).toEqual([
      { value: 'p@x', type: 'Personal', primary: false },
      { value: 'new@x', type: 'work', primary: true },
    ]);
    expect(replacePrimaryEmail([], 'new@x')).toEqual([{ value: 'new@x', type: 'work', primary: true }]);
  });
});

import { describe, expect, it } from 'vitest';
import { ScimError } from './errors.js';
import { compileFilter, evaluate, filterSize, parseFilter, parsePath } from './filter.js';
import { PEOPLE, userSchema } from './testkit.js';

const ids = (filter: string) =>
  PEOPLE.filter((p) => evaluate(compileFilter(filter, userSchema), p)).map((p) => p['id']);

describe('the whole RFC 7644 filter grammar selects the right resources', () => {
  const table: [string, string[]][] = [
    // eq, with userName case-insensitive (caseExact false)
    ['userName eq "ada.lovelace@example.com"', ['1']],
    ['USERNAME EQ "ADA.LOVELACE@EXAMPLE.COM"', ['1']],
    // externalId is caseExact: another case does not match
    ['externalId eq "ExtID-5"', ['5']],
    ['externalId eq "extid-5"', []],
    ['userName ne "ada.lovelace@example.com"', ['2', '3', '4', '5']],
    ['userName co "hopper"', ['2']],
    ['userName sw "ALAN"', ['3']],
    ['userName ew ".org"', ['4']],
    ['title pr', ['1', '3']],
    ['externalId pr', ['5']],
    ['meta.created gt "2026-01-03T00:00:00Z"', ['4', '5']],
    ['meta.created ge "2026-01-03T00:00:00Z"', ['3', '4', '5']],
    ['meta.created lt "2026-01-02T00:00:00Z"', ['1']],
    ['meta.created le "2026-01-02T00:00:00Z"', ['1', '2']],
    ['userName gt "e"', ['2', '4']],
    ['active eq false', ['3']],
    ['active eq true and title pr', ['1']],
    ['title eq "Engineer" or title eq "Mathematician"', ['1', '3']],
    // and binds tighter than or
    ['title eq "Engineer" or title eq "Mathematician" and active eq true', ['1']],
    ['(title eq "Engineer" or title eq "Mathematician") and active eq true', ['1']],
    ['not (active eq true)', ['3']],
    ['not(title pr) and not (externalId pr)', ['2', '4']],
    // sub-attributes
    ['name.givenName eq "grace"', ['2']],
    ['name.familyName sw "L"', ['1', '5']],
    // a complex multi-valued attribute without sub-attribute compares its value
    ['emails co "home"', ['2']],
    ['emails.value ew "home.example"', ['2']],
    ['emails.type eq "home"', ['2']],
    // value paths
    ['emails[type eq "work" and primary eq true]', ['1', '2', '3', '4', '5']],
    ['emails[type eq "home" and value co "grace"]', ['2']],
    ['emails[type eq "home" or value sw "barbara"]', ['2', '5']],
    ['emails[not (type eq "work")]', ['2']],
    ['emails[type eq "work"] and userName sw "e"', ['4']],
    // Entra ID's form when it matches by work email: one value meeting both, as emails[type eq "work" and value eq …]
    ['emails[type eq "work"].value eq "GRACE.HOPPER@example.com"', ['2']],
    ['emails[type eq "work"].value eq "grace@home.example"', []],
    ['emails[type eq "home"].value eq "grace@home.example"', ['2']],
    ['emails[type eq "home"].value pr', ['2']],
    ['emails[primary eq true].value sw "a" or userName eq "x"', ['1', '3']],
    // URN-prefixed attributes: extension and core
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Research"', ['1', '3']],
    ['URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:DEPARTMENT pr', ['1', '3', '4']],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "barbara"', ['5']],
    // strings with escapes; extra spaces tolerated
    ['userName   eq   "ada.lovelace@example.com"  ', ['1']],
    ['title eq "Engi\\u006eeer"', ['1']],
    ['active eq null', []],
    ['title ne null', ['1', '3']],
  ];
  it.each(table)('%s', (filter, expected) => {
    expect(ids(filter)).toEqual(expected);
  });
});

describe('an invalid filter is an invalidFilter naming where it is', () => {
  const table: [string, RegExp][] = [
    ['userName eq', /expected a value .* at the end/],
    ['userName', /expected an operator after userName at the end/],
    ['userName equals "x"', /unknown operator "equals" .* at character 10/],
    ['userName eq "x" and', /expected an expression at the end/],
    ['userName eq "x" userName eq "y"', /expected "and", "or" or the end at character 17/],
    ['(userName eq "x"', /expected "\)" at the end/],
    ['userName eq "x")', /expected "and", "or" or the end at character 16/],
    ['not userName eq "x"', /expected "\(" after not at character 5/],
    ['userName eq "unterminated', /unterminated string at character 13/],
    ['userName eq "bad\\q"', /bad escape/],
    ['emails[type eq "work"', /expected "\]" at the end/],
    ['emails[type eq "work" and emails[primary eq true]]', /cannot hold another/],
    ['emails[nope eq "x"]', /emails has no sub-attribute "nope" at character 8/],
    ['emails[type eq "work"].value', /expected an operator after .value at the end/],
    ['emails[type eq "work"].nope eq "x"', /emails has no sub-attribute "nope" at character 24/],
    ['emails[type eq "work"].value.more eq "x"', /expected ".subAttribute" at character 23/],
    ['emails[type eq "work"] .value eq "x"', /expected "and", "or" or the end at character 24/],
    ['shoeSize eq "x"', /no attribute "shoeSize" in this resource type's schema at character 1/],
    ['urn:example:ext:thing eq "x"', /no attribute/],
    ['http://x eq "y"', /unexpected "\/"/],
    ['userName gt null', /needs a value other than null/],
    ['active co "t"', /"co" applies to strings; active is boolean/],
    ['active gt true', /cannot order boolean/],
    ['userName eq "x" & active eq true', /unexpected "&" at character 17/],
    ['name.givenName.more eq "x"', /not an attribute path/],
  ];
  it.each(table)('%s', (filter, message) => {
    let error: unknown;
    try {
      compileFilter(filter, userSchema);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScimError);
    const scim = error as ScimError;
    expect(scim.status).toBe(400);
    expect(scim.scimType).toBe('invalidFilter');
    expect(scim.message).toMatch(message);
  });
});

describe('PATCH paths parse attribute, value filter and sub-attribute', () => {
  it('reads a value path with a sub-attribute after the bracket', () => {
    const path = parsePath('emails[type eq "work"].value');
    expect(path.attr.name).toBe('emails');
    expect(path.sub).toBe('value');
    expect(path.filter).toEqual({
      op: 'eq',
      path: { uri: null, name: 'type', sub: null, text: 'type', at: 7 },
      value: 'work',
    });
  });
  it('reads a URN-prefixed path', () => {
    const path = parsePath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department');
    expect(path.attr).toMatchObject({
      uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      name: 'department',
    });
  });
  it.each([
    ['emails[type eq "work"] value', /expected ".subAttribute" or the end after "\]"/],
    ['name.givenName[x eq 1]', /not a sub-attribute/],
    ['', /expected an attribute path/],
    ['userName extra', /unexpected text after the path/],
  ])('refuses %j as an invalidPath', (text, message) => {
    expect(() => parsePath(text)).toThrow(message);
    try {
      parsePath(text);
    } catch (e) {
      expect((e as ScimError).scimType).toBe('invalidPath');
    }
  });
});

describe('filter size counts comparisons', () => {
  it('counts each comparison once, whatever the nesting', () => {
    expect(
      filterSize(parseFilter('a eq 1 and (b pr or not (c eq 2)) and emails[type eq "x" and value pr]')),
    ).toBe(5);
  });
});
